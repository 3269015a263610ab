// XEP-0045 affiliations and roles, and the permission tables of §5 that decide who may do what
// in a room. Pure functions: the room asks, these answer.
#pragma once

#include <optional>
#include <string_view>

namespace telex::modules::muc {

// Ordered by rank: comparisons like `affiliation >= Affiliation::Admin` read as in the XEP.
enum class Affiliation { Outcast, None, Member, Admin, Owner };
enum class Role { None, Visitor, Participant, Moderator };

std::string_view affiliationName(Affiliation affiliation);
std::optional<Affiliation> parseAffiliation(std::string_view name);
std::string_view roleName(Role role);
std::optional<Role> parseRole(std::string_view name);

// Who may read occupants' real JIDs (muc#roomconfig_whois).
enum class Whois { Moderators, Anyone };
// Who may send private messages to occupants (muc#roomconfig_allowpm).
enum class AllowPm { Anyone, Participants, Moderators, None };

// The role an occupant gets on entering (§5.1.1): owners and admins moderate, members take
// part, others take part unless the room is moderated. Outcasts do not enter at all (Role::None).
Role defaultRole(Affiliation affiliation, bool moderated);

// The answer to "may this actor do that": forbidden when the actor lacks the privilege itself,
// not-allowed when the privilege exists but the target is protected from it (§8, §9).
enum class Verdict { Allowed, Forbidden, NotAllowed };

// §8: moderators change roles. Granting or revoking moderator takes an admin; nobody below takes
// an admin's or owner's voice or kicks them.
Verdict roleChange(Role actorRole, Affiliation actorAffiliation, Role targetRole, Affiliation targetAffiliation,
                   Role newRole);
// §9, §10: admins manage members and outcasts; owners manage everyone, admins and owners included.
Verdict affiliationChange(Affiliation actor, Affiliation target, Affiliation newAffiliation);

// §7.4: visitors (in moderated rooms) may not speak to everyone.
bool maySpeak(Role role);
// §8.1: participants change the subject only where the room allows it; moderators always may.
bool mayChangeSubject(Role role, bool occupantsMayChangeSubject);
// §7.8: who may invite. Moderators and admins always; in open rooms participants too; in
// members-only rooms members only with muc#roomconfig_allowinvites.
bool mayInvite(Role role, Affiliation affiliation, bool membersOnly, bool allowInvites);
// §7.5 with muc#roomconfig_allowpm.
bool maySendPrivateMessage(Role role, AllowPm allowPm);
// §6.4 / §7.2.3: who sees the 'jid' attribute in occupants' presence.
bool maySeeRealJids(Role viewer, Whois whois);
// §9.5, §10.5: reading affiliation lists takes an admin; role lists (§8.5) a moderator.
bool mayListAffiliation(Affiliation actor);
bool mayListRole(Role actor);
// §10: configuration and destruction belong to owners.
bool mayConfigure(Affiliation actor);

}  // namespace telex::modules::muc
