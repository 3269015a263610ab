// The RFC 6121 §3 subscription state machine for two local users, run on the storage pool.
// It changes both rosters and returns what the router must then send.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "jid/jid.hpp"
#include "modules/roster/roster_store.hpp"

namespace telex::modules::roster {

struct RosterPush {
  std::string user;  // localpart
  RosterItem item;
  bool removed = false;
  std::string version;
};

// A presence stanza for every available resource of `to` (a bare JID).
struct PresenceDelivery {
  Jid to;
  xml::Element stanza;
};

// Send `owner`'s current presence (each available resource), or unavailable, to `viewer`.
struct PresenceShare {
  Jid owner;
  Jid viewer;
  bool available = true;
};

// Applied in this order: pushes, sharesFirst, deliveries, shares (RFC 6121 §3.2.2 wants the
// contact's unavailable before the unsubscribed; §3.1.6 the subscribed before the presence).
struct SubscriptionOutcome {
  std::vector<RosterPush> pushes;
  std::vector<PresenceShare> sharesFirst;
  std::vector<PresenceDelivery> deliveries;
  std::vector<PresenceShare> shares;
};

// Every read-modify-write of rosters (subscriptions, roster sets, versions) holds this lock, so
// two pool threads never interleave changes to the same pair of rosters.
std::mutex& rosterWriteLock();

class SubscriptionEngine {
 public:
  using UserExists = std::function<bool(std::string_view localpart)>;
  SubscriptionEngine(RosterStore& store, std::string domain, UserExists userExists);

  // `user` sent <presence type=subscribe|subscribed|unsubscribe|unsubscribed to=contact/>.
  SubscriptionOutcome outbound(const Jid& user, const Jid& contact, std::string_view type,
                               const xml::Element& stanza);
  // `user` removed `contact` from the roster (RFC 6121 §2.5.3).
  SubscriptionOutcome removeItem(const Jid& user, const Jid& contact);

 private:
  bool isLocalUser(const Jid& jid) const;
  void inbound(const Jid& from, const Jid& to, std::string_view type, const std::string& status,
               SubscriptionOutcome& out);
  void save(const Jid& owner, const RosterItem& item, SubscriptionOutcome& out, bool pushToClient = true);
  static xml::Element makePresence(const Jid& from, const Jid& to, std::string_view type,
                                   const std::string& status);

  RosterStore& store_;
  std::string domain_;
  UserExists userExists_;
};

}  // namespace telex::modules::roster
