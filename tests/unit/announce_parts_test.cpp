// The pieces under announcements: severities and the mute rule, the per-sender rate limit, groups,
// alert thresholds and the audit log (with hostile text).
#include <gtest/gtest.h>

#include "audit/audit_log.hpp"
#include "modules/announce/alert_preferences.hpp"
#include "modules/announce/group_store.hpp"
#include "modules/announce/rate_limiter.hpp"
#include "modules/announce/severity.hpp"
#include "storage/memory/memory_driver.hpp"

namespace telex::modules::announce {
namespace {

TEST(SeverityTest, NamesRoundTripAndAliases) {
  for (auto s : {Severity::Info, Severity::Warning, Severity::Critical}) {
    EXPECT_EQ(parseSeverity(severityName(s)), s);
  }
  EXPECT_EQ(parseSeverity("WARN"), Severity::Warning);
  EXPECT_EQ(parseSeverity("Crit"), Severity::Critical);
  EXPECT_FALSE(parseSeverity(""));
  EXPECT_FALSE(parseSeverity("error"));
  EXPECT_FALSE(parseSeverity(std::string_view("info\0x", 6)));
}

TEST(SeverityTest, UsersMuteLowAlertsButNeverAnnouncements) {
  // Nothing muted by default.
  for (auto s : {Severity::Info, Severity::Warning, Severity::Critical}) {
    EXPECT_TRUE(shouldDeliver(NoticeKind::Alert, s, Severity::Info));
  }
  EXPECT_FALSE(shouldDeliver(NoticeKind::Alert, Severity::Info, Severity::Warning));
  EXPECT_TRUE(shouldDeliver(NoticeKind::Alert, Severity::Warning, Severity::Warning));
  EXPECT_FALSE(shouldDeliver(NoticeKind::Alert, Severity::Warning, Severity::Critical));
  // Critical alerts get through whatever the user chose.
  EXPECT_TRUE(shouldDeliver(NoticeKind::Alert, Severity::Critical, Severity::Critical));
  // Announcements ignore the threshold.
  for (auto s : {Severity::Info, Severity::Warning, Severity::Critical}) {
    EXPECT_TRUE(shouldDeliver(NoticeKind::Announcement, Severity::Info, s));
  }
}

TEST(RateLimiterTest, SlidingWindowPerKey) {
  RateLimiter limiter(2, std::chrono::seconds(60));
  auto t0 = RateLimiter::Clock::now();
  EXPECT_TRUE(limiter.allow("a", t0));
  EXPECT_TRUE(limiter.allow("a", t0 + std::chrono::seconds(10)));
  EXPECT_FALSE(limiter.allow("a", t0 + std::chrono::seconds(20)));
  EXPECT_TRUE(limiter.allow("b", t0 + std::chrono::seconds(20)));
  // The first event leaves the window; refused attempts were not counted.
  EXPECT_TRUE(limiter.allow("a", t0 + std::chrono::seconds(61)));
  EXPECT_FALSE(limiter.allow("a", t0 + std::chrono::seconds(62)));
  EXPECT_TRUE(limiter.allow("a", t0 + std::chrono::seconds(71)));
}

TEST(RateLimiterTest, ZeroMeansUnlimitedAndQuietKeysAreForgotten) {
  RateLimiter unlimited(0, std::chrono::seconds(60));
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(unlimited.allow("a"));
  RateLimiter limiter(1, std::chrono::seconds(60), 3);
  auto t0 = RateLimiter::Clock::now();
  EXPECT_TRUE(limiter.allow("a", t0));
  EXPECT_TRUE(limiter.allow("b", t0));
  EXPECT_TRUE(limiter.allow("c", t0));
  // Full of active keys: a new one is refused rather than growing without bound.
  EXPECT_FALSE(limiter.allow("d", t0 + std::chrono::seconds(1)));
  EXPECT_TRUE(limiter.allow("d", t0 + std::chrono::seconds(61)));
  EXPECT_EQ(limiter.trackedKeys(), 1u);
}

TEST(GroupStoreTest, AddRemoveAndNames) {
  auto driver = storage::makeMemoryDriver();
  GroupStore groups(*driver);
  EXPECT_TRUE(GroupStore::validName("ops-team_1.b"));
  EXPECT_FALSE(GroupStore::validName(""));
  EXPECT_FALSE(GroupStore::validName("has space"));
  EXPECT_FALSE(GroupStore::validName("new\nline"));
  EXPECT_FALSE(GroupStore::validName(std::string(65, 'a')));
  EXPECT_FALSE(groups.members("ops"));
  EXPECT_EQ(groups.add("ops", {"b@x", "a@x", "b@x"}), 2u);
  EXPECT_EQ(groups.add("ops", {"a@x", "c@x", "bad\nentry"}), 1u);
  EXPECT_EQ(*groups.members("ops"), (std::vector<std::string>{"a@x", "b@x", "c@x"}));
  groups.add("all", {"a@x"});
  EXPECT_EQ(groups.names(), (std::vector<std::string>{"all", "ops"}));
  EXPECT_EQ(groups.removeMembers("ops", {"a@x", "zzz@x"}), 1u);
  EXPECT_EQ(groups.removeMembers("all", {"a@x"}), 1u);
  EXPECT_FALSE(groups.members("all"));  // empty groups go away
  EXPECT_TRUE(groups.remove("ops"));
  EXPECT_FALSE(groups.remove("ops"));
}

TEST(AlertPreferencesTest, DefaultsToEverythingAndSurvivesGarbage) {
  auto driver = storage::makeMemoryDriver();
  AlertPreferences prefs(*driver);
  EXPECT_EQ(prefs.minimum("alice"), Severity::Info);
  prefs.setMinimum("alice", Severity::Critical);
  EXPECT_EQ(prefs.minimum("alice"), Severity::Critical);
  EXPECT_EQ(prefs.minimum("bob"), Severity::Info);
  prefs.setMinimum("alice", Severity::Info);
  EXPECT_FALSE(driver->keyval("alert_prefs")->get("alice"));
  driver->keyval("alert_prefs")->set("carol", "\xff\xfe");
  EXPECT_EQ(prefs.minimum("carol"), Severity::Info);
}

TEST(AuditLogTest, AppendListNewestAndFormatOneLine) {
  auto driver = storage::makeMemoryDriver();
  audit::AuditLog log(*driver);
  for (int i = 0; i < 5; ++i) {
    log.append({0, "admin@x/" + std::to_string(i), "announce", "online", "ok", "text " + std::to_string(i)});
  }
  auto hostile = log.append({0, "mallory\n<&'\">", "announce", "all", "refused: forbidden",
                             std::string("line1\nline2\r\t\x01\xff end \"quoted\" \\")});
  EXPECT_GT(hostile.when, 0);
  auto last = log.list(3);
  ASSERT_EQ(last.size(), 3u);
  EXPECT_EQ(last[0].actor, "admin@x/3");
  EXPECT_EQ(last[2].actor, "mallory\n<&'\">");
  EXPECT_EQ(log.list(100).size(), 6u);
  std::string line = audit::AuditLog::format(last[2]);
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  EXPECT_EQ(line.find('\r'), std::string::npos) << line;
  EXPECT_NE(line.find("actor=\"mallory\\n<&'\\\">\""), std::string::npos) << line;
  EXPECT_NE(line.find("\\x01"), std::string::npos) << line;
  EXPECT_NE(line.find(" announce "), std::string::npos) << line;
  std::string cut = audit::AuditLog::format(last[1], 4);
  EXPECT_NE(cut.find("text=\"text...\""), std::string::npos) << cut;
  EXPECT_FALSE(audit::AuditLog::decode("not json"));
  EXPECT_FALSE(audit::AuditLog::decode("[1,2]"));
}

}  // namespace
}  // namespace telex::modules::announce
