// Archiving preferences: <prefs/> parsing, storage encoding, decisions, and UserArchive honouring
// them (roster default, never lists, retention) on the memory driver.
#include "modules/mam/mam_prefs.hpp"

#include <gtest/gtest.h>

#include "modules/mam/user_archive.hpp"
#include "storage/memory/memory_driver.hpp"

namespace telex::modules::mam {
namespace {

Jid jid(std::string_view text) { return *Jid::parse(text); }

xml::Element prefsWith(std::string_view byDefault, std::vector<std::string> always, std::vector<std::string> never) {
  xml::Element prefs("prefs", std::string(kMamNs));
  if (!byDefault.empty()) prefs.setAttr("default", byDefault);
  for (const auto& [name, list] : {std::pair{"always", &always}, std::pair{"never", &never}}) {
    auto& parent = prefs.addChild(xml::Element(name, std::string(kMamNs)));
    for (const auto& j : *list) parent.addChild(xml::Element("jid", std::string(kMamNs))).addText(j);
  }
  return prefs;
}

TEST(MamPrefs, ParseNormalizesAndSorts) {
  auto prefs = parsePrefs(prefsWith("roster", {"Romeo@Montague.lit", "benvolio@montague.lit/x", "romeo@montague.lit"},
                                    {"tybalt@capulet.lit"}));
  ASSERT_TRUE(prefs);
  EXPECT_EQ(prefs->byDefault, DefaultPolicy::Roster);
  EXPECT_EQ(prefs->always, (std::vector<std::string>{"benvolio@montague.lit/x", "romeo@montague.lit"}));
  EXPECT_EQ(prefs->never, (std::vector<std::string>{"tybalt@capulet.lit"}));
}

TEST(MamPrefs, ParseErrors) {
  EXPECT_EQ(parsePrefs(prefsWith("", {}, {})).error().condition, "bad-request");
  EXPECT_EQ(parsePrefs(prefsWith("sometimes", {}, {})).error().condition, "bad-request");
  EXPECT_EQ(parsePrefs(prefsWith("always", {"@bad"}, {})).error().condition, "jid-malformed");
}

TEST(MamPrefs, ElementListsBothListsEvenWhenEmpty) {
  Prefs prefs;
  prefs.byDefault = DefaultPolicy::Never;
  prefs.always = {"a@x"};
  EXPECT_EQ(xml::serialize(prefsElement(prefs)),
            "<prefs xmlns='urn:xmpp:mam:2' default='never'><always><jid>a@x</jid></always><never/></prefs>");
}

TEST(MamPrefs, EncodingRoundTrips) {
  Prefs prefs;
  prefs.byDefault = DefaultPolicy::Roster;
  prefs.always = {"a@x", "b@x/r"};
  prefs.never = {"c@x"};
  EXPECT_EQ(encodePrefs(prefs), "roster\n+a@x\n+b@x/r\n-c@x\n");
  EXPECT_EQ(decodePrefs(encodePrefs(prefs)), prefs);
  EXPECT_EQ(decodePrefs(encodePrefs(Prefs{})), Prefs{});
  EXPECT_EQ(decodePrefs(""), std::nullopt);
  EXPECT_EQ(decodePrefs("often\n"), std::nullopt);
  EXPECT_EQ(decodePrefs("always\n*a@x\n"), std::nullopt);
}

TEST(MamPrefs, Decisions) {
  Prefs prefs;
  prefs.byDefault = DefaultPolicy::Roster;
  prefs.always = {"friend@x", "laptop@x/work"};
  prefs.never = {"friend@x/secret", "spam@x"};
  EXPECT_EQ(decide(prefs, jid("friend@x/phone")), Decision::Archive);
  EXPECT_EQ(decide(prefs, jid("friend@x/secret")), Decision::Skip);  // never wins
  EXPECT_EQ(decide(prefs, jid("laptop@x/work")), Decision::Archive);
  EXPECT_EQ(decide(prefs, jid("laptop@x/home")), Decision::IfInRoster);
  EXPECT_EQ(decide(prefs, jid("spam@x/a")), Decision::Skip);
  EXPECT_EQ(decide(prefs, jid("stranger@x")), Decision::IfInRoster);
  prefs.byDefault = DefaultPolicy::Never;
  EXPECT_EQ(decide(prefs, jid("stranger@x")), Decision::Skip);
  prefs.byDefault = DefaultPolicy::Always;
  EXPECT_EQ(decide(prefs, jid("stranger@x")), Decision::Archive);
}

class UserArchiveTest : public ::testing::Test {
 protected:
  std::unique_ptr<storage::StorageDriver> driver_ = storage::makeMemoryDriver();
  static constexpr std::int64_t kNow = 1700000000000;
  static constexpr std::string_view kMessage = "<message xmlns='jabber:client'><body>hi</body></message>";

  std::size_t count(UserArchive& archive, std::string_view user, std::int64_t now = kNow) {
    MamQuery all;
    return archive.query(user, all, 1000, now).items.size();
  }
};

TEST_F(UserArchiveTest, DefaultPolicyAppliesWithoutStoredPrefs) {
  UserArchive always(*driver_, DefaultPolicy::Always, 0);
  EXPECT_EQ(always.prefs("alice").byDefault, DefaultPolicy::Always);
  EXPECT_TRUE(always.store("alice", jid("bob@localhost/a"), kNow, kMessage));
  EXPECT_EQ(count(always, "alice"), 1u);

  UserArchive never(*driver_, DefaultPolicy::Never, 0);
  EXPECT_FALSE(never.store("carol", jid("bob@localhost/a"), kNow, kMessage));
  EXPECT_EQ(count(never, "carol"), 0u);
}

TEST_F(UserArchiveTest, StoredPrefsWin) {
  UserArchive archive(*driver_, DefaultPolicy::Always, 0);
  Prefs prefs;
  prefs.byDefault = DefaultPolicy::Always;
  prefs.never = {"bob@localhost"};
  archive.setPrefs("alice", prefs);
  EXPECT_EQ(archive.prefs("alice"), prefs);
  EXPECT_FALSE(archive.store("alice", jid("bob@localhost/a"), kNow, kMessage));
  EXPECT_TRUE(archive.store("alice", jid("carol@localhost/a"), kNow, kMessage));
  auto page = archive.query("alice", MamQuery{}, 10, kNow);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].with, "carol@localhost");
  EXPECT_EQ(page.items[0].value, kMessage);
}

TEST_F(UserArchiveTest, RosterPolicyKeepsContactsOnly) {
  roster::RosterStore roster(*driver_);
  roster::RosterItem item;
  item.jid = "bob@localhost";
  item.inRoster = true;
  roster.put("alice", item);
  roster::RosterItem pending;  // a subscription request alone does not put someone in the roster
  pending.jid = "mallory@localhost";
  pending.pendingIn = true;
  roster.put("alice", pending);

  UserArchive archive(*driver_, DefaultPolicy::Roster, 0);
  EXPECT_TRUE(archive.store("alice", jid("bob@localhost/phone"), kNow, kMessage));
  EXPECT_FALSE(archive.store("alice", jid("mallory@localhost/x"), kNow, kMessage));
  EXPECT_FALSE(archive.store("alice", jid("carol@localhost/x"), kNow, kMessage));
  EXPECT_EQ(count(archive, "alice"), 1u);
}

TEST_F(UserArchiveTest, RemoveAllForgetsArchiveAndPrefs) {
  UserArchive archive(*driver_, DefaultPolicy::Always, 0);
  Prefs prefs;
  prefs.byDefault = DefaultPolicy::Never;
  prefs.always = {"bob@localhost"};
  archive.setPrefs("alice", prefs);
  EXPECT_TRUE(archive.store("alice", jid("bob@localhost"), kNow, kMessage));
  EXPECT_TRUE(archive.store("carol", jid("bob@localhost"), kNow, kMessage));
  archive.removeAll("alice");
  EXPECT_EQ(count(archive, "alice"), 0u);
  EXPECT_EQ(archive.prefs("alice"), Prefs{});
  EXPECT_EQ(count(archive, "carol"), 1u);
}

TEST_F(UserArchiveTest, RetentionHidesAndSweepsOldItems) {
  constexpr std::int64_t kDay = 24 * 3600 * 1000;
  UserArchive archive(*driver_, DefaultPolicy::Always, 2 * kDay);
  // The first append sweeps; nothing is old yet.
  EXPECT_TRUE(archive.store("alice", jid("bob@localhost"), kNow - 3 * kDay, kMessage));
  EXPECT_TRUE(archive.store("alice", jid("bob@localhost"), kNow - kDay, kMessage));
  EXPECT_EQ(count(archive, "alice", kNow), 1u);  // hidden before any sweep removes it
  EXPECT_EQ(driver_->archive("mam")->count("alice"), 2u);
  EXPECT_EQ(archive.sweep(kNow), 1u);
  EXPECT_EQ(driver_->archive("mam")->count("alice"), 1u);
  EXPECT_EQ(archive.sweep(kNow + 1000), 0u);  // at most hourly

  UserArchive forever(*driver_, DefaultPolicy::Always, 0);
  EXPECT_EQ(forever.sweep(kNow + 100 * kDay), 0u);
  EXPECT_EQ(count(forever, "alice", kNow + 100 * kDay), 1u);
}

}  // namespace
}  // namespace telex::modules::mam
