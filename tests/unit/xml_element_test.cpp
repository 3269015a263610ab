// Unit tests for the XML element tree and its serializer (escaping, namespaces, round trips).
#include "xml/element.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "stream/xml_stream_parser.hpp"

namespace telex::xml {
namespace {

constexpr std::string_view kHeader =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
    "to='example.com' version='1.0'>";

// Collects the stanzas of a stream so serialized output can be parsed back.
class CollectingHandler : public stream::StreamParserHandler {
 public:
  void onStreamOpen(const Element&, std::string_view) override {}
  void onStanza(Element stanza) override { stanzas.push_back(std::move(stanza)); }
  void onStreamClose() override {}
  void onStreamError(stream::StreamError error) override { errors.push_back(std::move(error)); }

  std::vector<Element> stanzas;
  std::vector<stream::StreamError> errors;
};

std::optional<Element> parseStanza(std::string_view stanzaXml) {
  CollectingHandler handler;
  stream::XmlStreamParser parser(handler, stream::ParserLimits{});
  parser.feed(kHeader);
  parser.feed(stanzaXml);
  if (!handler.errors.empty() || handler.stanzas.size() != 1) return std::nullopt;
  return std::move(handler.stanzas.front());
}

// Structural equality; an element with an empty namespace counts as inheriting `parentNs`.
::testing::AssertionResult sameTree(const Element& a, const Element& b, std::string_view parentNs) {
  if (a.isText() != b.isText()) return ::testing::AssertionFailure() << "text/element mismatch";
  if (a.isText()) {
    if (a.textValue() == b.textValue()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "text '" << a.textValue() << "' vs '" << b.textValue() << "'";
  }
  const std::string_view nsA = a.xmlns().empty() ? parentNs : std::string_view(a.xmlns());
  const std::string_view nsB = b.xmlns().empty() ? parentNs : std::string_view(b.xmlns());
  if (a.name() != b.name() || nsA != nsB) {
    return ::testing::AssertionFailure() << "element {" << nsA << "}" << a.name() << " vs {" << nsB
                                         << "}" << b.name();
  }
  if (a.attrs().size() != b.attrs().size()) return ::testing::AssertionFailure() << "attr count";
  for (std::size_t i = 0; i < a.attrs().size(); ++i) {
    const Attribute& x = a.attrs()[i];
    const Attribute& y = b.attrs()[i];
    if (x.name != y.name || x.value != y.value || x.ns != y.ns) {
      return ::testing::AssertionFailure() << "attribute " << x.name << "='" << x.value << "' vs "
                                           << y.name << "='" << y.value << "'";
    }
  }
  if (a.children().size() != b.children().size()) {
    return ::testing::AssertionFailure() << "child count of " << a.name();
  }
  for (std::size_t i = 0; i < a.children().size(); ++i) {
    auto r = sameTree(a.children()[i], b.children()[i], nsA);
    if (!r) return r;
  }
  return ::testing::AssertionSuccess();
}

TEST(XmlEscape, TextEscapesMarkupOnly) {
  EXPECT_EQ(escapeText("a<b>&c'd\"e"), "a&lt;b&gt;&amp;c'd\"e");
  EXPECT_EQ(escapeText(""), "");
  EXPECT_EQ(escapeText("plain text"), "plain text");
}

TEST(XmlEscape, AttributeEscapesQuotesToo) {
  EXPECT_EQ(escapeAttribute("a<b>&c'd\"e"), "a&lt;b&gt;&amp;c&apos;d&quot;e");
  EXPECT_EQ(escapeAttribute("tab\there"), "tab&#9;here");
}

TEST(XmlEscape, EscapesAtRunEdgesAndBackToBack) {
  EXPECT_EQ(escapeText("&start"), "&amp;start");
  EXPECT_EQ(escapeText("end<"), "end&lt;");
  EXPECT_EQ(escapeText("<<>>&&"), "&lt;&lt;&gt;&gt;&amp;&amp;");
  EXPECT_EQ(escapeText("a\r\nb\tc"), "a&#13;\nb\tc");
  EXPECT_EQ(escapeAttribute("'\"\t\n\r"), "&apos;&quot;&#9;&#10;&#13;");
  std::string longRun(1000, 'x');
  EXPECT_EQ(escapeText(longRun + "&" + longRun), longRun + "&amp;" + longRun);
}


// The escaper scans eight bytes at a time: every special character at every offset of a word,
// alone and next to UTF-8 and other bytes, must come out as a one-character-at-a-time escape would.
TEST(XmlEscape, EverySpecialAtEveryOffsetMatchesPerCharacterEscaping) {
  auto reference = [](std::string_view in, bool attribute) {
    std::string out;
    for (char c : in) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '\r': out += "&#13;"; break;
        case '\'': out += attribute ? "&apos;" : "'"; break;
        case '"': out += attribute ? "&quot;" : "\""; break;
        case '\t': out += attribute ? "&#9;" : "\t"; break;
        case '\n': out += attribute ? "&#10;" : "\n"; break;
        default: out += c;
      }
    }
    return out;
  };
  const std::string fillers[] = {std::string(19, 'x'), "h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac\x7f\x01",
                                 std::string(19, '\x80')};
  for (const std::string& filler : fillers) {
    for (char special : std::string_view("&<>\r'\"\t\n")) {
      for (std::size_t at = 0; at <= filler.size(); ++at) {
        std::string in = filler;
        in.insert(at, 1, special);
        EXPECT_EQ(escapeText(in), reference(in, false)) << "at " << at;
        EXPECT_EQ(escapeAttribute(in), reference(in, true)) << "at " << at;
      }
    }
  }
}
TEST(XmlSerialize, EmptyElementSelfCloses) {
  EXPECT_EQ(serialize(Element("presence")), "<presence/>");
  EXPECT_EQ(serialize(Element("presence", "jabber:client"), "jabber:client"), "<presence/>");
}

TEST(XmlSerialize, XmlnsOnlyWhereNamespaceChanges) {
  Element iq("iq", "jabber:client");
  iq.setAttr("type", "result").setAttr("id", "r1");
  Element& query = iq.addChild(Element("query", "jabber:iq:roster"));
  Element& item = query.addChild(Element("item", "jabber:iq:roster"));
  item.setAttr("jid", "juliet@example.com");
  item.addChild(Element("group")).addText("Friends");  // empty namespace: inherits

  EXPECT_EQ(serialize(iq, "jabber:client"),
            "<iq type='result' id='r1'><query xmlns='jabber:iq:roster'>"
            "<item jid='juliet@example.com'><group>Friends</group></item></query></iq>");
  // Without a parent namespace the top element declares its own.
  EXPECT_EQ(serialize(Element("presence", "jabber:client")), "<presence xmlns='jabber:client'/>");
  // A server stream's parent namespace differs from the stanza's.
  EXPECT_EQ(serialize(Element("presence", "jabber:client"), "jabber:server"),
            "<presence xmlns='jabber:client'/>");
}

TEST(XmlSerialize, SiblingNamespacesAreIndependent) {
  Element message("message", "jabber:client");
  message.addChild(Element("body", "jabber:client")).addText("hi");
  message.addChild(Element("active", "http://jabber.org/protocol/chatstates"));
  message.addChild(Element("thread", "jabber:client")).addText("t1");
  EXPECT_EQ(serialize(message, "jabber:client"),
            "<message><body>hi</body><active xmlns='http://jabber.org/protocol/chatstates'/>"
            "<thread>t1</thread></message>");
}

TEST(XmlSerialize, XmlLangAndForeignAttributes) {
  Element message("message", "jabber:client");
  message.setAttr("xml:lang", "en");
  message.attrs().push_back({"lang", "de", std::string(kXmlNamespace)});
  message.attrs().push_back({"x", "1", "urn:example:a"});
  message.attrs().push_back({"y", "2", "urn:example:b"});
  message.attrs().push_back({"z", "3", "urn:example:a"});
  EXPECT_EQ(serialize(message, "jabber:client"),
            "<message xmlns:a0='urn:example:a' xmlns:a1='urn:example:b' xml:lang='en' xml:lang='de' "
            "a0:x='1' a1:y='2' a0:z='3'/>");
}

TEST(XmlSerialize, StrayXmlnsAttributesAreNotDuplicated) {
  Element e("query", "jabber:iq:version");
  e.setAttr("xmlns", "bogus");
  EXPECT_EQ(serialize(e, "jabber:client"), "<query xmlns='jabber:iq:version'/>");
}

TEST(XmlSerialize, TextNodesAndMixedContent) {
  Element body("body", "jabber:client");
  body.addText("1 < 2 & 3 > 2, 'quoted' \"double\"");
  EXPECT_EQ(serialize(body, "jabber:client"),
            "<body>1 &lt; 2 &amp; 3 &gt; 2, 'quoted' \"double\"</body>");
  EXPECT_EQ(serialize(Element::text("a&b")), "a&amp;b");

  std::string out = "prefix:";
  serializeTo(out, Element("x", "urn:x"), "urn:x");
  EXPECT_EQ(out, "prefix:<x/>");
}

TEST(XmlElement, AttributeAccessors) {
  Element e("message");
  EXPECT_FALSE(e.attr("to").has_value());
  EXPECT_EQ(e.attrOr("type", "normal"), "normal");
  e.setAttr("to", "a@b").setAttr("type", "chat");
  e.setAttr("to", "c@d");  // replaces
  ASSERT_EQ(e.attrs().size(), 2u);
  EXPECT_EQ(e.attr("to"), "c@d");
  EXPECT_EQ(e.attrOr("type", "normal"), "chat");
  e.attrs().push_back({"to", "foreign", "urn:other"});
  EXPECT_EQ(e.attr("to"), "c@d");  // a foreign-namespaced attribute is not the stanza's 'to'
  e.removeAttr("to");
  EXPECT_FALSE(e.attr("to").has_value());
  ASSERT_EQ(e.attrs().size(), 2u);  // the foreign one stays
  EXPECT_EQ(e.attrs()[1].ns, "urn:other");
}

TEST(XmlElement, ChildLookup) {
  Element iq("iq", "jabber:client");
  iq.addText("  ");
  iq.addChild(Element("query", "jabber:iq:roster"));
  iq.addChild(Element("query", "jabber:iq:version")).addChild(Element("name", "jabber:iq:version")).addText("telex");
  EXPECT_EQ(iq.child("query")->xmlns(), "jabber:iq:roster");
  EXPECT_EQ(iq.child("query", "jabber:iq:version")->xmlns(), "jabber:iq:version");
  EXPECT_EQ(iq.child("query", "urn:none"), nullptr);
  EXPECT_EQ(iq.firstChildNs("jabber:iq:version"), iq.child("query", "jabber:iq:version"));
  EXPECT_EQ(iq.firstChildNs("urn:none"), nullptr);
  EXPECT_EQ(iq.firstElement()->xmlns(), "jabber:iq:roster");
  EXPECT_EQ(iq.child("query", "jabber:iq:version")->childText("name"), "telex");
  EXPECT_EQ(iq.childText("missing"), "");
  Element* mutableChild = iq.child("query");
  ASSERT_NE(mutableChild, nullptr);
  mutableChild->setAttr("ver", "1");
  EXPECT_EQ(iq.child("query")->attr("ver"), "1");
  EXPECT_EQ(Element("empty").firstElement(), nullptr);
}

TEST(XmlElement, AddTextMergesAdjacentText) {
  Element body("body");
  body.addText("Hello, ");
  body.addText("world");
  ASSERT_EQ(body.children().size(), 1u);
  EXPECT_EQ(body.textContent(), "Hello, world");
  body.addChild(Element("br"));
  body.addText("!");
  ASSERT_EQ(body.children().size(), 3u);
  EXPECT_EQ(body.textContent(), "Hello, world!");
  EXPECT_TRUE(body.children()[0].isText());
  EXPECT_EQ(body.children()[0].textValue(), "Hello, world");
}

TEST(XmlRoundTrip, EscapingSurvivesSerializeAndParse) {
  const std::string nasty = "<&'\">]]> &amp; &#x41; \t tab\nline";
  Element message("message", "jabber:client");
  message.setAttr("to", "romeo@example.net/orchard");
  message.setAttr("id", nasty);
  message.setAttr("xml:lang", "en");
  message.attrs().push_back({"hint", nasty, "urn:example:hints"});
  message.addChild(Element("body", "jabber:client")).addText(nasty);
  Element& ext = message.addChild(Element("x", "urn:example:ext"));
  ext.setAttr("a'b", "ignored-name-is-fine");
  ext.removeAttr("a'b");
  ext.setAttr("v", "\"'\"'");
  ext.addText("before");
  ext.addChild(Element("inner")).addText("<tag attr='v'>");
  ext.addText("after & done");

  const std::string xml = serialize(message, "jabber:client");
  const std::optional<Element> parsed = parseStanza(xml);
  ASSERT_TRUE(parsed.has_value()) << xml;
  EXPECT_TRUE(sameTree(message, *parsed, "jabber:client")) << xml;
  EXPECT_EQ(parsed->childText("body"), nasty);
  EXPECT_EQ(parsed->attr("id"), nasty);
  // And the parsed tree serializes to the same bytes.
  EXPECT_EQ(serialize(*parsed, "jabber:client"), xml);
}

TEST(XmlRoundTrip, CarriageReturnsSurvive) {
  Element body("body", "jabber:client");
  body.addText("line1\r\nline2\rline3");
  body.setAttr("note", "a\r\nb");
  const std::optional<Element> parsed = parseStanza(serialize(body, "jabber:client"));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->textContent(), "line1\r\nline2\rline3");
  EXPECT_EQ(parsed->attr("note"), "a\r\nb");
}

TEST(XmlRoundTrip, NamespacesSurvive) {
  Element iq("iq", "jabber:client");
  iq.setAttr("type", "set");
  Element& pubsub = iq.addChild(Element("pubsub", "http://jabber.org/protocol/pubsub"));
  Element& publish = pubsub.addChild(Element("publish"));
  publish.setAttr("node", "urn:xmpp:avatar:data");
  Element& item = publish.addChild(Element("item"));
  item.addChild(Element("data", "urn:xmpp:avatar:data")).addText("qANQR1DBwU4DX7jmYZnncm");
  item.addChild(Element("plain", "jabber:client"));  // back to the outer namespace

  const std::string xml = serialize(iq, "jabber:client");
  EXPECT_NE(xml.find("<plain xmlns='jabber:client'/>"), std::string::npos) << xml;
  const std::optional<Element> parsed = parseStanza(xml);
  ASSERT_TRUE(parsed.has_value()) << xml;
  EXPECT_TRUE(sameTree(iq, *parsed, "jabber:client"));
  EXPECT_EQ(parsed->child("pubsub")->child("publish")->xmlns(), "http://jabber.org/protocol/pubsub");
}

}  // namespace
}  // namespace telex::xml
