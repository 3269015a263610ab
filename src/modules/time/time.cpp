// XEP-0202 Entity Time: the server's clock in UTC.
#include "modules/time/time.hpp"

#include "util/timestamp.hpp"

namespace telex::modules::time {

void setup(ModuleContext& ctx) {
  ctx.onIq("get", "host", "urn:xmpp:time", "time", [](const router::StanzaEvent&, const xml::Element&) -> IqReply {
    xml::Element time("time", "urn:xmpp:time");
    time.addChild(xml::Element("tzo", "urn:xmpp:time")).addText("+00:00");
    time.addChild(xml::Element("utc", "urn:xmpp:time")).addText(util::utcTimestamp());
    return std::optional<xml::Element>(std::move(time));
  });
}

}  // namespace telex::modules::time
