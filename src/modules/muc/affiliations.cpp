// XEP-0045 §5 permission tables.
#include "modules/muc/affiliations.hpp"

namespace telex::modules::muc {

std::string_view affiliationName(Affiliation affiliation) {
  switch (affiliation) {
    case Affiliation::Outcast: return "outcast";
    case Affiliation::None: return "none";
    case Affiliation::Member: return "member";
    case Affiliation::Admin: return "admin";
    case Affiliation::Owner: return "owner";
  }
  return "none";
}

std::optional<Affiliation> parseAffiliation(std::string_view name) {
  for (auto a : {Affiliation::Outcast, Affiliation::None, Affiliation::Member, Affiliation::Admin, Affiliation::Owner}) {
    if (affiliationName(a) == name) return a;
  }
  return std::nullopt;
}

std::string_view roleName(Role role) {
  switch (role) {
    case Role::None: return "none";
    case Role::Visitor: return "visitor";
    case Role::Participant: return "participant";
    case Role::Moderator: return "moderator";
  }
  return "none";
}

std::optional<Role> parseRole(std::string_view name) {
  for (auto r : {Role::None, Role::Visitor, Role::Participant, Role::Moderator}) {
    if (roleName(r) == name) return r;
  }
  return std::nullopt;
}

Role defaultRole(Affiliation affiliation, bool moderated) {
  switch (affiliation) {
    case Affiliation::Owner:
    case Affiliation::Admin: return Role::Moderator;
    case Affiliation::Member: return Role::Participant;
    case Affiliation::None: return moderated ? Role::Visitor : Role::Participant;
    case Affiliation::Outcast: return Role::None;
  }
  return Role::None;
}

Verdict roleChange(Role actorRole, Affiliation actorAffiliation, Role targetRole, Affiliation targetAffiliation,
                   Role newRole) {
  if (actorRole != Role::Moderator) return Verdict::Forbidden;
  // An admin's or owner's moderator role comes with the affiliation; only changing the
  // affiliation takes it away (§8.2: kicking them is not-allowed, whoever tries).
  if (targetAffiliation >= Affiliation::Admin && newRole < Role::Moderator) return Verdict::NotAllowed;
  bool touchesModerator = newRole == Role::Moderator || targetRole == Role::Moderator;
  if (touchesModerator && actorAffiliation < Affiliation::Admin) return Verdict::Forbidden;
  return Verdict::Allowed;
}

Verdict affiliationChange(Affiliation actor, Affiliation target, Affiliation newAffiliation) {
  if (actor == Affiliation::Owner) return Verdict::Allowed;
  if (actor != Affiliation::Admin) return Verdict::Forbidden;
  if (target >= Affiliation::Admin || newAffiliation >= Affiliation::Admin) return Verdict::NotAllowed;
  return Verdict::Allowed;
}

bool maySpeak(Role role) { return role >= Role::Participant; }

bool mayChangeSubject(Role role, bool occupantsMayChangeSubject) {
  return role == Role::Moderator || (occupantsMayChangeSubject && role >= Role::Participant);
}

bool mayInvite(Role role, Affiliation affiliation, bool membersOnly, bool allowInvites) {
  if (role == Role::None) return false;
  if (role == Role::Moderator || affiliation >= Affiliation::Admin) return true;
  if (role < Role::Participant) return false;
  if (!membersOnly) return true;
  return allowInvites && affiliation >= Affiliation::Member;
}

bool maySendPrivateMessage(Role role, AllowPm allowPm) {
  switch (allowPm) {
    case AllowPm::Anyone: return role >= Role::Visitor;
    case AllowPm::Participants: return role >= Role::Participant;
    case AllowPm::Moderators: return role == Role::Moderator;
    case AllowPm::None: return false;
  }
  return false;
}

bool maySeeRealJids(Role viewer, Whois whois) { return whois == Whois::Anyone || viewer == Role::Moderator; }

bool mayListAffiliation(Affiliation actor) { return actor >= Affiliation::Admin; }

bool mayListRole(Role actor) { return actor == Role::Moderator; }

bool mayConfigure(Affiliation actor) { return actor == Affiliation::Owner; }

}  // namespace telex::modules::muc
