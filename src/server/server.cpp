// Server wiring and lifecycle.
#include "server/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fstream>
#include <spdlog/spdlog.h>
#include <thread>

#include "modules/adhoc/command_registry.hpp"
#include "net/tls_context.hpp"
#include "storage/storage_factory.hpp"
#include "util/crypto.hpp"

namespace telex::server {

struct Server::SignalWatch {
  boost::asio::io_context context;
  boost::asio::signal_set set{context, SIGINT, SIGTERM};
};

Server::Server(const config::Config& config)
    : config_(config), sessions_(static_cast<std::size_t>(config.c2s.maxResources)) {}

Server::~Server() {
  stop();
  // Acceptors, sockets and timers belong to the workers' io_contexts: they must go before the
  // workers do.
  listeners_.clear();
  if (http_) http_->close();
  for (auto& ctx : moduleContexts_) ctx->shutdown();
  winpopup_.reset();
  admin_.reset();
}

Expected<std::unique_ptr<Server>, std::string> Server::create(const config::Config& config) {
  std::unique_ptr<Server> server(new Server(config));
  server->signals_ = std::make_unique<SignalWatch>();
  auto ok = server->init();
  if (!ok) return unexpected(ok.error());
  return server;
}

namespace {

// A trim 200 ms after 16 parsers were released by idle streams (then at most one per 200 ms while
// they keep coming): a sign-in burst's holes go back to the OS within about a second of the
// sessions going quiet; a trickle of single releases is not worth the walk.
constexpr std::size_t kTrimAfterReleases = 16;
constexpr std::chrono::milliseconds kTrimDelay{200};

Expected<bool, std::string> checkDataDir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return unexpected("data folder " + dir.string() + " cannot be created: " + ec.message());
  auto probe = dir / ".telexd-write-test";
  {
    std::ofstream out(probe);
    if (!out || !(out << "ok") || !out.flush()) {
      return unexpected("data folder " + dir.string() + " is not writable");
    }
  }
  std::filesystem::remove(probe, ec);
  return true;
}

}  // namespace

Expected<bool, std::string> Server::init() {
  info_.version = TELEX_VERSION;
  info_.started = std::chrono::steady_clock::now();

  if (auto ok = checkDataDir(config_.dataDirPath()); !ok) return ok;
  try {
    storage_ = storage::openStorage(config_.storage.driver, config_.dataDirPath());
  } catch (const std::exception& e) {
    return unexpected(std::string("cannot open storage: ") + e.what());
  }
  pool_ = std::make_unique<storage::StoragePool>();
  accounts_ = std::make_unique<auth::AccountStore>(*storage_, static_cast<std::uint32_t>(config_.auth.scramIterations));
  invites_ = std::make_unique<auth::InviteStore>(*storage_);
  registrations_ = std::make_unique<auth::AuthThrottle>(static_cast<std::size_t>(config_.registration.maxPerAddress),
                                                        std::chrono::hours(1), std::chrono::seconds(1));
  throttle_ = std::make_unique<auth::AuthThrottle>(static_cast<std::size_t>(config_.auth.failureLimit),
                                                   std::chrono::seconds(config_.auth.failureWindow),
                                                   std::chrono::seconds(config_.auth.failureDelay));

  auto generated = net::ensureSelfSignedCertificate(config_.certificatePath(), config_.keyPath(),
                                                    config_.server.domain);
  if (!generated) return unexpected("certificate: " + generated.error());
  if (*generated) {
    spdlog::warn("generated a self-signed certificate for {} in {}; clients will have to trust it "
                 "explicitly", config_.server.domain, config_.certificatePath().string());
  }
  auto tls = net::makeServerTlsContext(config_.certificatePath(), config_.keyPath());
  if (!tls) return unexpected(tls.error());
  tls_ = std::move(*tls);

  router_ = std::make_unique<router::StanzaRouter>(config_.server.domain, sessions_, hooks_);

  // Made before the modules: some open their own listeners or timers on the worker loops.
  // One loop per two cores by default: a stanza for a session on another loop wakes that loop's
  // thread, and across cores (an interrupt, a VM exit under virtualization) that cost more than
  // the second loop gained on a 2-core VM (bench/RESULTS.md, session 6). The other cores are left
  // to the kernel's network work, storage and TLS.
  std::size_t workerCount = config_.server.workers > 0
                                ? static_cast<std::size_t>(config_.server.workers)
                                : std::max(1u, std::thread::hardware_concurrency() / 2);
  workers_ = std::make_unique<net::WorkerPool>(workerCount);
  live_.resize(workerCount);
  heapTrim_ = std::make_unique<net::HeapTrim>(workers_->at(0), kTrimAfterReleases, kTrimDelay);

  if (!config_.c2s.requireTls) {
    spdlog::warn("c2s.require_tls is OFF: clients on loopback may sign in without TLS and send "
                 "passwords in clear (benchmark mode); other addresses still need TLS.");
  }
  // Listeners bind before the modules set up, so a taken client port is the error reported even
  // when a module's own port is taken too; they accept only once the server starts.
  struct PortSpec {
    std::int64_t port;
    bool directTls;
  };
  for (const auto& address : config_.c2s.interfaces) {
    for (PortSpec p : {PortSpec{config_.c2s.port, false}, PortSpec{config_.c2s.tlsPort, true}}) {
      if (p.port == 0) continue;
      auto listener = net::Listener::open(
          *workers_, address, static_cast<std::uint16_t>(p.port),
          [this, direct = p.directTls](net::AcceptedSocket socket, net::Worker& worker) {
            accept(std::move(socket), worker, direct);
          });
      if (!listener) return unexpected(listener.error());
      listeners_.push_back(std::move(*listener));
    }
  }

  std::vector<http::Endpoint> httpEndpoints;
  for (const auto& address : config_.http.interfaces) {
    if (config_.http.port != 0) httpEndpoints.push_back({address, static_cast<std::uint16_t>(config_.http.port), false});
    if (config_.http.tlsPort != 0) httpEndpoints.push_back({address, static_cast<std::uint16_t>(config_.http.tlsPort), true});
  }
  if (!httpEndpoints.empty()) {
    auto http = http::HttpServer::open(*workers_, httpRoutes_, httpEndpoints, config_.certificatePath(),
                                       config_.keyPath());
    if (!http) return unexpected(http.error());
    http_ = std::move(*http);
  }

  // Modules: advertise features first, then let each register its hooks.
  std::vector<const modules::ModuleSpec*> enabled;
  for (const auto& spec : modules::allModules()) {
    bool off = std::find(config_.modules.disabled.begin(), config_.modules.disabled.end(), spec.name) !=
               config_.modules.disabled.end();
    if (!off) enabled.push_back(&spec);
  }
  for (const auto& name : config_.modules.disabled) {
    bool known = std::any_of(modules::allModules().begin(), modules::allModules().end(),
                             [&](const auto& s) { return s.name == name; });
    if (!known) return unexpected("modules.disabled: unknown module \"" + name + "\"");
  }
  for (const auto* spec : enabled) {
    for (auto f : spec->features) disco_.features.emplace_back(f);
    for (const auto& id : spec->identities) disco_.identities.push_back(id);
  }
  std::sort(disco_.features.begin(), disco_.features.end());
  disco_.features.erase(std::unique(disco_.features.begin(), disco_.features.end()), disco_.features.end());
  for (const auto* spec : enabled) {
    // Modules keep a reference to their context for the server's lifetime.
    moduleContexts_.push_back(std::make_unique<modules::ModuleContext>(spec->name, *router_, config_, info_,
                                                                       disco_, *storage_, *pool_, sharedObjects_));
    moduleContexts_.back()->setNetwork(workers_.get(), &httpRoutes_);
    // A module that cannot start (its port is taken, its folder unwritable) stops the server with
    // the reason, like a taken c2s port.
    try {
      spec->setup(*moduleContexts_.back());
    } catch (const std::exception& e) {
      return unexpected("module " + std::string(spec->name) + ": " + e.what());
    }
  }

  std::vector<xml::Element> boundFeatures;
  for (const auto* spec : enabled) {
    for (auto [name, ns] : spec->streamFeatures) boundFeatures.emplace_back(std::string(name), std::string(ns));
  }
  c2s_ = std::make_unique<stream::C2sContext>(stream::C2sContext{
      config_, tls_.get(), *router_, *accounts_, *pool_, *throttle_, util::randomBytes(32),
      stream::StreamFeatures(config_.registration.enabled, boundFeatures), resumption_,
      std::chrono::seconds(config_.c2s.resumeTimeout), *invites_, *registrations_, *heapTrim_});

  bool winpopupOn = config_.winpopup.enabled &&
                    std::find(config_.modules.disabled.begin(), config_.modules.disabled.end(), "winpopup") ==
                        config_.modules.disabled.end();
  if (winpopupOn) {
    auto gateway = modules::winpopup::Gateway::open(*workers_, *router_, config_, *storage_, *pool_);
    if (!gateway) return unexpected(gateway.error());
    winpopup_ = std::move(*gateway);
  }

  auto admin = admin::AdminSocket::open(workers_->at(0), config_.dataDirPath() / "telexd.sock");
  if (!admin) {
    if (admin.error().starts_with("another telexd")) return unexpected(admin.error());
    spdlog::warn("{}; `telexd user list --online` will not work", admin.error());
  } else {
    admin_ = std::move(*admin);
    // Commands modules offer to the command line (`telexd announce`, `telexd motd`, ...).
    for (const auto& [name, command] : modules::adhoc::CommandRegistry::of(hooks_).adminCommands()) {
      admin_->add(name, command);
    }
    admin_->add("sessions", [this](const std::string&) {
      std::string out;
      for (const auto& s : sessions_.all()) {
        out += s.jid.full() + (s.available ? "\tavailable\t" : "\tconnected\t") + std::to_string(s.priority) + "\n";
      }
      return out;
    });
  }
  return true;
}

void Server::accept(net::AcceptedSocket socket, net::Worker& worker, bool directTls) {
  auto session = std::make_shared<stream::C2sSession>(*c2s_, std::move(socket), worker, directTls);
  auto& live = live_[worker.index()];
  live.emplace(session.get(), session);
  ++liveCount_;
  session->setOnEnded([this, &live](stream::C2sSession& s) {
    if (live.erase(&s) > 0) --liveCount_;
  });
  session->start();
}

void Server::start() {
  if (started_) return;
  started_ = true;
  workers_->start();
  if (admin_) admin_->start();
  if (winpopup_) winpopup_->start();
  for (auto& l : listeners_) {
    l->start();
    spdlog::info("listening on {}:{} ({})", l->address(), l->port(),
                 l->port() == config_.c2s.tlsPort ? "direct TLS, XEP-0368" : "STARTTLS");
  }
  if (http_) {
    http_->start();
    for (const auto& b : http_->bound()) {
      spdlog::info("listening on {}:{} ({})", b.address, b.port, b.tls ? "HTTPS" : "HTTP, loopback peers only");
    }
  }
}

void Server::closeAllStreams() {
  for (std::size_t i = 0; i < workers_->size(); ++i) {
    workers_->at(i).post([this, i] {
      // Copy first: closing a stream may end it and erase it from the map.
      std::vector<std::shared_ptr<stream::C2sSession>> open;
      for (auto& [ptr, weak] : live_[i]) {
        if (auto s = weak.lock()) open.push_back(std::move(s));
      }
      for (auto& s : open) s->closeWithError(stream::StreamErrorCondition::SystemShutdown, "server is stopping");
    });
  }
}

void Server::endHibernatingSessions() {
  auto hibernating = resumption_.all();
  auto pending = std::make_shared<std::atomic<std::size_t>>(hibernating.size());
  for (auto& session : hibernating) {
    session->worker().post([session, pending] {
      session->endIfHibernating();
      --*pending;
    });
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (pending->load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void Server::stop() {
  if (!started_) return;
  started_ = false;
  for (auto& l : listeners_) l->stop();
  if (http_) http_->stop();
  if (winpopup_) winpopup_->stop();
  if (admin_) admin_->stop();
  closeAllStreams();
  // Give the goodbyes a moment to reach the clients before the loops stop.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (liveCount_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  endHibernatingSessions();
  pool_->stop();
  for (std::size_t i = 0; i < workers_->size(); ++i) workers_->at(i).context().stop();
  workers_->stop();
  workers_->join();
}

void Server::run() {
  signals_->set.async_wait([](const boost::system::error_code&, int signal) {
    spdlog::info("received signal {}, shutting down", signal);
  });
  start();
  signals_->context.run();
  stop();
  spdlog::info("stopped");
}

}  // namespace telex::server
