// Unit tests for telex::Jid parsing, normalization and value semantics.
#include <gtest/gtest.h>

#include <set>
#include <unordered_set>

#include "jid/jid.hpp"

#include <stringprep.h>

#include <cstdlib>

namespace telex {
namespace {

TEST(JidTest, ParsesFullJid) {
  const auto jid = Jid::parse("user@example.com/phone");
  ASSERT_TRUE(jid.has_value());
  EXPECT_EQ(jid->local(), "user");
  EXPECT_EQ(jid->domain(), "example.com");
  EXPECT_EQ(jid->resource(), "phone");
  EXPECT_TRUE(jid->hasLocal());
  EXPECT_TRUE(jid->hasResource());
  EXPECT_FALSE(jid->isBare());
  EXPECT_FALSE(jid->isDomainOnly());
  EXPECT_EQ(jid->full(), "user@example.com/phone");
  EXPECT_EQ(jid->bareString(), "user@example.com");
}

TEST(JidTest, ParsesBareAndDomainOnly) {
  const auto bare = Jid::parse("user@example.com");
  ASSERT_TRUE(bare.has_value());
  EXPECT_TRUE(bare->isBare());
  EXPECT_FALSE(bare->isDomainOnly());
  EXPECT_EQ(bare->full(), "user@example.com");

  const auto domain = Jid::parse("example.com");
  ASSERT_TRUE(domain.has_value());
  EXPECT_TRUE(domain->isDomainOnly());
  EXPECT_FALSE(domain->hasLocal());
  EXPECT_EQ(domain->full(), "example.com");

  const auto domainResource = Jid::parse("example.com/admin");
  ASSERT_TRUE(domainResource.has_value());
  EXPECT_FALSE(domainResource->hasLocal());
  EXPECT_FALSE(domainResource->isDomainOnly());
  EXPECT_EQ(domainResource->resource(), "admin");
}

TEST(JidTest, SplitsPerRfc7622) {
  // Resource is everything after the first '/', even if it holds '/' or '@'.
  auto jid = Jid::parse("user@example.com/a/b@c");
  ASSERT_TRUE(jid.has_value());
  EXPECT_EQ(jid->local(), "user");
  EXPECT_EQ(jid->domain(), "example.com");
  EXPECT_EQ(jid->resource(), "a/b@c");

  // An '@' after the first '/' belongs to the resource, not the localpart.
  jid = Jid::parse("example.com/user@host");
  ASSERT_TRUE(jid.has_value());
  EXPECT_FALSE(jid->hasLocal());
  EXPECT_EQ(jid->domain(), "example.com");
  EXPECT_EQ(jid->resource(), "user@host");

  // A second '@' before the '/' lands in the domain, which rejects it.
  EXPECT_FALSE(Jid::parse("a@b@example.com").has_value());
}

TEST(JidTest, FoldsCaseOfLocalAndDomainButNotResource) {
  const auto jid = Jid::parse("Juliet@Capulet.LIT/Balcony");
  ASSERT_TRUE(jid.has_value());
  EXPECT_EQ(jid->full(), "juliet@capulet.lit/Balcony");
  EXPECT_EQ(*jid, *Jid::parse("JULIET@capulet.lit/Balcony"));
  EXPECT_NE(*jid, *Jid::parse("juliet@capulet.lit/balcony"));
}

TEST(JidTest, FoldsUnicode) {
  const auto jid = Jid::parse("ÄLICE@Example.COM");
  ASSERT_TRUE(jid.has_value());
  EXPECT_EQ(jid->local(), "älice");
  EXPECT_EQ(jid->domain(), "example.com");
  EXPECT_EQ(jid->full(), "älice@example.com");

  // Case folding maps sharp s to "ss"; NFKC folds fullwidth forms.
  EXPECT_EQ(Jid::parse("Straße@example.com")->local(), "strasse");
  EXPECT_EQ(Jid::parse("ｕｓｅｒ@ｅｘａｍｐｌｅ．ｃｏｍ")->bareString(), "user@example.com");
  // Resourceprep applies NFKC but keeps case.
  EXPECT_EQ(Jid::parse("u@example.com/Ｈｉ")->resource(), "Hi");
  // The ideographic full stop separates labels like '.'.
  EXPECT_EQ(Jid::parse("u@example\xE3\x80\x82" "com")->domain(), "example.com");
}

TEST(JidTest, StripsTrailingDot) {
  const auto jid = Jid::parse("user@example.com./res");
  ASSERT_TRUE(jid.has_value());
  EXPECT_EQ(jid->domain(), "example.com");
  EXPECT_EQ(*jid, *Jid::parse("user@example.com/res"));
  EXPECT_FALSE(Jid::parse("example.com..").has_value());
  EXPECT_FALSE(Jid::parse(".").has_value());
  EXPECT_FALSE(Jid::parse("user@.").has_value());
}

TEST(JidTest, RejectsEmptyParts) {
  for (const char* bad : {"", "@", "/", "@example.com", "user@", "user@/res", "example.com/",
                          "user@example.com/", "/res", "@/"}) {
    EXPECT_FALSE(Jid::parse(bad).has_value()) << bad;
  }
}

TEST(JidTest, RejectsProhibitedLocalpartCharacters) {
  for (const char* bad : {"a\"b@example.com", "a&b@example.com", "a'b@example.com",
                          "a:b@example.com", "a<b@example.com", "a>b@example.com",
                          "a b@example.com", "a\tb@example.com", "a\xC2\xA0" "b@example.com"}) {
    EXPECT_FALSE(Jid::parse(bad).has_value()) << bad;
  }
  EXPECT_FALSE(Jid::make("a/b", "example.com").has_value());
  EXPECT_FALSE(Jid::make("a@b", "example.com").has_value());
  EXPECT_FALSE(nodeprep("a@b").has_value());
  EXPECT_EQ(nodeprep("AbC"), "abc");
}

TEST(JidTest, RejectsInvalidDomains) {
  for (const char* bad : {"exa mple.com", "a..b", ".example.com", "exa_mple.com", "exa<mple.com",
                          "u@exa:mple.com", "[::1", "[zz::1]", "[]", "[1.2.3.4]"}) {
    EXPECT_FALSE(Jid::parse(bad).has_value()) << bad;
  }
  EXPECT_FALSE(Jid::parse(std::string(64, 'a') + ".com").has_value());
  EXPECT_TRUE(Jid::parse(std::string(63, 'a') + ".com").has_value());
}

TEST(JidTest, AcceptsIpLiterals) {
  auto jid = Jid::parse("user@192.168.0.1/res");
  ASSERT_TRUE(jid.has_value());
  EXPECT_EQ(jid->domain(), "192.168.0.1");

  jid = Jid::parse("user@[::1]/res");
  ASSERT_TRUE(jid.has_value());
  EXPECT_EQ(jid->domain(), "[::1]");
  EXPECT_EQ(jid->resource(), "res");

  // IPv6 literals are canonicalized so equal addresses compare equal.
  jid = Jid::parse("[2001:DB8:0:0::1]");
  ASSERT_TRUE(jid.has_value());
  EXPECT_EQ(jid->domain(), "[2001:db8::1]");
}

TEST(JidTest, RejectsInvalidUtf8AndNul) {
  EXPECT_FALSE(Jid::parse("\xC3@example.com").has_value());
  EXPECT_FALSE(Jid::parse("user@example.com/\xFF").has_value());
  EXPECT_FALSE(Jid::parse("\xC0\xAF@example.com").has_value());       // overlong '/'
  EXPECT_FALSE(Jid::parse("\xED\xA0\x80@example.com").has_value());   // surrogate
  EXPECT_FALSE(Jid::parse(std::string("us\0er@example.com", 17)).has_value());
  EXPECT_FALSE(Jid::parse(std::string("user@example.com/r\0s", 20)).has_value());
}

TEST(JidTest, EnforcesLengthLimits) {
  const std::string max(1023, 'a');
  const std::string over(1024, 'a');
  EXPECT_TRUE(Jid::make(max, "example.com").has_value());
  EXPECT_FALSE(Jid::make(over, "example.com").has_value());
  EXPECT_TRUE(Jid::make("u", "example.com", max).has_value());
  EXPECT_FALSE(Jid::make("u", "example.com", over).has_value());
  EXPECT_TRUE(Jid::parse(max + "@example.com/" + max).has_value());

  // 16 labels of 63 bytes joined by dots: exactly 1023 bytes.
  std::string domain;
  for (int i = 0; i < 16; ++i) {
    if (i != 0) domain.push_back('.');
    domain.append(63, 'b');
  }
  ASSERT_EQ(domain.size(), 1023u);
  EXPECT_TRUE(Jid::make("u", domain).has_value());
  EXPECT_FALSE(Jid::make("u", domain + ".c").has_value());

  // The limit applies after preparation: "ß" (2 bytes) folds to "ss" (2 bytes), "ﬃ" (3) to "ffi".
  std::string expanding;
  for (int i = 0; i < 341; ++i) expanding.append("\xEF\xAC\x83");  // 1023 bytes of U+FB03
  EXPECT_TRUE(Jid::make(expanding, "example.com").has_value());
  expanding.append("\xEF\xAC\x83");
  EXPECT_FALSE(Jid::make(expanding, "example.com").has_value());
}

TEST(JidTest, MakeTreatsEmptyLocalAndResourceAsAbsent) {
  const auto jid = Jid::make("", "Example.com", "");
  ASSERT_TRUE(jid.has_value());
  EXPECT_TRUE(jid->isDomainOnly());
  EXPECT_EQ(jid->full(), "example.com");
  EXPECT_FALSE(Jid::make("user", "").has_value());
  EXPECT_EQ(Jid::make("User", "Example.com", "Res")->full(), "user@example.com/Res");
}

TEST(JidTest, BareAndWithResource) {
  const auto jid = *Jid::parse("user@example.com/one");
  EXPECT_EQ(jid.bare().full(), "user@example.com");
  EXPECT_TRUE(jid.bare().isBare());
  const auto other = jid.withResource("Two");
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->full(), "user@example.com/Two");
  EXPECT_FALSE(jid.withResource("").has_value());
  EXPECT_FALSE(jid.withResource(std::string(1024, 'r')).has_value());
  EXPECT_FALSE(jid.withResource("\x01").has_value());
}

TEST(JidTest, SpelledAsIsTrueExactlyForTheNormalizedText) {
  for (std::string_view text : {"user@example.com/one", "user@example.com", "example.com", "example.com/r",
                                "user@example.com/a/b@c"}) {
    const auto jid = *Jid::parse(text);
    EXPECT_EQ(jid.full(), text);
    EXPECT_TRUE(jid.spelledAs(text)) << text;
  }
  const auto jid = *Jid::parse("User@Example.com./one");
  EXPECT_FALSE(jid.spelledAs("User@Example.com./one"));
  EXPECT_TRUE(jid.spelledAs(jid.full()));
  const auto full = *Jid::parse("user@example.com/one");
  for (std::string_view other : {"", "user@example.com", "user@example.com/", "user@example.com/on",
                                 "user@example.com/one2", "user@example.co/one", "userexample.com/one",
                                 "example.com/one", "user@example.com@/one"}) {
    EXPECT_FALSE(full.spelledAs(other)) << other;
  }
  EXPECT_FALSE(Jid::parse("example.com")->spelledAs("@example.com"));
}

TEST(JidTest, ResourceKeepsSpacesAndSymbols) {
  const auto jid = Jid::parse("user@example.com/My Laptop <work>");
  ASSERT_TRUE(jid.has_value());
  EXPECT_EQ(jid->resource(), "My Laptop <work>");
}

TEST(JidTest, EqualityOrderingAndHash) {
  const auto a = *Jid::parse("A@Example.com/r");
  const auto b = *Jid::parse("a@example.com/r");
  const auto c = *Jid::parse("a@example.com/s");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_LT(b, c);
  EXPECT_EQ(std::hash<Jid>{}(a), std::hash<Jid>{}(b));

  std::unordered_set<Jid> set{a, b, c, a.bare()};
  EXPECT_EQ(set.size(), 3u);
  std::set<Jid> ordered{c, a, b};
  EXPECT_EQ(ordered.size(), 2u);
  EXPECT_EQ(*ordered.begin(), a);
  EXPECT_EQ(Jid(), Jid());
}

// The ASCII fast path must agree with libidn's profiles on every printable ASCII character, in
// every position: same prepared text, same refusals.
std::optional<std::string> libidnPrep(const std::string& text, const char* profile) {
  char* raw = nullptr;
  int rc = stringprep_profile(text.c_str(), &raw, profile, Stringprep_profile_flags{});
  std::optional<std::string> out;
  if (rc == STRINGPREP_OK && raw && *raw) out = raw;
  std::free(raw);
  return out;
}

TEST(JidTest, AsciiPreparationMatchesLibidn) {
  for (int c = 0x01; c < 0x80; ++c) {
    for (const std::string& text : {std::string(1, static_cast<char>(c)), "Ab" + std::string(1, static_cast<char>(c)),
                                    std::string(1, static_cast<char>(c)) + "Zz9"}) {
      SCOPED_TRACE(c);
      EXPECT_EQ(nodeprep(text), libidnPrep(text, "Nodeprep"));
      EXPECT_EQ(resourceprep(text), libidnPrep(text, "Resourceprep"));
      EXPECT_EQ(nameprep(text), libidnPrep(text, "Nameprep"));
    }
  }
}

TEST(JidTest, SameBareIgnoresResources) {
  EXPECT_TRUE(Jid::parse("A@x/r1")->sameBare(*Jid::parse("a@x/r2")));
  EXPECT_TRUE(Jid::parse("a@x")->sameBare(*Jid::parse("a@x/r")));
  EXPECT_FALSE(Jid::parse("a@x")->sameBare(*Jid::parse("a@y")));
  EXPECT_FALSE(Jid::parse("a@x")->sameBare(*Jid::parse("x")));
}

}  // namespace
}  // namespace telex
