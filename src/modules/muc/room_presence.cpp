// Entering and leaving a room, nickname changes and occupants' presence (XEP-0045 §7.1-7.3, §7.6).
#include "modules/muc/room.hpp"

#include "modules/muc/muc_service.hpp"
#include "util/crypto.hpp"

namespace telex::modules::muc {
namespace {

using router::StanzaError;

// The presence an occupant shows in the room: what the client sent, minus addresses and any
// MUC elements (those are the room's to write, and a client could forge them).
xml::Element cleanPresence(const xml::Element& stanza) {
  xml::Element p("presence", std::string(router::kClientNs));
  for (const auto& c : stanza.children()) {
    if (c.isText()) continue;
    if (c.name() == "x" && (c.xmlns() == kMucNs || c.xmlns() == kMucUserNs)) continue;
    p.addChild(c);
  }
  return p;
}

}  // namespace

void Room::onPresence(RoomStanza& s, bool created) {
  std::string_view type = s.stanza.attrOr("type", "");
  if (!s.to.hasResource()) {
    if (type.empty()) replyError(s, StanzaError::jidMalformed("a room is joined with a nickname"));
    return;
  }
  Occupant* o = occupantByReal(s.from);
  if (type == "unavailable" || type == "error") {
    // An error means the client bounced the room's presence: it is not in the room any more.
    if (o) leave(*o, s.from, type == "unavailable" ? s.stanza.childText("status", router::kClientNs) : "");
    return;
  }
  if (!type.empty()) return;  // subscriptions mean nothing to a room
  if (!o) {
    join(s, created);
  } else if (o->nick != s.to.resource()) {
    changeNick(*o, s);
  } else {
    rejoin(*o, s);
  }
}

std::vector<int> Room::joinCodes(bool created) const {
  std::vector<int> codes;
  if (record_.config.whois == Whois::Anyone) codes.push_back(100);
  if (record_.config.archiving) codes.push_back(170);
  if (created) codes.push_back(201);
  return codes;
}

void Room::join(RoomStanza& s, bool created) {
  const Jid& real = s.from;
  const std::string& nick = s.to.resource();
  const RoomConfig& config = record_.config;
  Affiliation affiliation = affiliationOf(real);
  const xml::Element* mucX = s.stanza.child("x", kMucNs);

  if (locked_ && affiliation != Affiliation::Owner) {
    return replyError(s, StanzaError::itemNotFound("the room is still being set up"));
  }
  if (affiliation == Affiliation::Outcast) return replyError(s, StanzaError::forbidden("you are banned from this room"));
  if (config.membersOnly && affiliation < Affiliation::Member) {
    return replyError(s, {"auth", "registration-required", "this room is for members only"});
  }
  Occupant* holder = occupantByNick(nick);
  if ((holder && holder->realBare != real.bare()) || nickReservedByOther(nick, real.bare())) {
    return replyError(s, StanzaError::conflict("that nickname is in use"));
  }
  if (config.passwordProtected && affiliation < Affiliation::Admin) {
    std::string given = mucX ? mucX->childText("password", kMucNs) : std::string();
    if (!util::constantTimeEquals(given, config.password)) {
      return replyError(s, {"auth", "not-authorized", "a password is needed to enter"});
    }
  }
  if (!holder && config.maxUsers > 0 && occupants_.size() >= static_cast<std::size_t>(config.maxUsers) &&
      affiliation < Affiliation::Admin) {
    return replyError(s, {"wait", "service-unavailable", "the room is full"});
  }
  auto session = service_.router().sessions().find(real);
  if (!session) return;  // signed off while the presence travelled here
  OccupantSession joined{real, std::move(session), FanoutStanza::toAttribute(real)};

  if (holder) {
    // Another resource of the same user under the same nickname: it shares the occupant.
    holder->sessions.push_back(joined);
    nickByReal_[real.full()] = nick;
    service_.noteJoined(real, local_);
    sendOccupantsTo(*holder, joined);
    PresenceExtras extras;
    extras.selfCodes = joinCodes(false);
    sendTo(joined, presenceOf(*holder, extras, true, true));
    sendHistoryAndSubject(joined, mucX);
    return;
  }

  Occupant o;
  o.nick = nick;
  o.jid = s.to;
  o.realBare = real.bare();
  o.sessions.push_back(joined);
  o.presenceJid = real;
  o.role = defaultRole(affiliation, config.moderated);
  o.presence = cleanPresence(s.stanza);
  Occupant& added = occupants_.emplace(nick, std::move(o)).first->second;
  nickByReal_[real.full()] = nick;
  service_.noteJoined(real, local_);

  // §7.2.3: first the others' presence to the newcomer, then the newcomer's to everyone, its
  // own copy (status 110) last; then history and the subject, which ends the join.
  sendOccupantsTo(added, joined);
  PresenceExtras extras;
  extras.selfCodes = joinCodes(created);
  broadcastPresence(added, extras);
  sendHistoryAndSubject(joined, mucX);
  if (created) service_.updateListing(*this);
}

void Room::sendOccupantsTo(const Occupant& o, const OccupantSession& to) {
  bool sees = maySeeRealJids(o.role, record_.config.whois);
  for (const auto& [nick, other] : occupants_) {
    if (&other != &o) sendTo(to, presenceOf(other, {}, sees, false));
  }
}

void Room::sendHistoryAndSubject(const OccupantSession& to, const xml::Element* mucX) {
  auto request = parseHistoryRequest(mucX ? mucX->child("history", kMucNs) : nullptr);
  const auto& entries = history_.entries();
  for (std::size_t i = history_.firstToSend(request, nowMillis()); i < entries.size(); ++i) {
    router::SessionManager::deliverTo(to.session, entries[i].stanza->piecesFor(to.to));
  }
  sendTo(to, subjectMessage());
}

void Room::rejoin(Occupant& o, RoomStanza& s) {
  o.presence = cleanPresence(s.stanza);
  o.presenceJid = s.from;
  const xml::Element* mucX = s.stanza.child("x", kMucNs);
  auto current = service_.router().sessions().find(s.from);
  auto mine = std::find_if(o.sessions.begin(), o.sessions.end(), [&](const auto& x) { return x.jid == s.from; });
  if (mine == o.sessions.end()) return;
  // A join presence from someone already inside, or from a newer session of the same resource
  // (the old one's end is still on its way): the client lost track of the room, so it gets
  // the whole room state again. Otherwise this is just a presence change.
  bool fresh = current && mine->session != current;
  if (fresh) mine->session = current;
  OccupantSession to = *mine;
  PresenceExtras extras;
  if (mucX || fresh) {
    sendOccupantsTo(o, to);
    extras.selfCodes = joinCodes(false);
  }
  broadcastPresence(o, extras);
  if (mucX || fresh) sendHistoryAndSubject(to, mucX);
}

void Room::changeNick(Occupant& o, RoomStanza& s) {
  const std::string& newNick = s.to.resource();
  if (occupantByNick(newNick) || nickReservedByOther(newNick, o.realBare)) {
    return replyError(s, StanzaError::conflict("that nickname is in use"));
  }
  // §7.6: unavailable from the old nickname with 303 and the new one, then available from it.
  PresenceExtras gone;
  gone.unavailable = true;
  gone.newNick = newNick;
  gone.codes = {303};
  broadcastPresence(o, gone);
  auto node = occupants_.extract(o.nick);
  node.key() = newNick;
  Occupant& renamed = node.mapped();
  renamed.nick = newNick;
  renamed.jid = s.to;
  renamed.presence = cleanPresence(s.stanza);
  renamed.presenceJid = s.from;
  for (const auto& session : renamed.sessions) nickByReal_[session.jid.full()] = newNick;
  Occupant& moved = occupants_.insert(std::move(node)).position->second;
  broadcastPresence(moved, {});
}

void Room::leave(Occupant& o, const Jid& real, std::string_view statusText) {
  if (o.sessions.size() > 1) {
    // One resource of a multi-session occupant: only that resource hears that it left.
    auto it = std::find_if(o.sessions.begin(), o.sessions.end(), [&](const auto& s) { return s.jid == real; });
    if (it == o.sessions.end()) return;
    OccupantSession left = *it;
    o.sessions.erase(it);
    nickByReal_.erase(real.full());
    service_.noteLeft(real, local_);
    if (o.presenceJid == real) o.presenceJid = o.sessions.front().jid;
    Occupant view = o;
    view.role = Role::None;
    PresenceExtras extras;
    extras.unavailable = true;
    sendTo(left, presenceOf(view, extras, true, true));
    return;
  }
  PresenceExtras extras;
  extras.statusText = std::string(statusText);
  removeOccupant(o.nick, std::move(extras));
}

void Room::removeOccupant(const std::string& nick, PresenceExtras extras) {
  auto node = occupants_.extract(nick);
  if (node.empty()) return;
  Occupant& o = node.mapped();
  for (const auto& s : o.sessions) {
    nickByReal_.erase(s.jid.full());
    service_.noteLeft(s.jid, local_);
  }
  o.role = Role::None;
  extras.unavailable = true;
  broadcastPresence(o, extras);
  destroyIfEmpty();
}

void Room::sessionGone(const Jid& real, const router::Session* session) {
  Occupant* o = occupantByReal(real);
  if (!o) return;
  auto it = std::find_if(o->sessions.begin(), o->sessions.end(), [&](const auto& s) { return s.jid == real; });
  if (it == o->sessions.end()) return;
  if (it->session.get() != session) {
    // A newer session of the same full JID that joined already keeps its place.
    auto current = service_.router().sessions().find(real);
    if (current && current == it->session) return;
  }
  leave(*o, real, "");
}

}  // namespace telex::modules::muc
