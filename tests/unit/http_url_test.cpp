// Percent-encoding, query strings and request targets for the HTTP listener.
#include <gtest/gtest.h>

#include "http/url.hpp"

namespace telex::http {
namespace {

TEST(HttpUrl, EncodesAllButUnreserved) {
  EXPECT_EQ(percentEncode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(percentEncode("très cool.jpg"), "tr%C3%A8s%20cool.jpg");
  EXPECT_EQ(percentEncode("<&'\">/?#%"), "%3C%26%27%22%3E%2F%3F%23%25");
}

TEST(HttpUrl, DecodesStrictly) {
  EXPECT_EQ(percentDecode("tr%C3%A8s%20cool.jpg"), "très cool.jpg");
  EXPECT_EQ(percentDecode("a+b"), "a+b");
  EXPECT_EQ(percentDecode("%e2%82%ac"), "€");
  EXPECT_FALSE(percentDecode("%"));
  EXPECT_FALSE(percentDecode("%4"));
  EXPECT_FALSE(percentDecode("%zz"));
  EXPECT_FALSE(percentDecode("a%00b"));
}

TEST(HttpUrl, RoundTrip) {
  std::string name = "<&'\"> x/y.png";
  EXPECT_EQ(percentDecode(percentEncode(name)), name);
}

TEST(HttpUrl, QueryParameters) {
  EXPECT_EQ(queryParam("token=abc&x=1", "token"), "abc");
  EXPECT_EQ(queryParam("x=1&token=a%2Bb", "token"), "a+b");
  EXPECT_EQ(queryParam("flag&x=1", "flag"), "");
  EXPECT_FALSE(queryParam("x=1", "token"));
  EXPECT_FALSE(queryParam("", "token"));
  EXPECT_FALSE(queryParam("token=%zz", "token"));
  EXPECT_FALSE(queryParam("tokens=1", "token"));
}

TEST(HttpUrl, SplitsTargets) {
  auto t = splitTarget("/upload/ab/c.txt?token=1#frag");
  EXPECT_EQ(t.path, "/upload/ab/c.txt");
  EXPECT_EQ(t.query, "token=1");
  auto plain = splitTarget("/x");
  EXPECT_EQ(plain.path, "/x");
  EXPECT_EQ(plain.query, "");
}

}  // namespace
}  // namespace telex::http
