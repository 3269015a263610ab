// XEP-0045 multi-user chat payloads at the client's edge: occupant presence (roles, affiliations,
// status codes) and room messages (history, subject), parsed from the typed Presence / Message.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/stanzas.hpp"
#include "jid/jid.hpp"
#include "util/expected.hpp"

namespace telex::client {

inline constexpr std::string_view kNsMuc = "http://jabber.org/protocol/muc";
inline constexpr std::string_view kNsMucUser = "http://jabber.org/protocol/muc#user";
inline constexpr std::string_view kNsMucOwner = "http://jabber.org/protocol/muc#owner";
inline constexpr std::string_view kNsDiscoItems = "http://jabber.org/protocol/disco#items";

enum class MucRole { None, Visitor, Participant, Moderator };
enum class MucAffiliation { None, Outcast, Member, Admin, Owner };
std::string_view mucRoleName(MucRole role);                     // "none", "visitor", ...
std::string_view mucAffiliationName(MucAffiliation affiliation);  // "none", "outcast", ...
std::optional<MucRole> mucRoleFromName(std::string_view name);
std::optional<MucAffiliation> mucAffiliationFromName(std::string_view name);

// One occupant's presence in a room (from room@service/nick): a join, a change, or a leave.
struct RoomPresence {
  Jid room;          // bare room JID
  std::string nick;  // the occupant's nickname (the resource of 'from')
  bool available = true;  // false: the occupant left (or was kicked / banned / renamed)
  PresenceShow show = PresenceShow::None;
  std::string status;
  MucRole role = MucRole::None;
  MucAffiliation affiliation = MucAffiliation::None;
  std::optional<Jid> realJid;           // when the room shows it (non-anonymous rooms, to moderators)
  std::vector<int> statusCodes;         // <status code='...'/> of the muc#user payload
  std::string newNick;                  // status 303: the nick the occupant is changing to
  std::string reason;                   // <item><reason/> for kicks and bans
  bool self = false;                    // status 110: this is our own presence in the room
  bool hasStatus(int code) const;
  bool kicked() const { return hasStatus(307); }
  bool banned() const { return hasStatus(301); }
  bool nickChange() const { return hasStatus(303); }

  // Fails unless `presence` comes from a room occupant (room@service/nick) and is available or
  // unavailable. Error presence is not a RoomPresence (see joinRoom's callback).
  static Expected<RoomPresence, std::string> parse(const Presence& presence);
};

// A message of type groupchat from a room: a line of conversation, history, or the subject.
struct RoomMessage {
  Jid room;          // bare room JID
  std::string nick;  // sender's nick; empty for messages from the room itself
  std::string id;
  std::string body;
  std::optional<std::string> subject;     // set when the message changes (or announces) the subject
  bool delayed = false;                   // history replayed on join (XEP-0203 delay)
  std::optional<std::string> delayStamp;  // its original time
  bool fromSelf = false;                  // the echo of a message we sent (nick = our nick)
  Message message;                        // the full message (extensions, thread...)

  static Expected<RoomMessage, std::string> parse(const Message& message);
};

// XEP-0030 disco#items result entry.
struct DiscoItem {
  Jid jid;
  std::string node;
  std::string name;
};
Expected<std::vector<DiscoItem>, std::string> parseDiscoItems(const xml::Element& query);

// The <x xmlns='http://jabber.org/protocol/muc'/> join presence to room/nick (history: at most
// `maxHistory` stanzas, nullopt = the room's default).
Presence makeJoinPresence(const Jid& room, std::string_view nick,
                          const std::optional<std::string>& password,
                          std::optional<int> maxHistory = std::nullopt);

}  // namespace telex::client

// ---- internal: the rooms of one Client (used by client.cpp and muc.cpp) ----
namespace telex::client::detail {

// Which rooms we are in and which joins wait for their answer. Pure bookkeeping: it says what
// to send and whom to tell; the Client does the sending and calls the callbacks.
class MucRooms {
 public:
  using JoinCallback = std::function<void(Expected<bool, StanzaErrorInfo>)>;

  // Records the join (replacing an earlier one for the room) and returns the presence to send.
  Presence join(const Jid& room, std::string nick, std::optional<std::string> password,
                JoinCallback callback);
  // Forgets the room and returns the unavailable presence to send; nullopt if not in it.
  std::optional<Presence> leave(const Jid& room);

  // What an incoming presence from one of our rooms means.
  struct PresenceOutcome {
    std::optional<RoomPresence> event;  // for onRoomPresence (none for error presence)
    JoinCallback callback;              // a join completed: call it with `result`
    std::optional<Expected<bool, StanzaErrorInfo>> result;
  };
  // nullopt when `presence` is not from a room we are in or joining (normal handling applies).
  std::optional<PresenceOutcome> handlePresence(const Presence& presence);
  // A groupchat message from one of our rooms, or nullopt (normal handling applies).
  std::optional<RoomMessage> handleMessage(const Message& message) const;

  // Takes the callback of a join still waiting (to fail it on timeout); the room is forgotten.
  JoinCallback abandonJoin(const Jid& room);

  bool isRoom(const Jid& jid) const { return rooms_.count(jid.bare()) != 0; }
  std::optional<std::string> nickIn(const Jid& room) const;
  std::vector<std::pair<Jid, std::string>> list() const;
  // A fresh session after a lost one: the join presences to send again (pending callbacks are
  // kept and complete on the new answers).
  std::vector<Presence> rejoinPresences();
  // The Client stops for good: the callbacks of joins still waiting; every room forgotten.
  std::vector<JoinCallback> clear();

 private:
  struct Room {
    std::string nick;
    std::optional<std::string> password;
    bool joined = false;
    JoinCallback pending;
  };
  std::map<Jid, Room> rooms_;
};

}  // namespace telex::client::detail
