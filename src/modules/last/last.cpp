// XEP-0012 Last Activity: asked of the server, it answers its uptime in seconds.
#include "modules/last/last.hpp"

namespace telex::modules::last {

void setup(ModuleContext& ctx) {
  ctx.onIq("get", "host", "jabber:iq:last", "query", [&ctx](const router::StanzaEvent&, const xml::Element&) -> IqReply {
    auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                   ctx.info().started);
    xml::Element query("query", "jabber:iq:last");
    query.setAttr("seconds", std::to_string(uptime.count()));
    return std::optional<xml::Element>(std::move(query));
  });
}

}  // namespace telex::modules::last
