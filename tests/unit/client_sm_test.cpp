// Unit tests for the client's XEP-0198 bookkeeping: counting from <enable/> and <enabled/>,
// acks (32-bit values, impossible acks), <r/>/<a/>, resumption (what is sent
// again) and the fall-back to a fresh session (unacked stanzas handed over).
#include <gtest/gtest.h>

#include "client/stanzas.hpp"
#include "client/stream_management.hpp"

namespace telex::client::detail {
namespace {

xml::Element smElement(std::string name, std::vector<std::pair<std::string, std::string>> attrs) {
  xml::Element e{std::move(name), std::string(kNsSm)};
  for (const auto& [k, v] : attrs) e.setAttr(k, v);
  return e;
}

TEST(ClientStreamManagement, CountsAcksAndAnswers) {
  StreamManagement sm;
  EXPECT_FALSE(sm.active());
  sm.sent("<message id='early'/>");  // before <enable/>: not tracked
  EXPECT_EQ(sm.unacked(), 0u);
  EXPECT_EQ(sm.enable(), "<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
  EXPECT_TRUE(sm.active());
  sm.sent("<message id='1'/>");  // counted from <enable/>, before <enabled/> arrives
  sm.countInbound();             // not counted before <enabled/>
  sm.enabled(smElement("enabled", {{"id", "abc'\""}, {"resume", "true"}, {"max", "300"}}));
  EXPECT_TRUE(sm.canResume());
  EXPECT_EQ(sm.resumeId(), "abc'\"");
  sm.sent("<message id='2'/>");
  sm.sent("<presence/>");
  sm.countInbound();
  sm.countInbound();
  EXPECT_EQ(sm.answer(), "<a xmlns='urn:xmpp:sm:3' h='2'/>");
  EXPECT_EQ(StreamManagement::request(), "<r xmlns='urn:xmpp:sm:3'/>");
  EXPECT_EQ(sm.unacked(), 3u);
  EXPECT_TRUE(sm.acknowledge("2"));
  EXPECT_EQ(sm.unacked(), 1u);
  EXPECT_TRUE(sm.acknowledge("2"));  // the same ack again changes nothing
  EXPECT_EQ(sm.unacked(), 1u);
  EXPECT_FALSE(sm.acknowledge("4"));  // more than was sent
  EXPECT_FALSE(sm.acknowledge("x"));
  EXPECT_FALSE(sm.acknowledge(""));
  EXPECT_FALSE(sm.acknowledge("-1"));
  EXPECT_TRUE(sm.acknowledge("3"));
  EXPECT_EQ(sm.unacked(), 0u);
  // The id is escaped in <resume/>.
  EXPECT_EQ(sm.resume(), "<resume xmlns='urn:xmpp:sm:3' previd='abc&apos;&quot;' h='2'/>");
}

TEST(ClientStreamManagement, NotResumableWhenTheServerSaysSo) {
  StreamManagement sm;
  EXPECT_EQ(sm.enable(false), "<enable xmlns='urn:xmpp:sm:3'/>");
  sm.enabled(smElement("enabled", {}));
  EXPECT_TRUE(sm.active());
  EXPECT_FALSE(sm.canResume());
  StreamManagement refused;
  refused.enable();
  refused.sent("<message/>");
  refused.enableFailed();
  EXPECT_FALSE(refused.active());
  EXPECT_EQ(refused.unacked(), 0u);
}

TEST(ClientStreamManagement, ResumeSendsAgainWhatTheServerMissed) {
  StreamManagement sm;
  sm.enable();
  sm.enabled(smElement("enabled", {{"id", "s1"}, {"resume", "1"}}));
  for (int i = 1; i <= 4; ++i) sm.sent("<message id='" + std::to_string(i) + "'/>");
  EXPECT_TRUE(sm.acknowledge("1"));
  sm.countInbound();
  sm.suspend();  // the connection drops
  EXPECT_FALSE(sm.active());
  sm.sent("<message id='lost'/>");  // nothing is tracked while suspended
  sm.countInbound();
  EXPECT_EQ(sm.resume(), "<resume xmlns='urn:xmpp:sm:3' previd='s1' h='1'/>");

  EXPECT_FALSE(sm.resumed(smElement("resumed", {{"h", "9"}})).has_value());
  auto again = sm.resumed(smElement("resumed", {{"previd", "s1"}, {"h", "2"}}));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, (std::vector<std::string>{"<message id='3'/>", "<message id='4'/>"}));
  EXPECT_TRUE(sm.active());
  // The resent stanzas keep their numbers: the server's next ack covers them.
  EXPECT_TRUE(sm.acknowledge("4"));
  EXPECT_EQ(sm.unacked(), 0u);
}

TEST(ClientStreamManagement, FreshSessionTakesTheUnacked) {
  StreamManagement sm;
  sm.enable();
  sm.enabled(smElement("enabled", {{"id", "s1"}, {"resume", "true"}}));
  sm.sent("<message id='a'/>");
  sm.sent("<iq id='b'/>");
  sm.suspend();
  const auto unacked = sm.takeUnacked();
  EXPECT_EQ(unacked, (std::vector<std::string>{"<message id='a'/>", "<iq id='b'/>"}));
  EXPECT_FALSE(sm.canResume());
  EXPECT_EQ(sm.unacked(), 0u);
  EXPECT_EQ(sm.inbound(), 0u);
}

TEST(ClientStreamManagement, AcksMustBe32BitCountsOfWhatWasSent) {
  StreamManagement sm;
  sm.enable();
  sm.enabled(smElement("enabled", {}));
  for (int i = 0; i < 3; ++i) sm.sent("<message/>");
  EXPECT_FALSE(sm.acknowledge("4294967296"));  // not a 32-bit number
  EXPECT_FALSE(sm.acknowledge("4294967295"));  // would be 2^32 - 1 stanzas: far more than sent
  EXPECT_FALSE(sm.acknowledge("+1"));
  EXPECT_FALSE(sm.acknowledge(" 1"));
  EXPECT_TRUE(sm.acknowledge("3"));
  EXPECT_EQ(sm.unacked(), 0u);
}

TEST(ClientStreamManagement, CountedStanzas) {
  EXPECT_TRUE(isCountedStanza(xml::Element{"message", std::string(kNsClient)}));
  EXPECT_TRUE(isCountedStanza(xml::Element{"presence", std::string(kNsClient)}));
  EXPECT_TRUE(isCountedStanza(xml::Element{"iq", std::string(kNsClient)}));
  EXPECT_FALSE(isCountedStanza(xml::Element{"r", std::string(kNsSm)}));
  EXPECT_FALSE(isCountedStanza(xml::Element{"a", std::string(kNsSm)}));
  EXPECT_FALSE(isCountedStanza(xml::Element{"features", "http://etherx.jabber.org/streams"}));
}

}  // namespace
}  // namespace telex::client::detail
