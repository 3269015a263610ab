// The per-message hot paths of a 1:1 chat message, each on its own:
//   StreamParse     — XmlStreamParser turning a client's bytes into stanzas (expat + tree);
//   Serialize       — an Element back to bytes for the recipient (escaping included);
//   JidParse        — the recipient's address ('to'), ASCII and non-ASCII;
//   SessionLookup   — SessionManager::find among 10,000 bound sessions.
// And the per-login CPU of a SCRAM sign-in:
//   DecodeCredentials — the account's stored credentials (SHA-256 + SHA-1 entries) parsed;
//   ScramHmac         — one sasl::hmac over an AuthMessage-sized input;
//   ScramExchange     — ScramServer's three messages, client proof verified (SHA-1, SHA-256).
// The message is the one telex-bench sends: ~280 bytes, a 'to', an id and a padded body.
// Run: build/<dir>/telex_micro_bench --benchmark_filter='StreamParse|Serialize|JidParse|SessionLookup'
//      build/<dir>/telex_micro_bench --benchmark_filter='DecodeCredentials|ScramHmac|ScramExchange'
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "router/session_manager.hpp"
#include "sasl/credentials_codec.hpp"
#include "sasl/scram.hpp"
#include "stream/xml_stream_parser.hpp"
#include "util/base64.hpp"
#include "xml/element.hpp"

namespace {

using namespace telex;

constexpr std::string_view kClientNs = "jabber:client";
constexpr std::string_view kStreamOpen =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";

std::string chatMessage(int n) {
  std::string body = "t=1732190000000000000 ";
  body.append(180, 'x');
  return "<message to='bench" + std::to_string(n) + "@localhost/bench' type='chat' id='c1-" + std::to_string(n) +
         "'><body>" + body + "</body></message>";
}

class CountingHandler : public stream::StreamParserHandler {
 public:
  void onStreamOpen(const xml::Element&, std::string_view) override {}
  void onStanza(xml::Element stanza) override {
    ++stanzas;
    benchmark::DoNotOptimize(stanza);
  }
  void onStreamClose() override {}
  void onStreamError(stream::StreamError) override { failed = true; }
  std::size_t stanzas = 0;
  bool failed = false;
};

// 64 messages per feed, as a busy client's socket read delivers them.
void BM_StreamParse(benchmark::State& state) {
  std::string batch;
  for (int i = 0; i < 64; ++i) batch += chatMessage(i);
  CountingHandler handler;
  stream::XmlStreamParser parser(handler, stream::ParserLimits{1024 * 1024, 48});
  parser.feed(kStreamOpen);
  for (auto _ : state) parser.feed(batch);
  if (handler.failed) state.SkipWithError("parse failed");
  state.SetItemsProcessed(static_cast<std::int64_t>(handler.stanzas));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * batch.size()));
}
BENCHMARK(BM_StreamParse);

// What the router writes to the recipient: the parsed message with 'from' and 'to' set.
void BM_Serialize(benchmark::State& state) {
  xml::Element message("message", std::string(kClientNs));
  message.setAttr("from", "bench1@localhost/bench");
  message.setAttr("to", "bench2@localhost/bench");
  message.setAttr("type", "chat");
  message.setAttr("id", "c1-42");
  std::string body = "t=1732190000000000000 ";
  body.append(180, 'x');
  message.addChild(xml::Element("body", std::string(kClientNs))).addText(body);
  for (auto _ : state) benchmark::DoNotOptimize(xml::serialize(message, kClientNs));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Serialize);

void BM_JidParseAscii(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(Jid::parse("Bench1234@LocalHost/telex-bench"));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JidParseAscii);

// Needs the full stringprep profiles (libidn): the reference for the ASCII fast path above.
void BM_JidParseNonAscii(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(Jid::parse("B\xC3\xA9nch1234@LocalHost/t\xC3\xA9lex"));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JidParseNonAscii);

class IdleSession : public router::Session {
 public:
  IdleSession(net::Worker& worker, Jid jid) : worker_(worker), jid_(std::move(jid)) {}
  const Jid& jid() const override { return jid_; }
  net::Worker& worker() override { return worker_; }
  void deliver(const net::SharedBytes&) override {}
  void deliverPieces(const net::StanzaBytes&) override {}
  void closeWithError(stream::StreamErrorCondition, std::string_view) override {}

 private:
  net::Worker& worker_;
  Jid jid_;
};

void BM_SessionLookup(benchmark::State& state) {
  net::Worker worker(0);
  router::SessionManager sessions(10);
  std::vector<Jid> jids;
  for (int i = 0; i < 10000; ++i) {
    jids.push_back(*Jid::parse("bench" + std::to_string(i) + "@localhost/bench"));
    std::shared_ptr<router::Session> replaced;
    sessions.bind(std::make_shared<IdleSession>(worker, jids.back()), replaced);
  }
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(sessions.find(jids[(i++ * 7919) % jids.size()]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SessionLookup);

// What AccountStore keeps per user; 4096 iterations as in the default configuration.
void BM_DecodeCredentials(benchmark::State& state) {
  const std::string stored =
      sasl::encodeCredentials({sasl::makeScramCredentials(sasl::HashAlgo::Sha256, "bench", 4096),
                               sasl::makeScramCredentials(sasl::HashAlgo::Sha1, "bench", 4096)});
  for (auto _ : state) {
    auto decoded = sasl::decodeCredentials(stored);
    if (!decoded) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeCredentials);

void BM_ScramHmac(benchmark::State& state) {
  const std::string key(32, 'k');
  const std::string authMessage(150, 'a');
  for (auto _ : state) {
    benchmark::DoNotOptimize(sasl::hmac(sasl::HashAlgo::Sha256, key, authMessage));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ScramHmac);

// Arg 1: SCRAM-SHA-1 (what telex-bench uses), 256: SCRAM-SHA-256. The client side is computed
// once up front; each iteration is the server's work for one sign-in, without storage.
void BM_ScramExchange(benchmark::State& state) {
  const auto algo = state.range(0) == 1 ? sasl::HashAlgo::Sha1 : sasl::HashAlgo::Sha256;
  const std::string password = "bench";
  const auto credentials = sasl::makeScramCredentials(algo, password, 4096);
  const std::string clientFirst = "n,,n=bench1,r=fyko+d2lbbFgONRv9qkxdawL";
  const std::string serverNonce = "3rfcNHYJY1ZVvWVs7jAbCdEf";

  sasl::ScramServer probe(algo);
  probe.setServerNonceForTesting(serverNonce);
  if (!probe.receiveClientFirst(clientFirst)) state.SkipWithError("client-first refused");
  const std::string serverFirst = probe.serverFirst(credentials);
  const std::string withoutProof = "c=biws,r=" + serverFirst.substr(2, serverFirst.find(',') - 2);
  const std::string authMessage = clientFirst.substr(3) + "," + serverFirst + "," + withoutProof;
  const std::string salted =
      sasl::saltedPassword(algo, password, credentials.salt, credentials.iterations);
  std::string proof = sasl::hmac(algo, salted, "Client Key");
  const std::string signature = sasl::hmac(algo, sasl::digest(algo, proof), authMessage);
  for (std::size_t i = 0; i < proof.size(); ++i) proof[i] ^= signature[i];
  const std::string clientFinal = withoutProof + ",p=" + util::base64Encode(proof);

  for (auto _ : state) {
    sasl::ScramServer server(algo);
    server.setServerNonceForTesting(serverNonce);
    benchmark::DoNotOptimize(server.receiveClientFirst(clientFirst));
    benchmark::DoNotOptimize(server.serverFirst(credentials));
    auto final = server.receiveClientFinal(clientFinal);
    if (!final) state.SkipWithError("proof refused");
    benchmark::DoNotOptimize(final);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ScramExchange)->Arg(1)->Arg(256);

}  // namespace
