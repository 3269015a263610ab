// Fan-out copies: one serialization, per-recipient 'to' escaped, the history copy with a child
// appended, and the standalone form for the archive.
#include <gtest/gtest.h>

#include "modules/muc/fanout.hpp"

namespace telex::modules::muc {
namespace {

xml::Element groupchat() {
  xml::Element m("message", "jabber:client");
  m.setAttr("from", "room@conference.example.org/Nick <&'\">");
  m.setAttr("to", "room@conference.example.org");
  m.setAttr("type", "groupchat");
  m.setAttr("id", "a>b");
  m.addChild(xml::Element("body", "jabber:client")).addText("hi <&'\"> there");
  return m;
}

TEST(MucFanout, EachCopyIsTheStanzaWithItsOwnTo) {
  FanoutStanza f(groupchat());
  auto to = *Jid::parse("bob@example.org/it's <me>");
  auto copy = f.forRecipient(to);
  xml::Element expected = groupchat();
  expected.setAttr("to", to.full());
  // The same stanza the serializer would produce, only with 'to' moved to the end.
  xml::Element withoutTo = groupchat();
  withoutTo.removeAttr("to");
  std::string plain = xml::serialize(withoutTo, "jabber:client");
  auto cut = plain.find('>');
  std::string spliced = plain.substr(0, cut) + " to='" + xml::escapeAttribute(to.full()) + "'" + plain.substr(cut);
  EXPECT_EQ(*copy, spliced);
  EXPECT_NE(copy->find("to='bob@example.org/it&apos;s &lt;me&gt;'"), std::string::npos) << *copy;
  EXPECT_EQ(copy->find("to='room@"), std::string::npos) << "the original 'to' must go";
  // The payload bytes are the same for everyone.
  auto other = f.forRecipient(*Jid::parse("carol@example.org/x"));
  EXPECT_EQ(copy->substr(copy->find("'>") ), other->substr(other->find("'>")));
}

TEST(MucFanout, EmptyElementsStayWellFormed) {
  xml::Element p("presence", "jabber:client");
  p.setAttr("from", "room@conference.example.org/a");
  FanoutStanza f(p);
  EXPECT_EQ(*f.forRecipient(*Jid::parse("b@example.org/c")),
            "<presence from='room@conference.example.org/a' to='b@example.org/c'/>");
  auto delayed = f.withChild("<x xmlns='urn:test'/>");
  EXPECT_EQ(*delayed.forRecipient(*Jid::parse("b@example.org/c")),
            "<presence from='room@conference.example.org/a' to='b@example.org/c'><x xmlns='urn:test'/></presence>");
}

TEST(MucFanout, WithChildAppendsBeforeTheEndTag) {
  FanoutStanza f(groupchat());
  auto h = f.withChild("<delay xmlns='urn:xmpp:delay' stamp='2026-01-01T00:00:00Z'/>");
  auto copy = *h.forRecipient(*Jid::parse("b@example.org/c"));
  EXPECT_TRUE(copy.ends_with("</body><delay xmlns='urn:xmpp:delay' stamp='2026-01-01T00:00:00Z'/></message>")) << copy;
  EXPECT_EQ(h.size(), f.size() + std::string("<delay xmlns='urn:xmpp:delay' stamp='2026-01-01T00:00:00Z'/>").size());
}

TEST(MucFanout, StandaloneDeclaresTheClientNamespaceOnce) {
  FanoutStanza f(groupchat());
  std::string s = f.standalone();
  EXPECT_TRUE(s.starts_with("<message ")) << s;
  EXPECT_NE(s.find(" xmlns='jabber:client'"), std::string::npos) << s;
  // Kept bytes come back as they were, and do not get a second declaration.
  auto again = FanoutStanza::fromSerialized(s);
  EXPECT_EQ(again.standalone(), s);
  auto copy = *again.forRecipient(*Jid::parse("b@example.org/c"));
  EXPECT_EQ(copy.find("xmlns='jabber:client'"), copy.rfind("xmlns='jabber:client'"));
}

}  // namespace
}  // namespace telex::modules::muc
