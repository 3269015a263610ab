// XEP-0045 on the client: occupant presence and room message payloads, the rooms we are in, and
// the Client's group chat methods (discovery, join, leave, messages).
#include "client/muc.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <charconv>
#include <memory>

#include "client/client.hpp"
#include "client/features.hpp"

namespace telex::client {

namespace {

constexpr std::string_view kRoleNames[] = {"none", "visitor", "participant", "moderator"};
constexpr std::string_view kAffiliationNames[] = {"none", "outcast", "member", "admin", "owner"};

}  // namespace

std::string_view mucRoleName(MucRole role) { return kRoleNames[static_cast<int>(role)]; }
std::string_view mucAffiliationName(MucAffiliation affiliation) {
  return kAffiliationNames[static_cast<int>(affiliation)];
}
std::optional<MucRole> mucRoleFromName(std::string_view name) {
  for (int i = 0; i < 4; ++i) {
    if (kRoleNames[i] == name) return static_cast<MucRole>(i);
  }
  return std::nullopt;
}
std::optional<MucAffiliation> mucAffiliationFromName(std::string_view name) {
  for (int i = 0; i < 5; ++i) {
    if (kAffiliationNames[i] == name) return static_cast<MucAffiliation>(i);
  }
  return std::nullopt;
}

bool RoomPresence::hasStatus(int code) const {
  return std::find(statusCodes.begin(), statusCodes.end(), code) != statusCodes.end();
}

Expected<RoomPresence, std::string> RoomPresence::parse(const Presence& presence) {
  if (!presence.from || !presence.from->hasLocal() || !presence.from->hasResource()) {
    return unexpected(std::string("not from a room occupant (room@service/nick)"));
  }
  if (presence.type != PresenceType::Available && presence.type != PresenceType::Unavailable) {
    return unexpected(std::string("not an occupant's available or unavailable presence"));
  }
  RoomPresence out;
  out.room = presence.from->bare();
  out.nick = presence.from->resource();
  out.available = presence.type == PresenceType::Available;
  out.show = presence.show;
  out.status = presence.status;
  for (const auto& ext : presence.extensions) {
    if (ext.name() != "x" || ext.xmlns() != kNsMucUser) continue;
    for (const auto& child : ext.children()) {
      if (child.isText() || child.xmlns() != kNsMucUser) continue;
      if (child.name() == "status") {
        const std::string_view text = child.attrOr("code", "");
        int code = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
        if (ec != std::errc() || end != text.data() + text.size() || code < 100 || code > 999) {
          return unexpected("invalid status code '" + std::string(text) + "'");
        }
        out.statusCodes.push_back(code);
      } else if (child.name() == "item") {
        if (auto role = child.attr("role")) {
          auto parsed = mucRoleFromName(*role);
          if (!parsed) return unexpected("unknown role '" + std::string(*role) + "'");
          out.role = *parsed;
        }
        if (auto affiliation = child.attr("affiliation")) {
          auto parsed = mucAffiliationFromName(*affiliation);
          if (!parsed) return unexpected("unknown affiliation '" + std::string(*affiliation) + "'");
          out.affiliation = *parsed;
        }
        if (auto jid = child.attr("jid")) {
          out.realJid = Jid::parse(*jid);  // an unparsable real JID is just not shown
        }
        out.newNick = std::string(child.attrOr("nick", ""));
        out.reason = child.childText("reason", kNsMucUser);
      }
    }
  }
  out.self = out.hasStatus(110);
  return out;
}

Expected<RoomMessage, std::string> RoomMessage::parse(const Message& message) {
  if (message.type != MessageType::Groupchat) {
    return unexpected(std::string("not a groupchat message"));
  }
  if (!message.from || !message.from->hasLocal()) {
    return unexpected(std::string("not from a room"));
  }
  RoomMessage out;
  out.room = message.from->bare();
  out.nick = message.from->resource();
  out.id = message.id;
  out.body = message.body;
  // A <subject/> (even an empty one: the subject was cleared) without a body sets the subject.
  if (!message.subject.empty() || (message.subjectPresent && message.body.empty())) {
    out.subject = message.subject;
  }
  out.delayed = message.delayStamp.has_value();
  out.delayStamp = message.delayStamp;
  out.message = message;
  return out;
}

Expected<std::vector<DiscoItem>, std::string> parseDiscoItems(const xml::Element& query) {
  if (query.name() != "query" || query.xmlns() != kNsDiscoItems) {
    return unexpected(std::string("not a disco#items query"));
  }
  std::vector<DiscoItem> items;
  for (const auto& child : query.children()) {
    if (child.isText() || child.name() != "item" || child.xmlns() != kNsDiscoItems) continue;
    auto jid = Jid::parse(child.attrOr("jid", ""));
    if (!jid) return unexpected("invalid item jid '" + std::string(child.attrOr("jid", "")) + "'");
    items.push_back({*jid, std::string(child.attrOr("node", "")),
                     std::string(child.attrOr("name", ""))});
  }
  return items;
}

Presence makeJoinPresence(const Jid& room, std::string_view nick,
                          const std::optional<std::string>& password,
                          std::optional<int> maxHistory) {
  Presence p;
  p.to = room.bare().withResource(nick);
  xml::Element x{"x", std::string(kNsMuc)};
  if (password) x.addChild(xml::Element{"password", std::string(kNsMuc)}).addText(*password);
  if (maxHistory) {
    x.addChild(xml::Element{"history", std::string(kNsMuc)})
        .setAttr("maxstanzas", std::to_string(*maxHistory));
  }
  p.extensions.push_back(std::move(x));
  return p;
}

// ---- MucRooms ----------------------------------------------------------------------------------

namespace detail {

Presence MucRooms::join(const Jid& room, std::string nick, std::optional<std::string> password,
                        JoinCallback callback) {
  Presence presence = makeJoinPresence(room, nick, password);
  Room& r = rooms_[room.bare()];
  r.nick = std::move(nick);
  r.password = std::move(password);
  r.joined = false;
  r.pending = std::move(callback);
  return presence;
}

std::optional<Presence> MucRooms::leave(const Jid& room) {
  auto it = rooms_.find(room.bare());
  if (it == rooms_.end()) return std::nullopt;
  Presence p;
  p.type = PresenceType::Unavailable;
  p.to = it->first.withResource(it->second.nick);
  if (!p.to) p.to = it->first;
  rooms_.erase(it);
  return p;
}

std::optional<MucRooms::PresenceOutcome> MucRooms::handlePresence(const Presence& presence) {
  if (!presence.from) return std::nullopt;
  auto it = rooms_.find(presence.from->bare());
  if (it == rooms_.end()) return std::nullopt;
  Room& room = it->second;
  PresenceOutcome out;
  if (presence.type == PresenceType::Error) {
    // A refused join (or nick change): only ours matters; the room is forgotten when joining.
    if (!room.joined) {
      out.callback = std::move(room.pending);
      out.result = unexpected(presence.error.value_or(
          StanzaErrorInfo{"cancel", "undefined-condition", "the room refused the join"}));
      rooms_.erase(it);
    }
    return out;
  }
  auto parsed = RoomPresence::parse(presence);
  if (!parsed) return std::nullopt;  // e.g. presence from the bare room: not an occupant's
  // Servers without status 110 still send our own presence from room/nick.
  if (!parsed->self && parsed->nick == room.nick) parsed->self = true;
  if (parsed->self) {
    if (parsed->available) {
      room.nick = parsed->nick;  // status 210: the service may have changed our nick
      if (!room.joined) {
        room.joined = true;
        out.callback = std::move(room.pending);
        out.result = true;
      }
    } else if (parsed->nickChange() && !parsed->newNick.empty()) {
      room.nick = parsed->newNick;
    } else {
      // We left, were kicked or banned, or the room went away.
      if (!room.joined && room.pending) {
        out.callback = std::move(room.pending);
        out.result = unexpected(StanzaErrorInfo{"cancel", "not-allowed", "removed from the room"});
      }
      rooms_.erase(it);
    }
  }
  out.event = std::move(*parsed);
  return out;
}

std::optional<RoomMessage> MucRooms::handleMessage(const Message& message) const {
  if (message.type != MessageType::Groupchat || !message.from) return std::nullopt;
  auto it = rooms_.find(message.from->bare());
  if (it == rooms_.end()) return std::nullopt;
  auto parsed = RoomMessage::parse(message);
  if (!parsed) return std::nullopt;
  parsed->fromSelf = !parsed->nick.empty() && parsed->nick == it->second.nick;
  return std::move(*parsed);
}

MucRooms::JoinCallback MucRooms::abandonJoin(const Jid& room) {
  auto it = rooms_.find(room.bare());
  if (it == rooms_.end() || it->second.joined) return {};
  JoinCallback callback = std::move(it->second.pending);
  rooms_.erase(it);
  return callback;
}

std::optional<std::string> MucRooms::nickIn(const Jid& room) const {
  auto it = rooms_.find(room.bare());
  if (it == rooms_.end()) return std::nullopt;
  return it->second.nick;
}

std::vector<std::pair<Jid, std::string>> MucRooms::list() const {
  std::vector<std::pair<Jid, std::string>> out;
  for (const auto& [jid, room] : rooms_) out.emplace_back(jid, room.nick);
  return out;
}

std::vector<Presence> MucRooms::rejoinPresences() {
  std::vector<Presence> out;
  for (auto& [jid, room] : rooms_) {
    room.joined = false;
    // History was seen already: ask for none.
    out.push_back(makeJoinPresence(jid, room.nick, room.password, 0));
  }
  return out;
}

std::vector<MucRooms::JoinCallback> MucRooms::clear() {
  std::vector<JoinCallback> out;
  for (auto& [jid, room] : rooms_) {
    if (room.pending) out.push_back(std::move(room.pending));
  }
  rooms_.clear();
  return out;
}

}  // namespace detail

// ---- Client: group chat ------------------------------------------------------------------------

void Client::discoItems(
    const Jid& target,
    std::function<void(Expected<std::vector<DiscoItem>, StanzaErrorInfo>)> callback) {
  sendIq(makeIq("get", newId(), target, xml::Element{"query", std::string(kNsDiscoItems)}),
         [callback = std::move(callback)](const IqResponse& r) {
           if (!callback) return;
           if (!r.ok()) {
             callback(unexpected(r.error));
             return;
           }
           const xml::Element* query = r.stanza.child("query", kNsDiscoItems);
           if (query == nullptr) {
             callback(std::vector<DiscoItem>{});
             return;
           }
           auto items = parseDiscoItems(*query);
           if (!items) {
             callback(unexpected(StanzaErrorInfo{"modify", "bad-request", items.error()}));
             return;
           }
           callback(std::move(*items));
         });
}

void Client::findConferenceService(std::function<void(std::optional<Jid>)> done) {
  auto domain = Jid::parse(options().jid.domain());
  if (!domain) {
    if (done) done(std::nullopt);
    return;
  }
  discoItems(*domain, [this, done = std::move(done)](
                          Expected<std::vector<DiscoItem>, StanzaErrorInfo> items) {
    if (!items || items->empty()) {
      if (done) done(std::nullopt);
      return;
    }
    // Ask every item at once; answer with the first (in the server's order) that is a
    // conference service once all have answered.
    struct Search {
      std::vector<std::optional<bool>> answers;
      std::vector<Jid> jids;
      std::function<void(std::optional<Jid>)> done;
      bool finished = false;
    };
    auto search = std::make_shared<Search>();
    search->done = done;
    for (const auto& item : *items) search->jids.push_back(item.jid);
    search->answers.resize(search->jids.size());
    for (std::size_t i = 0; i < search->jids.size(); ++i) {
      discoInfo(search->jids[i], [search, i](Expected<DiscoInfo, StanzaErrorInfo> info) {
        bool conference = false;
        if (info) {
          for (const auto& identity : info->identities) {
            if (identity.category == "conference" && identity.type == "text") conference = true;
          }
        }
        search->answers[i] = conference;
        if (search->finished) return;
        for (std::size_t k = 0; k < search->answers.size(); ++k) {
          if (!search->answers[k]) return;  // an earlier item has not answered yet
          if (*search->answers[k]) {
            search->finished = true;
            if (search->done) search->done(search->jids[k]);
            return;
          }
        }
        search->finished = true;
        if (search->done) search->done(std::nullopt);
      });
    }
  });
}

void Client::joinRoom(const Jid& room, std::string nick, std::optional<std::string> password,
                      std::function<void(Expected<bool, StanzaErrorInfo>)> joined) {
  auto fail = [this](std::function<void(Expected<bool, StanzaErrorInfo>)> cb, StanzaErrorInfo e) {
    if (!cb) return;
    boost::asio::post(ioContext(), [guard = lifetime(), cb = std::move(cb), e = std::move(e)] {
      if (!guard.expired()) cb(unexpected(e));
    });
  };
  if (!room.hasLocal() || !room.bare().withResource(nick)) {
    fail(std::move(joined), {"modify", "jid-malformed", "invalid room address or nickname"});
    return;
  }
  if (!isConnected()) {
    fail(std::move(joined), {"cancel", "recipient-unavailable", "not connected"});
    return;
  }
  auto& rooms = featureState().rooms;
  if (auto previous = rooms.abandonJoin(room)) {
    fail(std::move(previous), {"cancel", "conflict", "superseded by a new join"});
  }
  // A room service that never answers must not leave the caller waiting forever. The timer
  // ends with the callback (answered, failed or dropped), so it never keeps io_context::run()
  // busy after the join is over.
  auto timer = std::make_shared<boost::asio::steady_timer>(ioContext(), options().iqTimeout);
  struct CancelTimer {
    std::shared_ptr<boost::asio::steady_timer> timer;
    ~CancelTimer() {
      if (timer) timer->cancel();
    }
  };
  auto cancel = std::make_shared<CancelTimer>();
  cancel->timer = timer;
  auto wrapped = [cancel, joined = std::move(joined)](Expected<bool, StanzaErrorInfo> result) {
    if (joined) joined(std::move(result));
  };
  sendPresence(rooms.join(room, std::move(nick), std::move(password), std::move(wrapped)));
  timer->async_wait([this, guard = lifetime(), room = room.bare()](
                        const boost::system::error_code& ec) {
    if (ec || guard.expired()) return;
    if (auto cb = featureState().rooms.abandonJoin(room)) {
      cb(unexpected(StanzaErrorInfo{"wait", "remote-server-timeout", "the room did not answer"}));
    }
  });
}

void Client::leaveRoom(const Jid& room) {
  auto presence = featureState().rooms.leave(room);
  if (presence) sendPresence(*presence);
}

std::string Client::sendRoomMessage(const Jid& room, std::string body) {
  Message m;
  m.to = room.bare();
  m.type = MessageType::Groupchat;
  m.body = std::move(body);
  return sendMessage(std::move(m));
}

std::string Client::setRoomSubject(const Jid& room, std::string subject) {
  Message m;
  m.to = room.bare();
  m.type = MessageType::Groupchat;
  m.subject = std::move(subject);
  m.subjectPresent = true;  // an empty subject clears it
  return sendMessage(std::move(m));
}

std::vector<std::pair<Jid, std::string>> Client::joinedRooms() const {
  return featureState().rooms.list();
}

}  // namespace telex::client
