// SignInRosters: a roster read by roster get reaches the sign-in hook only if it is current.
#include "modules/roster/sign_in_rosters.hpp"

#include <gtest/gtest.h>

#include "storage/memory/memory_driver.hpp"

namespace telex::modules::roster {
namespace {

class SignInRostersTest : public ::testing::Test {
 protected:
  RosterItem item(std::string jid) {
    RosterItem i;
    i.jid = std::move(jid);
    i.inRoster = true;
    return i;
  }
  // alice's phone read her roster (bob) with roster get.
  void phoneReadsBob() {
    store_->put("alice", item("bob@localhost"));
    auto before = rosters_.readStarting();
    rosters_.keep("alice@localhost/phone", store_->items("alice"), before);
  }
  static void expectBob(const SignInRosters::Items& items) {
    ASSERT_TRUE(items);
    ASSERT_EQ(items->size(), 1u);
    EXPECT_EQ(items->front().jid, "bob@localhost");
  }
  std::unique_ptr<storage::StorageDriver> driver_ = storage::makeMemoryDriver();
  std::shared_ptr<RosterStore> store_ = std::make_shared<RosterStore>(*driver_);
  SignInRosters rosters_{store_};
};

TEST_F(SignInRostersTest, TheSessionThatReadItTakesItOnce) {
  phoneReadsBob();
  EXPECT_FALSE(rosters_.take("alice@localhost/laptop"));
  expectBob(rosters_.take("alice@localhost/phone"));
  EXPECT_FALSE(rosters_.take("alice@localhost/phone"));
}

TEST_F(SignInRostersTest, PeekingLeavesItForTheTake) {
  phoneReadsBob();
  EXPECT_FALSE(rosters_.peek("alice@localhost/laptop"));
  auto peeked = rosters_.peek("alice@localhost/phone");
  expectBob(peeked);
  EXPECT_EQ(rosters_.take("alice@localhost/phone"), peeked);
  EXPECT_FALSE(rosters_.peek("alice@localhost/phone"));
}

TEST_F(SignInRostersTest, APeekAfterAWriteFindsNothingCurrent) {
  auto before = rosters_.readStarting();
  rosters_.keep("alice@localhost/phone", store_->items("alice"), before);
  store_->put("alice", item("bob@localhost"));
  EXPECT_FALSE(rosters_.peek("alice@localhost/phone"));
}

TEST_F(SignInRostersTest, AWriteDuringTheReadMeansNothingIsKept) {
  auto before = rosters_.readStarting();
  auto items = store_->items("alice");
  store_->put("alice", item("bob@localhost"));  // raced with the read above
  rosters_.keep("alice@localhost/phone", items, before);
  EXPECT_FALSE(rosters_.take("alice@localhost/phone"));
}

TEST_F(SignInRostersTest, AWriteAfterKeepingMakesItStale) {
  auto before = rosters_.readStarting();
  rosters_.keep("alice@localhost/phone", store_->items("alice"), before);
  store_->remove("carol", "dave@localhost");
  EXPECT_FALSE(rosters_.take("alice@localhost/phone"));
}

}  // namespace
}  // namespace telex::modules::roster
