// The registration record every feature module provides, and what a module gets to work with.
#pragma once

#include <chrono>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "modules/offline/offline_index.hpp"
#include "modules/shared_objects.hpp"
#include "router/stanza_router.hpp"
#include "storage/storage_pool.hpp"
#include "storage/store.hpp"
#include "util/expected.hpp"

namespace telex::http {
class Router;
}
namespace telex::net {
class WorkerPool;
}

namespace telex::modules {

struct XepRef {
  int number;
  std::string_view version;
};

struct DiscoIdentity {
  std::string category;
  std::string type;
  std::string name;
};

// What the server advertises in service discovery, filled from the enabled modules.
struct DiscoRegistry {
  std::vector<DiscoIdentity> identities;
  std::vector<std::string> features;  // sorted, unique
  // disco#items of the server: services on their own domains, as {jid, name}.
  std::vector<std::pair<std::string, std::string>> items;
};

struct ServerInfo {
  std::string version;
  std::chrono::steady_clock::time_point started;
};

// An IQ request handed to a module: reply with a payload (or nothing) or a stanza error.
using IqReply = Expected<std::optional<xml::Element>, router::StanzaError>;
using IqHandler = std::function<IqReply(const router::StanzaEvent& event, const xml::Element& payload)>;

// An IQ request kept beyond the hook call (the event's references die with it).
struct IqRequest {
  xml::Element stanza;
  Jid from;
  Jid to;
  const xml::Element& payload() const { return *stanza.firstElement(); }
};
using IqResponder = std::function<void(const IqReply& reply)>;
using AsyncIqHandler = std::function<void(IqRequest request, IqResponder respond)>;

class ModuleContext {
 public:
  ModuleContext(std::string_view module, router::StanzaRouter& router, const config::Config& config,
                const ServerInfo& info, DiscoRegistry& disco, storage::StorageDriver& storage,
                storage::StoragePool& pool, SharedObjects& shared)
      : module_(module), router_(router), config_(config), info_(info), disco_(disco),
        storage_(storage), pool_(pool), shared_(shared), offlineIndex_(*shared.get<offline::OfflineIndex>()) {}

  router::StanzaRouter& router() { return router_; }
  router::HookBus& hooks() { return router_.hooks(); }
  const config::Config& config() const { return config_; }
  const ServerInfo& info() const { return info_; }
  const DiscoRegistry& disco() const { return disco_; }
  // Lists a service (e.g. a router component) in the server's disco#items. Setup only.
  void addDiscoItem(std::string jid, std::string name) { disco_.items.emplace_back(std::move(jid), std::move(name)); }
  storage::StorageDriver& storage() { return storage_; }
  storage::StoragePool& pool() { return pool_; }
  // Objects several modules share, one per server.
  SharedObjects& shared() { return shared_; }
  // Shared by every module that writes to the offline store.
  offline::OfflineIndex& offlineIndex() { return offlineIndex_; }

  // For modules that do more than answer stanzas, set by the server before setup(): the worker loops
  // (their own listeners and timers) and the HTTP listener's route table. Null when a context is
  // made without them (unit tests).
  net::WorkerPool* workers() { return workers_; }
  http::Router* http() { return http_; }
  void setNetwork(net::WorkerPool* workers, http::Router* http) {
    workers_ = workers;
    http_ = http;
  }
  // `fn` runs once at shutdown, after the worker loops stopped and before they are destroyed: close
  // the acceptors, sockets and timers the module owns there (asio objects must not outlive their loop).
  void onShutdown(std::function<void()> fn) { shutdown_.push_back(std::move(fn)); }
  void shutdown() {
    auto fns = std::move(shutdown_);
    for (auto& fn : fns) fn();
  }

  // Answers IQs of `type` ("get"/"set") to `target` ("host", "self", "bare", "full") whose
  // payload is <name xmlns=ns>, synchronously.
  void onIq(std::string_view type, std::string_view target, std::string_view ns, std::string_view name,
            IqHandler handler, int priority = 0);
  // The same for handlers that answer later (after storage work): call `respond` exactly once,
  // on any worker.
  void onIqAsync(std::string_view type, std::string_view target, std::string_view ns,
                 std::string_view name, AsyncIqHandler handler, int priority = 0);

  // Runs `work` on the storage pool, then `done(Expected<result, std::string>)` on the worker
  // that called this. Must be called from a worker thread.
  template <class Work, class Done>
  void runBlocking(Work work, Done done) {
    pool_.run(*net::Worker::current(), std::move(work), std::move(done));
  }
  // The same for work that takes milliseconds (key derivation, fdatasync): its own lane, so
  // storage work does not wait behind it.
  template <class Work, class Done>
  void runSlow(Work work, Done done) {
    pool_.runSlow(*net::Worker::current(), std::move(work), std::move(done));
  }

 private:
  std::string module_;
  router::StanzaRouter& router_;
  const config::Config& config_;
  const ServerInfo& info_;
  DiscoRegistry& disco_;
  storage::StorageDriver& storage_;
  storage::StoragePool& pool_;
  SharedObjects& shared_;
  offline::OfflineIndex& offlineIndex_;  // looked up once: modules reach it per stored message
  net::WorkerPool* workers_ = nullptr;
  http::Router* http_ = nullptr;
  std::vector<std::function<void()>> shutdown_;
};

struct ModuleSpec {
  std::string_view name;     // folder name under modules/ and the name used in config
  std::string_view summary;  // one line for docs/xep-coverage.md
  std::vector<XepRef> xeps;
  std::vector<std::string_view> features;  // disco features it adds to the server
  std::vector<DiscoIdentity> identities;
  void (*setup)(ModuleContext& context);
  // Stream features offered after authentication, as {element name, namespace}.
  std::vector<std::pair<std::string_view, std::string_view>> streamFeatures = {};
};

// The one explicit list of modules (modules/module_list.cpp).
std::span<const ModuleSpec> allModules();
// docs/xep-coverage.md, generated from the module list.
std::string xepCoverageMarkdown();

// Sends the IQ result or error for `request`, which `from` sent.
void replyToIq(router::StanzaRouter& router, const xml::Element& request, const Jid& from,
               const IqReply& reply);

}  // namespace telex::modules
