// XEP-0215: signed-in users ask the server for STUN and TURN services and get the configured coturn,
// TURN entries carrying fresh TURN REST credentials (username "<expiry>:<bare JID>").
#include "modules/extdisco/extdisco.hpp"

#include <chrono>

#include "modules/extdisco/turn_credentials.hpp"
#include "util/timestamp.hpp"

namespace telex::modules::extdisco {
namespace {

using router::StanzaError;

struct Service {
  std::string_view type;
  std::string_view transport;
};
constexpr Service kServices[] = {{"stun", "udp"}, {"turn", "udp"}, {"turn", "tcp"}};

// The services matching the request's optional type (and, for <credentials/>, host) filter.
std::vector<xml::Element> services(const config::TurnOptions& turn, const Jid& user, std::string_view typeFilter,
                                   std::string_view hostFilter) {
  std::vector<xml::Element> out;
  if (turn.host.empty()) return out;
  if (!hostFilter.empty() && hostFilter != turn.host) return out;
  auto now = std::chrono::system_clock::now();
  std::int64_t nowUnix = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  // One credential for every entry of the answer, so clients may use any of them.
  auto credentials = turnCredentials(turn.secret, user.bareString(), nowUnix, turn.ttl);
  for (const auto& s : kServices) {
    if (!typeFilter.empty() && typeFilter != s.type) continue;
    bool isTurn = s.type == "turn";
    if (isTurn && turn.secret.empty()) continue;  // coturn with use-auth-secret refuses anything else
    xml::Element e("service", std::string(kExtdiscoNs));
    e.setAttr("type", s.type);
    e.setAttr("transport", s.transport);
    e.setAttr("host", turn.host);
    e.setAttr("port", std::to_string(turn.port));
    if (isTurn) {
      e.setAttr("username", credentials.username);
      e.setAttr("password", credentials.password);
      e.setAttr("expires", util::utcTimestamp(std::chrono::system_clock::time_point(
                               std::chrono::seconds(credentials.expires))));
      e.setAttr("restricted", "1");
    }
    out.push_back(std::move(e));
  }
  return out;
}

bool signedIn(const router::StanzaEvent& e, const ModuleContext& ctx) {
  return e.origin != nullptr && e.from.hasLocal() && e.from.domain() == ctx.config().server.domain;
}

}  // namespace

void setup(ModuleContext& ctx) {
  ctx.onIq("get", "host", kExtdiscoNs, "services", [&ctx](const router::StanzaEvent& e, const xml::Element& p) -> IqReply {
    if (!signedIn(e, ctx)) return unexpected(StanzaError::forbidden("only for users of this server"));
    xml::Element reply("services", std::string(kExtdiscoNs));
    std::string_view type = p.attrOr("type", "");
    if (!type.empty()) reply.setAttr("type", type);
    for (auto& s : services(ctx.config().turn, e.from, type, "")) reply.addChild(std::move(s));
    return std::optional<xml::Element>(std::move(reply));
  });
  // XEP-0215 §3.3: fresh credentials for one service, e.g. after the earlier ones expired.
  ctx.onIq("get", "host", kExtdiscoNs, "credentials", [&ctx](const router::StanzaEvent& e, const xml::Element& p) -> IqReply {
    if (!signedIn(e, ctx)) return unexpected(StanzaError::forbidden("only for users of this server"));
    const xml::Element* wanted = p.child("service", kExtdiscoNs);
    if (!wanted || wanted->attrOr("host", "").empty()) {
      return unexpected(StanzaError::badRequest("<credentials/> needs a <service/> with a host"));
    }
    auto found = services(ctx.config().turn, e.from, wanted->attrOr("type", ""), wanted->attrOr("host", ""));
    std::erase_if(found, [](const xml::Element& s) { return !s.attr("username"); });
    if (found.empty()) return unexpected(StanzaError::itemNotFound("no service with credentials there"));
    xml::Element reply("credentials", std::string(kExtdiscoNs));
    for (auto& s : found) reply.addChild(std::move(s));
    return std::optional<xml::Element>(std::move(reply));
  });
}

}  // namespace telex::modules::extdisco
