// XEP-0199 XMPP Ping: the server answers pings addressed to it.
#include "modules/ping/ping.hpp"

namespace telex::modules::ping {

void setup(ModuleContext& ctx) {
  ctx.onIq("get", "host", "urn:xmpp:ping", [](const router::StanzaEvent&, const xml::Element&) -> IqReply {
    return std::optional<xml::Element>();
  });
}

}  // namespace telex::modules::ping
