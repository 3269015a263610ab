// telexd assembled: storage, router, modules, TLS, listeners and the worker threads.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "admin/admin_socket.hpp"
#include "auth/account_store.hpp"
#include "auth/auth_throttle.hpp"
#include "config/config.hpp"
#include "http/http_server.hpp"
#include "http/router.hpp"
#include "modules/module.hpp"
#include "modules/winpopup/winpopup_gateway.hpp"
#include "net/listener.hpp"
#include "net/worker.hpp"
#include "router/stanza_router.hpp"
#include "storage/storage_pool.hpp"
#include "storage/store.hpp"
#include "stream/c2s_session.hpp"

namespace telex::server {

class Server {
 public:
  // Opens storage, loads or creates the certificate, sets up modules and binds the listeners.
  // Every failure (port taken, unwritable data folder, bad certificate) comes back as a message.
  static Expected<std::unique_ptr<Server>, std::string> create(const config::Config& config);
  ~Server();

  // Runs until SIGTERM/SIGINT, then closes every stream with <system-shutdown/>.
  void run();
  // Starts the worker threads without blocking (tests); stop() ends them.
  void start();
  void stop();

  const std::vector<std::unique_ptr<net::Listener>>& listeners() const { return listeners_; }
  const http::HttpServer* httpServer() const { return http_.get(); }
  router::SessionManager& sessions() { return sessions_; }

 private:
  explicit Server(const config::Config& config);
  Expected<bool, std::string> init();
  void accept(net::AcceptedSocket socket, net::Worker& worker, bool directTls);
  void closeAllStreams();
  // Ends sessions that lost their connection and wait for XEP-0198 resumption (their unacknowledged
  // messages go to offline storage) while the workers and the storage pool still run.
  void endHibernatingSessions();

  // SIGINT/SIGTERM are caught from the start of create(), before any port is open, so a signal
  // that arrives while the server is still starting stops it cleanly instead of killing it.
  struct SignalWatch;
  std::unique_ptr<SignalWatch> signals_;
  config::Config config_;
  modules::ServerInfo info_;
  modules::DiscoRegistry disco_;
  std::unique_ptr<storage::StorageDriver> storage_;
  std::unique_ptr<storage::StoragePool> pool_;
  // After the storage it refers to, so destroyed before it.
  modules::SharedObjects sharedObjects_;
  std::unique_ptr<auth::AccountStore> accounts_;
  std::unique_ptr<auth::AuthThrottle> throttle_;
  std::unique_ptr<auth::InviteStore> invites_;
  std::unique_ptr<auth::AuthThrottle> registrations_;
  router::HookBus hooks_;
  router::SessionManager sessions_;
  std::unique_ptr<router::StanzaRouter> router_;
  std::vector<std::unique_ptr<modules::ModuleContext>> moduleContexts_;
  net::SslCtxPtr tls_;
  stream::ResumptionRegistry<stream::C2sSession> resumption_;
  std::unique_ptr<stream::C2sContext> c2s_;
  std::vector<std::unique_ptr<net::Listener>> listeners_;
  std::unique_ptr<admin::AdminSocket> admin_;
  // The HTTP listener's paths (modules add theirs at setup) and the listener itself.
  http::Router httpRoutes_;
  std::unique_ptr<http::HttpServer> http_;
  // The WinPopup listener (winpopup.enabled); like listeners_, it must go before the workers.
  std::unique_ptr<modules::winpopup::Gateway> winpopup_;
  // Every open client stream, per worker (touched only on that worker's thread), so shutdown
  // can reach streams that never signed in too.
  std::vector<std::unordered_map<stream::C2sSession*, std::weak_ptr<stream::C2sSession>>> live_;
  std::atomic<std::size_t> liveCount_{0};
  // Outlives the workers (declared before them): their pending trim holds a pointer to it.
  std::unique_ptr<net::HeapTrim> heapTrim_;
  bool started_ = false;
  // Declared last so it is destroyed first: pending handlers hold sessions that use the above.
  std::unique_ptr<net::WorkerPool> workers_;
};

}  // namespace telex::server
