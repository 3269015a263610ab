// The one UTF-8 decoder: what XMPP accepts and what it refuses.
#include <gtest/gtest.h>

#include "util/utf8.hpp"

namespace telex::util {
namespace {

TEST(Utf8, DecodesEveryLength) {
  std::string_view s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x99\x82";  // a é € 🙂
  std::vector<char32_t> seen;
  for (std::size_t i = 0; i < s.size();) {
    auto c = decodeUtf8At(s, i);
    ASSERT_TRUE(c);
    seen.push_back(c->codePoint);
    i += c->length;
  }
  EXPECT_EQ(seen, (std::vector<char32_t>{U'a', 0xE9, 0x20AC, 0x1F642}));
  EXPECT_TRUE(isValidUtf8(s));
}

TEST(Utf8, RefusesWhatXmppRefuses) {
  EXPECT_FALSE(isValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(isValidUtf8("\x80"));              // lone continuation byte
  EXPECT_FALSE(isValidUtf8("\xFF"));
  EXPECT_FALSE(decodeUtf8At("ab", 2));            // past the end
  EXPECT_TRUE(isValidUtf8(""));
}

}  // namespace
}  // namespace telex::util
