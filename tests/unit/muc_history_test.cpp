// Discussion history: reading <history/>, and choosing what a joining occupant receives by
// maxstanzas, maxchars, seconds and since, together and alone.
#include <gtest/gtest.h>

#include "modules/muc/history.hpp"

namespace telex::modules::muc {
namespace {

// A history entry at `whenMs` whose stanza is exactly `chars` characters long.
History::Entry entry(std::int64_t whenMs, std::size_t chars) {
  std::string bytes = "<message>";
  std::string tail = "</message>";
  bytes += std::string(chars - bytes.size() - tail.size(), 'x') + tail;
  auto stanza = std::make_shared<const FanoutStanza>(FanoutStanza::fromSerialized(bytes));
  EXPECT_EQ(stanza->size(), chars);
  return {whenMs, stanza};
}

// A request with the given limits (nullopt: not limited).
HistoryRequest req(std::optional<std::size_t> maxStanzas, std::optional<std::size_t> maxChars = std::nullopt,
                   std::optional<std::int64_t> seconds = std::nullopt, std::optional<std::int64_t> sinceMs = std::nullopt) {
  HistoryRequest r;
  r.maxStanzas = maxStanzas;
  r.maxChars = maxChars;
  r.seconds = seconds;
  r.sinceMs = sinceMs;
  return r;
}
constexpr auto kNone = std::nullopt;

class MucHistoryTest : public ::testing::Test {
 protected:
  MucHistoryTest() {
    // Ten messages, one a second from t=1000 s, each 100 characters long.
    for (int i = 0; i < 10; ++i) history_.add(entry((1000 + i) * 1000, 100), 20);
  }
  std::size_t first(const HistoryRequest& r) { return history_.firstToSend(r, kNow); }

  static constexpr std::int64_t kNow = 1010 * 1000;
  History history_;
};

TEST_F(MucHistoryTest, NoLimitsSendsEverything) { EXPECT_EQ(first(HistoryRequest{}), 0u); }

TEST_F(MucHistoryTest, AddDropsTheOldestBeyondTheLimit) {
  history_.add(entry(1010 * 1000, 100), 10);
  ASSERT_EQ(history_.entries().size(), 10u);
  EXPECT_EQ(history_.entries().front().whenMs, 1001 * 1000);
  history_.trim(3);
  EXPECT_EQ(history_.entries().size(), 3u);
  history_.trim(0);
  EXPECT_TRUE(history_.entries().empty());
  EXPECT_EQ(first(HistoryRequest{}), 0u);
}

TEST_F(MucHistoryTest, MaxStanzas) {
  EXPECT_EQ(first(req(3)), 7u);
  EXPECT_EQ(first(req(0)), 10u);
  EXPECT_EQ(first(req(50)), 0u);
}

TEST_F(MucHistoryTest, MaxCharsCountsWholeStanzas) {
  EXPECT_EQ(first(req(kNone, 250)), 8u);  // two fit, a third would not
  EXPECT_EQ(first(req(kNone, 300)), 7u);
  EXPECT_EQ(first(req(kNone, 99)), 10u);
  EXPECT_EQ(first(req(kNone, 0)), 10u);
}

TEST_F(MucHistoryTest, SecondsAndSince) {
  EXPECT_EQ(first(req(kNone, kNone, 3)), 7u);  // t >= 1007
  EXPECT_EQ(first(req(kNone, kNone, 0)), 10u);
  EXPECT_EQ(first(req(kNone, kNone, 3600)), 0u);
  EXPECT_EQ(first(req(kNone, kNone, kNone, 1004 * 1000)), 4u);  // inclusive
  EXPECT_EQ(first(req(kNone, kNone, kNone, 1004 * 1000 + 1)), 5u);
  EXPECT_EQ(first(req(kNone, kNone, kNone, 2000 * 1000)), 10u);
}

TEST_F(MucHistoryTest, TheTightestLimitWins) {
  EXPECT_EQ(first(req(5, 250)), 8u);
  EXPECT_EQ(first(req(2, kNone, 100)), 8u);
  EXPECT_EQ(first(req(6, 1000, kNone, 1006 * 1000)), 6u);
}

TEST(MucHistoryRequest, ParsesTheHistoryElement) {
  EXPECT_FALSE(parseHistoryRequest(nullptr).maxStanzas);
  xml::Element h("history", "http://jabber.org/protocol/muc");
  h.setAttr("maxstanzas", "5");
  h.setAttr("maxchars", "100");
  h.setAttr("seconds", "60");
  h.setAttr("since", "1970-01-01T00:16:40Z");
  auto r = parseHistoryRequest(&h);
  EXPECT_EQ(r.maxStanzas, 5u);
  EXPECT_EQ(r.maxChars, 100u);
  EXPECT_EQ(r.seconds, 60);
  EXPECT_EQ(r.sinceMs, 1000 * 1000);
}

TEST(MucHistoryRequest, UnreadableValuesAreIgnored) {
  xml::Element h("history", "http://jabber.org/protocol/muc");
  h.setAttr("maxstanzas", "-1");
  h.setAttr("maxchars", "lots");
  h.setAttr("seconds", "");
  h.setAttr("since", "yesterday");
  auto r = parseHistoryRequest(&h);
  EXPECT_FALSE(r.maxStanzas);
  EXPECT_FALSE(r.maxChars);
  EXPECT_FALSE(r.seconds);
  EXPECT_FALSE(r.sinceMs);
}

}  // namespace
}  // namespace telex::modules::muc
