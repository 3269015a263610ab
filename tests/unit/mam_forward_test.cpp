// XEP-0297 wrapping of pre-serialized stanzas, shared by MAM results and carbons, and the carbons
// envelope and eligibility rules.
#include "modules/carbons/forward.hpp"

#include <gtest/gtest.h>

#include "modules/carbons/carbons.hpp"
#include "modules/mam/mam.hpp"

namespace telex::modules {
namespace {

xml::Element message(std::string_view type, bool body) {
  xml::Element m("message", "jabber:client");
  if (!type.empty()) m.setAttr("type", type);
  if (body) m.addChild(xml::Element("body", "jabber:client")).addText("hi");
  return m;
}

TEST(Forward, WrapsAroundChildlessAndParentElements) {
  xml::Element empty("forwarded", std::string(forward::kForwardNs));
  EXPECT_EQ(forward::serializeAround(empty, "urn:xmpp:mam:2", "<a xmlns='x'/>"),
            "<forwarded xmlns='urn:xmpp:forward:0'><a xmlns='x'/></forwarded>");
  xml::Element withDelay = empty;
  withDelay.addChild(xml::Element("delay", "urn:xmpp:delay")).setAttr("stamp", "s");
  EXPECT_EQ(forward::serializeAround(withDelay, "", "<a xmlns='x'/>"),
            "<forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='s'/><a xmlns='x'/>"
            "</forwarded>");
}

TEST(Forward, StandaloneStanzaDeclaresItsNamespace) {
  EXPECT_EQ(forward::serializeStandalone(message("chat", true)),
            "<message xmlns='jabber:client' type='chat'><body>hi</body></message>");
  xml::Element bare("message");
  bare.addChild(xml::Element("body")).addText("<&>");
  EXPECT_EQ(forward::serializeStandalone(bare), "<message xmlns='jabber:client'><body>&lt;&amp;&gt;</body></message>");
}

TEST(Carbons, CopyEnvelopeEscapesItsAttributes) {
  std::string copy = carbons::wrapCopy(*Jid::parse("alice@localhost"), *Jid::parse("alice@localhost/<&'\">"),
                                       "chat", "<received xmlns='urn:xmpp:carbons:2'/>");
  EXPECT_EQ(copy,
            "<message from='alice@localhost' to='alice@localhost/&lt;&amp;&apos;&quot;&gt;' type='chat'>"
            "<received xmlns='urn:xmpp:carbons:2'/></message>");
}

TEST(Carbons, Eligibility) {
  EXPECT_TRUE(carbons::eligible(message("chat", false)));  // chat states are copied too
  EXPECT_TRUE(carbons::eligible(message("", true)));
  EXPECT_TRUE(carbons::eligible(message("normal", true)));
  EXPECT_FALSE(carbons::eligible(message("normal", false)));
  EXPECT_FALSE(carbons::eligible(message("groupchat", true)));
  EXPECT_FALSE(carbons::eligible(message("headline", true)));
  EXPECT_FALSE(carbons::eligible(message("error", true)));
  auto tagged = [](std::string_view name, std::string_view ns) {
    xml::Element m = message("chat", true);
    m.addChild(xml::Element(std::string(name), std::string(ns)));
    return m;
  };
  EXPECT_FALSE(carbons::eligible(tagged("private", "urn:xmpp:carbons:2")));
  EXPECT_FALSE(carbons::eligible(tagged("no-copy", "urn:xmpp:hints")));
  EXPECT_FALSE(carbons::eligible(tagged("x", "http://jabber.org/protocol/muc#user")));
  EXPECT_TRUE(carbons::eligible(tagged("private", "urn:example:other")));
}

TEST(Mam, Archivable) {
  EXPECT_TRUE(mam::archivable(message("chat", true)));
  EXPECT_TRUE(mam::archivable(message("", true)));
  EXPECT_FALSE(mam::archivable(message("chat", false)));  // chat states alone are not kept
  EXPECT_FALSE(mam::archivable(message("groupchat", true)));
  EXPECT_FALSE(mam::archivable(message("headline", true)));
  EXPECT_FALSE(mam::archivable(message("error", true)));
  xml::Element hinted = message("chat", true);
  hinted.addChild(xml::Element("no-store", "urn:xmpp:hints"));
  EXPECT_FALSE(mam::archivable(hinted));
  hinted = message("chat", true);
  hinted.addChild(xml::Element("no-permanent-store", "urn:xmpp:hints"));
  EXPECT_FALSE(mam::archivable(hinted));
}

}  // namespace
}  // namespace telex::modules
