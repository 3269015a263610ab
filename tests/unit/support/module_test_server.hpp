// The parts of a server that modules attach to, without sockets or threads of its own: a worker,
// the router with its session table and hooks, config, disco registry and a storage pool. A test
// loads the modules it needs with `load()`; passing the same storage to a second instance
// simulates a restart.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "modules/module.hpp"

namespace telex::test {

struct ModuleTestServer {
  explicit ModuleTestServer(storage::StorageDriver& storage, std::string_view domain = "example.org")
      : storage(storage), sessions(10), router(std::string(domain), sessions, hooks) {
    config.server.domain = std::string(domain);
  }

  // Creates the module's context and runs its setup; contexts live as long as the server.
  modules::ModuleContext& load(std::string_view module, void (*setup)(modules::ModuleContext&)) {
    contexts.push_back(
        std::make_unique<modules::ModuleContext>(module, router, config, info, disco, storage, pool, shared));
    setup(*contexts.back());
    return *contexts.back();
  }

  storage::StorageDriver& storage;
  net::Worker worker{0};
  router::HookBus hooks;
  router::SessionManager sessions;
  router::StanzaRouter router;
  config::Config config;
  modules::ServerInfo info;
  modules::DiscoRegistry disco;
  modules::SharedObjects shared;
  storage::StoragePool pool;
  std::vector<std::unique_ptr<modules::ModuleContext>> contexts;  // destroyed first
};

}  // namespace telex::test
