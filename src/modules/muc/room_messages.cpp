// Messages in a room: groupchat fan-out, history and archive, the subject, private messages
// between occupants, mediated invitations and declines (XEP-0045 §7.4-7.5, §7.8, §8.1).
#include "modules/muc/room.hpp"

#include "modules/muc/muc_service.hpp"
#include "util/timestamp.hpp"

namespace telex::modules::muc {
namespace {

using router::StanzaError;

constexpr std::string_view kStanzaIdNs = "urn:xmpp:sid:0";
constexpr std::string_view kDelayNs = "urn:xmpp:delay";

bool hasBody(const xml::Element& message) {
  for (const auto& c : message.children()) {
    if (!c.isText() && c.name() == "body" && (c.xmlns().empty() || c.xmlns() == router::kClientNs)) return true;
  }
  return false;
}

// Elements only the room may write: MUC status, and stanza ids or delay stamps in its name.
void removeForgeries(xml::Element& message, const Jid& room) {
  std::erase_if(message.children(), [&](const xml::Element& c) {
    if (c.isText()) return false;
    if (c.name() == "x" && c.xmlns() == kMucUserNs) return true;
    if ((c.name() == "stanza-id" && c.xmlns() == kStanzaIdNs) || (c.name() == "delay" && c.xmlns() == kDelayNs)) {
      auto by = Jid::parse(c.attrOr(c.name() == "delay" ? "from" : "by", ""));
      return by && by->bare() == room;
    }
    return false;
  });
}

}  // namespace

xml::Element Room::subjectMessage() const {
  xml::Element m("message", std::string(router::kClientNs));
  if (record_.subjectBy.empty()) {
    m.setAttr("from", jid_.bareString());
  } else if (auto by = jid_.withResource(record_.subjectBy)) {
    m.setAttr("from", by->full());
  } else {
    m.setAttr("from", jid_.bareString());
  }
  m.setAttr("type", "groupchat");
  auto& subject = m.addChild(xml::Element("subject", std::string(router::kClientNs)));
  if (!record_.subject.empty()) subject.addText(record_.subject);
  return m;
}

void Room::onMessageToRoom(RoomStanza& s) {
  std::string_view type = s.stanza.attrOr("type", "normal");
  if (type == "error") return;  // a client bounced something the room sent
  if (type == "groupchat") return groupchat(s);
  if (const xml::Element* x = s.stanza.child("x", kMucUserNs)) {
    if (x->child("invite", kMucUserNs)) return invite(s, *x);
    if (const xml::Element* d = x->child("decline", kMucUserNs)) return decline(s, *d);
  }
  replyError(s, StanzaError::badRequest("messages to a room are groupchat, invitations or declines"));
}

void Room::groupchat(RoomStanza& s) {
  Occupant* o = occupantByReal(s.from);
  if (!o) return replyError(s, {"modify", "not-acceptable", "you are not in this room"});
  bool body = hasBody(s.stanza);
  if (!body && s.stanza.child("subject", router::kClientNs)) return changeSubject(*o, s);
  if (!maySpeak(o->role)) return replyError(s, StanzaError::forbidden("you have no voice in this room"));
  xml::Element out = std::move(s.stanza);
  out.setAttr("from", o->jid.full());
  out.removeAttr("to");
  removeForgeries(out, jid_);
  FanoutStanza shared(out);
  broadcast(shared);
  if (!body) return;  // chat states and the like are not history
  std::int64_t now = nowMillis();
  if (record_.config.historyLength > 0) {
    xml::Element delay("delay", std::string(kDelayNs));
    delay.setAttr("from", jid_.bareString());
    delay.setAttr("stamp", util::utcTimestamp(std::chrono::system_clock::time_point{std::chrono::milliseconds(now)}));
    history_.add({now, std::make_shared<const FanoutStanza>(shared.withChild(xml::serialize(delay, router::kClientNs)))},
                 static_cast<std::size_t>(record_.config.historyLength));
  }
  if (record_.config.archiving) service_.archive(*this, now, o->jid.full(), shared.standalone());
}

void Room::changeSubject(Occupant& o, RoomStanza& s) {
  if (!mayChangeSubject(o.role, record_.config.changeSubject)) {
    return replyError(s, StanzaError::forbidden("you may not change the subject"));
  }
  record_.subject = s.stanza.childText("subject", router::kClientNs);
  record_.subjectBy = o.nick;
  xml::Element out = std::move(s.stanza);
  out.setAttr("from", o.jid.full());
  out.removeAttr("to");
  removeForgeries(out, jid_);
  broadcast(FanoutStanza(out));
  if (record_.config.persistent) save();
}

void Room::onMessageToOccupant(RoomStanza& s) {
  std::string_view type = s.stanza.attrOr("type", "normal");
  if (type == "error") return;
  if (type == "groupchat") return replyError(s, StanzaError::badRequest("groupchat messages go to the room"));
  Occupant* sender = occupantByReal(s.from);
  if (!sender) return replyError(s, {"modify", "not-acceptable", "you are not in this room"});
  if (!maySendPrivateMessage(sender->role, record_.config.allowPm)) {
    return replyError(s, StanzaError::forbidden("private messages are not allowed here"));
  }
  Occupant* target = occupantByNick(s.to.resource());
  if (!target) return replyError(s, StanzaError::itemNotFound("nobody of that nickname is here"));
  xml::Element out = std::move(s.stanza);
  out.setAttr("from", sender->jid.full());
  removeForgeries(out, jid_);
  // §7.5: marks it as a MUC private message (carbons keep it on the resource that joined).
  out.addChild(xml::Element("x", std::string(kMucUserNs)));
  // Through the router, so the recipient's server-side features (archive) see it.
  for (const auto& session : target->sessions) {
    xml::Element copy = out;
    copy.setAttr("to", session.jid.full());
    service_.router().route(std::move(copy));
  }
}

void Room::invite(RoomStanza& s, const xml::Element& x) {
  Occupant* o = occupantByReal(s.from);
  if (!o) return replyError(s, {"modify", "not-acceptable", "only occupants may invite"});
  Affiliation inviter = affiliationOf(s.from);
  const RoomConfig& config = record_.config;
  if (!mayInvite(o->role, inviter, config.membersOnly, config.allowInvites)) {
    return replyError(s, StanzaError::forbidden("you may not invite others to this room"));
  }
  std::vector<std::pair<Jid, const xml::Element*>> invitees;
  for (const auto& c : x.children()) {
    if (c.isText() || c.name() != "invite" || c.xmlns() != kMucUserNs) continue;
    auto to = Jid::parse(c.attrOr("to", ""));
    if (!to) return replyError(s, StanzaError::jidMalformed("an invitation needs a valid 'to'"));
    invitees.emplace_back(*to, &c);
  }
  bool changed = false;
  for (const auto& [to, element] : invitees) {
    // §7.8: an invitation into a members-only room makes the invitee a member.
    if (config.membersOnly && affiliationOf(to) == Affiliation::None) {
      record_.affiliations[to.bareString()] = AffiliationEntry{Affiliation::Member, {}, {}};
      changed = true;
    }
    xml::Element m("message", std::string(router::kClientNs));
    m.setAttr("from", jid_.bareString());
    m.setAttr("to", to.full());
    auto& mx = m.addChild(xml::Element("x", std::string(kMucUserNs)));
    auto& inv = mx.addChild(xml::Element("invite", std::string(kMucUserNs)));
    inv.setAttr("from", s.from.full());
    for (const auto& c : element->children()) {
      if (!c.isText() && (c.name() == "reason" || c.name() == "continue") && c.xmlns() == kMucUserNs) inv.addChild(c);
    }
    if (config.passwordProtected) {
      mx.addChild(xml::Element("password", std::string(kMucUserNs))).addText(config.password);
    }
    service_.router().route(std::move(m));
  }
  if (changed && config.persistent) save();
}

void Room::decline(RoomStanza& s, const xml::Element& d) {
  auto to = Jid::parse(d.attrOr("to", ""));
  if (!to) return replyError(s, StanzaError::badRequest("a decline needs the inviter in 'to'"));
  xml::Element m("message", std::string(router::kClientNs));
  m.setAttr("from", jid_.bareString());
  m.setAttr("to", to->full());
  auto& mx = m.addChild(xml::Element("x", std::string(kMucUserNs)));
  auto& out = mx.addChild(xml::Element("decline", std::string(kMucUserNs)));
  out.setAttr("from", s.from.bareString());
  if (const xml::Element* reason = d.child("reason", kMucUserNs)) out.addChild(*reason);
  service_.router().route(std::move(m));
}

}  // namespace telex::modules::muc
