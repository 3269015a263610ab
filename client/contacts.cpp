// RFC 6121 contact management on the client: roster set/remove and subscription answers.
#include <boost/asio/post.hpp>

#include "client/client.hpp"

namespace telex::client {

namespace {

xml::Element rosterSet(const RosterItem& item) {
  xml::Element query{"query", std::string(kNsRoster)};
  query.addChild(item.toElement());
  return query;
}

std::function<void(const IqResponse&)> boolResult(
    std::function<void(Expected<bool, StanzaErrorInfo>)> done) {
  return [done = std::move(done)](const IqResponse& r) {
    if (!done) return;
    if (r.ok()) {
      done(true);
    } else {
      done(unexpected(r.error));
    }
  };
}

Presence subscriptionPresence(const Jid& to, PresenceType type) {
  Presence p;
  p.to = to.bare();
  p.type = type;
  return p;
}

}  // namespace

void Client::addContact(const Jid& jid, std::string name, std::vector<std::string> groups,
                        std::function<void(Expected<bool, StanzaErrorInfo>)> done) {
  RosterItem item;
  item.jid = jid.bare();
  item.name = std::move(name);
  item.groups = std::move(groups);
  const Jid contact = jid.bare();
  // Subscribe only once the item is on the roster, so it carries the name and groups given
  // (a subscribe first would create a bare item that the roster set then has to amend).
  sendIq(makeIq("set", newId(), std::nullopt, rosterSet(item)),
         [this, contact, done = std::move(done)](const IqResponse& r) {
           if (r.ok()) sendPresence(subscriptionPresence(contact, PresenceType::Subscribe));
           boolResult(done)(r);
         });
}

void Client::removeContact(const Jid& jid,
                           std::function<void(Expected<bool, StanzaErrorInfo>)> done) {
  RosterItem item;
  item.jid = jid.bare();
  item.subscription = Subscription::Remove;
  sendIq(makeIq("set", newId(), std::nullopt, rosterSet(item)), boolResult(std::move(done)));
}

void Client::approveSubscription(const Jid& jid) {
  sendPresence(subscriptionPresence(jid, PresenceType::Subscribed));
  sendPresence(subscriptionPresence(jid, PresenceType::Subscribe));
}

void Client::denySubscription(const Jid& jid) {
  sendPresence(subscriptionPresence(jid, PresenceType::Unsubscribed));
}

}  // namespace telex::client
