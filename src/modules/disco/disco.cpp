// XEP-0030 Service Discovery: the server's identity, every feature the enabled modules add, items.
#include "modules/disco/disco.hpp"

namespace telex::modules::disco {
namespace {
constexpr std::string_view kInfo = "http://jabber.org/protocol/disco#info";
constexpr std::string_view kItems = "http://jabber.org/protocol/disco#items";

IqReply info(ModuleContext& ctx, const xml::Element& payload) {
  if (payload.attr("node")) return unexpected(router::StanzaError::itemNotFound());
  xml::Element query("query", std::string(kInfo));
  for (const auto& id : ctx.disco().identities) {
    xml::Element identity("identity", std::string(kInfo));
    identity.setAttr("category", id.category);
    identity.setAttr("type", id.type);
    if (!id.name.empty()) identity.setAttr("name", id.name);
    query.addChild(std::move(identity));
  }
  for (const auto& f : ctx.disco().features) {
    xml::Element feature("feature", std::string(kInfo));
    feature.setAttr("var", f);
    query.addChild(std::move(feature));
  }
  return std::optional<xml::Element>(std::move(query));
}

IqReply items(ModuleContext& ctx, const xml::Element& payload) {
  if (payload.attr("node")) return unexpected(router::StanzaError::itemNotFound());
  xml::Element query("query", std::string(kItems));
  for (const auto& [jid, name] : ctx.disco().items) {
    auto& item = query.addChild(xml::Element("item", std::string(kItems)));
    item.setAttr("jid", jid);
    if (!name.empty()) item.setAttr("name", name);
  }
  return std::optional<xml::Element>(std::move(query));
}
}  // namespace

void setup(ModuleContext& ctx) {
  ctx.onIq("get", "host", kInfo, "query",
           [&ctx](const router::StanzaEvent&, const xml::Element& p) { return info(ctx, p); });
  ctx.onIq("get", "host", kItems, "query",
           [&ctx](const router::StanzaEvent&, const xml::Element& p) { return items(ctx, p); });
}

}  // namespace telex::modules::disco
