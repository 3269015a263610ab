// XEP-0045 §5 permission tables: default roles, role and affiliation changes, who may speak,
// invite, change the subject, send private messages and see real JIDs.
#include <gtest/gtest.h>

#include "modules/muc/affiliations.hpp"

namespace telex::modules::muc {
namespace {

using A = Affiliation;
using R = Role;

TEST(MucPermissions, NamesRoundTrip) {
  for (auto a : {A::Outcast, A::None, A::Member, A::Admin, A::Owner}) EXPECT_EQ(parseAffiliation(affiliationName(a)), a);
  for (auto r : {R::None, R::Visitor, R::Participant, R::Moderator}) EXPECT_EQ(parseRole(roleName(r)), r);
  EXPECT_FALSE(parseAffiliation("king"));
  EXPECT_FALSE(parseRole("Moderator"));  // names are case-sensitive
}

TEST(MucPermissions, DefaultRoles) {
  EXPECT_EQ(defaultRole(A::Owner, false), R::Moderator);
  EXPECT_EQ(defaultRole(A::Admin, true), R::Moderator);
  EXPECT_EQ(defaultRole(A::Member, true), R::Participant);
  EXPECT_EQ(defaultRole(A::None, false), R::Participant);
  EXPECT_EQ(defaultRole(A::None, true), R::Visitor);
  EXPECT_EQ(defaultRole(A::Outcast, false), R::None);
}

TEST(MucPermissions, OnlyModeratorsChangeRoles) {
  EXPECT_EQ(roleChange(R::Participant, A::Member, R::Participant, A::None, R::None), Verdict::Forbidden);
  EXPECT_EQ(roleChange(R::Visitor, A::None, R::Participant, A::None, R::Visitor), Verdict::Forbidden);
  // A moderator kicks, voices and devoices participants and visitors.
  EXPECT_EQ(roleChange(R::Moderator, A::None, R::Participant, A::None, R::None), Verdict::Allowed);
  EXPECT_EQ(roleChange(R::Moderator, A::None, R::Visitor, A::None, R::Participant), Verdict::Allowed);
  EXPECT_EQ(roleChange(R::Moderator, A::Member, R::Participant, A::Member, R::Visitor), Verdict::Allowed);
}

TEST(MucPermissions, ModeratorRoleTakesAnAdmin) {
  // Granting or revoking moderator needs an admin or owner (§8.6, §8.7).
  EXPECT_EQ(roleChange(R::Moderator, A::None, R::Participant, A::None, R::Moderator), Verdict::Forbidden);
  EXPECT_EQ(roleChange(R::Moderator, A::Admin, R::Participant, A::None, R::Moderator), Verdict::Allowed);
  EXPECT_EQ(roleChange(R::Moderator, A::None, R::Moderator, A::None, R::Participant), Verdict::Forbidden);
  EXPECT_EQ(roleChange(R::Moderator, A::None, R::Moderator, A::None, R::None), Verdict::Forbidden);
  EXPECT_EQ(roleChange(R::Moderator, A::Owner, R::Moderator, A::Member, R::None), Verdict::Allowed);
}

TEST(MucPermissions, AdminsAndOwnersCannotBeKicked) {
  // §8.2: not-allowed, whoever tries, even another owner.
  for (auto actor : {A::None, A::Admin, A::Owner}) {
    EXPECT_EQ(roleChange(R::Moderator, actor, R::Moderator, A::Owner, R::None), Verdict::NotAllowed);
    EXPECT_EQ(roleChange(R::Moderator, actor, R::Moderator, A::Admin, R::Visitor), Verdict::NotAllowed);
  }
}

TEST(MucPermissions, AffiliationChanges) {
  // Owners do anything.
  for (auto target : {A::Outcast, A::None, A::Member, A::Admin, A::Owner}) {
    for (auto next : {A::Outcast, A::None, A::Member, A::Admin, A::Owner}) {
      EXPECT_EQ(affiliationChange(A::Owner, target, next), Verdict::Allowed);
    }
  }
  // Admins manage members and outcasts, and nothing at or above admin.
  EXPECT_EQ(affiliationChange(A::Admin, A::None, A::Member), Verdict::Allowed);
  EXPECT_EQ(affiliationChange(A::Admin, A::Member, A::Outcast), Verdict::Allowed);
  EXPECT_EQ(affiliationChange(A::Admin, A::Outcast, A::None), Verdict::Allowed);
  EXPECT_EQ(affiliationChange(A::Admin, A::Member, A::Admin), Verdict::NotAllowed);
  EXPECT_EQ(affiliationChange(A::Admin, A::None, A::Owner), Verdict::NotAllowed);
  EXPECT_EQ(affiliationChange(A::Admin, A::Admin, A::Outcast), Verdict::NotAllowed);
  EXPECT_EQ(affiliationChange(A::Admin, A::Owner, A::None), Verdict::NotAllowed);
  // Members and below change nobody's affiliation.
  for (auto actor : {A::Outcast, A::None, A::Member}) {
    EXPECT_EQ(affiliationChange(actor, A::None, A::Member), Verdict::Forbidden);
    EXPECT_EQ(affiliationChange(actor, A::Member, A::Outcast), Verdict::Forbidden);
  }
}

TEST(MucPermissions, SpeakingAndSubject) {
  EXPECT_FALSE(maySpeak(R::Visitor));
  EXPECT_TRUE(maySpeak(R::Participant));
  EXPECT_TRUE(maySpeak(R::Moderator));
  EXPECT_TRUE(mayChangeSubject(R::Moderator, false));
  EXPECT_FALSE(mayChangeSubject(R::Participant, false));
  EXPECT_TRUE(mayChangeSubject(R::Participant, true));
  EXPECT_FALSE(mayChangeSubject(R::Visitor, true));
}

TEST(MucPermissions, Invitations) {
  // Open rooms: any participant; members-only rooms: admins always, members when allowed.
  EXPECT_TRUE(mayInvite(R::Participant, A::None, false, false));
  EXPECT_FALSE(mayInvite(R::Visitor, A::None, false, true));
  EXPECT_FALSE(mayInvite(R::Participant, A::Member, true, false));
  EXPECT_TRUE(mayInvite(R::Participant, A::Member, true, true));
  EXPECT_TRUE(mayInvite(R::Moderator, A::Admin, true, false));
  EXPECT_TRUE(mayInvite(R::Moderator, A::Owner, true, false));
  EXPECT_FALSE(mayInvite(R::None, A::Owner, true, true));  // not in the room
}

TEST(MucPermissions, PrivateMessages) {
  EXPECT_TRUE(maySendPrivateMessage(R::Visitor, AllowPm::Anyone));
  EXPECT_FALSE(maySendPrivateMessage(R::Visitor, AllowPm::Participants));
  EXPECT_TRUE(maySendPrivateMessage(R::Participant, AllowPm::Participants));
  EXPECT_FALSE(maySendPrivateMessage(R::Participant, AllowPm::Moderators));
  EXPECT_TRUE(maySendPrivateMessage(R::Moderator, AllowPm::Moderators));
  EXPECT_FALSE(maySendPrivateMessage(R::Moderator, AllowPm::None));
}

TEST(MucPermissions, RealJidsAndLists) {
  EXPECT_TRUE(maySeeRealJids(R::Moderator, Whois::Moderators));
  EXPECT_FALSE(maySeeRealJids(R::Participant, Whois::Moderators));
  EXPECT_TRUE(maySeeRealJids(R::Visitor, Whois::Anyone));
  EXPECT_FALSE(mayListAffiliation(A::Member));
  EXPECT_TRUE(mayListAffiliation(A::Admin));
  EXPECT_FALSE(mayListRole(R::Participant));
  EXPECT_TRUE(mayListRole(R::Moderator));
  EXPECT_FALSE(mayConfigure(A::Admin));
  EXPECT_TRUE(mayConfigure(A::Owner));
}

}  // namespace
}  // namespace telex::modules::muc
