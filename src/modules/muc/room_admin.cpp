// Room administration: roles and affiliations through muc#admin (XEP-0045 §8, §9), configuration
// and destruction through muc#owner (§10).
#include "modules/muc/room.hpp"

#include <set>

#include "modules/muc/muc_service.hpp"

namespace telex::modules::muc {
namespace {

using router::StanzaError;

constexpr std::string_view kDataNs = "jabber:x:data";

StanzaError verdictError(Verdict v) {
  return v == Verdict::Forbidden ? StanzaError::forbidden("you lack the privilege for that")
                                 : StanzaError::notAllowed("that occupant is protected from it");
}

}  // namespace

void Room::adminGet(RoomStanza& s, const xml::Element& query) {
  const xml::Element* item = query.child("item", kMucAdminNs);
  if (!item) return reply(s, unexpected(StanzaError::badRequest("an <item/> says which list")));
  xml::Element out("query", std::string(kMucAdminNs));
  if (auto name = item->attr("affiliation")) {
    auto wanted = parseAffiliation(*name);
    if (!wanted || *wanted == Affiliation::None) return reply(s, unexpected(StanzaError::badRequest("no such list")));
    if (!mayListAffiliation(affiliationOf(s.from))) return reply(s, unexpected(StanzaError::forbidden()));
    for (const auto& [bare, entry] : record_.affiliations) {
      if (entry.affiliation != *wanted) continue;
      auto& i = out.addChild(xml::Element("item", std::string(kMucAdminNs)));
      i.setAttr("affiliation", affiliationName(entry.affiliation));
      i.setAttr("jid", bare);
      if (!entry.nick.empty()) i.setAttr("nick", entry.nick);
      if (!entry.reason.empty()) i.addChild(xml::Element("reason", std::string(kMucAdminNs))).addText(entry.reason);
    }
    return reply(s, std::optional<xml::Element>(std::move(out)));
  }
  if (auto name = item->attr("role")) {
    auto wanted = parseRole(*name);
    if (!wanted || *wanted == Role::None) return reply(s, unexpected(StanzaError::badRequest("no such list")));
    Occupant* actor = occupantByReal(s.from);
    if (!actor || !mayListRole(actor->role)) return reply(s, unexpected(StanzaError::forbidden()));
    for (const auto& [nick, o] : occupants_) {
      if (o.role != *wanted) continue;
      auto& i = out.addChild(xml::Element("item", std::string(kMucAdminNs)));
      i.setAttr("role", roleName(o.role));
      i.setAttr("affiliation", affiliationName(affiliationOf(o.realBare)));
      i.setAttr("nick", nick);
      if (maySeeRealJids(actor->role, record_.config.whois)) i.setAttr("jid", o.presenceJid.full());
    }
    return reply(s, std::optional<xml::Element>(std::move(out)));
  }
  reply(s, unexpected(StanzaError::badRequest("an <item/> needs an affiliation or a role")));
}

void Room::adminSet(RoomStanza& s, const xml::Element& query) {
  Occupant* actor = occupantByReal(s.from);
  Affiliation actorAffiliation = affiliationOf(s.from);
  Role actorRole = actor ? actor->role : Role::None;
  std::string actorNick = actor ? actor->nick : std::string();

  struct RoleOp {
    std::string nick;
    Role role;
    std::string reason;
  };
  struct AffiliationOp {
    std::string bare;
    Affiliation affiliation;
    std::string reason;
  };
  std::vector<RoleOp> roleOps;
  std::vector<AffiliationOp> affiliationOps;
  // Every item is checked before any is applied: the request succeeds or changes nothing.
  for (const auto& item : query.children()) {
    if (item.isText() || item.name() != "item" || item.xmlns() != kMucAdminNs) continue;
    std::string reason = item.childText("reason", kMucAdminNs);
    if (auto roleName = item.attr("role")) {
      auto role = parseRole(*roleName);
      if (!role) return reply(s, unexpected(StanzaError::badRequest("unknown role")));
      Occupant* target = occupantByNick(item.attrOr("nick", ""));
      if (!target) return reply(s, unexpected(StanzaError::itemNotFound("nobody of that nickname is here")));
      auto verdict = roleChange(actorRole, actorAffiliation, target->role, affiliationOf(target->realBare), *role);
      if (verdict != Verdict::Allowed) return reply(s, unexpected(verdictError(verdict)));
      roleOps.push_back({target->nick, *role, std::move(reason)});
    } else if (auto affiliationText = item.attr("affiliation")) {
      auto affiliation = parseAffiliation(*affiliationText);
      if (!affiliation) return reply(s, unexpected(StanzaError::badRequest("unknown affiliation")));
      std::string bare;
      if (auto jidText = item.attr("jid")) {
        auto jid = Jid::parse(*jidText);
        if (!jid) return reply(s, unexpected(StanzaError::jidMalformed()));
        bare = jid->bareString();
      } else if (Occupant* target = occupantByNick(item.attrOr("nick", ""))) {
        bare = target->realBare.bareString();
      } else {
        return reply(s, unexpected(StanzaError::itemNotFound("nobody of that nickname is here")));
      }
      auto current = record_.affiliations.find(bare);
      Affiliation before = current == record_.affiliations.end() ? Affiliation::None : current->second.affiliation;
      auto verdict = affiliationChange(actorAffiliation, before, *affiliation);
      if (verdict != Verdict::Allowed) return reply(s, unexpected(verdictError(verdict)));
      affiliationOps.push_back({std::move(bare), *affiliation, std::move(reason)});
    } else {
      return reply(s, unexpected(StanzaError::badRequest("an <item/> needs a role or an affiliation")));
    }
  }
  if (roleOps.empty() && affiliationOps.empty()) return reply(s, unexpected(StanzaError::badRequest("no items")));
  // §10.6: a room always keeps an owner.
  std::set<std::string> owners;
  for (const auto& [bare, entry] : record_.affiliations) {
    if (entry.affiliation == Affiliation::Owner) owners.insert(bare);
  }
  for (const auto& op : affiliationOps) {
    if (op.affiliation == Affiliation::Owner) {
      owners.insert(op.bare);
    } else {
      owners.erase(op.bare);
    }
  }
  if (owners.empty()) return reply(s, unexpected(StanzaError::conflict("the room would be left without an owner")));

  reply(s, std::optional<xml::Element>());
  for (const auto& op : affiliationOps) setAffiliation(op.bare, op.affiliation, actorNick, op.reason);
  for (const auto& op : roleOps) setRole(op.nick, op.role, actorNick, op.reason);
  if (!affiliationOps.empty()) save();
}

void Room::setRole(const std::string& nick, Role role, const std::string& actor, const std::string& reason) {
  Occupant* o = occupantByNick(nick);
  if (!o) return;  // an earlier item of the same request already removed it
  PresenceExtras extras;
  extras.reason = reason;
  if (role == Role::None) {
    extras.codes = {307};  // §8.2 kicked
    extras.actor = actor;
    return removeOccupant(nick, std::move(extras));
  }
  o->role = role;
  broadcastPresence(*o, extras);
}

void Room::setAffiliation(const std::string& bare, Affiliation affiliation, const std::string& actor,
                          const std::string& reason) {
  auto it = record_.affiliations.find(bare);
  Affiliation before = it == record_.affiliations.end() ? Affiliation::None : it->second.affiliation;
  if (affiliation == Affiliation::None) {
    if (it != record_.affiliations.end()) record_.affiliations.erase(it);
  } else if (it != record_.affiliations.end()) {
    it->second.affiliation = affiliation;
    it->second.reason = reason;
  } else {
    record_.affiliations[bare] = AffiliationEntry{affiliation, {}, reason};
  }
  std::vector<std::string> nicks;
  for (const auto& [nick, o] : occupants_) {
    if (o.realBare.bareString() == bare) nicks.push_back(nick);
  }
  for (const auto& nick : nicks) {
    Occupant& o = occupants_.at(nick);
    PresenceExtras extras;
    extras.reason = reason;
    if (affiliation == Affiliation::Outcast || (record_.config.membersOnly && affiliation < Affiliation::Member)) {
      // §9.1 banned (301); §9.4 removed from a members-only room (321).
      extras.codes = {affiliation == Affiliation::Outcast ? 301 : 321};
      extras.actor = actor;
      removeOccupant(nick, std::move(extras));
      continue;
    }
    Role natural = defaultRole(affiliation, record_.config.moderated);
    // Roles that come with being an admin or owner go with it; a role granted by a moderator
    // (voice, moderator) otherwise stays.
    o.role = (affiliation >= Affiliation::Admin || before >= Affiliation::Admin) ? natural : std::max(o.role, natural);
    broadcastPresence(o, extras);
  }
}

void Room::ownerGet(RoomStanza& s) {
  if (!mayConfigure(affiliationOf(s.from))) return reply(s, unexpected(StanzaError::forbidden("only owners configure")));
  xml::Element query("query", std::string(kMucOwnerNs));
  query.addChild(configForm(record_.config, service_.options().maxHistory));
  reply(s, std::optional<xml::Element>(std::move(query)));
}

void Room::ownerSet(RoomStanza& s, const xml::Element& query) {
  if (!mayConfigure(affiliationOf(s.from))) return reply(s, unexpected(StanzaError::forbidden("only owners configure")));
  if (const xml::Element* form = query.child("x", kDataNs)) {
    if (form->attrOr("type", "") == "cancel") {
      reply(s, std::optional<xml::Element>());
      // §10.1.3: cancelling the initial configuration destroys the new room.
      if (locked_) destroy(nullptr);
      return;
    }
    auto config = applyConfigForm(record_.config, *form, service_.options().maxHistory);
    if (!config) return reply(s, unexpected(router::StanzaError{"modify", "not-acceptable", config.error()}));
    reply(s, std::optional<xml::Element>());
    applyConfig(std::move(*config));
    return;
  }
  if (const xml::Element* request = query.child("destroy", kMucOwnerNs)) {
    reply(s, std::optional<xml::Element>());
    destroy(request);
    return;
  }
  reply(s, unexpected(StanzaError::badRequest("expected a data form or <destroy/>")));
}

void Room::applyConfig(RoomConfig config) {
  RoomConfig before = record_.config;
  bool wasLocked = locked_;
  record_.config = std::move(config);
  locked_ = false;
  const RoomConfig& now = record_.config;
  history_.trim(static_cast<std::size_t>(now.historyLength));
  save();
  service_.updateListing(*this);
  auto codes = configChangeCodes(before, now);
  if (!wasLocked && !codes.empty()) sendStatusMessage(codes);
  if (before.whois != now.whois) {
    // Who sees real JIDs changed: everyone gets everyone's presence again, with or without them.
    for (const auto& [nick, o] : occupants_) broadcastPresence(o, {});
  }
  if (now.membersOnly && !before.membersOnly) {
    // §9.4: a room that becomes members-only keeps only members (status 322).
    std::vector<std::string> outsiders;
    for (const auto& [nick, o] : occupants_) {
      if (affiliationOf(o.realBare) < Affiliation::Member) outsiders.push_back(nick);
    }
    for (const auto& nick : outsiders) {
      PresenceExtras extras;
      extras.codes = {322};
      removeOccupant(nick, std::move(extras));
    }
  }
  if (before.moderated != now.moderated) {
    // Occupants without an affiliation gain or lose their voice with the room's moderation.
    for (auto& [nick, o] : occupants_) {
      Affiliation a = affiliationOf(o.realBare);
      if (a != Affiliation::None || o.role == Role::Moderator) continue;
      Role natural = defaultRole(a, now.moderated);
      if (o.role != natural) {
        o.role = natural;
        broadcastPresence(o, {});
      }
    }
  }
  if (!destroyed_) destroyIfEmpty();
}

void Room::destroy(const xml::Element* request) {
  // §10.9: each occupant hears that the room is gone, with the owner's reason and alternative.
  xml::Element notice("destroy", std::string(kMucUserNs));
  if (request) {
    if (auto alternative = request->attr("jid")) notice.setAttr("jid", *alternative);
    if (const xml::Element* reason = request->child("reason", kMucOwnerNs)) {
      notice.addChild(xml::Element("reason", std::string(kMucUserNs))).addText(reason->textContent());
    }
  }
  auto occupants = std::move(occupants_);
  occupants_.clear();
  nickByReal_.clear();
  for (auto& [nick, o] : occupants) {
    o.role = Role::None;
    PresenceExtras extras;
    extras.unavailable = true;
    extras.destroy = &notice;
    for (const auto& session : o.sessions) {
      service_.noteLeft(session.jid, local_);
      sendTo(session, presenceOf(o, extras, true, true));
    }
  }
  history_.clear();
  service_.removeRoom(*this);
}

}  // namespace telex::modules::muc
