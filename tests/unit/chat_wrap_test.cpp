// telex chat: wrapping conversation lines to the pane width (the view's only pure part).
#include <gtest/gtest.h>

#include "apps/telex/chat/view_curses.hpp"

namespace telex::chat {
namespace {

TEST(ChatWrap, BreaksAtSpacesWithAnIndent) {
  const auto lines = wrapColumns(U"the quick brown fox jumps over the lazy dog", 16);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], U"the quick brown");
  EXPECT_EQ(lines[1], U"  fox jumps over");
  EXPECT_EQ(lines[2], U"  the lazy dog");
  EXPECT_EQ(wrapColumns(U"short", 16), std::vector<std::u32string>{U"short"});
  EXPECT_EQ(wrapColumns(U"", 16), std::vector<std::u32string>{U""});
}

TEST(ChatWrap, LongWordsAreCut) {
  const auto lines = wrapColumns(U"abcdefghijklmnopqrstuvwxyz", 10);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], U"abcdefghij");
  EXPECT_EQ(lines[1], U"  klmnopqr");
  EXPECT_EQ(lines[2], U"  stuvwxyz");
}

TEST(ChatWrap, TinyWidthsStillEnd) {
  for (int width : {-3, 0, 1, 2, 3}) {
    const auto lines = wrapColumns(U"ab cd  ef", width);
    std::u32string joined;
    for (const auto& l : lines) joined += l;
    EXPECT_LE(lines.size(), 9u) << width;
    EXPECT_NE(joined.find(U"ef"), std::u32string::npos) << width;
  }
}

}  // namespace
}  // namespace telex::chat
