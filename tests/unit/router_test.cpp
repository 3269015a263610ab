// StanzaRouter and SessionManager with two users of two resources each (fake sessions).
#include <gtest/gtest.h>

#include "router/stanza_router.hpp"
#include "stream/xml_stream_parser.hpp"
#include "support/recording_session.hpp"

namespace telex::router {
namespace {

using FakeSession = test::RecordingSession;

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() : sessions_(10), router_("example.org", sessions_, hooks_) {}

  std::shared_ptr<FakeSession> connect(const std::string& jid, int priority = 0, bool available = true) {
    auto s = std::make_shared<FakeSession>(worker_, jid);
    std::shared_ptr<Session> replaced;
    EXPECT_EQ(sessions_.bind(s, replaced), SessionManager::BindResult::Bound);
    sessions_.setPresence(*s, available, priority);
    return s;
  }

  xml::Element message(const std::string& to, const std::string& type = "chat",
                       const std::string& body = "hi") {
    xml::Element m("message", "jabber:client");
    m.setAttr("to", to);
    m.setAttr("type", type);
    m.addChild(xml::Element("body", "jabber:client")).addText(body);
    return m;
  }

  void run() { worker_.context().poll(); worker_.context().restart(); }

  net::Worker worker_{0};
  HookBus hooks_;
  SessionManager sessions_;
  StanzaRouter router_;
};

TEST_F(RouterTest, FullJidReachesOnlyThatResource) {
  auto alice1 = connect("alice@example.org/one");
  auto alice2 = connect("alice@example.org/two");
  auto bob1 = connect("bob@example.org/one");
  auto bob2 = connect("bob@example.org/two");
  router_.routeFromClient(*alice1, message("bob@example.org/two"));
  run();
  EXPECT_TRUE(bob1->received.empty());
  ASSERT_EQ(bob2->received.size(), 1u);
  EXPECT_NE(bob2->received[0].find("from='alice@example.org/one'"), std::string::npos);
  EXPECT_TRUE(alice2->received.empty());
}

TEST_F(RouterTest, ForgedFromIsReplaced) {
  auto alice = connect("alice@example.org/one");
  auto bob = connect("bob@example.org/one");
  auto m = message("bob@example.org/one");
  m.setAttr("from", "mallory@evil.example/x");
  router_.routeFromClient(*alice, std::move(m));
  run();
  ASSERT_EQ(bob->received.size(), 1u);
  EXPECT_EQ(bob->received[0].find("mallory"), std::string::npos);
  EXPECT_NE(bob->received[0].find("from='alice@example.org/one'"), std::string::npos);
}

TEST_F(RouterTest, BareJidGoesToHighestPriority) {
  auto alice = connect("alice@example.org/one");
  auto bobLow = connect("bob@example.org/low", 1);
  auto bobHigh = connect("bob@example.org/high", 5);
  router_.routeFromClient(*alice, message("bob@example.org"));
  run();
  EXPECT_TRUE(bobLow->received.empty());
  EXPECT_EQ(bobHigh->received.size(), 1u);
}

TEST_F(RouterTest, EqualPrioritiesBothReceiveAndNegativeNever) {
  auto alice = connect("alice@example.org/one");
  auto bob1 = connect("bob@example.org/a", 3);
  auto bob2 = connect("bob@example.org/b", 3);
  auto bobNeg = connect("bob@example.org/neg", -1);
  router_.routeFromClient(*alice, message("bob@example.org"));
  run();
  EXPECT_EQ(bob1->received.size(), 1u);
  EXPECT_EQ(bob2->received.size(), 1u);
  EXPECT_TRUE(bobNeg->received.empty());
}

TEST_F(RouterTest, HeadlineGoesToAllNonNegative) {
  auto alice = connect("alice@example.org/one");
  auto bob1 = connect("bob@example.org/a", 3);
  auto bob2 = connect("bob@example.org/b", 0);
  auto bobNeg = connect("bob@example.org/neg", -1);
  router_.routeFromClient(*alice, message("bob@example.org", "headline"));
  run();
  EXPECT_EQ(bob1->received.size(), 1u);
  EXPECT_EQ(bob2->received.size(), 1u);
  EXPECT_TRUE(bobNeg->received.empty());
}

TEST_F(RouterTest, MessageToOfflineUserBouncesServiceUnavailable) {
  auto alice = connect("alice@example.org/one");
  router_.routeFromClient(*alice, message("carol@example.org"));
  run();
  ASSERT_EQ(alice->received.size(), 1u);
  EXPECT_NE(alice->received[0].find("type='error'"), std::string::npos);
  EXPECT_NE(alice->received[0].find("service-unavailable"), std::string::npos);
}

TEST_F(RouterTest, MissingResourceFallsBackToBare) {
  auto alice = connect("alice@example.org/one");
  auto bob = connect("bob@example.org/home");
  router_.routeFromClient(*alice, message("bob@example.org/gone"));
  run();
  EXPECT_EQ(bob->received.size(), 1u);
}

TEST_F(RouterTest, UnhandledIqGetsServiceUnavailable) {
  auto alice = connect("alice@example.org/one");
  xml::Element iq("iq", "jabber:client");
  iq.setAttr("type", "get");
  iq.setAttr("id", "q1");
  iq.setAttr("to", "example.org");
  iq.addChild(xml::Element("query", "urn:example:unknown"));
  router_.routeFromClient(*alice, std::move(iq));
  run();
  ASSERT_EQ(alice->received.size(), 1u);
  EXPECT_NE(alice->received[0].find("id='q1'"), std::string::npos);
  EXPECT_NE(alice->received[0].find("service-unavailable"), std::string::npos);
}

TEST_F(RouterTest, IqHookByNamespaceAndPriority) {
  auto alice = connect("alice@example.org/one");
  std::vector<int> calls;
  hooks_.onStanza("iq-get/host/urn:example:q:query", 1, "low", [&](StanzaEvent&) {
    calls.push_back(1);
    return HookResult::Handled;
  });
  hooks_.onStanza("iq-get/host/urn:example:q:query", 5, "high", [&](StanzaEvent&) {
    calls.push_back(5);
    return HookResult::Pass;
  });
  xml::Element iq("iq", "jabber:client");
  iq.setAttr("type", "get");
  iq.setAttr("id", "q1");
  iq.setAttr("to", "example.org");
  iq.addChild(xml::Element("query", "urn:example:q"));
  router_.routeFromClient(*alice, std::move(iq));
  run();
  EXPECT_EQ(calls, (std::vector<int>{5, 1}));
  EXPECT_TRUE(alice->received.empty());
}

TEST_F(RouterTest, ThrowingHookDoesNotStopDispatch) {
  auto alice = connect("alice@example.org/one");
  auto bob = connect("bob@example.org/one");
  hooks_.onStanza("message/full", 10, "faulty", [](StanzaEvent&) -> HookResult {
    throw std::runtime_error("boom");
  });
  router_.routeFromClient(*alice, message("bob@example.org/one"));
  run();
  EXPECT_EQ(bob->received.size(), 1u);
}

TEST_F(RouterTest, IqWithoutIdOrWithTwoPayloadsIsBadRequest) {
  auto alice = connect("alice@example.org/one");
  xml::Element iq("iq", "jabber:client");
  iq.setAttr("type", "get");
  iq.setAttr("id", "x");
  iq.addChild(xml::Element("a", "urn:a"));
  iq.addChild(xml::Element("b", "urn:b"));
  router_.routeFromClient(*alice, std::move(iq));
  run();
  ASSERT_EQ(alice->received.size(), 1u);
  EXPECT_NE(alice->received[0].find("bad-request"), std::string::npos);
}

TEST_F(RouterTest, BroadcastPresenceReachesOwnOtherResources) {
  auto alice1 = connect("alice@example.org/one", 0, false);
  auto alice2 = connect("alice@example.org/two");
  auto bob = connect("bob@example.org/one");
  xml::Element presence("presence", "jabber:client");
  presence.addChild(xml::Element("priority", "jabber:client")).addText("7");
  router_.routeFromClient(*alice1, std::move(presence));
  run();
  EXPECT_EQ(alice2->received.size(), 1u);
  EXPECT_TRUE(bob->received.empty());
  auto res = sessions_.resourcesOf(*Jid::parse("alice@example.org"));
  auto one = std::find_if(res.begin(), res.end(), [](auto& r) { return r.jid.resource() == "one"; });
  ASSERT_NE(one, res.end());
  EXPECT_TRUE(one->available);
  EXPECT_EQ(one->priority, 7);
}

TEST_F(RouterTest, RemoteDomainIsNotFound) {
  auto alice = connect("alice@example.org/one");
  router_.routeFromClient(*alice, message("someone@elsewhere.example"));
  run();
  ASSERT_EQ(alice->received.size(), 1u);
  EXPECT_NE(alice->received[0].find("remote-server-not-found"), std::string::npos);
}

TEST_F(RouterTest, ComponentDomainGetsItsStanzasAndItsErrorsBack) {
  auto alice = connect("alice@example.org/one");
  std::vector<std::string> seen;
  router_.addComponent("conference.example.org", [&](StanzaEvent& e) {
    seen.push_back(e.from.full() + " -> " + e.to.full() + " " + std::string(e.stanza.attrOr("type", "")));
  });
  router_.routeFromClient(*alice, message("room@conference.example.org", "groupchat"));
  // The component writes to a user who is not online: the error comes back to the component.
  xml::Element out("message", "jabber:client");
  out.setAttr("from", "room@conference.example.org/nick");
  out.setAttr("to", "nobody@example.org");
  out.setAttr("type", "chat");
  router_.route(std::move(out));
  run();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], "alice@example.org/one -> room@conference.example.org groupchat");
  EXPECT_EQ(seen[1], "nobody@example.org -> room@conference.example.org/nick error");
  EXPECT_TRUE(router_.isComponent("conference.example.org"));
  EXPECT_FALSE(router_.isComponent("example.org"));
}

TEST(SessionManagerTest, ConflictReplacesAndLimitApplies) {
  net::Worker worker(0);
  SessionManager sessions(2);
  auto a = std::make_shared<FakeSession>(worker, "alice@example.org/r");
  auto b = std::make_shared<FakeSession>(worker, "alice@example.org/r");
  auto c = std::make_shared<FakeSession>(worker, "alice@example.org/s");
  auto d = std::make_shared<FakeSession>(worker, "alice@example.org/t");
  std::shared_ptr<Session> replaced;
  EXPECT_EQ(sessions.bind(a, replaced), SessionManager::BindResult::Bound);
  EXPECT_EQ(sessions.bind(b, replaced), SessionManager::BindResult::Replaced);
  EXPECT_EQ(replaced, a);
  replaced.reset();
  EXPECT_EQ(sessions.bind(c, replaced), SessionManager::BindResult::Bound);
  EXPECT_EQ(sessions.bind(d, replaced), SessionManager::BindResult::TooManyResources);
  EXPECT_EQ(sessions.sessionCount(), 2u);
  sessions.unbind(*a);  // already replaced: must not remove b
  EXPECT_EQ(sessions.find(*Jid::parse("alice@example.org/r")), b);
  sessions.unbind(*b);
  sessions.unbind(*c);
  EXPECT_EQ(sessions.sessionCount(), 0u);
}

}  // namespace
}  // namespace telex::router
