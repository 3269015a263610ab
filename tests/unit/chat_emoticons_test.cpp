// telex chat: emoticons shown as emoji, and terminal-safe text.
#include <gtest/gtest.h>

#include "apps/telex/chat/emoticons.hpp"
#include "apps/telex/chat/text.hpp"

namespace telex::chat {
namespace {

TEST(ChatEmoticons, DefaultMapping) {
  const Emoticons e;
  EXPECT_EQ(e.apply(":)"), "🙂");
  EXPECT_EQ(e.apply("hi :) how are you :-("), "hi 🙂 how are you 🙁");
  EXPECT_EQ(e.apply("great :D!"), "great 😃!");
  EXPECT_EQ(e.apply(";) (y) <3"), "😉 👍 ❤");
  EXPECT_EQ(e.apply(":'("), "😢");
}

TEST(ChatEmoticons, OnlyStandaloneEmoticonsChange) {
  const Emoticons e;
  EXPECT_EQ(e.apply("http://example.org/:)x"), "http://example.org/:)x");
  EXPECT_EQ(e.apply("f(x):D"), "f(x):D");
  EXPECT_EQ(e.apply("a:)"), "a:)");
  EXPECT_EQ(e.apply(":)b"), ":)b");
  EXPECT_EQ(e.apply("(:))"), "(🙂)");
  EXPECT_EQ(e.apply(""), "");
}

TEST(ChatEmoticons, LongestMatchAndCustomTable) {
  const Emoticons e;
  EXPECT_EQ(e.apply(":-)"), "🙂");
  EXPECT_EQ(e.apply("</3"), "💔");
  const Emoticons custom({{"(beer)", "🍺"}, {"(b)", "B"}, {"", "ignored"}});
  EXPECT_EQ(custom.apply("a (beer) and (b)"), "a 🍺 and B");
  EXPECT_EQ(custom.apply(":)"), ":)");
}

TEST(ChatText, Utf8RoundTripAndInvalidBytes) {
  const std::string s = "héllo 🙂 €";
  EXPECT_EQ(encodeUtf8(decodeUtf8(s)), s);
  EXPECT_EQ(decodeUtf8("a\xff"), (std::u32string{U'a', 0xFFFD}));
  EXPECT_EQ(decodeUtf8("\xc0\xaf"), (std::u32string{0xFFFD, 0xFFFD}));  // overlong
  EXPECT_EQ(decodeUtf8("\xed\xa0\x80").front(), 0xFFFDu);               // surrogate
}

TEST(ChatText, ControlCharactersCannotDriveTheTerminal) {
  const auto lines = safeLines("one\r\ntwo\x1b[2Jthree\x07\ttab\xc2\x9b");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "one");
  EXPECT_EQ(lines[1], "two\xEF\xBF\xBD[2Jthree\xEF\xBF\xBD    tab\xEF\xBF\xBD");
  EXPECT_EQ(safeLine("a\nb"), "a b");
}

}  // namespace
}  // namespace telex::chat
