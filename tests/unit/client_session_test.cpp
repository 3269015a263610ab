// Scenario tests for client::Client against a scripted XMPP server on 127.0.0.1.
// Plain TCP, SCRAM via the project's ScramServer: sign-in, failures, stanza handling, IQ
// tracking, receipts, roster pushes, stream errors, reconnect with backoff, polite disconnects.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>

#include "client/client.hpp"
#include "sasl/scram.hpp"
#include "stream/xml_stream_parser.hpp"
#include "util/base64.hpp"

namespace telex::client {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

constexpr std::string_view kNsSasl = "urn:ietf:params:xml:ns:xmpp-sasl";
constexpr std::string_view kNsBind = "urn:ietf:params:xml:ns:xmpp-bind";
constexpr std::string_view kNsSession = "urn:ietf:params:xml:ns:xmpp-session";

struct FakeOptions {
  std::vector<std::string> mechanisms = {"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"};
  std::string password = "secret";
  bool badServerSignature = false;
  bool requireSession = false;
  bool sendHeader = true;  // false: accept and stay silent
  bool streamManagement = false;  // offer XEP-0198 after authentication
  bool resumeOk = false;          // answer <resume/> with <resumed h='0'/> (else <failed/>)
};

class FakeServer;

// One client connection on the fake server.
class FakeConn : public std::enable_shared_from_this<FakeConn>, public stream::StreamParserHandler {
 public:
  FakeConn(tcp::socket socket, FakeServer& server);
  void start() { read(); }
  void send(std::string bytes) {
    out_.push_back(std::move(bytes));
    if (out_.size() == 1) writeNext();
  }
  void sendStanza(const xml::Element& e) { send(xml::serialize(e, kNsClient)); }
  void close() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }
  bool bound() const { return bound_; }
  std::vector<xml::Element> received;  // stanzas after bind
  bool sessionRequested = false;
  bool streamClosedByClient = false;
  bool resumeRequested = false;

  void onStreamOpen(const xml::Element&, std::string_view) override;
  void onStanza(xml::Element stanza) override;
  void onStreamClose() override {
    streamClosedByClient = true;
    send("</stream:stream>");
    closeAfterWrite_ = true;
  }
  void onStreamError(stream::StreamError) override { close(); }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(buf_),
                            [self = shared_from_this()](auto ec, std::size_t n) {
                              if (ec) return;
                              // After SASL success the parser is reset mid-chunk; the rest belongs
                              // to the new stream.
                              std::string_view data(self->buf_.data(), n);
                              while (!data.empty()) {
                                const std::size_t used = self->parser_.feed(data);
                                if (used == 0 || used >= data.size()) break;
                                data = data.substr(used);
                              }
                              self->read();
                            });
  }
  void writeNext() {
    asio::async_write(socket_, asio::buffer(out_.front()),
                      [self = shared_from_this()](auto ec, std::size_t) {
                        if (ec) return;
                        self->out_.pop_front();
                        if (!self->out_.empty()) {
                          self->writeNext();
                        } else if (self->closeAfterWrite_) {
                          self->close();
                        }
                      });
  }
  void handleAuth(const xml::Element& e);

  tcp::socket socket_;
  FakeServer& server_;
  stream::XmlStreamParser parser_;
  std::array<char, 8192> buf_{};
  std::deque<std::string> out_;
  std::optional<sasl::ScramServer> scram_;
  sasl::HashAlgo algo_ = sasl::HashAlgo::Sha256;
  bool authenticated_ = false;
  bool bound_ = false;
  bool closeAfterWrite_ = false;
};

class FakeServer {
 public:
  explicit FakeServer(asio::io_context& io, FakeOptions options = {})
      : options(std::move(options)),
        acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    accept();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  FakeConn& last() { return *connections.back(); }

  FakeOptions options;
  std::vector<std::shared_ptr<FakeConn>> connections;
  // Called for each stanza after bind; may answer through the connection.
  std::function<void(FakeConn&, const xml::Element&)> onStanza;
  int binds = 0;

 private:
  void accept() {
    acceptor_.async_accept([this](auto ec, tcp::socket socket) {
      if (ec) return;
      connections.push_back(std::make_shared<FakeConn>(std::move(socket), *this));
      connections.back()->start();
      accept();
    });
  }
  tcp::acceptor acceptor_;
};

FakeConn::FakeConn(tcp::socket socket, FakeServer& server)
    : socket_(std::move(socket)),
      server_(server),
      parser_(*this, stream::ParserLimits{1 << 20, 48}) {}

void FakeConn::onStreamOpen(const xml::Element&, std::string_view) {
  if (!server_.options.sendHeader) return;
  std::string out =
      "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
      "xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='example.org' version='1.0'>"
      "<stream:features>";
  if (!authenticated_) {
    out += "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>";
    for (const auto& m : server_.options.mechanisms) out += "<mechanism>" + m + "</mechanism>";
    out += "</mechanisms>";
  } else {
    out += "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>";
    if (server_.options.requireSession) {
      out += "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>";
    }
    if (server_.options.streamManagement) out += "<sm xmlns='urn:xmpp:sm:3'/>";
  }
  out += "</stream:features>";
  send(out);
}

void FakeConn::handleAuth(const xml::Element& e) {
  const auto data = util::base64Decode(e.textContent()).value_or("");
  const auto failure = [this] {
    send("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>");
  };
  if (e.name() == "auth") {
    const std::string mechanism(e.attrOr("mechanism", ""));
    if (mechanism == "PLAIN") {
      const auto second = data.find('\0', data.find('\0') + 1);
      if (second == std::string::npos || data.substr(second + 1) != server_.options.password) {
        return failure();
      }
      send("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
      authenticated_ = true;
      parser_.reset();
      return;
    }
    algo_ = mechanism == "SCRAM-SHA-1" ? sasl::HashAlgo::Sha1 : sasl::HashAlgo::Sha256;
    scram_.emplace(algo_);
    if (!scram_->receiveClientFirst(data)) return failure();
    const auto first =
        scram_->serverFirst(sasl::makeScramCredentials(algo_, server_.options.password, 4096));
    send("<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + util::base64Encode(first) +
         "</challenge>");
    return;
  }
  if (e.name() == "response" && scram_) {
    auto final = scram_->receiveClientFinal(data);
    if (!final) return failure();
    std::string v = *final;
    if (server_.options.badServerSignature) {
      v = "v=" + util::base64Encode(std::string(sasl::digestSize(algo_), 'x'));
    }
    send("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + util::base64Encode(v) +
         "</success>");
    authenticated_ = true;
    parser_.reset();
  }
}

void FakeConn::onStanza(xml::Element stanza) {
  if (stanza.xmlns() == kNsSasl) return handleAuth(stanza);
  if (stanza.xmlns() == "urn:xmpp:sm:3" && stanza.name() == "enable") {
    send("<enabled xmlns='urn:xmpp:sm:3' id='sm-1' resume='true'/>");
  } else if (stanza.xmlns() == "urn:xmpp:sm:3" && stanza.name() == "resume") {
    resumeRequested = true;
    if (server_.options.resumeOk) {
      // As if nothing the client sent since <enable/> had arrived.
      send("<resumed xmlns='urn:xmpp:sm:3' previd='sm-1' h='0'/>");
      bound_ = true;
    } else {
      send("<failed xmlns='urn:xmpp:sm:3'><item-not-found "
           "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
    }
  }
  if (stanza.name() == "iq" && stanza.child("bind", kNsBind)) {
    const std::string resource = stanza.child("bind", kNsBind)->childText("resource", kNsBind);
    xml::Element bind{"bind", std::string(kNsBind)};
    xml::Element jid{"jid", std::string(kNsBind)};
    jid.addText("alice@example.org/" + (resource.empty() ? std::string("generated") : resource));
    bind.addChild(std::move(jid));
    sendStanza(makeIqResult(stanza, std::move(bind)));
    bound_ = true;
    ++server_.binds;
    return;
  }
  if (stanza.name() == "iq" && stanza.child("session", kNsSession)) {
    sessionRequested = true;
    sendStanza(makeIqResult(stanza));
    return;
  }
  received.push_back(stanza);
  if (server_.onStanza) server_.onStanza(*this, stanza);
}

// Runs the loop until pred() holds or the time is up.
bool runUntil(asio::io_context& io, const std::function<bool()>& pred,
              std::chrono::milliseconds limit = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io.restart();
    io.run_for(5ms);
  }
  return true;
}

ClientOptions optionsFor(const FakeServer& server, std::string jid = "alice@example.org/desk",
                         std::string password = "secret") {
  ClientOptions o;
  o.jid = *Jid::parse(jid);
  o.password = std::move(password);
  o.host = "127.0.0.1";
  o.port = server.port();
  o.tls = TlsMode::InsecurePlaintextAllowed;  // the fake server speaks plain TCP
  o.connectTimeout = 5000ms;
  return o;
}

// A client with its events recorded.
struct Harness {
  Harness(asio::io_context& io, ClientOptions options)
      : client(std::make_unique<Client>(io, std::move(options))) {
    client->onConnected([this](const Jid& jid) {
      ++connects;
      bound = jid;
    });
    client->onDisconnected([this](const DisconnectInfo& info) { disconnects.push_back(info); });
    client->onMessage([this](const Message& m) { messages.push_back(m); });
    client->onPresence([this](const Presence& p) { presences.push_back(p); });
    client->onRoster([this](const Roster& r, bool push) { rosters.emplace_back(r, push); });
    client->onReceipt(
        [this](const Jid& from, const std::string& id) { receipts.emplace_back(from.full(), id); });
  }
  std::unique_ptr<Client> client;
  int connects = 0;
  Jid bound;
  std::vector<DisconnectInfo> disconnects;
  std::vector<Message> messages;
  std::vector<Presence> presences;
  std::vector<std::pair<Roster, bool>> rosters;
  std::vector<std::pair<std::string, std::string>> receipts;
};

const xml::Element* findSent(const FakeConn& conn,
                             const std::function<bool(const xml::Element&)>& pred) {
  for (const auto& e : conn.received) {
    if (pred(e)) return &e;
  }
  return nullptr;
}

// ---- sign-in ------------------------------------------------------------------------------------

TEST(ClientSession, SignsInWithScramSha256BindsAndEstablishesLegacySession) {
  asio::io_context io;
  FakeServer server(io, FakeOptions{.requireSession = true});
  Harness h(io, optionsFor(server));
  h.client->connect();
  ASSERT_TRUE(runUntil(io, [&] { return h.connects == 1 || !h.disconnects.empty(); }));
  ASSERT_EQ(h.connects, 1) << h.disconnects[0].describe();
  EXPECT_EQ(h.bound.full(), "alice@example.org/desk");
  EXPECT_EQ(h.client->boundJid().full(), "alice@example.org/desk");
  EXPECT_EQ(h.client->mechanism(), "SCRAM-SHA-256");
  EXPECT_TRUE(h.client->isConnected());
  EXPECT_TRUE(server.last().sessionRequested);
}

TEST(ClientSession, ServerAssignedResourceAndScramSha1) {
  asio::io_context io;
  FakeServer server(io, FakeOptions{.mechanisms = {"SCRAM-SHA-1", "PLAIN"}});
  Harness h(io, optionsFor(server, "alice@example.org"));
  h.client->connect();
  ASSERT_TRUE(runUntil(io, [&] { return h.connects == 1; }));
  EXPECT_EQ(h.bound.full(), "alice@example.org/generated");
  EXPECT_EQ(h.client->mechanism(), "SCRAM-SHA-1");
  EXPECT_FALSE(server.last().sessionRequested);
}

TEST(ClientSession, PlainOnlyWhenPlaintextIsExplicitlyAllowed) {
  asio::io_context io;
  FakeServer server(io, FakeOptions{.mechanisms = {"PLAIN"}});
  {
    Harness h(io, optionsFor(server));
    h.client->connect();
    ASSERT_TRUE(runUntil(io, [&] { return h.connects == 1 || !h.disconnects.empty(); }));
    EXPECT_EQ(h.client->mechanism(), "PLAIN");
  }
  {
    auto options = optionsFor(server);
    options.tls = TlsMode::StartTls;  // the default: this server offers no STARTTLS
    options.reconnect = true;
    Harness h(io, options);
    h.client->connect();
    ASSERT_TRUE(runUntil(io, [&] { return !h.disconnects.empty(); }));
    EXPECT_EQ(h.disconnects[0].reason, DisconnectReason::TlsFailed);
    EXPECT_NE(h.disconnects[0].text.find("does not offer STARTTLS"), std::string::npos);
    EXPECT_TRUE(h.disconnects[0].permanent());
    EXPECT_FALSE(h.disconnects[0].willReconnect);
    EXPECT_EQ(h.connects, 0);
  }
}

TEST(ClientSession, WrongPasswordIsAPermanentAuthFailure) {
  asio::io_context io;
  FakeServer server(io);
  auto options = optionsFor(server, "alice@example.org/desk", "wrong");
  options.reconnect = true;
  Harness h(io, options);
  h.client->connect();
  ASSERT_TRUE(runUntil(io, [&] { return !h.disconnects.empty(); }));
  EXPECT_EQ(h.disconnects[0].reason, DisconnectReason::AuthFailed);
  EXPECT_EQ(h.disconnects[0].condition, "not-authorized");
  EXPECT_EQ(h.disconnects[0].describe(), "sign-in failed: not-authorized");
  EXPECT_FALSE(h.disconnects[0].willReconnect);
  EXPECT_FALSE(h.disconnects[0].wasConnected);
  io.restart();
  io.run_for(100ms);
  EXPECT_EQ(h.disconnects.size(), 1u);
}

TEST(ClientSession, ServerThatCannotProveThePasswordIsRejected) {
  asio::io_context io;
  FakeServer server(io, FakeOptions{.badServerSignature = true});
  Harness h(io, optionsFor(server));
  h.client->connect();
  ASSERT_TRUE(runUntil(io, [&] { return !h.disconnects.empty() || h.connects > 0; }));
  EXPECT_EQ(h.connects, 0);
  ASSERT_EQ(h.disconnects.size(), 1u);
  EXPECT_EQ(h.disconnects[0].reason, DisconnectReason::ProtocolError);
  EXPECT_NE(h.disconnects[0].text.find("signature"), std::string::npos) << h.disconnects[0].text;
}

TEST(ClientSession, NoCommonMechanism) {
  asio::io_context io;
  FakeServer server(io, FakeOptions{.mechanisms = {"DIGEST-MD5", "X-OAUTH2"}});
  Harness h(io, optionsFor(server));
  h.client->connect();
  ASSERT_TRUE(runUntil(io, [&] { return !h.disconnects.empty(); }));
  EXPECT_EQ(h.disconnects[0].reason, DisconnectReason::AuthFailed);
  EXPECT_EQ(h.disconnects[0].condition, "invalid-mechanism");
  EXPECT_NE(h.disconnects[0].text.find("DIGEST-MD5 X-OAUTH2"), std::string::npos);
}

TEST(ClientSession, SignInTimeoutAndConnectionRefused) {
  asio::io_context io;
  FakeServer silent(io, FakeOptions{.sendHeader = false});
  auto options = optionsFor(silent);
  options.connectTimeout = 200ms;
  Harness h(io, options);
  h.client->connect();
  ASSERT_TRUE(runUntil(io, [&] { return !h.disconnects.empty(); }));
  EXPECT_EQ(h.disconnects[0].reason, DisconnectReason::Timeout);

  std::uint16_t unused = 0;
  {
    tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    unused = probe.local_endpoint().port();
  }
  auto refused = optionsFor(silent);
  refused.port = unused;
  Harness r(io, refused);
  r.client->connect();
  ASSERT_TRUE(runUntil(io, [&] { return !r.disconnects.empty(); }));
  EXPECT_EQ(r.disconnects[0].reason, DisconnectReason::ConnectFailed);
  EXPECT_NE(r.disconnects[0].text.find("cannot connect to 127.0.0.1:"), std::string::npos);
}

// ---- stanzas ------------------------------------------------------------------------------------

struct Connected {
  Connected(FakeOptions fake = {}) : server(io, std::move(fake)), h(io, optionsFor(server)) {
    h.client->connect();
    EXPECT_TRUE(runUntil(io, [&] { return h.connects == 1 || !h.disconnects.empty(); }));
  }
  FakeConn& conn() { return server.last(); }
  asio::io_context io;
  FakeServer server;
  Harness h;
};

TEST(ClientSession, IncomingMessagesReceiptsAndChatStates) {
  Connected c;
  c.conn().send(
      "<message from='bob@example.org/phone' to='alice@example.org/desk' id='m1' type='chat'>"
      "<body>hi &lt;&amp;&apos;&quot;&gt;</body><request xmlns='urn:xmpp:receipts'/>"
      "<active xmlns='http://jabber.org/protocol/chatstates'/></message>"
      "<message from='bob@example.org/phone' id='r9'><received xmlns='urn:xmpp:receipts' "
      "id='c1'/></message>"
      "<message from='bob@example.org/phone' type='chat'><composing "
      "xmlns='http://jabber.org/protocol/chatstates'/></message>"
      "<message from='not a jid@@' id='bad'><body>x</body></message>");
  ASSERT_TRUE(
      runUntil(c.io, [&] { return c.h.messages.size() >= 3 && !c.conn().received.empty(); }));
  EXPECT_EQ(c.h.messages[0].body, "hi <&'\">");
  EXPECT_EQ(c.h.messages[0].chatState, ChatState::Active);
  ASSERT_EQ(c.h.receipts.size(), 1u);
  EXPECT_EQ(c.h.receipts[0],
            std::make_pair(std::string("bob@example.org/phone"), std::string("c1")));
  EXPECT_EQ(c.h.messages[2].chatState, ChatState::Composing);
  EXPECT_FALSE(c.h.messages[2].hasContent());
  EXPECT_EQ(c.h.messages.size(), 3u);  // the invalid one was dropped
  // The automatic receipt went back to the sending resource with the message's id.
  const auto* receipt = findSent(c.conn(), [](const xml::Element& e) {
    const auto* r = e.child("received", kNsReceipts);
    return e.name() == "message" && r && r->attrOr("id", "") == "m1";
  });
  ASSERT_NE(receipt, nullptr);
  EXPECT_EQ(receipt->attrOr("to", ""), "bob@example.org/phone");
}

TEST(ClientSession, SendsMessagesAndPresence) {
  Connected c;
  Message m;
  m.to = Jid::parse("bob@example.org");
  m.type = MessageType::Headline;
  m.body = "alert <&'\">";
  m.requestReceipt = true;
  const std::string id = c.h.client->sendMessage(m);
  EXPECT_FALSE(id.empty());
  Presence p;
  p.show = PresenceShow::Away;
  p.status = "out";
  EXPECT_TRUE(c.h.client->sendPresence(p));
  ASSERT_TRUE(runUntil(c.io, [&] { return c.conn().received.size() >= 2; }));
  auto sent = Message::parse(c.conn().received[0]);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->id, id);
  EXPECT_EQ(sent->body, "alert <&'\">");
  EXPECT_EQ(sent->type, MessageType::Headline);
  EXPECT_TRUE(sent->requestReceipt);
  auto presence = Presence::parse(c.conn().received[1]);
  ASSERT_TRUE(presence);
  EXPECT_EQ(presence->show, PresenceShow::Away);

  c.conn().send("<presence from='bob@example.org/phone'><show>dnd</show></presence>");
  ASSERT_TRUE(runUntil(c.io, [&] { return !c.h.presences.empty(); }));
  EXPECT_EQ(c.h.presences[0].show, PresenceShow::Dnd);
}

TEST(ClientSession, AnswersPingDiscoAndUnknownIqs) {
  Connected c;
  c.conn().send(
      "<iq type='get' id='p1' from='example.org'><ping xmlns='urn:xmpp:ping'/></iq>"
      "<iq type='get' id='d1' from='bob@example.org/x'><query "
      "xmlns='http://jabber.org/protocol/disco#info'/></iq>"
      "<iq type='set' id='u1' from='bob@example.org/x'><thing xmlns='urn:example:unknown'/></iq>"
      "<iq type='result' id='nobody-asked' from='bob@example.org/x'/>");
  ASSERT_TRUE(runUntil(c.io, [&] { return c.conn().received.size() >= 3; }));
  const auto& ping = c.conn().received[0];
  EXPECT_EQ(ping.attrOr("type", ""), "result");
  EXPECT_EQ(ping.attrOr("id", ""), "p1");
  EXPECT_EQ(ping.attrOr("to", ""), "example.org");
  const auto& disco = c.conn().received[1];
  EXPECT_EQ(disco.attrOr("type", ""), "result");
  auto info = DiscoInfo::parse(*disco.child("query", kNsDiscoInfo));
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->hasFeature("urn:xmpp:receipts"));
  const auto& unknown = c.conn().received[2];
  EXPECT_EQ(unknown.attrOr("type", ""), "error");
  EXPECT_EQ(StanzaErrorInfo::parse(*unknown.child("error", kNsClient)).condition,
            "service-unavailable");
  c.io.restart();
  c.io.run_for(50ms);
  EXPECT_EQ(c.conn().received.size(), 3u);  // no answer to an unsolicited result
}

TEST(ClientSession, RosterGetAndPushes) {
  Connected c;
  c.server.onStanza = [](FakeConn& conn, const xml::Element& e) {
    if (e.name() == "iq" && e.attrOr("type", "") == "get" && e.child("query", kNsRoster)) {
      conn.send("<iq type='result' id='" + std::string(e.attrOr("id", "")) +
                "'><query xmlns='jabber:iq:roster' ver='1'><item jid='bob@example.org' "
                "subscription='both' name='Bob'><group>Work</group></item></query></iq>");
    }
  };
  std::optional<Expected<Roster, StanzaErrorInfo>> result;
  c.h.client->requestRoster([&](Expected<Roster, StanzaErrorInfo> r) { result = std::move(r); });
  ASSERT_TRUE(runUntil(c.io, [&] { return result.has_value(); }));
  ASSERT_TRUE(*result);
  ASSERT_EQ((*result)->items.size(), 1u);
  EXPECT_EQ((*result)->items[0].name, "Bob");
  ASSERT_EQ(c.h.rosters.size(), 1u);
  EXPECT_FALSE(c.h.rosters[0].second);

  c.conn().send(
      "<iq type='set' id='push1'><query xmlns='jabber:iq:roster'><item jid='carol@example.org' "
      "subscription='none' ask='subscribe'/></query></iq>"
      "<iq type='set' id='push2' from='mallory@example.org/x'><query xmlns='jabber:iq:roster'>"
      "<item jid='evil@example.org'/></query></iq>");
  ASSERT_TRUE(runUntil(c.io, [&] { return c.conn().received.size() >= 3; }));
  ASSERT_EQ(c.h.rosters.size(), 2u);  // the spoofed push was refused
  EXPECT_TRUE(c.h.rosters[1].second);
  EXPECT_EQ(c.h.rosters[1].first.items[0].jid.full(), "carol@example.org");
  EXPECT_EQ(c.conn().received[1].attrOr("type", ""), "result");
  EXPECT_EQ(c.conn().received[2].attrOr("type", ""), "error");
}

TEST(ClientSession, IqTrackingTimeoutsAndSpoofedResponses) {
  Connected c;
  c.server.onStanza = [](FakeConn& conn, const xml::Element& e) {
    if (e.name() != "iq") return;
    const std::string id(e.attrOr("id", ""));
    const std::string to(e.attrOr("to", ""));
    if (to == "example.org") {
      conn.send("<iq type='result' id='" + id +
                "' from='example.org'><query xmlns='http://jabber.org/"
                "protocol/disco#info'><identity category='server' type='im'/><feature "
                "var='urn:xmpp:ping'/>"
                "</query></iq>");
    } else if (to == "carol@example.org/x") {
      // A response from the wrong sender must not count.
      conn.send("<iq type='result' id='" + id + "' from='mallory@example.org/x'/>");
    } else if (to == "dave@example.org/x") {
      conn.send("<iq type='error' id='" + id +
                "' from='dave@example.org/x'><error type='cancel'>"
                "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
    }
  };
  std::optional<Expected<DiscoInfo, StanzaErrorInfo>> disco;
  c.h.client->discoInfo(*Jid::parse("example.org"), [&](auto r) { disco = std::move(r); });
  std::optional<IqResponse> spoofed, error;
  c.h.client->sendIq(
      makeIq("get", "", Jid::parse("carol@example.org/x"), xml::Element{"q", "urn:x"}),
      [&](const IqResponse& r) { spoofed = r; }, 150ms);
  c.h.client->sendIq(
      makeIq("get", "", Jid::parse("dave@example.org/x"), xml::Element{"q", "urn:x"}),
      [&](const IqResponse& r) { error = r; });
  ASSERT_TRUE(runUntil(c.io, [&] { return disco && spoofed && error; }));
  ASSERT_TRUE(*disco);
  EXPECT_TRUE((*disco)->hasFeature("urn:xmpp:ping"));
  EXPECT_EQ(spoofed->status, IqResponse::Status::Timeout);
  EXPECT_EQ(spoofed->error.condition, "remote-server-timeout");
  EXPECT_EQ(error->status, IqResponse::Status::Error);
  EXPECT_EQ(error->error.condition, "item-not-found");
}

// ---- endings ------------------------------------------------------------------------------------

TEST(ClientSession, StreamErrorConflictIsNotRetried) {
  Connected c;
  c.h.client->sendStanza(Presence{}.toElement());
  c.conn().send(
      "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
      "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>replaced</text></stream:error>"
      "</stream:stream>");
  ASSERT_TRUE(runUntil(c.io, [&] { return !c.h.disconnects.empty(); }));
  EXPECT_EQ(c.h.disconnects[0].reason, DisconnectReason::StreamError);
  EXPECT_EQ(c.h.disconnects[0].condition, "conflict");
  EXPECT_EQ(c.h.disconnects[0].describe(), "stream error: conflict (replaced)");
  EXPECT_TRUE(c.h.disconnects[0].wasConnected);
  EXPECT_FALSE(c.h.client->isConnected());
  EXPECT_FALSE(c.h.client->sendStanza(Presence{}.toElement()));
}

TEST(ClientSession, ReconnectsWithBackoffAfterALostConnection) {
  asio::io_context io;
  FakeServer server(io);
  auto options = optionsFor(server);
  options.reconnect = true;
  options.reconnectInitialDelay = 50ms;
  Harness h(io, options);
  h.client->connect();
  ASSERT_TRUE(runUntil(io, [&] { return h.connects == 1; }));
  server.last().close();
  ASSERT_TRUE(runUntil(io, [&] { return h.connects == 2; }));
  ASSERT_EQ(h.disconnects.size(), 1u);
  EXPECT_EQ(h.disconnects[0].reason, DisconnectReason::ConnectionLost);
  EXPECT_TRUE(h.disconnects[0].wasConnected);
  EXPECT_TRUE(h.disconnects[0].willReconnect);
  EXPECT_GE(h.disconnects[0].reconnectDelay.count(), 40);
  EXPECT_LE(h.disconnects[0].reconnectDelay.count(), 60);
  EXPECT_EQ(server.binds, 2);

  // disconnect() ends it for good, politely, and cancels reconnects.
  h.client->disconnect();
  ASSERT_TRUE(runUntil(io, [&] { return h.disconnects.size() == 2; }));
  EXPECT_EQ(h.disconnects[1].reason, DisconnectReason::Requested);
  EXPECT_TRUE(server.last().streamClosedByClient);
  io.restart();
  io.run_for(150ms);
  EXPECT_EQ(h.connects, 2);
}

// ---- stream management (XEP-0198) ----------------------------------------------------------------

bool hasBody(const FakeConn& conn, const std::string& body) {
  return findSent(conn, [&](const xml::Element& e) {
           return e.name() == "message" && e.childText("body", kNsClient) == body;
         }) != nullptr;
}

TEST(ClientSession, StreamManagementResumesAndSendsAgainWhatTheServerMissed) {
  asio::io_context io;
  FakeOptions fake;
  fake.streamManagement = true;
  fake.resumeOk = true;
  FakeServer server(io, fake);
  auto options = optionsFor(server);
  options.reconnect = true;
  options.reconnectInitialDelay = 50ms;
  Harness h(io, options);
  int resumed = 0;
  h.client->onResumed([&](const Jid& jid) {
    ++resumed;
    EXPECT_EQ(jid.full(), "alice@example.org/desk");
  });
  h.client->connect();
  ASSERT_TRUE(runUntil(io, [&] { return h.connects == 1 && h.client->streamManagementActive(); }));
  EXPECT_NE(findSent(server.last(), [](const xml::Element& e) { return e.name() == "enable"; }),
            nullptr);
  // The server asks for an ack: one incoming stanza (the message) so far.
  server.last().send("<message from='bob@example.org/x'><body>in</body></message>"
                     "<r xmlns='urn:xmpp:sm:3'/>");
  ASSERT_TRUE(runUntil(io, [&] {
    return findSent(server.last(), [](const xml::Element& e) {
             return e.name() == "a" && e.attrOr("h", "") == "1";
           }) != nullptr;
  }));
  Message m;
  m.to = Jid::parse("bob@example.org");
  m.body = "lost in transit";
  h.client->sendMessage(m);
  std::optional<IqResponse> iq;
  h.client->sendIq(makeIq("get", "q-1", Jid::parse("example.org"), xml::Element{"q", "urn:x"}),
                   [&](const IqResponse& r) { iq = r; });
  ASSERT_TRUE(runUntil(io, [&] { return h.client->unackedStanzas() == 2; }));
  server.last().close();
  ASSERT_TRUE(runUntil(io, [&] { return resumed == 1; }));
  EXPECT_EQ(h.connects, 1);  // resumed, not a new session
  EXPECT_EQ(server.binds, 1);
  EXPECT_TRUE(server.last().resumeRequested);
  const xml::Element* resume = findSent(
      server.last(), [](const xml::Element& e) { return e.name() == "resume"; });
  ASSERT_NE(resume, nullptr);
  EXPECT_EQ(resume->attrOr("previd", ""), "sm-1");
  EXPECT_EQ(resume->attrOr("h", ""), "1");
  // Both stanzas the server never acknowledged come again; the IQ is still pending and its
  // answer on the new connection reaches the caller.
  ASSERT_TRUE(runUntil(io, [&] { return hasBody(server.last(), "lost in transit"); }));
  EXPECT_FALSE(iq.has_value());
  ASSERT_TRUE(runUntil(io, [&] {
    return findSent(server.last(), [](const xml::Element& e) {
             return e.name() == "iq" && e.attrOr("id", "") == "q-1";
           }) != nullptr;
  }));
  server.last().send("<iq type='result' id='q-1' from='example.org'/>");
  ASSERT_TRUE(runUntil(io, [&] { return iq.has_value(); }));
  EXPECT_TRUE(iq->ok());
  h.client->disconnect();
  ASSERT_TRUE(runUntil(io, [&] { return h.disconnects.size() == 2; }));
}

TEST(ClientSession, StreamManagementFallsBackToAFreshSessionWhenResumeFails) {
  asio::io_context io;
  FakeOptions fake;
  fake.streamManagement = true;
  fake.resumeOk = false;
  FakeServer server(io, fake);
  auto options = optionsFor(server);
  options.reconnect = true;
  options.reconnectInitialDelay = 50ms;
  Harness h(io, options);
  int resumed = 0;
  h.client->onResumed([&](const Jid&) { ++resumed; });
  h.client->connect();
  ASSERT_TRUE(runUntil(io, [&] { return h.connects == 1 && h.client->streamManagementActive(); }));
  Message m;
  m.to = Jid::parse("bob@example.org");
  m.body = "keep me";
  h.client->sendMessage(m);
  h.client->sendPresence(Presence{});
  std::optional<IqResponse> iq;
  h.client->sendIq(makeIq("get", "q-2", Jid::parse("example.org"), xml::Element{"q", "urn:x"}),
                   [&](const IqResponse& r) { iq = r; });
  ASSERT_TRUE(runUntil(io, [&] { return h.client->unackedStanzas() == 3; }));
  server.last().close();
  ASSERT_TRUE(runUntil(io, [&] { return h.connects == 2; }));
  EXPECT_EQ(resumed, 0);
  EXPECT_EQ(server.binds, 2);
  EXPECT_TRUE(server.last().resumeRequested);
  // The IQ of the lost session failed; the message goes out again in the new session (after
  // onConnected), the old session's presence does not.
  ASSERT_TRUE(iq.has_value());
  EXPECT_EQ(iq->status, IqResponse::Status::Disconnected);
  ASSERT_TRUE(runUntil(io, [&] { return hasBody(server.last(), "keep me"); }));
  EXPECT_EQ(findSent(server.last(), [](const xml::Element& e) { return e.name() == "presence"; }),
            nullptr);
  h.client->disconnect();
  ASSERT_TRUE(runUntil(io, [&] { return h.disconnects.size() == 2; }));
}

TEST(ClientSession, FindsTheConferenceAndUploadServicesByDisco) {
  Connected c;
  // The domain lists three items; only the second is a conference service and only the third
  // offers upload (with its limit). The answers come back out of order.
  std::vector<xml::Element> asked;
  c.server.onStanza = [&](FakeConn& conn, const xml::Element& iq) {
    if (iq.name() != "iq") return;
    const std::string to(iq.attrOr("to", ""));
    const std::string id(iq.attrOr("id", ""));
    if (iq.child("query", "http://jabber.org/protocol/disco#items")) {
      conn.send("<iq type='result' id='" + id + "' from='" + to +
                "'><query xmlns='http://jabber.org/protocol/disco#items'>"
                "<item jid='pubsub.example.org'/><item jid='rooms.example.org'/>"
                "<item jid='files.example.org'/></query></iq>");
      return;
    }
    std::string info;
    if (to == "rooms.example.org") {
      info = "<identity category='conference' type='text'/>"
             "<feature var='http://jabber.org/protocol/muc'/>";
    } else if (to == "files.example.org") {
      info = "<identity category='store' type='file'/><feature var='urn:xmpp:http:upload:0'/>"
             "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE'><value>"
             "urn:xmpp:http:upload:0</value></field><field var='max-file-size'><value>1000"
             "</value></field></x>";
    } else if (to == "pubsub.example.org") {
      // Answers last, with an error: the search still waits for it, in order.
      asked.push_back(iq);
      return;
    }
    conn.send("<iq type='result' id='" + id + "' from='" + to +
              "'><query xmlns='http://jabber.org/protocol/disco#info'>" + info + "</query></iq>");
  };
  std::optional<std::optional<Jid>> conference;
  c.h.client->findConferenceService([&](std::optional<Jid> jid) { conference = jid; });
  std::optional<Expected<UploadService, std::string>> upload;
  c.h.client->findUploadService(
      [&](Expected<UploadService, std::string> s) { upload = std::move(s); });
  ASSERT_TRUE(runUntil(c.io, [&] { return asked.size() == 2; }));
  EXPECT_FALSE(conference.has_value());
  for (const auto& iq : asked) {
    c.conn().send("<iq type='error' id='" + std::string(iq.attrOr("id", "")) +
                  "' from='pubsub.example.org'><error type='cancel'><item-not-found "
                  "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
  }
  ASSERT_TRUE(runUntil(c.io, [&] { return conference.has_value() && upload.has_value(); }));
  ASSERT_TRUE(conference->has_value());
  EXPECT_EQ((*conference)->full(), "rooms.example.org");
  ASSERT_TRUE(upload->has_value()) << upload->error();
  EXPECT_EQ((*upload)->jid.full(), "files.example.org");
  EXPECT_EQ((*upload)->maxFileSize.value_or(0), 1000u);

  // A file over the limit is refused without asking for a slot.
  const auto file = std::filesystem::temp_directory_path() /
                    ("telex-session-upload-" + std::to_string(::getpid()));
  { std::ofstream(file) << std::string(1001, 'x'); }
  std::optional<Expected<std::string, std::string>> result;
  c.h.client->uploadFile(file, [&](Expected<std::string, std::string> r) { result = r; });
  ASSERT_TRUE(runUntil(c.io, [&] { return result.has_value(); }));
  std::filesystem::remove(file);
  ASSERT_FALSE(result->has_value());
  EXPECT_NE(result->error().find("at most 1000"), std::string::npos) << result->error();
}

TEST(ClientSession, PendingIqsEndWhenTheConnectionEnds) {
  Connected c;
  std::optional<IqResponse> pending;
  c.h.client->sendIq(
      makeIq("get", "", Jid::parse("slow@example.org/x"), xml::Element{"q", "urn:x"}),
      [&](const IqResponse& r) { pending = r; });
  c.h.client->disconnect();
  ASSERT_TRUE(runUntil(c.io, [&] { return pending.has_value() && !c.h.disconnects.empty(); }));
  EXPECT_EQ(pending->status, IqResponse::Status::Disconnected);
  EXPECT_EQ(c.h.disconnects[0].reason, DisconnectReason::Requested);
}

TEST(ClientSession, InvalidXmlFromTheServerEndsTheSession) {
  Connected c;
  c.conn().send("<message><body>unclosed</message>");
  ASSERT_TRUE(runUntil(c.io, [&] { return !c.h.disconnects.empty(); }));
  EXPECT_EQ(c.h.disconnects[0].reason, DisconnectReason::ProtocolError);
  EXPECT_EQ(c.h.disconnects[0].condition, "not-well-formed");
}

TEST(ClientSession, ClientMayBeDestroyedFromItsOwnCallback) {
  Connected c;
  int seen = 0;
  c.h.client->onMessage([&](const Message&) {
    ++seen;
    c.h.client.reset();  // the rest of this chunk must be ignored safely
  });
  c.conn().send(
      "<message from='bob@example.org/x'><body>1</body></message>"
      "<message from='bob@example.org/x'><body>2</body></message>");
  ASSERT_TRUE(runUntil(c.io, [&] { return seen > 0; }));
  c.io.restart();
  c.io.run_for(50ms);
  EXPECT_EQ(seen, 1);
}

TEST(ClientSession, NotConnectedCallsFailGracefully) {
  asio::io_context io;
  FakeServer server(io);
  Harness h(io, optionsFor(server));
  EXPECT_EQ(h.client->sendMessage(Message{}), "");
  EXPECT_FALSE(h.client->isConnected());
  std::optional<IqResponse> r;
  h.client->sendIq(makeIq("get", "", std::nullopt, xml::Element{"q", "urn:x"}),
                   [&](const IqResponse& response) { r = response; });
  EXPECT_FALSE(r);  // never inside the call itself
  ASSERT_TRUE(runUntil(io, [&] { return r.has_value(); }));
  EXPECT_EQ(r->status, IqResponse::Status::Disconnected);
  h.client->disconnect();  // harmless when idle
  EXPECT_TRUE(h.disconnects.empty());
}

}  // namespace
}  // namespace telex::client
