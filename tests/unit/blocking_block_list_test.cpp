// Block-list matching rules (XEP-0191 / XEP-0016), their storage form and the registry.
#include <gtest/gtest.h>

#include "modules/blocking/block_list.hpp"

namespace telex::modules::blocking {
namespace {

Jid jid(std::string_view text) { return *Jid::parse(text); }

TEST(BlockingRulesTest, FullJidBlocksOnlyThatResource) {
  Jid item = jid("mallory@example.org/phone");
  EXPECT_TRUE(itemMatches(item, jid("mallory@example.org/phone")));
  EXPECT_FALSE(itemMatches(item, jid("mallory@example.org/laptop")));
  EXPECT_FALSE(itemMatches(item, jid("mallory@example.org")));
  EXPECT_FALSE(itemMatches(item, jid("example.org")));
}

TEST(BlockingRulesTest, BareJidBlocksEveryResource) {
  Jid item = jid("mallory@example.org");
  EXPECT_TRUE(itemMatches(item, jid("mallory@example.org")));
  EXPECT_TRUE(itemMatches(item, jid("mallory@example.org/phone")));
  EXPECT_TRUE(itemMatches(item, jid("mallory@example.org/laptop")));
  EXPECT_FALSE(itemMatches(item, jid("bob@example.org/phone")));
  EXPECT_FALSE(itemMatches(item, jid("mallory@example.com/phone")));
  EXPECT_FALSE(itemMatches(item, jid("example.org")));
}

TEST(BlockingRulesTest, DomainBlocksEveryoneAtIt) {
  Jid item = jid("spam.example");
  EXPECT_TRUE(itemMatches(item, jid("spam.example")));
  EXPECT_TRUE(itemMatches(item, jid("spam.example/bot")));
  EXPECT_TRUE(itemMatches(item, jid("anyone@spam.example")));
  EXPECT_TRUE(itemMatches(item, jid("anyone@spam.example/res")));
  EXPECT_FALSE(itemMatches(item, jid("anyone@sub.spam.example")));
  EXPECT_FALSE(itemMatches(item, jid("anyone@example")));
}

TEST(BlockingRulesTest, DomainWithResourceBlocksOnlyThatResourceOfTheDomain) {
  Jid item = jid("spam.example/bot");
  EXPECT_TRUE(itemMatches(item, jid("spam.example/bot")));
  EXPECT_FALSE(itemMatches(item, jid("spam.example")));
  EXPECT_FALSE(itemMatches(item, jid("spam.example/other")));
  EXPECT_FALSE(itemMatches(item, jid("user@spam.example/bot")));
}

TEST(BlockingRulesTest, AddressFormsSplitWithoutStringprep) {
  AddressForms f = addressForms("user@example.org/res/with@odd");
  EXPECT_EQ(f.full, "user@example.org/res/with@odd");
  EXPECT_EQ(f.bare, "user@example.org");
  EXPECT_EQ(f.local, "user");
  EXPECT_EQ(f.domain, "example.org");
  AddressForms d = addressForms("example.org/res@x");
  EXPECT_EQ(d.bare, "example.org");
  EXPECT_EQ(d.local, "");
  EXPECT_EQ(d.domain, "example.org");
}

// The set lookup must give the same answer as itemMatches for every pair.
TEST(BlockingRulesTest, SetLookupAgreesWithItemRules) {
  const char* items[] = {"mallory@example.org/phone", "mallory@example.org", "spam.example",
                         "spam.example/bot", "eve@example.org"};
  const char* addresses[] = {"mallory@example.org/phone", "mallory@example.org/laptop", "mallory@example.org",
                             "eve@example.org/x",         "spam.example",               "spam.example/bot",
                             "spam.example/other",        "x@spam.example/bot",         "bob@example.org/bot",
                             "example.org"};
  for (const char* item : items) {
    BlockSet set{jid(item).full()};
    for (const char* address : addresses) {
      EXPECT_EQ(blockSetCovers(set, jid(address).full()), itemMatches(jid(item), jid(address)))
          << item << " vs " << address;
    }
  }
}

TEST(BlockingRulesTest, EncodeDecodeRoundTripNormalizes) {
  BlockSet items{"a@example.org", "example.com", "b@example.org/r"};
  EXPECT_EQ(decodeBlockList(encodeBlockList(items)), items);
  EXPECT_EQ(encodeBlockList({}), "");
  EXPECT_TRUE(decodeBlockList("").empty());
  // Damaged lines are skipped; the rest is normalized.
  EXPECT_EQ(decodeBlockList("Alice@Example.ORG\n\n@bad@\nexample.net"),
            (BlockSet{"alice@example.org", "example.net"}));
}

TEST(BlockListRegistryTest, AddRemoveClearAndLookups) {
  BlockListRegistry registry;
  EXPECT_FALSE(registry.blocks("alice", "mallory@example.org/x"));
  auto added = registry.add("alice", {"mallory@example.org", "spam.example"}, 10);
  ASSERT_TRUE(added);
  EXPECT_EQ(added->size(), 2u);
  EXPECT_EQ(registry.userCount(), 1u);
  EXPECT_TRUE(registry.blocks("alice", "mallory@example.org/x"));
  EXPECT_TRUE(registry.blocks("alice", jid("bot@spam.example/1")));
  EXPECT_FALSE(registry.blocks("bob", "mallory@example.org/x"));
  EXPECT_FALSE(registry.blocks("alice", jid("bob@example.org")));

  // Adding what is there already reports nothing new.
  auto again = registry.add("alice", {"mallory@example.org"}, 10);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());

  EXPECT_EQ(registry.remove("alice", {"mallory@example.org", "nobody@example.org"}),
            std::vector<std::string>{"mallory@example.org"});
  EXPECT_FALSE(registry.blocks("alice", "mallory@example.org/x"));
  EXPECT_EQ(registry.clear("alice"), std::vector<std::string>{"spam.example"});
  EXPECT_EQ(registry.userCount(), 0u);
  EXPECT_TRUE(registry.items("alice").empty());
  EXPECT_TRUE(registry.clear("alice").empty());
}

TEST(BlockListRegistryTest, CapRefusesWithoutChangingTheList) {
  BlockListRegistry registry;
  ASSERT_TRUE(registry.add("alice", {"a@x.example", "b@x.example"}, 3));
  EXPECT_FALSE(registry.add("alice", {"c@x.example", "d@x.example"}, 3));
  EXPECT_EQ(registry.items("alice").size(), 2u);
  // Items already present do not count twice.
  EXPECT_TRUE(registry.add("alice", {"a@x.example", "c@x.example"}, 3));
  EXPECT_FALSE(registry.add("bob", {"a@x.example", "b@x.example"}, 1));
  EXPECT_EQ(registry.userCount(), 1u);
}

TEST(BlockListRegistryTest, LoadReplacesAndEmptyLoadForgets) {
  BlockListRegistry registry;
  registry.load("alice", {"a@x.example"});
  registry.load("alice", {"b@x.example"});
  EXPECT_EQ(registry.items("alice"), (BlockSet{"b@x.example"}));
  registry.load("alice", {});
  EXPECT_EQ(registry.userCount(), 0u);
}

}  // namespace
}  // namespace telex::modules::blocking
