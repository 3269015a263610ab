// XEP-0359 stanza ids: forged ids removed, ours added and found, and the per-recipient order of
// messages held for their archive id.
#include "modules/mam/stanza_id.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace telex::modules::mam {
namespace {

Jid jid(std::string_view text) { return *Jid::parse(text); }

xml::Element stanzaId(std::string_view id, std::string_view by) {
  xml::Element sid("stanza-id", std::string(kStanzaIdNs));
  sid.setAttr("id", id);
  sid.setAttr("by", by);
  return sid;
}

TEST(StanzaId, ForgedIdsForTheRecipientAreRemoved) {
  xml::Element message("message", "jabber:client");
  message.addChild(stanzaId("forged", "bob@localhost"));
  message.addChild(stanzaId("forged-too", "BOB@localhost"));  // the same JID, normalized
  message.addChild(stanzaId("room", "room@conference.localhost"));
  xml::Element other("stanza-id", "urn:example");
  other.setAttr("by", "bob@localhost");
  message.addChild(other);
  EXPECT_EQ(removeForgedStanzaIds(message, jid("bob@localhost/phone"), "localhost"), 2u);
  ASSERT_EQ(message.children().size(), 2u);
  EXPECT_EQ(message.children()[0].attrOr("by", ""), "room@conference.localhost");
  EXPECT_EQ(message.children()[1].xmlns(), "urn:example");
}

TEST(StanzaId, OtherDomainsAreLeftAlone) {
  xml::Element message("message", "jabber:client");
  message.addChild(stanzaId("theirs", "bob@example.org"));
  EXPECT_EQ(removeForgedStanzaIds(message, jid("bob@example.org"), "localhost"), 0u);
  EXPECT_EQ(message.children().size(), 1u);
}

TEST(StanzaId, AddedIdIsFoundForItsOwnerOnly) {
  xml::Element message("message", "jabber:client");
  EXPECT_FALSE(stanzaIdBy(message, jid("bob@localhost")));
  addStanzaId(message, "abcdefghijklmnop", jid("bob@localhost/phone"));
  const xml::Element* sid = message.child("stanza-id", kStanzaIdNs);
  ASSERT_NE(sid, nullptr);
  EXPECT_EQ(sid->attrOr("by", ""), "bob@localhost");  // always the bare JID
  EXPECT_EQ(stanzaIdBy(message, jid("bob@localhost/tablet")), "abcdefghijklmnop");
  EXPECT_FALSE(stanzaIdBy(message, jid("alice@localhost")));
}

TEST(DeliveryOrder, OnlyMessagesBehindAHeldOneWait) {
  DeliveryOrder order;
  EXPECT_FALSE(order.hold("bob@localhost", false));  // nothing waits: straight through
  EXPECT_TRUE(order.hold("bob@localhost", true));
  EXPECT_TRUE(order.hold("bob@localhost", false));  // behind the first one
  EXPECT_FALSE(order.hold("carol@localhost", false));  // other recipients are not held up
  EXPECT_EQ(order.held("bob@localhost"), 2u);
  order.release("bob@localhost");
  EXPECT_TRUE(order.hold("bob@localhost", false));  // one still waits
  order.release("bob@localhost");
  order.release("bob@localhost");
  EXPECT_EQ(order.held("bob@localhost"), 0u);
  EXPECT_FALSE(order.hold("bob@localhost", false));
  order.release("nobody@localhost");  // harmless
}

TEST(DeliveryOrder, ReleasingIsPerThread) {
  DeliveryOrder order;
  EXPECT_FALSE(order.releasing());
  {
    DeliveryOrder::Releasing releasing(order);
    EXPECT_TRUE(order.releasing());
    bool elsewhere = true;
    std::thread([&] { elsewhere = order.releasing(); }).join();
    EXPECT_FALSE(elsewhere);
  }
  EXPECT_FALSE(order.releasing());
}

}  // namespace
}  // namespace telex::modules::mam
