// XEP-0280 Message Carbons: enable/disable per session, <received/> copies of messages delivered
// to another of the user's resources, <sent/> copies of what one resource sends.
#include "modules/carbons/carbons.hpp"

#include <algorithm>

#include "modules/carbons/forward.hpp"

namespace telex::modules::carbons {
namespace {

constexpr std::string_view kHintsNs = "urn:xmpp:hints";
constexpr std::string_view kMucUserNs = "http://jabber.org/protocol/muc#user";

bool hasBody(const xml::Element& message) {
  for (const auto& c : message.children()) {
    if (!c.isText() && c.name() == "body" && (c.xmlns().empty() || c.xmlns() == router::kClientNs)) return true;
  }
  return false;
}

// Sends `direction` (<received/> or <sent/>) around `original` to the given resources of `user`.
// The forwarded copy is serialized once; only the small envelope differs per resource.
void sendCopies(const Jid& user, std::string_view direction, const xml::Element& original,
                const std::vector<router::SessionInfo>& targets) {
  if (targets.empty()) return;
  xml::Element forwarded("forwarded", std::string(forward::kForwardNs));
  xml::Element wrapper{std::string(direction), std::string(kCarbonsNs)};
  std::string payload = forward::serializeAround(
      wrapper, router::kClientNs,
      forward::serializeAround(forwarded, kCarbonsNs, forward::serializeStandalone(original)));
  std::string_view type = original.attrOr("type", "normal");
  for (const auto& target : targets) {
    router::SessionManager::deliverTo(
        target.session, std::make_shared<const std::string>(wrapCopy(user, target.jid, type, payload)));
  }
}

void setEnabled(router::StanzaRouter& router, const router::StanzaEvent& e, bool on) {
  if (e.origin) {
    router.sessions().setFlag(*e.origin, router::kCarbonsEnabled, on);
  } else if (auto session = router.sessions().find(e.from)) {
    router.sessions().setFlag(*session, router::kCarbonsEnabled, on);
  }
}

}  // namespace

bool eligible(const xml::Element& message) {
  std::string_view type = message.attrOr("type", "normal");
  if (type != "chat" && !(type == "normal" && hasBody(message))) return false;
  if (message.child("private", kCarbonsNs) || message.child("no-copy", kHintsNs)) return false;
  // MUC private messages reach only the resource that joined the room (XEP-0280 §6).
  return message.child("x", kMucUserNs) == nullptr;
}

std::string wrapCopy(const Jid& user, const Jid& to, std::string_view type, std::string_view payload) {
  xml::Element envelope("message", std::string(router::kClientNs));
  envelope.setAttr("from", user.bareString());
  envelope.setAttr("to", to.full());
  envelope.setAttr("type", type);
  return forward::serializeAround(envelope, router::kClientNs, payload);
}

void setup(ModuleContext& ctx) {
  for (std::string_view target : {"self", "host"}) {
    for (bool on : {true, false}) {
      ctx.onIq("set", target, kCarbonsNs, on ? "enable" : "disable",
               [&ctx, on](const router::StanzaEvent& e, const xml::Element&) -> IqReply {
                 setEnabled(ctx.router(), e, on);
                 return std::optional<xml::Element>();
               });
    }
  }
  // Someone else's account: nobody switches carbons for another user.
  for (std::string_view name : {"enable", "disable"}) {
    ctx.onIq("set", "bare", kCarbonsNs, name, [](const router::StanzaEvent&, const xml::Element&) -> IqReply {
      return unexpected(router::StanzaError::notAllowed());
    });
  }

  // <received/>: the user's carbons-enabled resources that the core did not deliver to.
  ctx.hooks().messageIncoming.add(0, "carbons", [&ctx](router::MessageEvent& e) {
    // A message to one's own account already produced <sent/> copies on the way out.
    if (e.from.sameBare(e.to) || !eligible(e.stanza)) return router::HookResult::Pass;
    std::vector<router::SessionInfo> targets;
    for (auto& r : ctx.router().sessions().resourcesWithFlag(e.to, router::kCarbonsEnabled)) {
      if (std::find(e.recipients.begin(), e.recipients.end(), r.session) != e.recipients.end()) continue;
      targets.push_back(std::move(r));
    }
    sendCopies(e.to.bare(), "received", e.stanza, targets);
    return router::HookResult::Pass;
  });

  // <sent/>: the sender's other carbons-enabled resources, whether or not the sender enabled them.
  ctx.hooks().messageOutgoing.add(0, "carbons", [&ctx](router::StanzaEvent& e) {
    if (!eligible(e.stanza)) return router::HookResult::Pass;
    std::vector<router::SessionInfo> targets;
    for (auto& r : ctx.router().sessions().resourcesWithFlag(e.from, router::kCarbonsEnabled)) {
      if (r.jid == e.from) continue;
      // A message to another of one's own resources reaches it as the original.
      if (r.jid == e.to) continue;
      targets.push_back(std::move(r));
    }
    sendCopies(e.from.bare(), "sent", e.stanza, targets);
    return router::HookResult::Pass;
  });
}

}  // namespace telex::modules::carbons
