// telex-bench: an XMPP load driver. Logs in N users over plain TCP or direct TLS (from several
// 127.x source addresses), then runs one scenario (connect, chat, presence, muc) and reports throughput,
// latency, loss and the server's RSS and CPU time read from /proc/<server-pid>. One thread, one
// io_context: every counter below is touched from that thread only.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "histogram.hpp"
#include "stanzas.hpp"
#include "stream/xml_stream_parser.hpp"
#include "util/base64.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;
using telex::bench::LatencyHistogram;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kStreamsNs = "http://etherx.jabber.org/streams";
constexpr std::string_view kSaslNs = "urn:ietf:params:xml:ns:xmpp-sasl";

std::uint64_t nowNs() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string_view bareOf(std::string_view jid) { return jid.substr(0, jid.find('/')); }

// Server-side figures from /proc: resident memory and CPU time of the server process.
struct ProcStats {
  int pid = 0;
  std::optional<std::uint64_t> rssKb() const {
    if (pid <= 0) return std::nullopt;
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
    }
    return std::nullopt;
  }
  std::optional<double> cpuSeconds() const {
    if (pid <= 0) return std::nullopt;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = all.rfind(')');  // the command name may hold spaces
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(all.substr(close + 2));
    std::string field;
    std::uint64_t utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
};

double selfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return tv(usage.ru_utime) + tv(usage.ru_stime);
}

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 5222;
  std::string domain = "localhost";
  std::string prefix = "bench";
  std::string password = "bench";
  std::string mechanism = "scram";  // scram | plain
  std::string scenario = "connect";
  std::size_t users = 100;
  std::size_t firstUser = 1;
  std::size_t sources = 8;
  std::size_t loginWindow = 100;
  int serverPid = 0;
  double duration = 10;
  double hold = 0;
  double drain = 10;
  double timeout = 600;
  std::size_t senders = 0;  // 0 = every session
  double rate = 0;          // messages/s over all senders; 0 = as fast as the window allows
  std::size_t window = 8;   // in-flight messages per sender
  std::size_t messageBytes = 280;
  bool halfRate = false;
  std::size_t contacts = 20;
  std::size_t presenceRounds = 5;
  std::size_t occupants = 500;
  std::string mucDomain;  // empty = conference.<domain>
  std::string json;       // write the result here too
  bool quiet = false;
  bool tls = false;  // direct TLS (XEP-0368) to --port; the certificate is not checked
};

struct Phase {
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::uint64_t expected = 0;
  std::uint64_t errors = 0;
  LatencyHistogram latency;
  Clock::time_point start;
  Clock::time_point lastDelivery;
  double serverCpuStart = 0;
  double selfCpuStart = 0;
  bool sending = false;
  bool active = false;
};

class Driver;

class Session : public telex::stream::StreamParserHandler, public std::enable_shared_from_this<Session> {
 public:
  enum class State { Connecting, Auth, Bind, Roster, Ready, Failed };

  Session(Driver& driver, asio::io_context& io, asio::ssl::context& tls, bool useTls, std::uint32_t index,
          std::string user)
      : driver_(driver), stream_(io, tls), tls_(useTls), index_(index), user_(std::move(user)),
        parser_(std::make_unique<telex::stream::XmlStreamParser>(
            *this, telex::stream::ParserLimits{1024 * 1024, 48})) {}

  void start(const tcp::endpoint& server, const asio::ip::address& local);
  void send(std::string_view data);
  void fail(std::string why);

  std::uint32_t index() const { return index_; }
  const std::string& user() const { return user_; }
  const std::string& jid() const { return jid_; }
  std::string bare() const { return std::string(bareOf(jid_)); }
  State state() const { return state_; }

  // Per-scenario bookkeeping the driver keeps on the session.
  std::uint64_t seq = 0;
  std::uint64_t inflight = 0;
  std::string nick;

 private:
  void begin();
  void read();
  void flush();
  tcp::socket& socket() { return stream_.next_layer(); }
  void onStreamOpen(const telex::xml::Element&, std::string_view) override {}
  void onStanza(telex::xml::Element stanza) override;
  void onStreamClose() override { fail("stream closed by server"); }
  void onStreamError(telex::stream::StreamError error) override { fail("parse error: " + error.text); }
  void onSasl(const telex::xml::Element& stanza);

  Driver& driver_;
  asio::ssl::stream<tcp::socket> stream_;  // only its TCP socket is used without --tls
  bool tls_;
  std::uint32_t index_;
  std::string user_;
  std::string jid_;
  State state_ = State::Connecting;
  std::unique_ptr<telex::stream::XmlStreamParser> parser_;
  std::optional<telex::bench::ScramSha1Client> scram_;
  std::array<char, 4096> buffer_{};
  std::string outbox_;
  std::string writing_;
  bool writeActive_ = false;
};

class Driver {
 public:
  explicit Driver(Options options) : options_(std::move(options)), server_{options_.serverPid}, timer_(io_) {
    if (options_.mucDomain.empty()) options_.mucDomain = "conference." + options_.domain;
    room_ = "benchroom@" + options_.mucDomain;
  }

  int run();

  // Session callbacks.
  void onReady(Session& session);
  void onFailed(Session& session, const std::string& why);
  void onMessage(Session& session, const telex::xml::Element& stanza);
  void onPresence(Session& session, const telex::xml::Element& stanza);
  void onIqResult(Session& session, const telex::xml::Element& stanza);
  telex::bench::ScramSha1Client::KeyCache& keyCache() { return keyCache_; }
  // A benchmark's SCRAM nonce only has to be unique per exchange, not secret.
  std::string nonce() {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%016llx%08x", static_cast<unsigned long long>(rng_()),
                  static_cast<unsigned>(++nonces_));
    return buf;
  }
  const Options& options() const { return options_; }

 private:
  void log(const std::string& line) const {
    if (!options_.quiet) std::cerr << "[telex-bench] " << line << std::endl;
  }
  void loginMore();
  // Runs the io_context until done() or the deadline; false on timeout.
  bool runUntil(const std::function<bool()>& done, double seconds);
  void sleepFor(double seconds) { runUntil([] { return false; }, seconds); }

  void beginPhase(Phase& phase);
  nlohmann::json endPhase(Phase& phase);
  void chatPhase(Phase& phase, double rate, double seconds);
  void sendChat(Session& from);
  void presenceScenario(nlohmann::json& result);
  void mucScenario(nlohmann::json& result);
  void sendGroupchat(Session& from);

  Options options_;
  ProcStats server_;
  asio::io_context io_;
  asio::steady_timer timer_;
  // --tls: a benchmark on loopback against a self-signed certificate; no verification.
  asio::ssl::context tlsContext_{asio::ssl::context::tls_client};
  std::vector<std::shared_ptr<Session>> sessions_;
  std::vector<Session*> ready_;
  std::size_t nextLogin_ = 0;
  std::size_t loginsInFlight_ = 0;
  std::size_t failures_ = 0;
  std::string firstError_;
  telex::bench::ScramSha1Client::KeyCache keyCache_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::uint32_t nonces_ = 0;
  tcp::endpoint serverEndpoint_;

  Phase* phase_ = nullptr;  // the phase deliveries count towards
  double pacedRate_ = 0;    // > 0: the current chat phase is paced, not window-driven
  bool closing_ = false;    // sessions are being closed on purpose
  std::size_t chatSenders_ = 0;
  std::size_t window_ = 8;

  // presence
  std::uint64_t subscribedSeen_ = 0;
  bool presenceMeasuring_ = false;

  // muc
  std::string room_;
  std::size_t joined_ = 0;
  std::vector<Session*> occupants_;
  bool ownerConfigured_ = false;
};

// ---------------------------------------------------------------------------------------------

void Session::start(const tcp::endpoint& server, const asio::ip::address& local) {
  boost::system::error_code ec;
  socket().open(tcp::v4(), ec);
  if (!ec) socket().bind(tcp::endpoint(local, 0), ec);
  if (ec) return fail("bind " + local.to_string() + ": " + ec.message());
  socket().async_connect(server, [self = shared_from_this()](const boost::system::error_code& error) {
    if (error) return self->fail("connect: " + error.message());
    self->socket().set_option(tcp::no_delay(true));
    if (!self->tls_) return self->begin();
    self->stream_.async_handshake(asio::ssl::stream_base::client,
                                  [self](const boost::system::error_code& error) {
                                    if (error) return self->fail("TLS handshake: " + error.message());
                                    self->begin();
                                  });
  });
}

void Session::begin() {
  state_ = State::Auth;
  send(telex::bench::streamHeader(driver_.options().domain));
  read();
}

void Session::read() {
  auto onRead = [self = shared_from_this()](const boost::system::error_code& error, std::size_t n) {
    if (self->state_ == State::Failed) return;
    if (error) return self->fail("read: " + error.message());
    std::string_view data(self->buffer_.data(), n);
    while (!data.empty() && self->state_ != State::Failed) {
      std::size_t used = self->parser_->feed(data);
      if (self->parser_->failed() || used == 0) break;
      data.remove_prefix(used);
    }
    if (self->state_ != State::Failed) self->read();
  };
  if (tls_) {
    stream_.async_read_some(asio::buffer(buffer_), std::move(onRead));
  } else {
    socket().async_read_some(asio::buffer(buffer_), std::move(onRead));
  }
}

void Session::send(std::string_view data) {
  if (state_ == State::Failed) return;
  outbox_ += data;
  if (!writeActive_) flush();
}

void Session::flush() {
  writing_.clear();
  std::swap(writing_, outbox_);
  writeActive_ = true;
  auto onWritten = [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
    self->writeActive_ = false;
    if (error) return self->fail("write: " + error.message());
    if (!self->outbox_.empty()) self->flush();
  };
  if (tls_) {
    asio::async_write(stream_, asio::buffer(writing_), std::move(onWritten));
  } else {
    asio::async_write(socket(), asio::buffer(writing_), std::move(onWritten));
  }
}

void Session::fail(std::string why) {
  if (state_ == State::Failed) return;
  auto previous = state_;
  state_ = State::Failed;
  boost::system::error_code ignored;
  socket().close(ignored);
  if (previous != State::Failed) driver_.onFailed(*this, why);
}

void Session::onSasl(const telex::xml::Element& stanza) {
  auto payload = telex::util::base64Decode(stanza.textContent());
  if (stanza.name() == "failure") return fail("authentication failed");
  if (!payload) return fail("bad base64 from server");
  if (stanza.name() == "challenge") {
    if (!scram_) return fail("unexpected challenge");
    if (auto final = scram_->clientFinal(*payload, driver_.keyCache())) {
      return send(telex::bench::saslResponse(*final));
    }
    if (scram_->verifyServerFinal(*payload)) return send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    return fail("bad SCRAM challenge");
  }
  if (stanza.name() == "success") {
    if (scram_ && !payload->empty() && !scram_->verifyServerFinal(*payload)) return fail("server signature mismatch");
    state_ = State::Bind;
    parser_->reset();  // the next bytes are a new stream
    send(telex::bench::streamHeader(driver_.options().domain));
  }
}

void Session::onStanza(telex::xml::Element stanza) {
  const std::string& name = stanza.name();
  if (stanza.xmlns() == kStreamsNs) {
    if (name == "error") {
      const auto* condition = stanza.firstElement();
      return fail("stream error: " + (condition ? condition->name() : std::string("?")));
    }
    if (name != "features") return;
    if (state_ == State::Auth) {
      if (driver_.options().mechanism == "plain") return send(telex::bench::authPlain(user_, driver_.options().password));
      scram_.emplace(user_, driver_.options().password, driver_.nonce());
      return send(telex::bench::authScramSha1(scram_->clientFirst()));
    }
    if (state_ == State::Bind) return send(telex::bench::bindIq("bind", "bench"));
    return;
  }
  if (stanza.xmlns() == kSaslNs) return onSasl(stanza);
  if (name == "message") return driver_.onMessage(*this, stanza);
  if (name == "presence") return driver_.onPresence(*this, stanza);
  if (name != "iq") return;
  auto type = stanza.attrOr("type", "");
  auto id = stanza.attrOr("id", "");
  if (type == "get" || type == "set") {  // roster pushes, pings: acknowledge
    std::string reply = "<iq type='result' id='" + telex::xml::escapeAttribute(id) + "'";
    if (auto from = stanza.attr("from")) reply += " to='" + telex::xml::escapeAttribute(*from) + "'";
    return send(reply + "/>");
  }
  if (type == "error" && state_ != State::Ready) return fail("iq error during login (" + std::string(id) + ")");
  if (id == "bind") {
    const auto* bind = stanza.child("bind", "urn:ietf:params:xml:ns:xmpp-bind");
    jid_ = bind ? bind->childText("jid", "urn:ietf:params:xml:ns:xmpp-bind") : "";
    if (jid_.empty()) return fail("bind result without jid");
    state_ = State::Roster;
    return send(telex::bench::rosterGetIq("r1"));
  }
  if (id == "r1") return send("<presence/>" + telex::bench::rosterGetIq("r2"));
  if (id == "r2" && state_ == State::Roster) {
    state_ = State::Ready;
    return driver_.onReady(*this);
  }
  driver_.onIqResult(*this, stanza);
}

// ---------------------------------------------------------------------------------------------

bool Driver::runUntil(const std::function<bool()>& done, double seconds) {
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    io_.restart();
    io_.run_for(std::chrono::milliseconds(5));
  }
  return true;
}

void Driver::onFailed(Session& session, const std::string& why) {
  if (closing_) return;
  ++failures_;
  if (firstError_.empty()) firstError_ = session.user() + ": " + why;
  if (failures_ <= 5) log("session " + session.user() + " failed: " + why);
  auto it = std::find(ready_.begin(), ready_.end(), &session);
  if (it != ready_.end()) {
    ready_.erase(it);
  } else if (loginsInFlight_ > 0) {
    --loginsInFlight_;
    loginMore();
  }
}

void Driver::onReady(Session& session) {
  ready_.push_back(&session);
  --loginsInFlight_;
  loginMore();
}

void Driver::loginMore() {
  while (loginsInFlight_ < options_.loginWindow && nextLogin_ < options_.users) {
    auto index = static_cast<std::uint32_t>(nextLogin_++);
    auto user = options_.prefix + std::to_string(options_.firstUser + index);
    auto session = std::make_shared<Session>(*this, io_, tlsContext_, options_.tls, index, user);
    sessions_.push_back(session);
    ++loginsInFlight_;
    // 127.0.0.1 … 127.0.0.<sources>: spreads the connections over source addresses.
    asio::ip::address_v4::bytes_type local{127, 0, 0, static_cast<unsigned char>(1 + index % options_.sources)};
    session->start(serverEndpoint_, asio::ip::address_v4(local));
  }
}

void Driver::beginPhase(Phase& phase) {
  phase = Phase{};
  phase.start = Clock::now();
  phase.lastDelivery = phase.start;
  phase.serverCpuStart = server_.cpuSeconds().value_or(0);
  phase.selfCpuStart = selfCpuSeconds();
  phase.active = true;
  phase.sending = true;
  phase_ = &phase;
}

nlohmann::json Driver::endPhase(Phase& phase) {
  phase.active = false;
  phase_ = nullptr;
  double elapsed = std::max(1e-6, std::chrono::duration<double>(phase.lastDelivery - phase.start).count());
  auto cpuNow = server_.cpuSeconds();
  // A server that died mid-phase has no /proc entry left: report no CPU rather than a negative one.
  double serverCpu = cpuNow ? *cpuNow - phase.serverCpuStart : 0.0;
  nlohmann::json out;
  if (server_.pid > 0 && !cpuNow) out["server_gone"] = true;
  out["sent"] = phase.sent;
  out["expected"] = phase.expected;
  out["received"] = phase.received;
  out["lost"] = phase.expected > phase.received ? phase.expected - phase.received : 0;
  out["errors"] = phase.errors;
  out["seconds"] = elapsed;
  out["deliveries_per_s"] = static_cast<double>(phase.received) / elapsed;
  out["sent_per_s"] = static_cast<double>(phase.sent) / elapsed;
  out["p50_us"] = phase.latency.percentile(0.50);
  out["p99_us"] = phase.latency.percentile(0.99);
  out["p999_us"] = phase.latency.percentile(0.999);
  out["max_us"] = phase.latency.max();
  out["server_cpu_s"] = serverCpu;
  out["driver_cpu_s"] = selfCpuSeconds() - phase.selfCpuStart;
  out["deliveries_per_server_cpu_s"] = serverCpu > 0 ? static_cast<double>(phase.received) / serverCpu : 0.0;
  out["server_cpu_s_per_1000"] = phase.received > 0 ? serverCpu * 1000.0 / static_cast<double>(phase.received) : 0.0;
  return out;
}

// ---- chat -------------------------------------------------------------------------------------

void Driver::sendChat(Session& from) {
  if (ready_.size() < 2) return;
  Session* to = nullptr;
  do {
    to = ready_[std::uniform_int_distribution<std::size_t>(0, ready_.size() - 1)(rng_)];
  } while (to == &from);
  ++from.inflight;
  ++phase_->sent;
  ++phase_->expected;
  from.send(telex::bench::chatMessage(to->jid(), "chat", 'c', from.index(), ++from.seq, nowNs(), options_.messageBytes));
}

void Driver::chatPhase(Phase& phase, double rate, double seconds) {
  beginPhase(phase);
  pacedRate_ = rate;
  std::vector<Session*> senders(ready_.begin(), ready_.begin() + static_cast<std::ptrdiff_t>(chatSenders_));
  for (auto* s : senders) s->inflight = 0;
  if (rate <= 0) {
    for (auto* s : senders) {
      for (std::size_t i = 0; i < window_; ++i) sendChat(*s);
    }
    runUntil([] { return false; }, seconds);
  } else {
    // Paced: every few ms send what the schedule says is due, round-robin over senders with room.
    std::size_t next = 0;
    auto start = Clock::now();
    runUntil([&] {
      double due = rate * secondsSince(start) - static_cast<double>(phase.sent);
      for (std::size_t tries = 0; due >= 1 && tries < senders.size(); ++next) {
        auto* s = senders[next % senders.size()];
        if (s->inflight < window_ && s->state() == Session::State::Ready) {
          sendChat(*s);
          due -= 1;
          tries = 0;
        } else {
          ++tries;
        }
      }
      return false;
    }, seconds);
  }
  phase.sending = false;
  runUntil([&] { return phase.received + phase.errors >= phase.expected; }, options_.drain);
}

void Driver::onMessage(Session& session, const telex::xml::Element& stanza) {
  auto type = stanza.attrOr("type", "normal");
  auto id = telex::bench::parseMessageId(stanza.attrOr("id", ""));
  if (!phase_ || !id) return;
  if (type == "error") {
    ++phase_->errors;
    if (phase_->errors <= 3) log("message error: " + telex::xml::serialize(stanza));
    return;
  }
  auto sent = telex::bench::parseSentNs(stanza.childText("body"));
  if (!sent) return;
  if (id->kind == 'c' && type == "chat") {
    ++phase_->received;
    phase_->lastDelivery = Clock::now();
    phase_->latency.record((nowNs() - *sent) / 1000);
    if (id->sender < sessions_.size()) {
      auto& from = *sessions_[id->sender];
      if (from.inflight > 0) --from.inflight;
      if (phase_->sending && pacedRate_ <= 0 && from.state() == Session::State::Ready) sendChat(from);
    }
  } else if (id->kind == 'g' && type == "groupchat") {
    ++phase_->received;
    phase_->lastDelivery = Clock::now();
    phase_->latency.record((nowNs() - *sent) / 1000);
    // The sender's own echo frees a slot in its window.
    if (id->sender == session.index()) {
      if (session.inflight > 0) --session.inflight;
      if (phase_->sending) sendGroupchat(session);
    }
  }
}

// ---- presence ---------------------------------------------------------------------------------

void Driver::onPresence(Session& session, const telex::xml::Element& stanza) {
  auto type = stanza.attrOr("type", "");
  auto from = stanza.attrOr("from", "");
  if (type == "subscribe") {
    session.send("<presence type='subscribed' to='" + std::string(bareOf(from)) + "'/>");
    return;
  }
  if (type == "subscribed") {
    ++subscribedSeen_;
    return;
  }
  if (!occupants_.empty() && bareOf(from) == room_) {
    // MUC join: our own occupant presence (status 110, or from our nick) means we are in.
    if (from.substr(from.find('/') + 1) == session.nick && session.inflight == 1000000) {
      session.inflight = 0;
      ++joined_;
    }
    return;
  }
  if (!presenceMeasuring_ || !phase_ || bareOf(from) == bareOf(session.jid())) return;
  auto status = stanza.childText("status");
  auto sent = telex::bench::parseSentNs(status);
  if (!sent) return;
  ++phase_->received;
  phase_->lastDelivery = Clock::now();
  phase_->latency.record((nowNs() - *sent) / 1000);
}

void Driver::presenceScenario(nlohmann::json& result) {
  const std::size_t n = ready_.size();
  const std::size_t half = std::min(options_.contacts / 2, (n - 1) / 2);
  // Ring: each user subscribes to its `half` neighbours on each side and approves everyone, so
  // every roster ends with 2*half mutual contacts. Same in-band procedure on every server.
  auto setupStart = Clock::now();
  std::uint64_t expectedSubscribed = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t d = 1; d <= half; ++d) {
      for (std::size_t j : {(i + d) % n, (i + n - d) % n}) {
        ready_[i]->send("<presence type='subscribe' to='" + ready_[j]->bare() + "'/>");
        ++expectedSubscribed;
      }
    }
    if (i % 200 == 199) sleepFor(0.05);  // let the server keep up
  }
  bool ok = runUntil([&] { return subscribedSeen_ >= expectedSubscribed; }, 120);
  sleepFor(2);  // trailing presence probes and roster pushes settle
  log("roster setup: " + std::to_string(subscribedSeen_) + "/" + std::to_string(expectedSubscribed) +
      " subscriptions in " + std::to_string(secondsSince(setupStart)) + " s");
  result["roster_setup_s"] = secondsSince(setupStart);
  result["roster_setup_complete"] = ok;
  result["contacts"] = 2 * half;

  Phase phase;
  presenceMeasuring_ = true;
  beginPhase(phase);
  const char* shows[] = {"away", "chat", "dnd", "xa"};
  for (std::size_t round = 0; round < options_.presenceRounds; ++round) {
    std::uint64_t target = phase.received + n * 2 * half;
    for (auto* s : ready_) {
      std::string status = "t=" + std::to_string(nowNs()) + " round " + std::to_string(round);
      s->send("<presence><show>" + std::string(shows[round % 4]) + "</show><status>" + status + "</status></presence>");
      ++phase.sent;
    }
    phase.expected += n * 2 * half;
    runUntil([&] { return phase.received >= target; }, 30);
  }
  presenceMeasuring_ = false;
  result["presence"] = endPhase(phase);
}

// ---- muc --------------------------------------------------------------------------------------

void Driver::sendGroupchat(Session& from) {
  ++from.inflight;
  ++phase_->sent;
  phase_->expected += occupants_.size();
  from.send(telex::bench::chatMessage(room_, "groupchat", 'g', from.index(), ++from.seq, nowNs(), options_.messageBytes));
}

void Driver::onIqResult(Session& session, const telex::xml::Element& stanza) {
  if (stanza.attrOr("id", "") == "roomcfg") {
    ownerConfigured_ = true;
    if (stanza.attrOr("type", "") == "error") log("room configuration refused: " + telex::xml::serialize(stanza));
  }
  (void)session;
}

void Driver::mucScenario(nlohmann::json& result) {
  const std::size_t k = std::min(options_.occupants, ready_.size());
  occupants_.assign(ready_.begin(), ready_.begin() + static_cast<std::ptrdiff_t>(k));
  auto join = [&](Session& s) {
    s.nick = "u" + std::to_string(s.index());
    s.inflight = 1000000;  // marker: join pending
    s.send("<presence to='" + room_ + "/" + s.nick +
           "'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>");
  };
  auto joinStart = Clock::now();
  // The first occupant creates the room and accepts the default configuration (instant room,
  // XEP-0045 §10.1.2) so that servers which lock new rooms let the others in.
  join(*occupants_[0]);
  runUntil([&] { return joined_ >= 1; }, 10);
  occupants_[0]->send("<iq type='set' id='roomcfg' to='" + room_ +
                      "'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
                      "type='submit'/></query></iq>");
  runUntil([&] { return ownerConfigured_; }, 10);
  for (std::size_t i = 1; i < k; ++i) {
    join(*occupants_[i]);
    if (i % 25 == 0) runUntil([&] { return joined_ >= i; }, 20);  // bounded join window
  }
  bool allJoined = runUntil([&] { return joined_ >= k; }, 60);
  sleepFor(1);
  log("muc: " + std::to_string(joined_) + "/" + std::to_string(k) + " joined in " +
      std::to_string(secondsSince(joinStart)) + " s");
  result["occupants"] = joined_;
  result["muc_join_s"] = secondsSince(joinStart);
  if (!allJoined) result["muc_join_incomplete"] = true;

  Phase phase;
  beginPhase(phase);
  std::size_t senders = std::min<std::size_t>(options_.senders == 0 ? 10 : options_.senders, k);
  for (std::size_t i = 0; i < senders; ++i) {
    occupants_[i]->inflight = 0;
    for (std::size_t w = 0; w < window_; ++w) sendGroupchat(*occupants_[i]);
  }
  runUntil([] { return false; }, options_.duration);
  phase.sending = false;
  runUntil([&] { return phase.received + phase.errors >= phase.expected; }, options_.drain);
  result["muc"] = endPhase(phase);
  result["muc"]["senders"] = senders;
}

// ---- main flow --------------------------------------------------------------------------------

int Driver::run() {
  serverEndpoint_ = tcp::endpoint(asio::ip::make_address(options_.host), options_.port);
  window_ = std::max<std::size_t>(1, options_.window);
  auto started = Clock::now();
  nlohmann::json result;
  result["scenario"] = options_.scenario;
  result["users"] = options_.users;
  result["mechanism"] = options_.mechanism;
  result["tls"] = options_.tls;

  auto rssBefore = server_.rssKb();
  double cpuBefore = server_.cpuSeconds().value_or(0);
  auto loginStart = Clock::now();
  loginMore();
  runUntil([&] { return loginsInFlight_ == 0 && nextLogin_ >= options_.users; }, options_.timeout);
  double loginSeconds = secondsSince(loginStart);
  double loginCpu = server_.cpuSeconds().value_or(0) - cpuBefore;
  log(std::to_string(ready_.size()) + " sessions signed in in " + std::to_string(loginSeconds) + " s (" +
      std::to_string(failures_) + " failed, " + std::to_string(keyCache_.derivations()) + " PBKDF2 runs)");
  result["sessions"] = ready_.size();
  result["login_failures"] = failures_;
  if (!firstError_.empty()) result["first_error"] = firstError_;
  result["login_s"] = loginSeconds;
  result["logins_per_s"] = static_cast<double>(ready_.size()) / loginSeconds;
  result["login_server_cpu_s"] = loginCpu;
  result["logins_per_server_cpu_s"] = loginCpu > 0 ? static_cast<double>(ready_.size()) / loginCpu : 0.0;

  if (options_.scenario == "connect") {
    sleepFor(std::max(1.0, options_.hold));  // let the server settle before reading RSS
    auto rssAfter = server_.rssKb();
    if (rssBefore && rssAfter) {
      result["rss_before_kb"] = *rssBefore;
      result["rss_after_kb"] = *rssAfter;
      result["rss_per_session_bytes"] =
          ready_.empty() ? 0.0
                         : (static_cast<double>(*rssAfter) - static_cast<double>(*rssBefore)) * 1024.0 /
                               static_cast<double>(ready_.size());
    }
    result["sessions_held"] = ready_.size();
  } else if (options_.scenario == "chat") {
    chatSenders_ = std::min(options_.senders == 0 ? ready_.size() : options_.senders, ready_.size());
    result["senders"] = chatSenders_;
    result["window"] = window_;
    Phase phase;
    chatPhase(phase, options_.rate, options_.duration);
    result["chat"] = endPhase(phase);
    if (options_.halfRate) {
      double half = result["chat"]["deliveries_per_s"].get<double>() / 2;
      Phase halfPhase;
      chatPhase(halfPhase, half, options_.duration);
      result["chat_half"] = endPhase(halfPhase);
      result["chat_half"]["rate"] = half;
    }
  } else if (options_.scenario == "presence") {
    presenceScenario(result);
  } else if (options_.scenario == "muc") {
    mucScenario(result);
  }
  result["failures_total"] = failures_;
  result["total_s"] = secondsSince(started);

  // Leave politely: servers then tear sessions down at their own pace.
  closing_ = true;
  for (auto* s : std::vector<Session*>(ready_)) s->send("</stream:stream>");
  sleepFor(0.5);
  std::string text = result.dump();
  std::cout << "RESULT " << text << std::endl;
  if (!options_.json.empty()) std::ofstream(options_.json) << result.dump(2) << "\n";
  bool ok = failures_ == 0 && !ready_.empty();
  return ok ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"telex-bench: XMPP load driver (connect, chat, presence, muc scenarios)"};
  app.add_option("--host", o.host, "server address");
  app.add_option("--port", o.port, "server c2s port (plain TCP)");
  app.add_option("--domain", o.domain, "XMPP domain");
  app.add_option("--prefix", o.prefix, "usernames are PREFIX<first>…PREFIX<first+users-1>");
  app.add_option("--password", o.password, "password of every user");
  app.add_option("--mechanism", o.mechanism, "scram (SCRAM-SHA-1) or plain")->check(CLI::IsMember({"scram", "plain"}));
  app.add_option("--scenario", o.scenario, "connect | chat | presence | muc")
      ->check(CLI::IsMember({"connect", "chat", "presence", "muc"}));
  app.add_option("-n,--users", o.users, "sessions to sign in")->check(CLI::Range(1, 19000));
  app.add_option("--first-user", o.firstUser, "number of the first user");
  app.add_option("--sources", o.sources, "source addresses 127.0.0.1…127.0.0.N")->check(CLI::Range(1, 254));
  app.add_option("--login-window", o.loginWindow, "logins in flight at once")->check(CLI::Range(1, 100000));
  app.add_option("--server-pid", o.serverPid, "server process for RSS and CPU figures");
  app.add_option("--duration", o.duration, "seconds of the measured phase");
  app.add_option("--hold", o.hold, "connect: seconds to hold the sessions before measuring RSS");
  app.add_option("--drain", o.drain, "seconds to wait for in-flight deliveries after sending stops");
  app.add_option("--timeout", o.timeout, "bound on the login phase, seconds");
  app.add_option("--senders", o.senders, "chat/muc: sending sessions (chat: 0 = all; muc: 0 = 10)");
  app.add_option("--rate", o.rate, "chat: messages/s over all senders; 0 = as fast as the window allows");
  app.add_option("--window", o.window, "in-flight messages per sender");
  app.add_option("--message-bytes", o.messageBytes, "size of each message stanza");
  app.add_flag("--half-rate", o.halfRate, "chat: then run again at half the measured saturation rate");
  app.add_option("--contacts", o.contacts, "presence: roster size (even)");
  app.add_option("--presence-rounds", o.presenceRounds, "presence: status changes per user");
  app.add_option("--occupants", o.occupants, "muc: room occupants");
  app.add_option("--muc-domain", o.mucDomain, "muc: service domain (default conference.<domain>)");
  app.add_option("--json", o.json, "also write the result as JSON to this file");
  app.add_flag("-q,--quiet", o.quiet, "no progress on stderr");
  app.add_flag("--tls", o.tls, "direct TLS (XEP-0368): --port is a TLS port; certificate not checked");
  CLI11_PARSE(app, argc, argv);

  // Each session is one descriptor: raise the soft limit as far as the hard one allows.
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  try {
    return Driver(std::move(o)).run();
  } catch (const std::exception& e) {
    std::cerr << "telex-bench: " << e.what() << "\n";
    return 1;
  }
}
