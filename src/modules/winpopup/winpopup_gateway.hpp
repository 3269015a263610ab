// The WinPopup gateway: a TCP listener speaking the NetBIOS session service and the SMB
// messenger commands, so `smbclient -M NAME`, NET SEND and old devices reach Telex users. The
// NetBIOS name maps to a user or to one of a user's machines (a full JID) through
// winpopup.names. The protocol has no authentication: only allowed source networks get in, and
// each source is rate-limited.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "net/listener.hpp"
#include "router/stanza_router.hpp"
#include "storage/storage_pool.hpp"
#include "storage/store.hpp"
#include "util/expected.hpp"

namespace telex::modules::winpopup {

struct GatewayState;

class Gateway {
 public:
  // Checks winpopup.allow and winpopup.names and binds the listeners (a taken port or a bad
  // option is reported here, before the server starts).
  static Expected<std::unique_ptr<Gateway>, std::string> open(net::WorkerPool& workers, router::StanzaRouter& router,
                                                              const config::Config& config,
                                                              storage::StorageDriver& storage,
                                                              storage::StoragePool& pool);
  ~Gateway();

  void start();
  void stop();
  const std::vector<std::unique_ptr<net::Listener>>& listeners() const { return listeners_; }

 private:
  Gateway() = default;
  std::shared_ptr<GatewayState> state_;
  std::vector<std::unique_ptr<net::Listener>> listeners_;
};

}  // namespace telex::modules::winpopup
