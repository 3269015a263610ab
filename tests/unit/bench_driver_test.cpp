// The benchmark driver's pure parts: latency percentiles, the stanzas it sends and parses back,
// its SCRAM-SHA-1 client checked against the server's ScramServer, and the lean receive path
// (stanza framing, reading our messages) checked against the full parser.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "histogram.hpp"
#include "pacing.hpp"
#include "sasl/scram.hpp"
#include "scanner.hpp"
#include "stanzas.hpp"
#include "stream/xml_stream_parser.hpp"

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


TEST(BenchPacer, SendsEachMessageWhenDueAndNoMoreOftenThanATick) {
  for (double rate : {3.0, 200.0, 12000.0, 33333.3}) {
    Pacer pacer(rate);
    EXPECT_EQ(pacer.dueBy(0), 0u);
    for (std::uint64_t k = 1; k <= 100000; k += 997) {
      ASSERT_EQ(pacer.dueBy(pacer.dueAt(k)), k) << rate;
      ASSERT_EQ(pacer.dueBy(pacer.dueAt(k) - 1e-5), k - 1) << rate;
    }
  }
  const double tick = 250e-6;
  Pacer slow(100);  // one message every 10 ms: wake exactly when the next is due
  EXPECT_DOUBLE_EQ(slow.nextWake(1, 0.0101, tick), 0.02);
  Pacer fast(100000);  // 25 per tick: wake once per tick
  EXPECT_DOUBLE_EQ(fast.nextWake(100, 0.001, tick), 0.001 + tick);
  // Behind schedule (every window full): retry after a tick, not at once.
  EXPECT_DOUBLE_EQ(slow.nextWake(1, 0.5, tick), 0.5 + tick);
}

// ---- lean receive path ----------------------------------------------------------------------

constexpr std::string_view kHeader =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream="
    "'http://etherx.jabber.org/streams' id='s1' from='localhost' version='1.0'>";

// Top-level stanzas as a server writes them: nested, self-closing, both quote styles, '>' and '/'
// inside attribute values, text holding '>', whitespace between stanzas.
const std::vector<std::string> kStanzas = {
    "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN"
    "</mechanism></mechanisms></stream:features>",
    "<message from='bench1@localhost/bench' to='bench2@localhost/bench' type='chat' id='c0-1'>"
    "<body>t=123 xxxx</body></message>",
    "<presence from=\"bench3@localhost/a>b\" type='unavailable'/>",
    "<iq type='result' id='r1'><query xmlns='jabber:iq:roster'/></iq>",
    "<message id=\"g1-2\" type=\"groupchat\"><body>t=5 a > b</body><x a='/>'/></message>",
    "<presence/>",
};

struct Cut {
  std::string all;                     // every piece, concatenated
  std::vector<std::string> stanzas;    // the pieces marked as stanzas
  std::string nonStanza;               // the others, concatenated
};

// Feeds `input` in chunks of the given sizes (the last one repeats) and collects the pieces.
Cut cut(StanzaScanner& scanner, std::string_view input, std::vector<std::size_t> chunks) {
  Cut out;
  for (std::size_t i = 0, at = 0; at < input.size(); ++i) {
    std::size_t n = std::min(chunks[std::min(i, chunks.size() - 1)], input.size() - at);
    std::string chunk(input.substr(at, n));  // a fresh buffer, as each read overwrites the last
    at += n;
    scanner.push(chunk);
    while (auto piece = scanner.next()) {
      out.all += piece->bytes;
      if (piece->stanza) {
        out.stanzas.emplace_back(piece->bytes);
      } else {
        out.nonStanza += piece->bytes;
      }
    }
  }
  return out;
}

std::string joined(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& p : parts) out += p + std::string(separator);
  return out;
}

TEST(BenchScanner, FindsEveryStanzaWhereverTheReadsSplit) {
  const std::string stream = std::string(kHeader) + joined(kStanzas, "\n ") + "</stream:stream>";
  for (std::size_t split = 1; split < stream.size(); ++split) {
    StanzaScanner scanner;
    auto got = cut(scanner, stream, {split, stream.size()});
    ASSERT_EQ(got.all, stream) << "split at " << split;
    ASSERT_EQ(got.stanzas, kStanzas) << "split at " << split;
    EXPECT_FALSE(scanner.gaveUp());
  }
  StanzaScanner byteByByte;
  auto got = cut(byteByByte, stream, {1});
  EXPECT_EQ(got.stanzas, kStanzas);
  // The header, the separators and the root's end tag are the rest.
  std::string rest(kHeader);
  for (std::size_t i = 0; i < kStanzas.size(); ++i) rest += "\n ";
  EXPECT_EQ(got.nonStanza, rest + "</stream:stream>");
}

TEST(BenchScanner, RestartsTheStreamAfterSaslSuccess) {
  const std::string success = "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>";
  const std::string input = std::string(kHeader) + kStanzas[0] + success + std::string(kHeader) + kStanzas[1];
  for (std::size_t split = 1; split < input.size(); ++split) {
    StanzaScanner scanner;
    std::string all;
    std::vector<std::string> stanzas;
    for (std::string_view chunk : {std::string_view(input).substr(0, split), std::string_view(input).substr(split)}) {
      scanner.push(chunk);
      while (auto piece = scanner.next()) {
        all += piece->bytes;
        if (!piece->stanza) continue;
        stanzas.emplace_back(piece->bytes);
        if (piece->bytes == success) scanner.restart();  // as the session does
      }
    }
    ASSERT_EQ(all, input) << split;
    ASSERT_EQ(stanzas, (std::vector<std::string>{kStanzas[0], success, kStanzas[1]})) << split;
  }
}

TEST(BenchScanner, GivesUpOnCommentsAndCdataButKeepsEveryByte) {
  const std::string cdata = "<message id='c1-1' type='chat'><body><![CDATA[t=1 <x>]]></body></message>";
  for (const std::string& odd : {std::string("<!-- a comment -->"), cdata, std::string("<?pi x?>")}) {
    const std::string input = std::string(kHeader) + kStanzas[1] + odd + kStanzas[2];
    for (std::size_t split = 1; split < input.size(); ++split) {
      StanzaScanner scanner;
      auto got = cut(scanner, input, {split, input.size()});
      ASSERT_EQ(got.all, input) << odd << " split at " << split;
      ASSERT_TRUE(scanner.gaveUp()) << odd << " split at " << split;
      // Up to the odd markup it frames as usual; from there everything is handed over as is.
      ASSERT_EQ(got.stanzas, std::vector<std::string>{kStanzas[1]}) << odd << " split at " << split;
    }
  }
}

// The full path's reading of a stanza: XmlStreamParser's tree, then ourMessage().
std::optional<OurMessage> viaFullParser(std::string_view stanza) {
  struct Collect : stream::StreamParserHandler {
    std::vector<xml::Element> stanzas;
    void onStreamOpen(const xml::Element&, std::string_view) override {}
    void onStanza(xml::Element stanza) override { stanzas.push_back(std::move(stanza)); }
    void onStreamClose() override {}
    void onStreamError(stream::StreamError) override {}
  } collect;
  stream::XmlStreamParser parser(collect, stream::ParserLimits{});
  parser.feed(std::string(kHeader) + std::string(stanza));
  EXPECT_EQ(collect.stanzas.size(), 1u) << stanza;
  if (collect.stanzas.size() != 1 || collect.stanzas[0].name() != "message") return std::nullopt;
  return ourMessage(collect.stanzas[0]);
}

TEST(BenchScanner, ReadsOurMessagesAsTheFullParserDoes) {
  struct Case {
    std::string stanza;
    bool lean;  // read without the full parser
  };
  const std::string relayed = chatMessage("bench2@localhost/bench", "chat", 'c', 17, 42, 123456789, 280);
  const std::vector<Case> cases = {
      {relayed, true},
      {"<message from='bench1@localhost/bench' to='b@l/x' type='chat' id='c1-2' xmlns='jabber:client'>"
       "<body>t=99 x &amp; y</body></message>", true},
      {"<message id = \"g3-4\"\ttype=\"groupchat\" from='benchroom@conference.localhost/u3'>"
       "<x xmlns='http://jabber.org/protocol/muc#user'><body>t=1</body></x><body>t=2</body></message>", true},
      {"<message type='chat' id='c1-2' from='a@b/c>d'><stanza-id xmlns='urn:xmpp:sid:0' id='x' by='a@b'/>"
       "<body xml:lang='en'>t=7</body></message>", true},
      // Not deliveries, or not ours: the full parser agrees there is nothing to count.
      {"<message type='error' id='c1-2'><body>t=1</body><error type='cancel'/></message>", false},
      {"<message type='groupchat' id='c1-2'><body>t=1</body></message>", false},
      {"<message id='c1-2'><body>t=1</body></message>", false},
      {"<message type='chat' id='hello'><body>t=1</body></message>", false},
      {"<message type='chat' id='c1-2'/>", false},
      {"<message type='chat' id='c1-2'><body>hi</body></message>", false},
      {"<message type='chat' id='c1-2'><body/></message>", false},
      {"<message type='chat' id='c1-2'><x><body>t=1</body></x></message>", false},
      {"<message type='chat' id='c1-2' xmlns='urn:other'><body>t=1</body></message>", false},
      {"<presence type='chat' id='c1-2'><body>t=1</body></presence>", false},
      // Ours, but only after entity decoding or with markup the lean reader leaves alone: the
      // full parser reads them.
      {"<message type='ch&#97;t' id='c1-2'><body>t=3</body></message>", false},
      {"<message type='chat' id='c1&#45;2'><body>t=3</body></message>", false},
      {"<message type='chat' id='c1-2'><body>t=3&#32;x</body></message>", false},
      {"<message type='chat' id='c1-2' xmlns:p='urn:p'><p:body>t=3</p:body><body>t=4</body></message>", false},
      {"<message type='chat' id='c1-2'><body>t=3<b>x</b></body></message>", false},
      {"<message type='chat' id='c1-2'><![CDATA[<body>t=1</body>]]><body>t=2</body></message>", false},
  };
  for (const auto& c : cases) {
    auto lean = readOurMessage(c.stanza);
    auto full = viaFullParser(c.stanza);
    EXPECT_EQ(lean.has_value(), c.lean) << c.stanza;
    if (!lean) continue;  // the session then asks the full parser
    ASSERT_TRUE(full) << c.stanza;
    EXPECT_EQ(lean->id.kind, full->id.kind) << c.stanza;
    EXPECT_EQ(lean->id.sender, full->id.sender) << c.stanza;
    EXPECT_EQ(lean->id.seq, full->id.seq) << c.stanza;
    EXPECT_EQ(lean->sentNs, full->sentNs) << c.stanza;
  }
  auto ours = readOurMessage(relayed);
  ASSERT_TRUE(ours);
  EXPECT_EQ(ours->id.sender, 17u);
  EXPECT_EQ(ours->id.seq, 42u);
  EXPECT_EQ(ours->sentNs, 123456789u);
}

}  // namespace
}  // namespace telex::bench
