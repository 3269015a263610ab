// Routing of stanzas between sessions, hooks and the core's default delivery rules.
#include "router/stanza_router.hpp"

#include <algorithm>
#include <spdlog/spdlog.h>

namespace telex::router {

std::string_view targetName(Target target) {
  switch (target) {
    case Target::Host: return "host";
    case Target::Self: return "self";
    case Target::Bare: return "bare";
    case Target::Full: return "full";
    case Target::Remote: return "remote";
  }
  return "host";
}

namespace {

// Whether a privacy rule withholds this presence from its recipients (HookBus::presenceDelivery).
bool presenceWithheld(const HookBus& hooks, const xml::Element& stanza) {
  if (stanza.name() != "presence" || hooks.presenceDelivery.empty()) return false;
  PresenceDeliveryEvent event{stanza};
  return hooks.presenceDelivery.fireFirst(event) == HookResult::Handled;
}

// "<kind>/<target>", the name of the stanza hooks for it, without building a string per stanza.
std::string_view hookName(std::string_view kind, Target target) {
  static constexpr std::string_view kMessage[] = {"message/host", "message/self", "message/bare",
                                                  "message/full", "message/remote"};
  static constexpr std::string_view kPresence[] = {"presence/host", "presence/self", "presence/bare",
                                                   "presence/full", "presence/remote"};
  static constexpr std::string_view kIq[] = {"iq/host", "iq/self", "iq/bare", "iq/full", "iq/remote"};
  static_assert(std::size(kMessage) == static_cast<std::size_t>(Target::Remote) + 1);
  auto index = static_cast<std::size_t>(target);
  if (kind == "message") return kMessage[index];
  if (kind == "presence") return kPresence[index];
  return kIq[index];
}

}  // namespace

net::SharedBytes serializeStanza(const xml::Element& stanza) {
  return std::make_shared<const std::string>(xml::serialize(stanza, kClientNs));
}

StanzaRouter::StanzaRouter(std::string domain, SessionManager& sessions, HookBus& hooks)
    : domain_(std::move(domain)),
      domainJid_(*Jid::make("", domain_)),
      sessions_(sessions),
      hooks_(hooks) {}

void StanzaRouter::routeFromClient(Session& origin, xml::Element stanza) {
  const Jid& from = origin.jid();
  // The server says who sent it: whatever the client wrote in 'from' is replaced.
  stanza.setAttr("from", from.full());
  Jid to = from.bare();
  if (auto toText = stanza.attr("to")) {
    auto parsed = Jid::parse(*toText);
    if (!parsed) {
      if (stanza.attrOr("type", "") != "error") {
        xml::Element reply = makeErrorReply(stanza, StanzaError::jidMalformed());
        reply.setAttr("from", domain_);
        deliver(sessions_.find(from), reply);
      }
      return;
    }
    to = std::move(*parsed);
    if (!to.spelledAs(*toText)) stanza.setAttr("to", to.full());
  } else if (stanza.name() == "presence") {
    // A presence without 'to' is the user's broadcast presence.
    std::string_view type = stanza.attrOr("type", "");
    bool available = type.empty();
    if (available || type == "unavailable") {
      int priority = 0;
      std::string p = stanza.childText("priority", kClientNs);
      if (!p.empty()) priority = std::clamp(std::atoi(p.c_str()), -128, 127);
      bool wasAvailable = sessions_.setPresence(origin, available, priority,
                                                std::make_shared<const xml::Element>(stanza));
      StanzaEvent event{stanza, from, to, &origin, *this};
      const auto* hooks = hooks_.stanzaHooks("presence/broadcast");
      if (!hooks || hooks->fireFirst(event) == HookResult::Pass) broadcastToOwnResources(event);
      // Initial presence (RFC 6121 §4.2) starts the session's presence life: probes, offline
      // messages and pending subscription requests are features that listen for it.
      if (available && !wasAvailable) {
        SessionEvent sessionEvent{origin, *this};
        hooks_.sessionAvailable.fireAll(sessionEvent);
      }
    }
    return;
  }
  if (stanza.name() == "iq") {
    std::string_view type = stanza.attrOr("type", "");
    bool request = type == "get" || type == "set";
    if (!request && type != "result" && type != "error") {
      replyError(stanza, StanzaError::badRequest("IQ type must be get, set, result or error"));
      return;
    }
    if (!stanza.attr("id")) {
      replyError(stanza, StanzaError::badRequest("IQ without id"));
      return;
    }
    std::size_t payloads = std::count_if(stanza.children().begin(), stanza.children().end(),
                                         [](const xml::Element& c) { return !c.isText(); });
    if (request && payloads != 1) {
      replyError(stanza, StanzaError::badRequest("IQ get/set must carry exactly one payload"));
      return;
    }
  }
  if (stanza.name() == "message") {
    StanzaEvent event{stanza, from, to, &origin, *this};
    if (hooks_.messageFilter.fireFirst(event) == HookResult::Handled) return;
    hooks_.messageOutgoing.fireAll(event);
  }
  dispatch(stanza, from, to, &origin);
}

void StanzaRouter::addComponent(std::string domain, ComponentHandler handler) {
  components_.emplace(std::move(domain), std::move(handler));
}

bool StanzaRouter::isComponent(std::string_view domain) const { return components_.contains(domain); }

void StanzaRouter::route(xml::Element stanza) {
  auto from = Jid::parse(stanza.attrOr("from", domain_));
  auto to = Jid::parse(stanza.attrOr("to", ""));
  if (!from || !to) {
    spdlog::warn("server-made stanza with bad addresses dropped");
    return;
  }
  dispatch(stanza, *from, *to, nullptr);
}

void StanzaRouter::dispatch(xml::Element& stanza, const Jid& from, const Jid& to,
                            Session* origin) {
  if (auto component = components_.find(to.domain()); component != components_.end()) {
    StanzaEvent event{stanza, from, to, origin, *this};
    component->second(event);
    return;
  }
  Target target;
  if (to.domain() != domain_) {
    target = Target::Remote;
  } else if (!to.hasLocal()) {
    target = to.hasResource() ? Target::Full : Target::Host;
  } else if (to.hasResource()) {
    target = Target::Full;
  } else {
    target = to.sameBare(from) ? Target::Self : Target::Bare;
  }

  StanzaEvent event{stanza, from, to, origin, *this};
  const std::string& kind = stanza.name();
  std::string_view type = stanza.attrOr("type", "");
  auto fire = [&](std::string_view name) {
    const auto* hooks = hooks_.stanzaHooks(name);
    return hooks && hooks->fireFirst(event) == HookResult::Handled;
  };

  if (kind == "iq" && (type == "get" || type == "set")) {
    const xml::Element* payload = stanza.firstElement();
    std::string prefix = "iq-" + std::string(type) + "/";
    // Keyed by payload namespace and name, as in "iq-get/host/urn:xmpp:ping:ping".
    std::string suffix = "/" + (payload ? payload->xmlns() + ":" + payload->name() : std::string());
    if (target == Target::Self && fire(prefix + "self" + suffix)) return;
    Target general = target == Target::Self ? Target::Bare : target;
    if (fire(prefix + std::string(targetName(general)) + suffix)) return;
  }
  if (target == Target::Self && fire(hookName(kind, Target::Self))) return;
  Target general = target == Target::Self ? Target::Bare : target;
  if (fire(hookName(kind, general))) return;

  if (target == Target::Remote) {
    // No server-to-server yet: other domains cannot be reached.
    if (kind != "presence") replyError(stanza, StanzaError::remoteServerNotFound());
    return;
  }
  if (kind == "iq") {
    defaultIq(event, general);
  } else if (kind == "message") {
    defaultMessage(event, general);
  } else {
    defaultPresence(event, general);
  }
}

void StanzaRouter::defaultIq(StanzaEvent& event, Target target) {
  std::string_view type = event.stanza.attrOr("type", "");
  bool request = type == "get" || type == "set";
  if (target == Target::Full) {
    if (auto session = sessions_.find(event.to)) {
      deliver(session, event.stanza);
      return;
    }
  }
  // IQ requests addressed to the server, to an account, or to a resource that is gone.
  if (request) replyError(event.stanza, StanzaError::serviceUnavailable());
}

std::vector<std::shared_ptr<Session>> StanzaRouter::messageRecipients(const Jid& bare,
                                                                       bool allNonNegative) const {
  auto resources = sessions_.resourcesOf(bare);
  int best = -1;
  for (const auto& r : resources) {
    if (r.available && r.priority >= 0) best = std::max(best, r.priority);
  }
  std::vector<std::shared_ptr<Session>> out;
  if (best < 0) return out;
  for (auto& r : resources) {
    if (r.available && r.priority >= 0 && (allNonNegative || r.priority == best)) {
      out.push_back(std::move(r.session));
    }
  }
  return out;
}

void StanzaRouter::deliverToBareMessage(StanzaEvent& event) {
  std::string_view type = event.stanza.attrOr("type", "normal");
  if (type == "error") return;
  if (type == "groupchat") {
    replyError(event.stanza, StanzaError::serviceUnavailable());
    return;
  }
  auto recipients = messageRecipients(event.to.bare(), type == "headline");
  MessageEvent incoming{event.stanza, event.from, event.to, recipients, *this};
  hooks_.messageIncoming.fireAll(incoming);
  if (!recipients.empty()) {
    deliver(recipients, event.stanza);
    return;
  }
  // Nobody online to take it. Offline storage is a feature module ("message/offline");
  // without one the sender learns the message was not delivered.
  const auto* hooks = hooks_.stanzaHooks("message/offline");
  if (hooks && hooks->fireFirst(event) == HookResult::Handled) return;
  if (type != "headline") replyError(event.stanza, StanzaError::serviceUnavailable());
}

void StanzaRouter::defaultMessage(StanzaEvent& event, Target target) {
  if (target == Target::Host) return;  // messages to the server itself are not for anyone
  if (target == Target::Full) {
    if (auto session = sessions_.find(event.to)) {
      std::shared_ptr<Session> recipients[] = {session};
      MessageEvent incoming{event.stanza, event.from, event.to, recipients, *this};
      hooks_.messageIncoming.fireAll(incoming);
      deliver(session, event.stanza);
      return;
    }
    if (event.stanza.attrOr("type", "") == "groupchat") {
      replyError(event.stanza, StanzaError::serviceUnavailable());
      return;
    }
  }
  deliverToBareMessage(event);
}

void StanzaRouter::defaultPresence(StanzaEvent& event, Target target) {
  std::string_view type = event.stanza.attrOr("type", "");
  if (!type.empty() && type != "unavailable") return;  // subscriptions belong to the roster module
  if (target == Target::Full) {
    if (auto session = sessions_.find(event.to)) deliver(session, event.stanza);
    return;
  }
  if (target == Target::Bare) {
    deliver(sessions_.availableSessions(event.to), event.stanza);
  }
}

void StanzaRouter::broadcastToOwnResources(StanzaEvent& event) {
  // RFC 6121 §4.2.2/§4.4.2: available presence goes to all the user's available resources,
  // the sender included; unavailable only to the others.
  bool echo = event.stanza.attrOr("type", "") != "unavailable";
  std::vector<std::shared_ptr<Session>> others;
  for (auto& r : sessions_.resourcesOf(event.from)) {
    if (r.available && (echo || r.jid != event.from)) others.push_back(std::move(r.session));
  }
  if (others.empty()) return;
  xml::Element copy = event.stanza;
  copy.setAttr("to", event.from.bareString());
  deliver(others, copy);
}

void StanzaRouter::replyError(const xml::Element& stanza, const StanzaError& error) {
  if (stanza.attrOr("type", "") == "error") return;
  auto sender = Jid::parse(stanza.attrOr("from", ""));
  if (sender && isComponent(sender->domain())) {
    route(makeErrorReply(stanza, error));  // a service hears about its undeliverable stanzas
    return;
  }
  if (!sender || sender->domain() != domain_ || !sender->hasResource()) return;
  xml::Element reply = makeErrorReply(stanza, error);
  if (!stanza.attr("to")) reply.setAttr("from", sender->bareString());
  deliver(sessions_.find(*sender), reply);
}

void StanzaRouter::deliver(std::span<const std::shared_ptr<Session>> sessions,
                           const xml::Element& stanza) {
  if (sessions.empty() || presenceWithheld(hooks_, stanza)) return;
  net::SharedBytes bytes = serializeStanza(stanza);
  for (const auto& s : sessions) {
    if (s) SessionManager::deliverTo(s, bytes);
  }
}

void StanzaRouter::deliver(const std::shared_ptr<Session>& session, const xml::Element& stanza) {
  if (session && !presenceWithheld(hooks_, stanza)) SessionManager::deliverTo(session, serializeStanza(stanza));
}

void StanzaRouter::sessionBound(Session& session) {
  SessionEvent event{session, *this};
  hooks_.sessionBound.fireAll(event);
}

void StanzaRouter::sessionClosed(Session& session, bool wasAvailable) {
  if (wasAvailable) {
    // Leaving without saying goodbye still tells the others (RFC 6121 §4.5.2).
    xml::Element unavailable("presence", std::string(kClientNs));
    unavailable.setAttr("type", "unavailable");
    unavailable.setAttr("from", session.jid().full());
    StanzaEvent event{unavailable, session.jid(), session.jid().bare(), &session, *this};
    const auto* hooks = hooks_.stanzaHooks("presence/broadcast");
    if (!hooks || hooks->fireFirst(event) == HookResult::Pass) broadcastToOwnResources(event);
  }
  SessionEvent event{session, *this};
  hooks_.sessionClosed.fireAll(event);
}

}  // namespace telex::router
