// telex chat: Away after N idle minutes, back on activity, never over a chosen status.
#include <gtest/gtest.h>

#include "apps/telex/chat/idle.hpp"

namespace telex::chat {
namespace {

using Clock = IdleTracker::Clock;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(ChatIdle, AwayAfterTheIdleTimeThenBackOnActivity) {
  const auto t0 = Clock::time_point{} + seconds(1000);
  IdleTracker idle(true, minutes(5), t0);
  EXPECT_EQ(idle.effective(), Status::Online);
  EXPECT_EQ(idle.nextDeadline(), t0 + minutes(5));
  EXPECT_FALSE(idle.tick(t0 + minutes(4)));
  EXPECT_EQ(idle.effective(), Status::Online);
  auto away = idle.tick(t0 + minutes(5));
  ASSERT_TRUE(away);
  EXPECT_EQ(*away, Status::Away);
  EXPECT_TRUE(idle.autoAway());
  EXPECT_EQ(idle.effective(), Status::Away);
  EXPECT_FALSE(idle.tick(t0 + minutes(6)));  // announced once
  EXPECT_FALSE(idle.nextDeadline());
  auto back = idle.activity(t0 + minutes(7));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, Status::Online);
  EXPECT_EQ(idle.effective(), Status::Online);
  EXPECT_FALSE(idle.activity(t0 + minutes(8)));  // already back: nothing to announce
  EXPECT_FALSE(idle.tick(t0 + minutes(12)));     // the clock restarted at the last key
  EXPECT_TRUE(idle.tick(t0 + minutes(13)));
}

TEST(ChatIdle, ActivityPostponesAway) {
  const auto t0 = Clock::time_point{} + seconds(1);
  IdleTracker idle(true, seconds(10), t0);
  EXPECT_FALSE(idle.activity(t0 + seconds(8)));
  EXPECT_FALSE(idle.tick(t0 + seconds(12)));
  EXPECT_EQ(idle.nextDeadline(), t0 + seconds(18));
  EXPECT_TRUE(idle.tick(t0 + seconds(18)));
}

TEST(ChatIdle, ManualStatusIsNeverOverridden) {
  const auto t0 = Clock::time_point{} + seconds(1);
  for (Status chosen : {Status::Busy, Status::Away, Status::Offline}) {
    IdleTracker idle(true, minutes(5), t0);
    EXPECT_EQ(idle.setManual(chosen, t0), chosen);
    EXPECT_FALSE(idle.tick(t0 + minutes(60)));
    EXPECT_EQ(idle.effective(), chosen);
    EXPECT_FALSE(idle.activity(t0 + minutes(61)));  // activity does not make it Online either
    EXPECT_EQ(idle.effective(), chosen);
    EXPECT_FALSE(idle.nextDeadline());
  }
}

TEST(ChatIdle, ChoosingAStatusWhileIdleAwayEndsTheAutomaticAway) {
  const auto t0 = Clock::time_point{} + seconds(1);
  IdleTracker idle(true, minutes(5), t0);
  ASSERT_TRUE(idle.tick(t0 + minutes(5)));
  idle.setManual(Status::Busy, t0 + minutes(6));
  EXPECT_FALSE(idle.autoAway());
  EXPECT_EQ(idle.effective(), Status::Busy);
  EXPECT_FALSE(idle.activity(t0 + minutes(7)));  // stays Busy
  EXPECT_EQ(idle.effective(), Status::Busy);
  idle.setManual(Status::Online, t0 + minutes(8));
  EXPECT_TRUE(idle.tick(t0 + minutes(13)));
}

TEST(ChatIdle, DisabledNeverGoesAway) {
  const auto t0 = Clock::time_point{} + seconds(1);
  IdleTracker idle(false, minutes(5), t0);
  EXPECT_FALSE(idle.tick(t0 + minutes(500)));
  EXPECT_FALSE(idle.nextDeadline());
  EXPECT_EQ(idle.effective(), Status::Online);
}

TEST(ChatIdle, StatusNamesAndPresence) {
  EXPECT_EQ(statusFromName("busy"), Status::Busy);
  EXPECT_EQ(statusFromName("dnd"), Status::Busy);
  EXPECT_FALSE(statusFromName("sleepy"));
  EXPECT_EQ(statusName(Status::Offline), "offline");
  EXPECT_EQ(presenceFor(Status::Away, "lunch").show, client::PresenceShow::Away);
  EXPECT_EQ(presenceFor(Status::Away, "lunch").status, "lunch");
  EXPECT_EQ(presenceFor(Status::Busy, "").show, client::PresenceShow::Dnd);
  EXPECT_EQ(presenceFor(Status::Online, "").show, client::PresenceShow::None);
  EXPECT_EQ(presenceFor(Status::Online, "").type, client::PresenceType::Available);
  EXPECT_EQ(presenceFor(Status::Offline, "").type, client::PresenceType::Unavailable);
}

}  // namespace
}  // namespace telex::chat

namespace telex::chat {
namespace {

TEST(ChatIdleSettings, MinutesByDefaultSecondsWhenSet) {
  auto defaults = client::parseSettings("", "cfg.toml");
  ASSERT_TRUE(defaults);
  EXPECT_TRUE(defaults->client.awayAfterIdle);
  EXPECT_EQ(idleTimeoutOf(defaults->client), std::chrono::minutes(5));  // the seeds' default

  auto minutes = client::parseSettings("[client]\naway_minutes = 12\n", "cfg.toml");
  ASSERT_TRUE(minutes);
  EXPECT_EQ(idleTimeoutOf(minutes->client), std::chrono::minutes(12));

  auto seconds =
      client::parseSettings("[client]\naway_minutes = 12\naway_seconds = 3\n", "cfg.toml");
  ASSERT_TRUE(seconds);
  EXPECT_EQ(idleTimeoutOf(seconds->client), std::chrono::seconds(3));

  auto bad = client::parseSettings("[client]\naway_seconds = -1\n", "cfg.toml");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "cfg.toml:2: client.away_seconds must be between 0 and 86400, got -1");
  // The example the docs show parses, with the new key at its default.
  auto example = client::parseSettings(client::exampleSettings(), "example");
  ASSERT_TRUE(example);
  EXPECT_EQ(example->client.awaySeconds, 0);
}

}  // namespace
}  // namespace telex::chat
