// The StanzaRouter: stamps 'from', classifies 'to' (host / self / bare / full), fires the
// feature hooks, and applies the RFC 6121 §8 delivery rules when no feature took the stanza.
// It knows no features; an IQ request nobody handles gets service-unavailable here.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "router/hook_bus.hpp"
#include "router/session_manager.hpp"
#include "router/stanza_error.hpp"

namespace telex::router {

enum class Target { Host, Self, Bare, Full, Remote };
std::string_view targetName(Target target);

class StanzaRouter {
 public:
  StanzaRouter(std::string domain, SessionManager& sessions, HookBus& hooks);

  const std::string& domain() const { return domain_; }
  const Jid& domainJid() const { return domainJid_; }
  SessionManager& sessions() { return sessions_; }
  HookBus& hooks() { return hooks_; }

  // A stanza from a bound client session. Runs on the session's worker.
  void routeFromClient(Session& origin, xml::Element stanza);
  // A stanza the server itself sends; 'from' and 'to' must already be set.
  void route(xml::Element stanza);

  // A service on its own domain (e.g. conference.<domain> for group chat). Every stanza to that
  // domain or to a JID at it goes to `handler`; the service sends with route(). Register at
  // start-up only; workers read the table without locks.
  using ComponentHandler = std::function<void(StanzaEvent& event)>;
  void addComponent(std::string domain, ComponentHandler handler);
  bool isComponent(std::string_view domain) const;

  // Sends an error reply to the sender of `stanza`, unless it is itself an error.
  void replyError(const xml::Element& stanza, const StanzaError& error);
  // Serializes once and queues the same bytes on each session.
  void deliver(std::span<const std::shared_ptr<Session>> sessions, const xml::Element& stanza);
  void deliver(const std::shared_ptr<Session>& session, const xml::Element& stanza);

  // Session lifecycle, announced to modules.
  void sessionBound(Session& session);
  void sessionClosed(Session& session, bool wasAvailable);

  // Resources of a user that should get a message sent to the bare JID (RFC 6121 §8.5.2.1).
  std::vector<std::shared_ptr<Session>> messageRecipients(const Jid& bare, bool allNonNegative) const;

 private:
  void dispatch(xml::Element& stanza, const Jid& from, const Jid& to, Session* origin);
  void defaultIq(StanzaEvent& event, Target target);
  void defaultMessage(StanzaEvent& event, Target target);
  void defaultPresence(StanzaEvent& event, Target target);
  void deliverToBareMessage(StanzaEvent& event);
  void broadcastToOwnResources(StanzaEvent& event);

  std::string domain_;
  Jid domainJid_;
  std::map<std::string, ComponentHandler, std::less<>> components_;
  SessionManager& sessions_;
  HookBus& hooks_;
};

// Serialized form of a stanza in the client stream namespace.
net::SharedBytes serializeStanza(const xml::Element& stanza);

}  // namespace telex::router
