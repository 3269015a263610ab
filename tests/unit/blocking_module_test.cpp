// The blocking module on a real router with fake sessions: both directions of a block, the
// presence filter, block/unblock with pushes, and lists surviving a restart.
#include <gtest/gtest.h>

#include <thread>

#include "modules/blocking/blocking.hpp"
#include "storage/memory/memory_driver.hpp"
#include "support/module_test_server.hpp"
#include "support/recording_session.hpp"

namespace telex::modules::blocking {
namespace {

using FakeSession = test::RecordingSession;

// One server's worth of router, storage and module; `storage` may be shared to simulate a restart.
struct Server : test::ModuleTestServer {
  explicit Server(storage::StorageDriver& storage) : ModuleTestServer(storage), ctx(load("blocking", setup)) {}
  ModuleContext& ctx;
};

class BlockingModuleTest : public ::testing::Test {
 protected:
  BlockingModuleTest() : storage_(storage::makeMemoryDriver()) {
    storage_->keyval("blocklist")->set("alice", "mallory@example.org\nspam.example");
    server_ = std::make_unique<Server>(*storage_);
  }

  std::shared_ptr<FakeSession> connect(const std::string& jid) {
    auto s = std::make_shared<FakeSession>(server_->worker, jid);
    std::shared_ptr<router::Session> replaced;
    EXPECT_EQ(server_->sessions.bind(s, replaced), router::SessionManager::BindResult::Bound);
    server_->sessions.setPresence(*s, true, 0);
    return s;
  }

  // Routes as if `from` sent it, then lets the worker deliver what was queued.
  void route(FakeSession& from, xml::Element stanza) {
    server_->router.routeFromClient(from, std::move(stanza));
    flush();
  }
  void flush() {
    server_->worker.context().poll();
    server_->worker.context().restart();
  }

  // Runs the worker until `pred` holds (storage work comes back through it); bounded.
  template <class Pred>
  bool runUntil(Pred pred) {
    for (int i = 0; i < 400 && !pred(); ++i) {
      server_->worker.context().poll();
      server_->worker.context().restart();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pred();
  }

  std::unique_ptr<storage::StorageDriver> storage_;
  std::unique_ptr<Server> server_;
};

xml::Element element(std::string name, std::initializer_list<std::pair<const char*, const char*>> attrs) {
  xml::Element e(std::move(name), "jabber:client");
  for (const auto& [k, v] : attrs) e.setAttr(k, v);
  return e;
}

xml::Element chat(const char* to, const char* body) {
  xml::Element m = element("message", {{"to", to}, {"type", "chat"}});
  m.addChild(xml::Element("body", "jabber:client")).addText(body);
  return m;
}

TEST_F(BlockingModuleTest, BlockedSenderIsBouncedAndTheUserNeverSeesIt) {
  auto alice = connect("alice@example.org/home");
  auto mallory = connect("mallory@example.org/phone");
  route(*mallory, chat("alice@example.org", "let me in"));
  EXPECT_TRUE(alice->received.empty());
  ASSERT_EQ(mallory->received.size(), 1u);
  EXPECT_NE(mallory->received[0].find("type='error'"), std::string::npos) << mallory->received[0];
  EXPECT_NE(mallory->received[0].find("service-unavailable"), std::string::npos) << mallory->received[0];
  // Not revealing the block: no <blocked/> in the answer to the blocked side.
  EXPECT_EQ(mallory->received[0].find("urn:xmpp:blocking:errors"), std::string::npos);

  // A headline is dropped silently; so is a full-JID message.
  auto headline = chat("alice@example.org/home", "news");
  headline.setAttr("type", "headline");
  route(*mallory, headline);
  EXPECT_TRUE(alice->received.empty());
  EXPECT_EQ(mallory->received.size(), 1u);
}

TEST_F(BlockingModuleTest, UserWritingToABlockedJidGetsNotAcceptableBlocked) {
  auto alice = connect("alice@example.org/home");
  auto mallory = connect("mallory@example.org/phone");
  route(*alice, chat("mallory@example.org/phone", "go away"));
  EXPECT_TRUE(mallory->received.empty());
  ASSERT_EQ(alice->received.size(), 1u);
  const std::string& error = alice->received[0];
  EXPECT_NE(error.find("not-acceptable"), std::string::npos) << error;
  EXPECT_NE(error.find("<blocked xmlns='urn:xmpp:blocking:errors'/>"), std::string::npos) << error;
  EXPECT_NE(error.find("from='mallory@example.org/phone'"), std::string::npos) << error;

  // Same for presence and IQ requests; the domain item covers everyone at spam.example.
  route(*alice, element("presence", {{"to", "mallory@example.org"}}));
  xml::Element iq = element("iq", {{"to", "bot@spam.example/x"}, {"type", "get"}, {"id", "q1"}});
  iq.addChild(xml::Element("query", "jabber:iq:version"));
  route(*alice, iq);
  ASSERT_EQ(alice->received.size(), 3u);
  EXPECT_NE(alice->received[1].find("<presence"), std::string::npos);
  EXPECT_NE(alice->received[1].find("urn:xmpp:blocking:errors"), std::string::npos);
  EXPECT_NE(alice->received[2].find("id='q1'"), std::string::npos);
  EXPECT_NE(alice->received[2].find("urn:xmpp:blocking:errors"), std::string::npos);
  EXPECT_TRUE(mallory->received.empty());
}

TEST_F(BlockingModuleTest, PresenceAndIqsFromABlockedJidAreStopped) {
  auto alice = connect("alice@example.org/home");
  auto mallory = connect("mallory@example.org/phone");
  route(*mallory, element("presence", {{"to", "alice@example.org"}}));
  route(*mallory,
                                  element("presence", {{"to", "alice@example.org"}, {"type", "subscribe"}}));
  EXPECT_TRUE(alice->received.empty());
  EXPECT_TRUE(mallory->received.empty());  // presence is dropped without an answer

  xml::Element iq = element("iq", {{"to", "alice@example.org/home"}, {"type", "get"}, {"id", "v1"}});
  iq.addChild(xml::Element("query", "jabber:iq:version"));
  route(*mallory, iq);
  EXPECT_TRUE(alice->received.empty());
  ASSERT_EQ(mallory->received.size(), 1u);
  EXPECT_NE(mallory->received[0].find("service-unavailable"), std::string::npos);

  // Queries the server answers for Alice's account are stopped too.
  xml::Element vcard = element("iq", {{"to", "alice@example.org"}, {"type", "get"}, {"id", "v2"}});
  vcard.addChild(xml::Element("vCard", "vcard-temp"));
  route(*mallory, vcard);
  ASSERT_EQ(mallory->received.size(), 2u);
  EXPECT_NE(mallory->received[1].find("id='v2'"), std::string::npos);
  EXPECT_NE(mallory->received[1].find("service-unavailable"), std::string::npos);
}

TEST_F(BlockingModuleTest, OthersAndOwnResourcesAreUnaffected) {
  auto alice = connect("alice@example.org/home");
  auto alice2 = connect("alice@example.org/work");
  auto bob = connect("bob@example.org/pc");
  route(*bob, chat("alice@example.org/home", "hi"));
  route(*alice2, chat("alice@example.org/home", "note to self"));
  route(*alice, chat("bob@example.org/pc", "hello bob"));
  EXPECT_EQ(alice->received.size(), 2u);
  EXPECT_EQ(bob->received.size(), 1u);
}

TEST_F(BlockingModuleTest, PresenceFilterWithholdsBroadcastsBothWays) {
  auto alice = connect("alice@example.org/home");
  auto mallory = connect("mallory@example.org/phone");
  auto bob = connect("bob@example.org/pc");
  std::shared_ptr<router::Session> toMallory[] = {mallory};
  std::shared_ptr<router::Session> toAlice[] = {alice};
  std::shared_ptr<router::Session> toBob[] = {bob};

  // What the presence module sends to subscribers goes through StanzaRouter::deliver.
  auto fromAlice = element("presence", {{"from", "alice@example.org/home"}, {"to", "mallory@example.org"}});
  server_->router.deliver(toMallory, fromAlice);
  auto fromMallory = element("presence", {{"from", "mallory@example.org/phone"}, {"to", "alice@example.org"}});
  server_->router.deliver(toAlice, fromMallory);
  auto unavailable = fromAlice;
  unavailable.setAttr("type", "unavailable");
  server_->router.deliver(mallory, unavailable);
  flush();
  EXPECT_TRUE(mallory->received.empty());
  EXPECT_TRUE(alice->received.empty());

  // Alice's own subscription answers still go out; everyone else sees her.
  auto subscribed = fromAlice;
  subscribed.setAttr("type", "subscribed");
  server_->router.deliver(toMallory, subscribed);
  flush();
  EXPECT_EQ(mallory->received.size(), 1u);
  auto toBobPresence = element("presence", {{"from", "alice@example.org/home"}, {"to", "bob@example.org"}});
  server_->router.deliver(toBob, toBobPresence);
  flush();
  EXPECT_EQ(bob->received.size(), 1u);
}

TEST_F(BlockingModuleTest, BlockAndUnblockPushToInterestedResourcesAndPersist) {
  net::Worker::CurrentScope scope(server_->worker);
  auto alice = connect("alice@example.org/home");
  auto alice2 = connect("alice@example.org/work");
  auto eve = connect("eve@example.org/x");

  xml::Element get = element("iq", {{"type", "get"}, {"id", "g1"}});
  get.addChild(xml::Element("blocklist", "urn:xmpp:blocking"));
  route(*alice2, get);
  ASSERT_TRUE(runUntil([&] { return alice2->got("id='g1'"); }));
  EXPECT_TRUE(alice2->got("<item jid='mallory@example.org'/>")) << alice2->received.back();
  EXPECT_TRUE(alice2->got("<item jid='spam.example'/>"));

  xml::Element block = element("iq", {{"type", "set"}, {"id", "b1"}});
  auto& payload = block.addChild(xml::Element("block", "urn:xmpp:blocking"));
  payload.addChild(xml::Element("item", "urn:xmpp:blocking")).setAttr("jid", "Eve@Example.org");
  route(*alice, block);
  ASSERT_TRUE(runUntil([&] { return alice->got("id='b1'"); }));
  EXPECT_TRUE(alice->got("type='result'"));
  ASSERT_TRUE(runUntil([&] { return alice2->got("<block xmlns='urn:xmpp:blocking'><item jid='eve@example.org'/>"); }));
  // Only resources that asked for the list get pushes.
  EXPECT_FALSE(alice->got("<block xmlns='urn:xmpp:blocking'>"));
  EXPECT_EQ(storage_->keyval("blocklist")->get("alice"),
            std::optional<std::string>("eve@example.org\nmallory@example.org\nspam.example"));

  route(*eve, chat("alice@example.org", "psst"));
  EXPECT_FALSE(alice->got("psst"));
  EXPECT_FALSE(alice2->got("psst"));

  // An empty <unblock/> unblocks everyone.
  xml::Element unblock = element("iq", {{"type", "set"}, {"id", "u1"}});
  unblock.addChild(xml::Element("unblock", "urn:xmpp:blocking"));
  route(*alice, unblock);
  ASSERT_TRUE(runUntil([&] { return alice->got("id='u1'"); }));
  ASSERT_TRUE(runUntil([&] { return alice2->got("<unblock xmlns='urn:xmpp:blocking'/>"); }));
  EXPECT_EQ(storage_->keyval("blocklist")->get("alice"), std::nullopt);
  route(*eve, chat("alice@example.org/home", "again"));
  EXPECT_TRUE(alice->got("again"));
}

TEST_F(BlockingModuleTest, BadRequestsAreRefused) {
  net::Worker::CurrentScope scope(server_->worker);
  auto alice = connect("alice@example.org/home");
  xml::Element empty = element("iq", {{"type", "set"}, {"id", "e1"}});
  empty.addChild(xml::Element("block", "urn:xmpp:blocking"));
  route(*alice, empty);
  ASSERT_TRUE(runUntil([&] { return alice->got("id='e1'"); }));
  EXPECT_TRUE(alice->got("bad-request"));

  xml::Element bad = element("iq", {{"type", "set"}, {"id", "e2"}});
  bad.addChild(xml::Element("block", "urn:xmpp:blocking"))
      .addChild(xml::Element("item", "urn:xmpp:blocking"))
      .setAttr("jid", "@@bad");
  route(*alice, bad);
  ASSERT_TRUE(runUntil([&] { return alice->got("id='e2'"); }));
  EXPECT_TRUE(alice->got("jid-malformed"));
}

TEST_F(BlockingModuleTest, ListsSurviveARestart) {
  {
    net::Worker::CurrentScope scope(server_->worker);
    auto alice = connect("alice@example.org/home");
    xml::Element block = element("iq", {{"type", "set"}, {"id", "b1"}});
    block.addChild(xml::Element("block", "urn:xmpp:blocking"))
        .addChild(xml::Element("item", "urn:xmpp:blocking"))
        .setAttr("jid", "eve@example.org/x");
    route(*alice, block);
    ASSERT_TRUE(runUntil([&] { return alice->got("id='b1'"); }));
  }
  server_ = std::make_unique<Server>(*storage_);
  auto alice = connect("alice@example.org/home");
  auto eve = connect("eve@example.org/x");
  auto eve2 = connect("eve@example.org/y");
  route(*eve, chat("alice@example.org/home", "from x"));
  route(*eve2, chat("alice@example.org/home", "from y"));
  EXPECT_FALSE(alice->got("from x"));
  EXPECT_TRUE(alice->got("from y"));  // only that one resource was blocked
}

}  // namespace
}  // namespace telex::modules::blocking
