// A room of the group chat service (XEP-0045): occupants with their roles, affiliations,
// configuration, subject and discussion history, and the handling of every stanza sent to the
// room or to an occupant.
//
// Threading: a room lives on one worker, its home (the first worker that touched it). Every
// stanza for it is posted to that worker by MucService::runInRoom, so the state below needs no
// lock, nothing is held across I/O, and every occupant receives the room's stanzas in the one
// order in which the room handled them (posts from one worker to another are FIFO). Re-entry
// (a session that ends while the room writes to it reaches the room through a hook) posts too.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "modules/module.hpp"
#include "modules/muc/affiliations.hpp"
#include "modules/muc/fanout.hpp"
#include "modules/muc/history.hpp"
#include "modules/muc/room_config.hpp"
#include "modules/muc/room_record.hpp"
#include "storage/store.hpp"

namespace telex::modules::muc {

inline constexpr std::string_view kMucNs = "http://jabber.org/protocol/muc";
inline constexpr std::string_view kMucUserNs = "http://jabber.org/protocol/muc#user";
inline constexpr std::string_view kMucAdminNs = "http://jabber.org/protocol/muc#admin";
inline constexpr std::string_view kMucOwnerNs = "http://jabber.org/protocol/muc#owner";
inline constexpr std::string_view kSelfPingFeature = "http://jabber.org/protocol/muc#self-ping-optimization";

class MucService;

// A stanza for a room, copied out of the router's event so that it can travel to the room's
// worker. `from` is stamped by the server.
struct RoomStanza {
  xml::Element stanza;
  Jid from;
  Jid to;
};

struct OccupantSession {
  Jid jid;  // the real full JID
  std::shared_ptr<router::Session> session;
  net::SharedBytes to;  // " to='<jid>'", escaped once at join: this session's piece of every fan-out
};

struct Occupant {
  std::string nick;
  Jid jid;  // room@service/nick
  Jid realBare;
  // Every resource of the user that joined under this nick (one, except for multi-session).
  std::vector<OccupantSession> sessions;
  Jid presenceJid;  // the resource whose presence is shown (and whose JID moderators see)
  Role role = Role::None;
  xml::Element presence;  // the last available presence, without MUC elements and addresses
};

// Extra content of an occupant presence: why it changed, and the codes of XEP-0045 §15.6.
struct PresenceExtras {
  bool unavailable = false;
  std::string statusText;       // <status/> of an unavailable presence
  std::vector<int> codes;       // for every recipient
  std::vector<int> selfCodes;   // only for the occupant's own copy (110 is always added there)
  std::string newNick;          // 303 nick change
  std::string actor;            // nickname of the moderator who kicked/banned
  std::string reason;
  const xml::Element* destroy = nullptr;  // <destroy/> in muc#user, when the room goes away
};

class Room {
 public:
  // `locked`: created by a client that can configure it, and not configured yet (§10.1.1).
  Room(MucService& service, std::string local, RoomRecord record, bool locked);
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  const std::string& local() const { return local_; }
  const Jid& jid() const { return jid_; }
  const std::string& creator() const { return record_.creator; }

  // The worker the room lives on: the first one that asks becomes it. Any thread.
  net::Worker* claimHome(net::Worker* candidate);
  // Runs `fn`, or, if called from inside the room's own work, right after that work. Home only.
  void run(std::function<void(Room&)> fn);

  // Everything below: home worker only.
  void handle(RoomStanza stanza, bool created);
  // `session` of the real full JID ended, or sent unavailable presence to everyone. The occupant
  // stays when a newer session of the same JID has taken its place and joined meanwhile.
  void sessionGone(const Jid& real, const router::Session* session);
  // Archived messages, oldest first, that become the discussion history after a restart.
  void restoreHistory(const std::vector<storage::ArchiveItem>& items);

  RoomRecord record() const { return record_; }
  bool destroyed() const { return destroyed_; }
  bool listed() const { return record_.config.isPublic && !locked_ && !destroyed_; }
  std::string displayName() const { return record_.config.name.empty() ? local_ : record_.config.name; }
  void markDestroyed() { destroyed_ = true; }

 private:
  // room.cpp: lookups, presence building and delivery
  Affiliation affiliationOf(const Jid& real) const;
  Occupant* occupantByReal(const Jid& real);
  Occupant* occupantByNick(std::string_view nick);
  bool nickReservedByOther(std::string_view nick, const Jid& realBare) const;
  xml::Element presenceOf(const Occupant& o, const PresenceExtras& extras, bool withJid, bool self) const;
  void broadcastPresence(const Occupant& o, const PresenceExtras& extras);
  void broadcast(const FanoutStanza& stanza);
  void sendTo(const OccupantSession& s, const xml::Element& stanza);
  void sendStatusMessage(const std::vector<int>& codes);
  void replyError(const RoomStanza& s, const router::StanzaError& error);
  void reply(const RoomStanza& s, const IqReply& reply);
  void save();
  void destroyIfEmpty();

  // room_presence.cpp: entering, leaving, nicknames
  void onPresence(RoomStanza& s, bool created);
  void join(RoomStanza& s, bool created);
  void rejoin(Occupant& o, RoomStanza& s);
  void sendOccupantsTo(const Occupant& o, const OccupantSession& to);
  void sendHistoryAndSubject(const OccupantSession& to, const xml::Element* mucX);
  void changeNick(Occupant& o, RoomStanza& s);
  void leave(Occupant& o, const Jid& real, std::string_view statusText);
  void removeOccupant(const std::string& nick, PresenceExtras extras);
  std::vector<int> joinCodes(bool created) const;

  // room_messages.cpp: groupchat, subject, private messages, invitations
  void onMessageToRoom(RoomStanza& s);
  void onMessageToOccupant(RoomStanza& s);
  void groupchat(RoomStanza& s);
  void changeSubject(Occupant& o, RoomStanza& s);
  void invite(RoomStanza& s, const xml::Element& x);
  void decline(RoomStanza& s, const xml::Element& declineElement);
  xml::Element subjectMessage() const;

  // room_admin.cpp: muc#admin and muc#owner
  void adminGet(RoomStanza& s, const xml::Element& query);
  void adminSet(RoomStanza& s, const xml::Element& query);
  void ownerGet(RoomStanza& s);
  void ownerSet(RoomStanza& s, const xml::Element& query);
  void setRole(const std::string& nick, Role role, const std::string& actor, const std::string& reason);
  void setAffiliation(const std::string& bare, Affiliation affiliation, const std::string& actor,
                      const std::string& reason);
  void applyConfig(RoomConfig config);
  void destroy(const xml::Element* request);

  // room_iq.cpp: disco, ping, archive queries, IQs between occupants
  void onIqToRoom(RoomStanza& s);
  void onIqToOccupant(RoomStanza& s);
  IqReply discoInfo(const RoomStanza& s, const xml::Element& query);
  void archiveQuery(RoomStanza& s, const xml::Element& query);

  MucService& service_;
  std::string local_;
  Jid jid_;
  RoomRecord record_;
  bool locked_;
  bool destroyed_ = false;
  std::map<std::string, Occupant> occupants_;          // by nickname
  std::map<std::string, std::string> nickByReal_;      // real full JID -> nickname
  History history_;

  // IQs an occupant sent to another (§7.6 style proxying): our id -> where the answer goes.
  struct PendingIq {
    Jid requester;
    std::string originalId;
    std::string targetNick;
    Jid targetBare;
  };
  std::map<std::string, PendingIq> pendingIqs_;
  std::deque<std::string> pendingOrder_;

  std::atomic<net::Worker*> home_{nullptr};
  bool busy_ = false;
  std::deque<std::function<void(Room&)>> backlog_;
};

std::int64_t nowMillis();

}  // namespace telex::modules::muc
