// UserArchive::knownDecision, the storage-free fast path for messages that will not be
// archived: it only answers from preferences read or written on the pool, never while a change
// is queued, and forgets a user whose archive was removed.
#include <gtest/gtest.h>

#include "modules/mam/user_archive.hpp"
#include "storage/memory/memory_driver.hpp"

namespace telex::modules::mam {
namespace {

Jid jid(std::string_view text) { return *Jid::parse(text); }
constexpr std::int64_t kNow = 1700000000000;
constexpr std::string_view kMessage = "<message xmlns='jabber:client'><body>hi</body></message>";

TEST(MamKnownPrefs, UnknownUntilReadOnThePool) {
  auto driver = storage::makeMemoryDriver();
  UserArchive archive(*driver, DefaultPolicy::Never, 0);
  EXPECT_EQ(archive.knownDecision("alice", jid("bob@localhost/a")), std::nullopt);
  EXPECT_FALSE(archive.store("alice", jid("bob@localhost/a"), kNow, kMessage));
  EXPECT_EQ(archive.knownDecision("alice", jid("bob@localhost/a")), Decision::Skip);
  EXPECT_EQ(archive.knownDecision("carol", jid("bob@localhost/a")), std::nullopt);
}

TEST(MamKnownPrefs, StoredPrefsAreWhatIsKnown) {
  auto driver = storage::makeMemoryDriver();
  {
    UserArchive writer(*driver, DefaultPolicy::Never, 0);
    Prefs prefs;
    prefs.byDefault = DefaultPolicy::Never;
    prefs.always = {"bob@localhost"};
    writer.setPrefs("alice", prefs);
  }
  UserArchive archive(*driver, DefaultPolicy::Never, 0);
  archive.prefs("alice");
  EXPECT_EQ(archive.knownDecision("alice", jid("bob@localhost/a")), Decision::Archive);
  EXPECT_EQ(archive.knownDecision("alice", jid("carol@localhost/a")), Decision::Skip);
}

TEST(MamKnownPrefs, QueuedChangeHidesTheOldPrefsUntilItRuns) {
  auto driver = storage::makeMemoryDriver();
  UserArchive archive(*driver, DefaultPolicy::Never, 0);
  archive.prefs("alice");
  ASSERT_EQ(archive.knownDecision("alice", jid("bob@localhost")), Decision::Skip);

  // The worker queues <prefs default='always'/>: messages routed meanwhile must not be skipped
  // on the strength of the old preferences.
  archive.changeQueued("alice");
  EXPECT_EQ(archive.knownDecision("alice", jid("bob@localhost")), std::nullopt);
  archive.prefs("alice");  // an earlier job reading the old prefs does not make them known again
  EXPECT_EQ(archive.knownDecision("alice", jid("bob@localhost")), std::nullopt);

  Prefs always;
  always.byDefault = DefaultPolicy::Always;
  archive.setPrefs("alice", always);
  EXPECT_EQ(archive.knownDecision("alice", jid("bob@localhost")), Decision::Archive);
  EXPECT_TRUE(archive.store("alice", jid("bob@localhost/a"), kNow, kMessage));
}

TEST(MamKnownPrefs, TwoQueuedChangesBothHaveToRun) {
  auto driver = storage::makeMemoryDriver();
  UserArchive archive(*driver, DefaultPolicy::Always, 0);
  archive.changeQueued("alice");
  archive.changeQueued("alice");
  Prefs never;
  never.byDefault = DefaultPolicy::Never;
  archive.setPrefs("alice", never);
  EXPECT_EQ(archive.knownDecision("alice", jid("bob@localhost")), std::nullopt);
  archive.setPrefs("alice", never);
  EXPECT_EQ(archive.knownDecision("alice", jid("bob@localhost")), Decision::Skip);
}

TEST(MamKnownPrefs, RemovedArchiveIsForgotten) {
  auto driver = storage::makeMemoryDriver();
  UserArchive archive(*driver, DefaultPolicy::Always, 0);
  Prefs never;
  never.byDefault = DefaultPolicy::Never;
  archive.setPrefs("alice", never);
  ASSERT_EQ(archive.knownDecision("alice", jid("bob@localhost")), Decision::Skip);
  archive.removeAll("alice");
  EXPECT_EQ(archive.knownDecision("alice", jid("bob@localhost")), std::nullopt);
  EXPECT_TRUE(archive.store("alice", jid("bob@localhost/a"), kNow, kMessage));  // default again
}

}  // namespace
}  // namespace telex::modules::mam
