// XEP-0199 XMPP Ping: the server answers pings addressed to it.
#include "modules/ping/ping.hpp"

namespace telex::modules::ping {

void setup(ModuleContext& ctx) {
  auto pong = [](const router::StanzaEvent&, const xml::Element&) -> IqReply { return std::optional<xml::Element>(); };
  ctx.onIq("get", "host", "urn:xmpp:ping", "ping", pong);
  // A ping without 'to' is addressed to the user's own account; the server answers it too.
  ctx.onIq("get", "self", "urn:xmpp:ping", "ping", pong);
}

}  // namespace telex::modules::ping
