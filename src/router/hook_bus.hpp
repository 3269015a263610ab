// The HookBus: named events with prioritized handlers, fired in "first decision" or "run all"
// mode. Registration happens at startup; afterwards workers read it without locks.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jid/jid.hpp"
#include "xml/element.hpp"

namespace telex::router {

class Session;
class StanzaRouter;

enum class HookResult { Pass, Handled };

// A stanza on its way through the router. `from` is already stamped by the server.
struct StanzaEvent {
  xml::Element& stanza;
  const Jid& from;
  const Jid& to;
  Session* origin;  // the client session it came from; null when the server made it
  StanzaRouter& router;
};

// A session that bound a resource, or that ended.
struct SessionEvent {
  Session& session;
  StanzaRouter& router;
};

// A message for a local user, after the core chose which of the user's sessions get it
// (`recipients` may be empty: nobody online, or it went to offline storage).
struct MessageEvent {
  const xml::Element& stanza;
  const Jid& from;
  const Jid& to;
  std::span<const std::shared_ptr<Session>> recipients;
  StanzaRouter& router;
};

// A presence stanza the router is about to hand to local sessions, whichever module produced it
// (broadcast to subscribers, probe answers, subscription shares, directed presence). Its 'from'
// and 'to' are set; every recipient is a resource of the 'to' account.
struct PresenceDeliveryEvent {
  const xml::Element& stanza;
};

template <class Event>
class HookList {
 public:
  using Handler = std::function<HookResult(Event&)>;
  struct Entry {
    int priority;
    std::string owner;  // the module that registered it, for logs
    Handler handler;
  };

  void add(int priority, std::string owner, Handler handler);
  // Highest priority first; stops at the first handler that returns Handled.
  HookResult fireFirst(Event& event) const;
  // Runs every handler, highest priority first.
  void fireAll(Event& event) const;
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<Entry> entries_;
};

class HookBus {
 public:
  // Stanza events are named like Prosody's: "iq-get/host/urn:xmpp:ping:ping", "message/bare",
  // "presence/full", "presence/broadcast" (a client's presence without a 'to').
  void onStanza(std::string_view event, int priority, std::string owner,
                HookList<StanzaEvent>::Handler handler);
  const HookList<StanzaEvent>* stanzaHooks(std::string_view event) const;

  HookList<SessionEvent> sessionBound;
  HookList<SessionEvent> sessionAvailable;  // after the initial presence was broadcast
  HookList<SessionEvent> sessionClosed;
  // First decision on every message a local client sends, before anything else sees it: a
  // privacy rule (blocking) refuses here, so archives and carbons never record a refused message.
  HookList<StanzaEvent> messageFilter;
  // Every message a local client sends that passed the filter (archives, carbons).
  HookList<StanzaEvent> messageOutgoing;
  // Every message the core delivers (or fails to deliver) to a local user.
  HookList<MessageEvent> messageIncoming;
  // Asked before StanzaRouter::deliver hands over a presence stanza; Handled withholds it. Privacy
  // rules (XEP-0191 blocking) decide here because presence reaches contacts by paths that bypass
  // the routing events.
  HookList<PresenceDeliveryEvent> presenceDelivery;

 private:
  std::map<std::string, HookList<StanzaEvent>, std::less<>> stanza_;
};

}  // namespace telex::router
