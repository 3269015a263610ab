// Unit tests for util::base64 and util::crypto helpers.
#include <gtest/gtest.h>

#include "util/base64.hpp"
#include "util/crypto.hpp"

namespace telex::util {
namespace {

TEST(Base64Test, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64Encode(""), "");
  EXPECT_EQ(base64Encode("f"), "Zg==");
  EXPECT_EQ(base64Encode("fo"), "Zm8=");
  EXPECT_EQ(base64Encode("foo"), "Zm9v");
  EXPECT_EQ(base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64Encode("foobar"), "Zm9vYmFy");
}

TEST(Base64Test, DecodesRfc4648Vectors) {
  EXPECT_EQ(base64Decode(""), std::string());
  EXPECT_EQ(base64Decode("Zg=="), "f");
  EXPECT_EQ(base64Decode("Zm8="), "fo");
  EXPECT_EQ(base64Decode("Zm9v"), "foo");
  EXPECT_EQ(base64Decode("Zm9vYg=="), "foob");
  EXPECT_EQ(base64Decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(base64Decode("Zm9vYmFy"), "foobar");
}

TEST(Base64Test, RoundTripsAllByteValues) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (std::size_t len = 0; len <= bytes.size(); len += 37) {
    const std::string slice = bytes.substr(0, len);
    const auto decoded = base64Decode(base64Encode(slice));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, slice);
  }
  EXPECT_EQ(base64Decode(base64Encode(bytes)), bytes);
  EXPECT_EQ(base64Encode(std::string("\xfb\xff", 2)), "+/8=");
}

TEST(Base64Test, RejectsInvalidInput) {
  for (const char* bad : {"Zg", "Zg=", "Zg===", "Z===", "====", "Zg=a", "Zm9v\n", " Zm9v",
                          "Zm9v Zm9v", "Zg==Zg==", "=Zm9", "ab-_", "Zm9v*A==", "Zh==",
                          "Zm9="}) {
    EXPECT_FALSE(base64Decode(bad).has_value()) << bad;
  }
  EXPECT_FALSE(base64Decode(std::string_view("Zm\0v", 4)).has_value());
}

TEST(CryptoTest, RandomBytesHaveRequestedLengthAndDiffer) {
  EXPECT_EQ(randomBytes(0).size(), 0u);
  const std::string a = randomBytes(32);
  const std::string b = randomBytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

TEST(CryptoTest, ConstantTimeEquals) {
  EXPECT_TRUE(constantTimeEquals("", ""));
  EXPECT_TRUE(constantTimeEquals("abc", "abc"));
  EXPECT_FALSE(constantTimeEquals("abc", "abd"));
  EXPECT_FALSE(constantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(constantTimeEquals("", "a"));
  EXPECT_TRUE(constantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  EXPECT_FALSE(constantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

}  // namespace
}  // namespace telex::util
