// Room basics: running on the home worker, lookups, building occupant presence, delivery.
#include "modules/muc/room.hpp"

#include <chrono>
#include <spdlog/spdlog.h>

#include "modules/muc/muc_service.hpp"
#include "util/timestamp.hpp"

namespace telex::modules::muc {

std::int64_t nowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Room::Room(MucService& service, std::string local, RoomRecord record, bool locked)
    : service_(service),
      local_(std::move(local)),
      jid_(*Jid::make(local_, service.options().domain)),
      record_(std::move(record)),
      locked_(locked) {}

net::Worker* Room::claimHome(net::Worker* candidate) {
  net::Worker* expected = nullptr;
  if (home_.compare_exchange_strong(expected, candidate, std::memory_order_acq_rel)) return candidate;
  return expected;
}

void Room::run(std::function<void(Room&)> fn) {
  if (busy_) {
    backlog_.push_back(std::move(fn));
    return;
  }
  busy_ = true;
  for (;;) {
    try {
      fn(*this);
    } catch (const std::exception& e) {
      // One bad stanza must not wedge the room: the next one still runs.
      spdlog::error("muc: room {} failed to handle a stanza: {}", jid_.bareString(), e.what());
    }
    if (backlog_.empty()) break;
    fn = std::move(backlog_.front());
    backlog_.pop_front();
  }
  busy_ = false;
}

void Room::handle(RoomStanza s, bool created) {
  if (destroyed_) {
    service_.reroute(std::move(s));
    return;
  }
  const std::string& kind = s.stanza.name();
  if (kind == "presence") {
    onPresence(s, created);
    // A room made for a join that then failed (the session ended meanwhile) is not kept.
    if (created && !destroyed_) destroyIfEmpty();
  } else if (kind == "message") {
    if (s.to.hasResource()) {
      onMessageToOccupant(s);
    } else {
      onMessageToRoom(s);
    }
  } else if (kind == "iq") {
    if (s.to.hasResource()) {
      onIqToOccupant(s);
    } else {
      onIqToRoom(s);
    }
  }
}

void Room::restoreHistory(const std::vector<storage::ArchiveItem>& items) {
  xml::Element delay("delay", "urn:xmpp:delay");
  delay.setAttr("from", jid_.bareString());
  for (const auto& item : items) {
    delay.setAttr("stamp", util::utcTimestamp(std::chrono::system_clock::time_point{std::chrono::milliseconds(item.when)}));
    auto stanza = FanoutStanza::fromSerialized(item.value).withChild(xml::serialize(delay, router::kClientNs));
    history_.add({item.when, std::make_shared<const FanoutStanza>(std::move(stanza))},
                 static_cast<std::size_t>(record_.config.historyLength));
  }
}

Affiliation Room::affiliationOf(const Jid& real) const {
  auto it = record_.affiliations.find(real.bareString());
  return it == record_.affiliations.end() ? Affiliation::None : it->second.affiliation;
}

Occupant* Room::occupantByReal(const Jid& real) {
  auto it = nickByReal_.find(real.full());
  if (it == nickByReal_.end()) return nullptr;
  return occupantByNick(it->second);
}

Occupant* Room::occupantByNick(std::string_view nick) {
  auto it = occupants_.find(std::string(nick));
  return it == occupants_.end() ? nullptr : &it->second;
}

bool Room::nickReservedByOther(std::string_view nick, const Jid& realBare) const {
  for (const auto& [bare, entry] : record_.affiliations) {
    if (!entry.nick.empty() && entry.nick == nick && bare != realBare.bareString()) return true;
  }
  return false;
}

xml::Element Room::presenceOf(const Occupant& o, const PresenceExtras& x, bool withJid, bool self) const {
  xml::Element p("presence", std::string(router::kClientNs));
  p.setAttr("from", o.jid.full());
  if (x.unavailable) {
    p.setAttr("type", "unavailable");
    if (!x.statusText.empty()) p.addChild(xml::Element("status", std::string(router::kClientNs))).addText(x.statusText);
  } else {
    for (const auto& c : o.presence.children()) p.addChild(c);
  }
  auto& mx = p.addChild(xml::Element("x", std::string(kMucUserNs)));
  auto& item = mx.addChild(xml::Element("item", std::string(kMucUserNs)));
  item.setAttr("affiliation", affiliationName(affiliationOf(o.realBare)));
  item.setAttr("role", roleName(o.role));
  if (withJid) item.setAttr("jid", o.presenceJid.full());
  if (!x.newNick.empty()) item.setAttr("nick", x.newNick);
  if (!x.actor.empty()) item.addChild(xml::Element("actor", std::string(kMucUserNs))).setAttr("nick", x.actor);
  if (!x.reason.empty()) item.addChild(xml::Element("reason", std::string(kMucUserNs))).addText(x.reason);
  if (x.destroy) mx.addChild(*x.destroy);
  auto status = [&mx](int code) {
    mx.addChild(xml::Element("status", std::string(kMucUserNs))).setAttr("code", std::to_string(code));
  };
  for (int code : x.codes) status(code);
  if (self) {
    status(110);
    for (int code : x.selfCodes) status(code);
  }
  return p;
}

void Room::broadcastPresence(const Occupant& o, const PresenceExtras& extras) {
  // At most three payloads, each serialized once: without the real JID, with it, and the
  // occupant's own copy.
  std::optional<FanoutStanza> anonymous, revealed, self;
  for (const auto& [nick, r] : occupants_) {
    if (&r == &o) continue;
    bool sees = maySeeRealJids(r.role, record_.config.whois);
    auto& variant = sees ? revealed : anonymous;
    if (!variant) variant.emplace(presenceOf(o, extras, sees, false));
    for (const auto& s : r.sessions) router::SessionManager::deliverTo(s.session, variant->piecesFor(s.to));
  }
  if (o.sessions.empty()) return;
  self.emplace(presenceOf(o, extras, true, true));
  for (const auto& s : o.sessions) router::SessionManager::deliverTo(s.session, self->piecesFor(s.to));
}

void Room::broadcast(const FanoutStanza& stanza) {
  for (const auto& [nick, o] : occupants_) {
    // Every copy is the same two buffers around the occupant's own 'to' piece.
    for (const auto& s : o.sessions) router::SessionManager::deliverTo(s.session, stanza.piecesFor(s.to));
  }
}

void Room::sendTo(const OccupantSession& s, const xml::Element& stanza) {
  router::SessionManager::deliverTo(s.session, FanoutStanza(stanza).piecesFor(s.to));
}

void Room::sendStatusMessage(const std::vector<int>& codes) {
  xml::Element m("message", std::string(router::kClientNs));
  m.setAttr("from", jid_.bareString());
  m.setAttr("type", "groupchat");
  auto& x = m.addChild(xml::Element("x", std::string(kMucUserNs)));
  for (int code : codes) {
    x.addChild(xml::Element("status", std::string(kMucUserNs))).setAttr("code", std::to_string(code));
  }
  broadcast(FanoutStanza(m));
}

void Room::replyError(const RoomStanza& s, const router::StanzaError& error) {
  service_.router().replyError(s.stanza, error);
}

void Room::reply(const RoomStanza& s, const IqReply& r) { replyToIq(service_.router(), s.stanza, s.from, r); }

void Room::save() { service_.save(*this); }

void Room::destroyIfEmpty() {
  // A temporary room ends with its last occupant, and so does one never configured (§10.1.1).
  if (!occupants_.empty() || (record_.config.persistent && !locked_)) return;
  service_.removeRoom(*this);
}

}  // namespace telex::modules::muc
