// The muc module on a real router with fake sessions: one payload shared by all occupants,
// occupants leaving when their session ends (but not when a newer session took its place),
// several resources under one nickname, and persistent rooms loaded by a new server.
#include <gtest/gtest.h>

#include <thread>

#include "modules/muc/muc.hpp"
#include "storage/memory/memory_driver.hpp"
#include "support/module_test_server.hpp"
#include "support/recording_session.hpp"

namespace telex::modules::muc {
namespace {

using FakeSession = test::RecordingSession;

struct Server : test::ModuleTestServer {
  explicit Server(storage::StorageDriver& storage) : ModuleTestServer(storage) { load("muc", setup); }
  net::Worker::CurrentScope scope{worker};
};

constexpr const char* kRoom = "room@conference.example.org";

class MucServiceTest : public ::testing::Test {
 protected:
  MucServiceTest() : storage_(storage::makeMemoryDriver()), server_(std::make_unique<Server>(*storage_)) {}

  std::shared_ptr<FakeSession> connect(const std::string& jid) {
    auto s = std::make_shared<FakeSession>(server_->worker, jid);
    std::shared_ptr<router::Session> replaced;
    server_->sessions.bind(s, replaced);
    server_->sessions.setPresence(*s, true, 0);
    return s;
  }

  void send(FakeSession& from, const std::string& xml) {
    server_->router.routeFromClient(from, parse(xml));
  }

  static xml::Element parse(const std::string& text) {
    // Small stanzas built here; a tiny recursive reader keeps the test free of the stream parser.
    std::size_t pos = 0;
    return readElement(text, pos, "jabber:client");
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
  void settle() {
    for (int i = 0; i < 20; ++i) {
      server_->worker.context().poll();
      server_->worker.context().restart();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  // Joins and waits for the self-presence (status 110).
  void join(FakeSession& who, const std::string& nick, const std::string& extra = "<x xmlns='http://jabber.org/protocol/muc'/>") {
    std::size_t before = who.count("code='110'");
    send(who, "<presence to='" + std::string(kRoom) + "/" + nick + "'>" + extra + "</presence>");
    ASSERT_TRUE(runUntil([&] { return who.count("code='110'") > before; })) << nick;
  }

  static xml::Element readElement(const std::string& s, std::size_t& pos, const std::string& parentNs) {
    // <name attr='v' ...> children </name> | <name .../>; text is plain (no entities used here).
    ++pos;  // '<'
    std::size_t nameEnd = s.find_first_of(" />", pos);
    std::string name = s.substr(pos, nameEnd - pos);
    pos = nameEnd;
    xml::Element e(name, parentNs);
    for (;;) {
      while (s[pos] == ' ') ++pos;
      if (s[pos] == '/' || s[pos] == '>') break;
      std::size_t eq = s.find('=', pos);
      std::string attr = s.substr(pos, eq - pos);
      char quote = s[eq + 1];
      std::size_t end = s.find(quote, eq + 2);
      std::string value = s.substr(eq + 2, end - eq - 2);
      pos = end + 1;
      if (attr == "xmlns") {
        e.setXmlns(value);
      } else {
        e.setAttr(attr, value);
      }
    }
    if (s[pos] == '/') {
      pos += 2;
      return e;
    }
    ++pos;
    while (s.compare(pos, 2, "</") != 0) {
      if (s[pos] == '<') {
        e.addChild(readElement(s, pos, e.xmlns()));
      } else {
        std::size_t end = s.find('<', pos);
        e.addText(s.substr(pos, end - pos));
        pos = end;
      }
    }
    pos = s.find('>', pos) + 1;
    return e;
  }

  std::unique_ptr<storage::StorageDriver> storage_;
  std::unique_ptr<Server> server_;
};

TEST_F(MucServiceTest, EveryOccupantGetsTheSamePayload) {
  auto alice = connect("alice@example.org/a");
  auto bob = connect("bob@example.org/b");
  auto carol = connect("carol@example.org/c");
  join(*alice, "Alice", "");  // groupchat 1.0 join: an instant room
  join(*bob, "Bob");
  join(*carol, "Carol");
  for (auto* s : {alice.get(), bob.get(), carol.get()}) s->received.clear();
  send(*bob, std::string("<message type='groupchat' id='m1' to='") + kRoom + "'><body>hello all</body></message>");
  ASSERT_TRUE(runUntil([&] { return alice->count("hello all") && bob->count("hello all") && carol->count("hello all"); }));
  auto withoutTo = [](std::string s) {
    auto at = s.find(" to='");
    return s.erase(at, s.find('\'', at + 5) + 1 - at);
  };
  EXPECT_EQ(withoutTo(alice->received.back()), withoutTo(bob->received.back()));
  EXPECT_EQ(withoutTo(carol->received.back()), withoutTo(bob->received.back()));
  EXPECT_NE(carol->received.back().find("to='carol@example.org/c'"), std::string::npos) << carol->received.back();
  EXPECT_NE(carol->received.back().find("from='room@conference.example.org/Bob'"), std::string::npos);
  EXPECT_NE(carol->received.back().find("id='m1'"), std::string::npos);
  // The server's disco#items names the service.
  ASSERT_EQ(server_->disco.items.size(), 1u);
  EXPECT_EQ(server_->disco.items[0].first, "conference.example.org");
}

TEST_F(MucServiceTest, EndedSessionLeavesTheRoom) {
  auto alice = connect("alice@example.org/a");
  auto bob = connect("bob@example.org/b");
  auto carol = connect("carol@example.org/c");
  join(*alice, "Alice", "");
  join(*bob, "Bob");
  join(*carol, "Carol");
  server_->router.sessionClosed(*carol, true);
  server_->sessions.unbind(*carol);
  ASSERT_TRUE(runUntil([&] {
    return alice->count("from='room@conference.example.org/Carol' type='unavailable'") == 1 &&
           bob->count("from='room@conference.example.org/Carol' type='unavailable'") == 1;
  }));
  // Unavailable presence to everyone also leaves rooms.
  send(*bob, "<presence type='unavailable'/>");
  ASSERT_TRUE(runUntil([&] { return alice->count("from='room@conference.example.org/Bob' type='unavailable'") == 1; }));
}

TEST_F(MucServiceTest, ANewerSessionOfTheSameResourceKeepsItsPlace) {
  auto alice = connect("alice@example.org/a");
  auto bob = connect("bob@example.org/b");
  auto carol = connect("carol@example.org/c");
  join(*alice, "Alice", "");
  join(*bob, "Bob");
  join(*carol, "Carol");
  // Carol logs in again on the same resource; the new session joins before the old one's end
  // is announced.
  auto carol2 = std::make_shared<FakeSession>(server_->worker, "carol@example.org/c");
  std::shared_ptr<router::Session> replaced;
  ASSERT_EQ(server_->sessions.bind(carol2, replaced), router::SessionManager::BindResult::Replaced);
  server_->sessions.setPresence(*carol2, true, 0);
  join(*carol2, "Carol");
  EXPECT_EQ(carol2->count("from='room@conference.example.org/Alice'"), 1u) << "the room state again";
  server_->router.sessionClosed(*carol, true);
  settle();
  EXPECT_EQ(alice->count("from='room@conference.example.org/Carol' type='unavailable'"), 0u);
  // Messages reach the new session.
  send(*alice, std::string("<message type='groupchat' to='") + kRoom + "'><body>still there?</body></message>");
  ASSERT_TRUE(runUntil([&] { return carol2->count("still there?") == 1; }));
}

TEST_F(MucServiceTest, SeveralResourcesShareOneNickname) {
  auto alice = connect("alice@example.org/a");
  auto bob = connect("bob@example.org/laptop");
  auto bobPhone = connect("bob@example.org/phone");
  auto carol = connect("carol@example.org/c");
  join(*alice, "Alice", "");
  join(*bob, "Bob");
  join(*carol, "Carol");
  std::size_t aliceBefore = alice->received.size();
  join(*bobPhone, "Bob");
  settle();
  EXPECT_EQ(alice->received.size(), aliceBefore) << "the others see no new occupant";
  send(*carol, std::string("<message type='groupchat' to='") + kRoom + "'><body>to both</body></message>");
  ASSERT_TRUE(runUntil([&] { return bob->count("to both") == 1 && bobPhone->count("to both") == 1; }));
  // One resource leaving does not take the nickname out of the room.
  send(*bobPhone, std::string("<presence type='unavailable' to='") + kRoom + "/Bob'/>");
  ASSERT_TRUE(runUntil([&] { return bobPhone->count("type='unavailable'") == 1; }));
  EXPECT_EQ(alice->count("from='room@conference.example.org/Bob' type='unavailable'"), 0u);
  send(*bob, std::string("<presence type='unavailable' to='") + kRoom + "/Bob'/>");
  ASSERT_TRUE(runUntil([&] { return alice->count("from='room@conference.example.org/Bob' type='unavailable'") == 1; }));
}

TEST_F(MucServiceTest, PersistentRoomsAreLoadedByTheNextServer) {
  auto alice = connect("alice@example.org/a");
  join(*alice, "Alice");
  send(*alice, std::string("<iq type='set' id='c1' to='") + kRoom +
                   "'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>"
                   "<field var='muc#roomconfig_persistentroom'><value>1</value></field>"
                   "<field var='muc#roomconfig_roomname'><value>Kept</value></field></x></query></iq>");
  ASSERT_TRUE(runUntil([&] { return alice->count("id='c1'") == 1; }));
  send(*alice, std::string("<message type='groupchat' to='") + kRoom + "'><body>remember me</body></message>");
  ASSERT_TRUE(runUntil([&] { return alice->count("remember me") == 1; }));
  settle();
  server_.reset();
  server_ = std::make_unique<Server>(*storage_);
  auto bob = connect("bob@example.org/b");
  send(*bob, "<iq type='get' id='i1' to='conference.example.org'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
  ASSERT_TRUE(runUntil([&] { return bob->count("id='i1'") == 1; }));
  EXPECT_NE(bob->received.back().find("jid='room@conference.example.org' name='Kept'"), std::string::npos)
      << bob->received.back();
  join(*bob, "Bob");
  ASSERT_TRUE(runUntil([&] { return bob->count("remember me") == 1; })) << "history from the archive";
}

}  // namespace
}  // namespace telex::modules::muc
