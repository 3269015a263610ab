// XEP-0092 Software Version: name and version of the server (the OS is not disclosed).
#include "modules/version/version.hpp"

namespace telex::modules::version {

void setup(ModuleContext& ctx) {
  ctx.onIq("get", "host", "jabber:iq:version", "query",
           [&ctx](const router::StanzaEvent&, const xml::Element&) -> IqReply {
             xml::Element query("query", "jabber:iq:version");
             query.addChild(xml::Element("name", "jabber:iq:version")).addText("telexd");
             query.addChild(xml::Element("version", "jabber:iq:version")).addText(ctx.info().version);
             return std::optional<xml::Element>(std::move(query));
           });
}

}  // namespace telex::modules::version
