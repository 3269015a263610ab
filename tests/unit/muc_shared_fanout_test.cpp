// A room message is serialized once and its bytes are shared by every occupant's copy: each
// recipient gets the same two buffers (same addresses) around its own ' to=' piece; the copies
// read back as the right stanza; Connection writes the pieces back to back as the right bytes
// on the wire, plain and in order; Stream Management keeps the shared pieces (not copies) until
// they are acknowledged.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <chrono>
#include <thread>

#include "modules/muc/fanout.hpp"
#include "modules/muc/muc.hpp"
#include "net/connection.hpp"
#include "storage/memory/memory_driver.hpp"
#include "stream/stream_management.hpp"
#include "support/module_test_server.hpp"
#include "support/recording_session.hpp"

namespace telex::modules::muc {
namespace {

// Keeps what it gets as pieces too, so the test can compare buffer addresses.
class PiecesSession : public test::RecordingSession {
 public:
  using RecordingSession::RecordingSession;
  void deliverPieces(const net::StanzaBytes& stanza) override {
    pieces.push_back(stanza);
    RecordingSession::deliverPieces(stanza);  // joined into `received` as well
  }
  std::vector<net::StanzaBytes> pieces;
};

xml::Element roomMessage() {
  xml::Element m("message", "jabber:client");
  m.setAttr("from", "room@conference.example.org/Bob");
  m.setAttr("type", "groupchat");
  m.addChild(xml::Element("body", "jabber:client")).addText("one payload <for> all & each");
  return m;
}

TEST(MucSharedFanout, EveryCopyPointsAtTheSameTwoBuffers) {
  FanoutStanza f(roomMessage());
  const long before = f.head().use_count();
  std::vector<net::StanzaBytes> copies;
  std::vector<Jid> to;
  for (const char* j : {"alice@example.org/a", "bob@example.org/b", "carol@example.org/it's <c>"}) {
    to.push_back(*Jid::parse(j));
    copies.push_back(f.piecesFor(FanoutStanza::toAttribute(to.back())));
  }
  for (std::size_t i = 0; i < copies.size(); ++i) {
    ASSERT_EQ(copies[i].pieces().size(), 3u);
    EXPECT_EQ(copies[i].pieces()[0].get(), f.head().get()) << "head shared, not copied";
    EXPECT_EQ(copies[i].pieces()[2].get(), f.rest().get()) << "payload shared, not copied";
    // The bytes are those of the joined copy.
    EXPECT_EQ(copies[i].flatten(), *f.forRecipient(to[i]));
  }
  EXPECT_EQ(f.head().use_count(), before + 3);
  EXPECT_EQ(f.rest().use_count(), before + 3);
  EXPECT_NE(copies[2].flatten().find(" to='carol@example.org/it&apos;s &lt;c&gt;'>"), std::string::npos)
      << copies[2].flatten();
  // The history copy (with <delay/>) still shares the start tag.
  auto delayed = f.withChild("<delay xmlns='urn:xmpp:delay' stamp='2026-01-01T00:00:00Z'/>");
  EXPECT_EQ(delayed.head().get(), f.head().get());
  EXPECT_NE(delayed.rest().get(), f.rest().get());
}

struct Server : test::ModuleTestServer {
  explicit Server(storage::StorageDriver& storage) : ModuleTestServer(storage) { load("muc", setup); }
  net::Worker::CurrentScope scope{worker};
};

class MucSharedRoomTest : public ::testing::Test {
 protected:
  MucSharedRoomTest() : storage_(storage::makeMemoryDriver()), server_(std::make_unique<Server>(*storage_)) {}

  std::shared_ptr<PiecesSession> connect(const std::string& jid) {
    auto s = std::make_shared<PiecesSession>(server_->worker, jid);
    std::shared_ptr<router::Session> replaced;
    server_->sessions.bind(s, replaced);
    server_->sessions.setPresence(*s, true, 0);
    return s;
  }
  void send(PiecesSession& from, const std::string& xml) {
    auto stanza = stream::parseStanza(xml);
    ASSERT_TRUE(stanza) << xml;
    server_->router.routeFromClient(from, std::move(*stanza));
  }
  template <class Pred>
  bool runUntil(Pred pred) {
    for (int i = 0; i < 400; ++i) {
      server_->worker.context().poll();
      server_->worker.context().restart();
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pred();
  }
  void join(PiecesSession& who, const std::string& nick) {
    std::size_t before = who.count("code='110'");
    send(who, "<presence to='room@conference.example.org/" + nick + "'/>");
    ASSERT_TRUE(runUntil([&] { return who.count("code='110'") > before; })) << nick;
  }

  std::unique_ptr<storage::StorageDriver> storage_;
  std::unique_ptr<Server> server_;
};

TEST_F(MucSharedRoomTest, ARoomMessageReachesEveryOccupantAsTheSameBuffers) {
  auto alice = connect("alice@example.org/a");
  auto bob = connect("bob@example.org/b");
  auto carol = connect("carol@example.org/c");
  auto dave = connect("dave@example.org/d");
  join(*alice, "Alice");  // groupchat 1.0 join: an instant room
  join(*bob, "Bob");
  join(*carol, "Carol");
  join(*dave, "Dave");
  std::vector<PiecesSession*> all{alice.get(), bob.get(), carol.get(), dave.get()};
  for (auto* s : all) {
    s->pieces.clear();
    s->received.clear();
  }
  send(*bob, "<message type='groupchat' id='m1' to='room@conference.example.org'><body>shared bytes</body></message>");
  ASSERT_TRUE(runUntil([&] {
    return std::all_of(all.begin(), all.end(), [](auto* s) { return s->count("shared bytes") == 1; });
  }));
  const std::string* head = nullptr;
  const std::string* rest = nullptr;
  for (auto* s : all) {
    ASSERT_EQ(s->pieces.size(), 1u);
    const auto& copy = s->pieces.back();
    ASSERT_EQ(copy.pieces().size(), 3u);
    if (!head) {
      head = copy.pieces()[0].get();
      rest = copy.pieces()[2].get();
    }
    EXPECT_EQ(copy.pieces()[0].get(), head) << s->jid().full() << ": start tag is the one shared buffer";
    EXPECT_EQ(copy.pieces()[2].get(), rest) << s->jid().full() << ": payload is the one shared buffer";
    EXPECT_EQ(*copy.pieces()[1], " to='" + s->jid().full() + "'");
    // And what the occupant reads is the whole stanza, addressed to it.
    auto parsed = stream::parseStanza(copy.flatten());
    ASSERT_TRUE(parsed) << copy.flatten();
    EXPECT_EQ(parsed->attrOr("to", ""), s->jid().full());
    EXPECT_EQ(parsed->attrOr("from", ""), "room@conference.example.org/Bob");
    EXPECT_EQ(parsed->attrOr("id", ""), "m1");
    EXPECT_EQ(parsed->childText("body", "jabber:client"), "shared bytes");
  }
  EXPECT_NE(head, nullptr);
  EXPECT_NE(rest->find("shared bytes"), std::string::npos);
}

// Connection writes pieces back to back: what the peer reads is every stanza, whole, in order.
TEST(MucSharedFanout, ConnectionWritesThePiecesAsOneStream) {
  namespace asio = boost::asio;
  net::Worker worker(0);
  asio::ip::tcp::acceptor acceptor(worker.context(), {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::socket peer(worker.context());
  peer.connect(acceptor.local_endpoint());
  asio::ip::tcp::socket server(worker.context());
  acceptor.accept(server);

  struct Handler : net::ConnectionHandler {
    void onData(std::string_view) override {}
    void onClosed(std::string_view) override {}
  } handler;
  auto owner = std::make_shared<int>(0);
  net::Connection connection(net::AcceptedSocket::fromAsio(std::move(server)), worker, handler);
  connection.start(owner);

  FanoutStanza f(roomMessage());
  auto to = FanoutStanza::toAttribute(*Jid::parse("alice@example.org/a"));
  std::string expected;
  for (int i = 0; i < 100; ++i) {  // more pieces than one sendmsg takes
    connection.send(f.piecesFor(to));
    expected += f.piecesFor(to).flatten();
  }
  connection.send(std::string("<r xmlns='urn:xmpp:sm:3'/>"));
  expected += "<r xmlns='urn:xmpp:sm:3'/>";
  EXPECT_EQ(connection.queuedBytes(), expected.size());

  std::string got;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (got.size() < expected.size() && std::chrono::steady_clock::now() < deadline) {
    worker.context().poll();
    worker.context().restart();
    boost::system::error_code ec;
    std::size_t available = peer.available(ec);
    if (available > 0) {
      std::string chunk(available, '\0');
      chunk.resize(peer.read_some(asio::buffer(chunk), ec));
      got += chunk;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(connection.queuedBytes(), 0u);
  connection.abort("test over");
}

// XEP-0198: the resend queue holds the shared pieces themselves, and lets go once acknowledged.
TEST(MucSharedFanout, StreamManagementKeepsSharedPiecesUntilAcked) {
  FanoutStanza f(roomMessage());
  auto to = FanoutStanza::toAttribute(*Jid::parse("alice@example.org/a"));
  const long base = f.rest().use_count();
  stream::StreamManagement sm("id", true);
  sm.sent(f.piecesFor(to));
  sm.sent(f.piecesFor(to));
  sm.sent(net::StanzaBytes(std::make_shared<const std::string>("<message/>")));
  EXPECT_EQ(sm.unacknowledged(), 3u);
  EXPECT_EQ(f.rest().use_count(), base + 2);
  EXPECT_EQ(sm.queue().front().pieces()[2].get(), f.rest().get());
  // What a resumed stream resends, or an ended one reroutes, reads back as the stanza.
  auto parsed = stream::parseStanza(sm.queue().front().flatten());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->attrOr("to", ""), "alice@example.org/a");
  EXPECT_TRUE(sm.acknowledge(2));
  EXPECT_EQ(sm.unacknowledged(), 1u);
  EXPECT_EQ(f.rest().use_count(), base);
  EXPECT_FALSE(sm.acknowledge(5)) << "more than was sent";
}

}  // namespace
}  // namespace telex::modules::muc
