// Range header parsing for the HTTP listener (RFC 9110 §14).
#include <gtest/gtest.h>

#include "http/byte_range.hpp"

namespace telex::http {
namespace {

using Kind = ByteRange::Kind;

TEST(HttpByteRange, ClosedRange) {
  auto r = parseRange("bytes=0-99", 1000);
  EXPECT_EQ(r.kind, Kind::Partial);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.last, 99u);
  EXPECT_EQ(r.length(), 100u);
}

TEST(HttpByteRange, OpenEndedAndClippedToSize) {
  auto open = parseRange("bytes=900-", 1000);
  EXPECT_EQ(open.kind, Kind::Partial);
  EXPECT_EQ(open.first, 900u);
  EXPECT_EQ(open.last, 999u);
  auto clipped = parseRange("bytes=500-5000", 1000);
  EXPECT_EQ(clipped.kind, Kind::Partial);
  EXPECT_EQ(clipped.last, 999u);
}

TEST(HttpByteRange, Suffix) {
  auto r = parseRange("bytes=-100", 1000);
  EXPECT_EQ(r.kind, Kind::Partial);
  EXPECT_EQ(r.first, 900u);
  EXPECT_EQ(r.last, 999u);
  auto whole = parseRange("bytes=-5000", 1000);
  EXPECT_EQ(whole.kind, Kind::Partial);
  EXPECT_EQ(whole.first, 0u);
  EXPECT_EQ(parseRange("bytes=-0", 1000).kind, Kind::Unsatisfiable);
}

TEST(HttpByteRange, UnsatisfiableBeyondTheEnd) {
  EXPECT_EQ(parseRange("bytes=1000-", 1000).kind, Kind::Unsatisfiable);
  EXPECT_EQ(parseRange("bytes=2000-3000", 1000).kind, Kind::Unsatisfiable);
  EXPECT_EQ(parseRange("bytes=0-", 0).kind, Kind::Unsatisfiable);
  EXPECT_EQ(parseRange("bytes=-1", 0).kind, Kind::Unsatisfiable);
}

TEST(HttpByteRange, IgnoredWhenNotUnderstood) {
  for (const char* header : {"", "bytes", "bytes=", "items=0-1", "bytes=5-2", "bytes=a-b", "bytes=0-1,5-6",
                             "bytes=-", "bytes=+1-2", "bytes=1-2-3", "bytes=99999999999999999999999-"}) {
    EXPECT_EQ(parseRange(header, 1000).kind, Kind::Full) << header;
  }
}

TEST(HttpByteRange, UnitIsCaseInsensitiveAndBlanksAreAllowed) {
  auto r = parseRange("  Bytes= 10 - 19 ", 100);
  EXPECT_EQ(r.kind, Kind::Partial);
  EXPECT_EQ(r.first, 10u);
  EXPECT_EQ(r.last, 19u);
}

}  // namespace
}  // namespace telex::http
