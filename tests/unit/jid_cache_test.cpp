// The router's memo in front of Jid::parse: same answers as Jid::parse, failures never
// remembered, and still right after the bounded table was dropped.
#include "router/jid_cache.hpp"

#include <gtest/gtest.h>

namespace telex::router {
namespace {

TEST(JidCache, SameAnswersAsJidParse) {
  JidCache cache;
  for (int round = 0; round < 2; ++round) {  // the second round is answered from the table
    for (std::string_view text : {"Romeo@Montague.LIT/Balcony", "juliet@capulet.lit", "capulet.lit", "a@b/c d"}) {
      auto cached = cache.parse(text);
      auto direct = Jid::parse(text);
      ASSERT_TRUE(cached) << text;
      EXPECT_EQ(*cached, *direct) << text;
    }
  }
  EXPECT_EQ(cache.parse("Romeo@Montague.LIT/Balcony")->full(), "romeo@montague.lit/Balcony");
}

TEST(JidCache, FailuresStayFailures) {
  JidCache cache;
  for (int round = 0; round < 2; ++round) {
    EXPECT_FALSE(cache.parse(""));
    EXPECT_FALSE(cache.parse("a@b@c"));
    EXPECT_FALSE(cache.parse("@capulet.lit"));
  }
}

TEST(JidCache, StaysRightPastItsCapacity) {
  JidCache cache(4);
  for (int i = 0; i < 20; ++i) {
    std::string text = "User" + std::to_string(i) + "@Example.COM/r";
    auto parsed = cache.parse(text);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->full(), "user" + std::to_string(i) + "@example.com/r");
  }
  EXPECT_EQ(cache.parse("User3@Example.COM/r")->local(), "user3");
}

}  // namespace
}  // namespace telex::router
