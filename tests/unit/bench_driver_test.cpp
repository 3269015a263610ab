// The benchmark driver's pure parts: latency percentiles, the stanzas it sends and parses back,
// and its SCRAM-SHA-1 client checked against the server's ScramServer.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "histogram.hpp"
#include "sasl/scram.hpp"
#include "stanzas.hpp"

namespace telex::bench {
namespace {

TEST(BenchHistogram, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(0.99), 0u);
}

TEST(BenchHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
  EXPECT_EQ(h.percentile(0.50), 50u);
  EXPECT_EQ(h.percentile(0.99), 99u);
  EXPECT_EQ(h.percentile(1.0), 100u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(BenchHistogram, LargeValuesWithinOnePercent) {
  LatencyHistogram h;
  std::vector<std::uint64_t> values;
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(8.0, 1.5);
  for (int i = 0; i < 100000; ++i) {
    auto v = static_cast<std::uint64_t>(dist(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    auto exact = values[static_cast<std::size_t>(std::ceil(q * values.size())) - 1];
    auto got = h.percentile(q);
    EXPECT_GE(got, exact) << q;
    EXPECT_LE(static_cast<double>(got), static_cast<double>(exact) * 1.01 + 1) << q;
  }
}

TEST(BenchHistogram, BucketsAreContiguousAndMonotonic) {
  std::uint64_t previous = 0;
  for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 129ull, 255ull, 256ull, 1000ull, 123456ull, 4000000000ull}) {
    auto b = LatencyHistogram::bucketOf(v);
    EXPECT_GE(LatencyHistogram::bucketUpperBound(b), v);
    EXPECT_GE(b, previous);
    previous = b;
    if (b > 0) {
      EXPECT_LT(LatencyHistogram::bucketUpperBound(b - 1), v);
    }
  }
}

TEST(BenchHistogram, MergeAddsCounts) {
  LatencyHistogram a, b;
  a.record(10);
  b.record(1000);
  b.record(2000);
  a.merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.max(), 2000u);
  EXPECT_EQ(a.min(), 10u);
}

TEST(BenchStanzas, ChatMessageHasSizeIdAndStamp) {
  auto m = chatMessage("bench2@localhost/bench", "chat", 'c', 17, 42, 123456789, 280);
  EXPECT_EQ(m.size(), 280u);
  EXPECT_NE(m.find("id='c17-42'"), std::string::npos);
  EXPECT_NE(m.find("to='bench2@localhost/bench'"), std::string::npos);
  auto bodyStart = m.find("<body>") + 6;
  auto body = m.substr(bodyStart, m.find("</body>") - bodyStart);
  EXPECT_EQ(parseSentNs(body), 123456789u);
  // A target smaller than the stanza never truncates it.
  EXPECT_GT(chatMessage("a@b", "chat", 'c', 1, 1, 1, 10).size(), 10u);
}

TEST(BenchStanzas, ParsesIdsAndStampsStrictly) {
  auto id = parseMessageId("g3-99");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->kind, 'g');
  EXPECT_EQ(id->sender, 3u);
  EXPECT_EQ(id->seq, 99u);
  EXPECT_FALSE(parseMessageId("c3"));
  EXPECT_FALSE(parseMessageId("c3-"));
  EXPECT_FALSE(parseMessageId("c-3"));
  EXPECT_FALSE(parseMessageId("c3-4x"));
  EXPECT_FALSE(parseSentNs("hello"));
  EXPECT_FALSE(parseSentNs("t=12abc"));
  EXPECT_EQ(parseSentNs("t=12"), 12u);
}

TEST(BenchScram, AgreesWithTheServerAndCachesKeys) {
  auto creds = sasl::deriveScramCredentials(sasl::HashAlgo::Sha1, "pencil", "saltsaltsalt", 4096);
  ScramSha1Client::KeyCache cache;
  for (int round = 0; round < 2; ++round) {
    ScramSha1Client client("bench1", "pencil", "clientnonce" + std::to_string(round));
    sasl::ScramServer server(sasl::HashAlgo::Sha1);
    auto first = server.receiveClientFirst(client.clientFirst());
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->username, "bench1");
    auto serverFirst = server.serverFirst(creds);
    auto final = client.clientFinal(serverFirst, cache);
    ASSERT_TRUE(final);
    auto serverFinal = server.receiveClientFinal(*final);
    ASSERT_TRUE(serverFinal.has_value());
    EXPECT_TRUE(client.verifyServerFinal(*serverFinal));
    EXPECT_FALSE(client.verifyServerFinal("v=AAAA"));
  }
  EXPECT_EQ(cache.derivations(), 1u);
}

TEST(BenchScram, WrongPasswordIsRefusedAndForeignNonceRejected) {
  auto creds = sasl::deriveScramCredentials(sasl::HashAlgo::Sha1, "right", "salt", 4096);
  ScramSha1Client::KeyCache cache;
  ScramSha1Client client("u", "wrong", "abc");
  sasl::ScramServer server(sasl::HashAlgo::Sha1);
  ASSERT_TRUE(server.receiveClientFirst(client.clientFirst()).has_value());
  auto final = client.clientFinal(server.serverFirst(creds), cache);
  ASSERT_TRUE(final);
  EXPECT_FALSE(server.receiveClientFinal(*final).has_value());
  EXPECT_FALSE(client.clientFinal("r=zzz,s=c2FsdA==,i=4096", cache));
}

TEST(BenchStanzas, AuthPlainEncodesNulSeparatedCredentials) {
  // base64("\0bench1\0pw") = "AGJlbmNoMQBwdw=="
  EXPECT_NE(authPlain("bench1", "pw").find(">AGJlbmNoMQBwdw==<"), std::string::npos);
}

}  // namespace
}  // namespace telex::bench
