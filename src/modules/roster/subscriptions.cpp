// Subscription handling (RFC 6121 §3 and Appendix A), for local contacts.
#include "modules/roster/subscriptions.hpp"

namespace telex::modules::roster {

std::mutex& rosterWriteLock() {
  static std::mutex lock;
  return lock;
}

SubscriptionEngine::SubscriptionEngine(RosterStore& store, std::string domain, UserExists userExists)
    : store_(store), domain_(std::move(domain)), userExists_(std::move(userExists)) {}

bool SubscriptionEngine::isLocalUser(const Jid& jid) const {
  return jid.domain() == domain_ && jid.hasLocal() && userExists_(jid.local());
}

xml::Element SubscriptionEngine::makePresence(const Jid& from, const Jid& to, std::string_view type,
                                              const std::string& status) {
  xml::Element p("presence", "jabber:client");
  p.setAttr("from", from.bareString());
  p.setAttr("to", to.bareString());
  p.setAttr("type", type);
  if (!status.empty()) p.addChild(xml::Element("status", "jabber:client")).addText(status);
  return p;
}

void SubscriptionEngine::save(const Jid& owner, const RosterItem& item, SubscriptionOutcome& out,
                              bool pushToClient) {
  std::string version = store_.put(owner.local(), item);
  if (pushToClient && item.inRoster) out.pushes.push_back({owner.local(), item, false, version});
}

SubscriptionOutcome SubscriptionEngine::outbound(const Jid& user, const Jid& contact, std::string_view type,
                                                 const xml::Element& stanza) {
  std::lock_guard lock(rosterWriteLock());
  SubscriptionOutcome out;
  std::string status = stanza.childText("status", "jabber:client");
  RosterItem item = store_.get(user.local(), contact.bareString()).value_or(RosterItem{});
  item.jid = contact.bareString();

  if (type == "subscribe") {
    if (!item.hasTo()) {
      item.askOut = true;
      item.inRoster = true;
      save(user, item, out);
    }
    inbound(user, contact, type, status, out);
  } else if (type == "subscribed") {
    if (item.pendingIn) {
      item.pendingIn = false;
      item.pendingStatus.clear();
      item.addFrom();
      item.inRoster = true;
      save(user, item, out);
      inbound(user, contact, type, status, out);  // shares the user's presence with the contact
    } else if (!item.hasFrom() && !item.approved) {
      // Pre-approval (RFC 6121 §3.4): nothing is sent; their future request is accepted at once.
      item.approved = true;
      item.inRoster = true;
      save(user, item, out);
    }
  } else if (type == "unsubscribe") {
    bool hadTo = item.hasTo();
    if (hadTo || item.askOut) {
      item.removeTo();
      item.askOut = false;
      save(user, item, out);
    }
    inbound(user, contact, type, status, out);
    // The user no longer sees the contact: their resources go offline for the user (§3.3.3).
    if (hadTo) out.shares.push_back({contact.bare(), user.bare(), false});
  } else if (type == "unsubscribed") {
    bool hadFrom = item.hasFrom();
    if (hadFrom || item.pendingIn || item.approved) {
      item.removeFrom();
      item.pendingIn = false;
      item.pendingStatus.clear();
      item.approved = false;
      save(user, item, out, item.inRoster);
    }
    // Withdrawing a pre-approval or denying a request reveals nothing (§3.2.2); cancelling a
    // real subscription first tells the contact the user's resources are gone.
    if (hadFrom) out.sharesFirst.push_back({user.bare(), contact.bare(), false});
    inbound(user, contact, type, status, out);
  }
  return out;
}

void SubscriptionEngine::inbound(const Jid& from, const Jid& to, std::string_view type,
                                 const std::string& status, SubscriptionOutcome& out) {
  if (!isLocalUser(to)) return;  // unknown user or another domain: nothing to track here
  RosterItem item = store_.get(to.local(), from.bareString()).value_or(RosterItem{});
  item.jid = from.bareString();

  if (type == "subscribe") {
    if (item.hasFrom()) {
      // Already subscribed: the contact's server answers for them (RFC 6121 §3.1.3).
      inbound(to, from, "subscribed", {}, out);
      return;
    }
    if (item.approved) {
      item.approved = false;
      item.addFrom();
      item.inRoster = true;
      save(to, item, out);
      inbound(to, from, "subscribed", {}, out);  // shares to's presence with from
      return;
    }
    item.pendingIn = true;
    item.pendingStatus = status;
    save(to, item, out, false);
    out.deliveries.push_back({to.bare(), makePresence(from, to, "subscribe", status)});
  } else if (type == "subscribed") {
    if (!item.askOut) return;  // unsolicited: ignored (RFC 6121 §3.1.6)
    item.askOut = false;
    item.addTo();
    item.inRoster = true;
    save(to, item, out);
    out.deliveries.push_back({to.bare(), makePresence(from, to, "subscribed", status)});
    out.shares.push_back({from.bare(), to.bare(), true});
  } else if (type == "unsubscribe") {
    if (!item.hasFrom() && !item.pendingIn) return;
    bool hadFrom = item.hasFrom();
    item.removeFrom();
    item.pendingIn = false;
    item.pendingStatus.clear();
    save(to, item, out, item.inRoster);
    if (hadFrom) out.deliveries.push_back({to.bare(), makePresence(from, to, "unsubscribe", status)});
  } else if (type == "unsubscribed") {
    if (!item.hasTo() && !item.askOut) return;
    item.removeTo();
    item.askOut = false;
    save(to, item, out);
    out.deliveries.push_back({to.bare(), makePresence(from, to, "unsubscribed", status)});
  }
}

SubscriptionOutcome SubscriptionEngine::removeItem(const Jid& user, const Jid& contact) {
  std::lock_guard lock(rosterWriteLock());
  SubscriptionOutcome out;
  auto item = store_.get(user.local(), contact.bareString());
  if (!item) return out;
  bool hadTo = item->hasTo() || item->askOut;
  bool hadFrom = item->hasFrom() || item->pendingIn;
  std::string version = store_.remove(user.local(), contact.bareString());
  RosterItem removed;
  removed.jid = contact.bareString();
  out.pushes.push_back({user.local(), removed, true, version});
  if (hadTo) {
    inbound(user, contact, "unsubscribe", {}, out);
    if (item->hasTo()) out.shares.push_back({contact.bare(), user.bare(), false});
  }
  if (hadFrom) {
    if (item->hasFrom()) out.sharesFirst.push_back({user.bare(), contact.bare(), false});
    inbound(user, contact, "unsubscribed", {}, out);
  }
  return out;
}

}  // namespace telex::modules::roster
