// The offline index: which sign-ins need to read the offline store.
#include <gtest/gtest.h>

#include "modules/offline/offline_index.hpp"

namespace telex::modules::offline {
namespace {

TEST(OfflineIndex, ATakeReadsOnlyForMarkedUsersAndUnmarks) {
  OfflineIndex index;
  index.load({"alice", "bob"});
  EXPECT_TRUE(index.take("alice"));
  EXPECT_FALSE(index.take("alice"));  // taken: the next sign-in reads nothing
  EXPECT_FALSE(index.take("carol"));
  index.mark("carol");
  index.mark("carol");
  EXPECT_TRUE(index.take("carol"));
  EXPECT_FALSE(index.take("carol"));
  EXPECT_TRUE(index.take("bob"));
}

TEST(OfflineIndex, AMarkAfterATakeStays) {
  // A message stored while a take runs is marked after the take unmarked: the next sign-in
  // reads it.
  OfflineIndex index;
  index.mark("alice");
  ASSERT_TRUE(index.take("alice"));
  index.mark("alice");
  EXPECT_TRUE(index.take("alice"));
}

}  // namespace
}  // namespace telex::modules::offline
