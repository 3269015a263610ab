// telex-bench: an XMPP load driver. Logs in N users over plain TCP or direct TLS (from several
// 127.x source addresses), then runs one scenario (connect, chat, presence, muc, reconnect) and
// reports throughput, latency, loss and the server's RSS and CPU time read from
// /proc/<server-pid>. One thread, one io_context: every counter below is touched from that thread
// only.
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "histogram.hpp"
#include "pacing.hpp"
#include "scanner.hpp"
#include "net/poller.hpp"
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

std::uint64_t toNs(Clock::time_point t) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

std::uint64_t nowNs() { return toNs(Clock::now()); }

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
  std::size_t stormWindow = 1000;  // reconnect: logins in flight during the storm
  int serverPid = 0;
  double duration = 10;
  double hold = 0;
  double drain = 10;
  double timeout = 600;
  std::size_t senders = 0;  // 0 = every session
  double rate = 0;          // messages/s over all senders; 0 = as fast as the window allows
  // Paced sending wakes at most once per tick. Shorter ticks send smaller bursts (less queueing
  // of the driver's own making) but cost both sides more wake-ups per message.
  double paceTickMs = 1;
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
  // Deliveries read by the full parser: presence, and messages the lean reader left to it (a
  // server whose output it does not recognise shows here).
  std::uint64_t parsed = 0;
  LatencyHistogram latency;
  Clock::time_point start;
  Clock::time_point lastDelivery;
  double serverCpuStart = 0;
  double selfCpuStart = 0;
  bool sending = false;
  bool active = false;

  // One delivery of a message stamped `sentNs` (nowNs() at sending).
  void delivered(std::uint64_t sentNs) {
    auto now = Clock::now();
    ++received;
    lastDelivery = now;
    latency.record((toNs(now) - sentNs) / 1000);
  }
};

class Driver;

// Plain TCP sessions leave Asio once connected: the driver's net::Poller watches them, and reads
// stop at a short read instead of asking again for the EAGAIN that Asio's next read would get.
// The driver shares the machine with the server it measures, so its CPU time is the server's
// noise. TLS sessions stay on Asio's SSL stream.
class Session : public telex::stream::StreamParserHandler,
                public telex::net::PollClient,
                public std::enable_shared_from_this<Session> {
 public:
  // Dropped: closed on purpose by the driver (reconnect), which no longer hears from it.
  enum class State { Connecting, Auth, Bind, Roster, Ready, Failed, Dropped };

  // `resource` is the one asked for at bind; the server may assign another (see jid()).
  Session(Driver& driver, asio::io_context& io, asio::ssl::context& tls, bool useTls, std::uint32_t index,
          std::string user, std::string resource)
      : driver_(driver), stream_(io, tls), tls_(useTls), index_(index), user_(std::move(user)),
        resource_(std::move(resource)),
        parser_(std::make_unique<telex::stream::XmlStreamParser>(
            *this, telex::stream::ParserLimits{1024 * 1024, 48})) {}
  ~Session() override {
    if (fd_ >= 0) ::close(fd_);
  }

  void start(const tcp::endpoint& server, const asio::ip::address& local);
  void send(std::string_view data);
  void fail(std::string why);
  // Closes the connection abruptly (RST, no </stream:stream>), as a network failure would.
  void drop();

  std::uint32_t index() const { return index_; }
  const std::string& user() const { return user_; }
  const std::string& jid() const { return jid_; }
  std::string bare() const { return std::string(bareOf(jid_)); }
  // The resource the server bound, and the one asked for.
  std::string resource() const {
    auto slash = jid_.find('/');
    return slash == std::string::npos ? std::string() : jid_.substr(slash + 1);
  }
  const std::string& requestedResource() const { return resource_; }
  State state() const { return state_; }
  bool closed() const { return state_ == State::Failed || state_ == State::Dropped; }

  // Per-scenario bookkeeping the driver keeps on the session.
  std::uint64_t seq = 0;
  std::uint64_t inflight = 0;
  std::string nick;

 private:
  void begin();
  void read();
  void receive(std::string_view data);
  bool parse(std::string_view data);
  void flush();
  void onPollEvents(std::uint32_t events) override;
  void readPlain(bool toEndOfFile);
  void writePlain();
  void closeSocket(bool reset);
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
  std::string resource_;
  std::string jid_;
  State state_ = State::Connecting;
  telex::bench::StanzaScanner scanner_;  // frames every byte; see receive()
  std::unique_ptr<telex::stream::XmlStreamParser> parser_;
  std::optional<telex::bench::ScramSha1Client> scram_;
  std::array<char, 4096> buffer_{};
  std::string outbox_;
  std::string writing_;
  bool writeActive_ = false;
  int fd_ = -1;  // plain TCP once connected: released from Asio, watched by the driver's Poller
  std::uint64_t pollToken_ = 0;
  bool writable_ = false;
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
  void onDelivery(Session& session, const telex::bench::OurMessage& message);
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
  telex::net::Poller& poller() { return poller_; }

 private:
  void log(const std::string& line) const {
    if (!options_.quiet) std::cerr << "[telex-bench] " << line << std::endl;
  }
  // Signs in sessions for `logins` (index and resource to ask for), `window` at a time; false when
  // --timeout passed first.
  struct Login {
    std::uint32_t index;
    std::string resource;
  };
  bool logIn(std::vector<Login> logins, std::size_t window);
  void loginMore();
  // Runs the io_context until done() or the deadline; false on timeout.
  bool runUntil(const std::function<bool()>& done, double seconds);
  void sleepFor(double seconds) { runUntil([] { return false; }, seconds); }

  void beginPhase(Phase& phase);
  nlohmann::json endPhase(Phase& phase);
  void chatPhase(Phase& phase, double rate, double seconds);
  void paceTick();
  void sendChat(Session& from);
  void sendChat(Session& from, const Session& to);
  void reconnectScenario(nlohmann::json& result);
  void presenceScenario(nlohmann::json& result);
  void mucScenario(nlohmann::json& result);
  void sendGroupchat(Session& from);

  Options options_;
  ProcStats server_;
  asio::io_context io_{1};  // one thread: lets Asio skip some locking
  telex::net::Poller poller_{io_};  // plain TCP sessions' readiness
  asio::steady_timer timer_;
  // --tls: a benchmark on loopback against a self-signed certificate; no verification.
  asio::ssl::context tlsContext_{asio::ssl::context::tls_client};
  std::vector<std::shared_ptr<Session>> sessions_;  // by index, the latest session of each user
  std::vector<Session*> ready_;
  std::vector<Login> logins_;  // what logIn() works through
  std::size_t nextLogin_ = 0;
  std::size_t loginWindow_ = 0;
  std::size_t loginsInFlight_ = 0;
  Clock::time_point lastReady_;
  std::size_t failures_ = 0;
  std::string firstError_;
  telex::bench::ScramSha1Client::KeyCache keyCache_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::uint32_t nonces_ = 0;
  tcp::endpoint serverEndpoint_;

  Phase* phase_ = nullptr;  // the phase deliveries count towards
  double pacedRate_ = 0;    // > 0: the current chat phase is paced, not window-driven
  // paced chat: the schedule, its start, the senders taken round-robin from paceNext_
  telex::bench::Pacer pacer_{1};
  Clock::time_point paceStart_;
  std::vector<Session*> paceSenders_;
  std::size_t paceNext_ = 0;
  bool closing_ = false;    // sessions are being closed on purpose
  bool incomplete_ = false;  // the scenario did not get where it had to (exit status 2)
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
  if (!tls_) {
    boost::system::error_code ec;
    socket().non_blocking(true, ec);
    if (!ec) fd_ = socket().release(ec);
    if (ec || fd_ < 0) return fail("socket: " + ec.message());
    pollToken_ = driver_.poller().add(fd_, *this, shared_from_this());
    if (pollToken_ == 0) return fail(std::string("epoll: ") + std::strerror(errno));
    writable_ = true;
  }
  send(telex::bench::streamHeader(driver_.options().domain));
  if (tls_) read();
}

void Session::onPollEvents(std::uint32_t events) {
  if (closed()) return;
  if ((events & EPOLLOUT) != 0) {
    writable_ = true;
    writePlain();
  }
  const std::uint32_t hangup = EPOLLRDHUP | EPOLLHUP | EPOLLERR;
  if (!closed() && (events & (EPOLLIN | hangup)) != 0) readPlain((events & hangup) != 0);
}

void Session::readPlain(bool toEndOfFile) {
  while (!closed()) {
    const ssize_t n = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
    if (n > 0) {
      receive(std::string_view(buffer_.data(), static_cast<std::size_t>(n)));
      // A short read took all there was: more data is a new edge. After a hang-up, read on to
      // the end of file, which brings no further edge.
      if (static_cast<std::size_t>(n) < buffer_.size() && !toEndOfFile) return;
    } else if (n == 0) {
      return fail("read: End of file");
    } else if (errno != EINTR) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      return fail(std::string("read: ") + std::strerror(errno));
    }
  }
}

void Session::writePlain() {
  std::size_t sent = 0;
  while (writable_ && sent < outbox_.size() && !closed()) {
    const ssize_t n = ::send(fd_, outbox_.data() + sent, outbox_.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      writable_ = false;  // the rest goes on the next EPOLLOUT edge
    } else if (errno != EINTR) {
      return fail(std::string("write: ") + std::strerror(errno));
    }
  }
  outbox_.erase(0, sent);
}

void Session::closeSocket(bool reset) {
  boost::system::error_code ignored;
  if (fd_ < 0) {
    if (reset) socket().set_option(asio::socket_base::linger(true, 0), ignored);
    socket().close(ignored);
    return;
  }
  driver_.poller().remove(pollToken_);
  if (reset) {
    const linger abort{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  }
  ::close(fd_);
  fd_ = -1;
}

void Session::read() {
  auto onRead = [self = shared_from_this()](const boost::system::error_code& error, std::size_t n) {
    if (self->closed()) return;
    if (error) return self->fail("read: " + error.message());
    self->receive(std::string_view(self->buffer_.data(), n));
    if (!self->closed()) self->read();
  };
  if (tls_) {
    stream_.async_read_some(asio::buffer(buffer_), std::move(onRead));
  } else {
    socket().async_read_some(asio::buffer(buffer_), std::move(onRead));
  }
}

// The lean path: once the session is Ready, our own chat and groupchat messages (nearly all the
// traffic) are read straight from the bytes. Every other piece goes to the full parser, in order;
// skipping whole top-level stanzas leaves it at a stanza boundary, where it was.
void Session::receive(std::string_view data) {
  scanner_.push(data);
  while (!closed()) {
    auto piece = scanner_.next();
    if (!piece) return;
    if (piece->stanza && state_ == State::Ready) {
      if (auto message = telex::bench::readOurMessage(piece->bytes)) {
        driver_.onDelivery(*this, *message);
        continue;
      }
    }
    if (!parse(piece->bytes)) return;
  }
}

bool Session::parse(std::string_view data) {
  while (!data.empty() && !closed()) {
    std::size_t used = parser_->feed(data);
    if (parser_->failed() || used == 0) return false;
    data.remove_prefix(used);  // less than all only at a stream restart (SASL success)
  }
  return !closed();
}

void Session::send(std::string_view data) {
  if (closed()) return;
  outbox_ += data;
  if (fd_ >= 0) {
    writePlain();
  } else if (!writeActive_) {
    flush();
  }
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
  if (closed()) return;
  state_ = State::Failed;
  closeSocket(false);
  driver_.onFailed(*this, why);
}

void Session::drop() {
  if (closed()) return;
  state_ = State::Dropped;
  closeSocket(true);  // RST, not FIN
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
    scanner_.restart();
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
    if (state_ == State::Bind) return send(telex::bench::bindIq("bind", resource_));
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
  // The ping after the initial presence is the barrier: its answer comes once the server has
  // handled the presence. A ping, not another roster get, so the barrier costs no storage read.
  if (id == "r1") return send("<presence/>" + telex::bench::pingIq("p1", driver_.options().domain));
  if (id == "p1" && state_ == State::Roster) {
    state_ = State::Ready;
    return driver_.onReady(*this);
  }
  driver_.onIqResult(*this, stanza);
}

// ---------------------------------------------------------------------------------------------

// io_.run() with a timer checking done() every 5 ms: run_for() would read the clock around every
// handler, which cost the driver about a tenth of its CPU.
bool Driver::runUntil(const std::function<bool()>& done, double seconds) {
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  asio::steady_timer check(io_);
  std::optional<bool> finished;
  std::function<void()> poll = [&] {
    if (done() || Clock::now() >= deadline) {
      finished = done();
      return io_.stop();
    }
    check.expires_at(std::min(Clock::now() + std::chrono::milliseconds(5), deadline));
    check.async_wait([&](const boost::system::error_code&) { poll(); });
  };
  poll();
  if (!finished) {
    io_.restart();
    io_.run();
  }
  return *finished;
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
  lastReady_ = Clock::now();
  --loginsInFlight_;
  loginMore();
}

bool Driver::logIn(std::vector<Login> logins, std::size_t window) {
  logins_ = std::move(logins);
  nextLogin_ = 0;
  loginWindow_ = std::max<std::size_t>(1, window);
  loginMore();
  return runUntil([&] { return loginsInFlight_ == 0 && nextLogin_ >= logins_.size(); }, options_.timeout);
}

void Driver::loginMore() {
  while (loginsInFlight_ < loginWindow_ && nextLogin_ < logins_.size()) {
    const Login& login = logins_[nextLogin_++];
    auto user = options_.prefix + std::to_string(options_.firstUser + login.index);
    auto session =
        std::make_shared<Session>(*this, io_, tlsContext_, options_.tls, login.index, user, login.resource);
    if (sessions_.size() <= login.index) sessions_.resize(login.index + 1);
    sessions_[login.index] = session;
    ++loginsInFlight_;
    // 127.0.0.1 … 127.0.0.<sources>: spreads the connections over source addresses.
    asio::ip::address_v4::bytes_type local{127, 0, 0,
                                           static_cast<unsigned char>(1 + login.index % options_.sources)};
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
  out["received_parsed"] = phase.parsed;
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
  sendChat(from, *to);
}

void Driver::sendChat(Session& from, const Session& to) {
  ++from.inflight;
  ++phase_->sent;
  ++phase_->expected;
  from.send(telex::bench::chatMessage(to.jid(), "chat", 'c', from.index(), ++from.seq, nowNs(), options_.messageBytes));
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
    pacer_ = telex::bench::Pacer(rate);
    paceStart_ = Clock::now();
    paceSenders_ = std::move(senders);
    paceNext_ = 0;
    paceTick();
    runUntil([] { return false; }, seconds);
    timer_.cancel();
  }
  phase.sending = false;
  runUntil([&] { return phase.received + phase.errors >= phase.expected; }, options_.drain);
}

// Sends what the schedule says is due, round-robin over the senders with room in their window,
// then sleeps until the next message is due (at most one wake-up per --pace-tick).
void Driver::paceTick() {
  if (!phase_ || !phase_->sending) return;
  const double elapsed = secondsSince(paceStart_);
  const std::uint64_t due = pacer_.dueBy(elapsed);
  for (std::size_t tries = 0; phase_->sent < due && tries < paceSenders_.size(); ++paceNext_) {
    auto* s = paceSenders_[paceNext_ % paceSenders_.size()];
    if (s->inflight < window_ && s->state() == Session::State::Ready) {
      sendChat(*s);
      tries = 0;
    } else {
      ++tries;
    }
  }
  const double wake = pacer_.nextWake(phase_->sent, elapsed, options_.paceTickMs / 1000);
  timer_.expires_at(paceStart_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(wake)));
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (!error) paceTick();
  });
}

// The full parser's path; the lean one (Session::receive) calls onDelivery directly.
void Driver::onMessage(Session& session, const telex::xml::Element& stanza) {
  if (!phase_ || !telex::bench::parseMessageId(stanza.attrOr("id", ""))) return;
  if (stanza.attrOr("type", "") == "error") {
    ++phase_->errors;
    if (phase_->errors <= 3) log("message error: " + telex::xml::serialize(stanza));
    return;
  }
  if (auto message = telex::bench::ourMessage(stanza)) {
    ++phase_->parsed;
    onDelivery(session, *message);
  }
}

void Driver::onDelivery(Session& session, const telex::bench::OurMessage& message) {
  if (!phase_) return;
  phase_->delivered(message.sentNs);
  const auto sender = message.id.sender;
  if (message.id.kind == 'c') {
    if (sender < sessions_.size() && sessions_[sender]) {
      auto& from = *sessions_[sender];
      if (from.inflight > 0) --from.inflight;
      if (phase_->sending && pacedRate_ <= 0 && from.state() == Session::State::Ready) sendChat(from);
    }
  } else if (sender == session.index()) {
    // groupchat: the sender's own echo frees a slot in its window.
    if (session.inflight > 0) --session.inflight;
    if (phase_->sending) sendGroupchat(session);
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
  ++phase_->parsed;  // presence always takes the full parser
  phase_->delivered(*sent);
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

// ---- reconnect --------------------------------------------------------------------------------

// Every session drops at once, as in a network failure, and all sign in again at once (bounded by
// the storm window) with the resource the server had bound, so it has to end or replace (RFC 6120
// §7.7.2.2) the old sessions during a storm of logins. Then one message around the ring of
// sessions shows that every user is reachable again.
void Driver::reconnectScenario(nlohmann::json& result) {
  sleepFor(std::max(1.0, options_.hold));
  nlohmann::json out;
  auto rssBefore = server_.rssKb();
  std::vector<Login> logins;
  for (const auto* s : ready_) logins.push_back({s->index(), s->resource()});
  const std::size_t dropped = logins.size();
  const std::size_t failuresBefore = failures_;
  const std::string earlierError = std::exchange(firstError_, "");
  const double cpuBefore = server_.cpuSeconds().value_or(0);
  const auto stormStart = Clock::now();
  for (auto* s : ready_) s->drop();
  ready_.clear();
  logIn(std::move(logins), options_.stormWindow);
  const double cpu = server_.cpuSeconds().value_or(0) - cpuBefore;
  const bool complete = ready_.size() == dropped;
  incomplete_ = incomplete_ || !complete;
  const auto stormEnd = complete ? lastReady_ : Clock::now();
  const double seconds = std::max(1e-6, std::chrono::duration<double>(stormEnd - stormStart).count());
  log("reconnect storm: " + std::to_string(ready_.size()) + "/" + std::to_string(dropped) + " sessions back in " +
      std::to_string(seconds) + " s (" + std::to_string(failures_ - failuresBefore) + " failed)");
  out["sessions_dropped"] = dropped;
  out["sessions_back"] = ready_.size();
  out["same_resource"] = std::count_if(ready_.begin(), ready_.end(),
                                       [](const Session* s) { return s->resource() == s->requestedResource(); });
  out["complete"] = complete;
  out["failures"] = failures_ - failuresBefore;
  if (!firstError_.empty()) out["first_error"] = firstError_;
  if (!earlierError.empty()) firstError_ = earlierError;
  out["window"] = options_.stormWindow;
  out["storm_s"] = seconds;  // first close to last session Ready
  out["logins_per_s"] = static_cast<double>(ready_.size()) / seconds;
  out["server_cpu_s"] = cpu;
  out["logins_per_server_cpu_s"] = cpu > 0 ? static_cast<double>(ready_.size()) / cpu : 0.0;

  Phase check;
  beginPhase(check);
  for (std::size_t i = 0; i < ready_.size() && ready_.size() > 1; ++i) {
    sendChat(*ready_[i], *ready_[(i + 1) % ready_.size()]);
  }
  check.sending = false;
  runUntil([&] { return check.received + check.errors >= check.expected; }, options_.drain);
  out["check"] = endPhase(check);
  if (check.received < check.expected) incomplete_ = true;

  sleepFor(std::max(1.0, options_.hold));  // the server's teardown of the old sessions settles
  auto rssAfter = server_.rssKb();
  if (rssBefore && rssAfter) {
    out["rss_before_kb"] = *rssBefore;
    out["rss_after_kb"] = *rssAfter;
  }
  result["reconnect"] = out;
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
  std::vector<Login> logins;
  for (std::size_t i = 0; i < options_.users; ++i) logins.push_back({static_cast<std::uint32_t>(i), "bench"});
  logIn(std::move(logins), options_.loginWindow);
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
  } else if (options_.scenario == "reconnect") {
    reconnectScenario(result);
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
  bool ok = failures_ == 0 && !ready_.empty() && !incomplete_;
  return ok ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"telex-bench: XMPP load driver (connect, chat, presence, muc, reconnect scenarios)"};
  app.add_option("--host", o.host, "server address");
  app.add_option("--port", o.port, "server c2s port (plain TCP)");
  app.add_option("--domain", o.domain, "XMPP domain");
  app.add_option("--prefix", o.prefix, "usernames are PREFIX<first>…PREFIX<first+users-1>");
  app.add_option("--password", o.password, "password of every user");
  app.add_option("--mechanism", o.mechanism, "scram (SCRAM-SHA-1) or plain")->check(CLI::IsMember({"scram", "plain"}));
  app.add_option("--scenario", o.scenario, "connect | chat | presence | muc | reconnect")
      ->check(CLI::IsMember({"connect", "chat", "presence", "muc", "reconnect"}));
  app.add_option("-n,--users", o.users, "sessions to sign in")->check(CLI::Range(1, 19000));
  app.add_option("--first-user", o.firstUser, "number of the first user");
  app.add_option("--sources", o.sources, "source addresses 127.0.0.1…127.0.0.N")->check(CLI::Range(1, 254));
  auto* loginWindow = app.add_option("--login-window", o.loginWindow,
                                     "logins in flight at once (reconnect: also during the storm, default 1000)")
                          ->check(CLI::Range(1, 100000));
  app.add_option("--server-pid", o.serverPid, "server process for RSS and CPU figures");
  app.add_option("--duration", o.duration, "seconds of the measured phase");
  app.add_option("--hold", o.hold, "connect, reconnect: seconds (at least 1) to hold the sessions before measuring RSS");
  app.add_option("--drain", o.drain, "seconds to wait for in-flight deliveries after sending stops");
  app.add_option("--timeout", o.timeout, "bound on each login phase (reconnect: the storm too), seconds");
  app.add_option("--senders", o.senders, "chat/muc: sending sessions (chat: 0 = all; muc: 0 = 10)");
  app.add_option("--rate", o.rate, "chat: messages/s over all senders; 0 = as fast as the window allows");
  app.add_option("--pace-tick", o.paceTickMs,
                 "chat with a rate: at most one burst of due messages per this many ms (smaller: "
                 "smoother, more wake-ups)")
      ->check(CLI::Range(0.05, 100.0));
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
  if (loginWindow->count() > 0) o.stormWindow = o.loginWindow;

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
