// Unit tests for the incremental XMPP stream parser and the stream error names.
#include "stream/xml_stream_parser.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "stream/stream_error.hpp"

namespace telex::stream {
namespace {

using xml::Element;

constexpr std::string_view kClientHeader =
    "<?xml version='1.0'?>"
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
    "to='example.com' version='1.0' xml:lang='en'>";
constexpr std::string_view kBareHeader =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
    "to='example.com' version='1.0'>";

// Records every event as a line of text so whole sessions compare with one EXPECT_EQ.
class RecordingHandler : public StreamParserHandler {
 public:
  void onStreamOpen(const Element& header, std::string_view contentNamespace) override {
    events.push_back("open " + xml::serialize(header) + " ns=" + std::string(contentNamespace));
    headers.push_back(header);
    if (onOpenHook) onOpenHook();
  }
  void onStanza(Element stanza) override {
    events.push_back("stanza " + xml::serialize(stanza, "jabber:client"));
    stanzas.push_back(stanza);
    if (onStanzaHook) onStanzaHook(stanzas.back());
  }
  void onStreamClose() override { events.push_back("close"); }
  void onStreamError(StreamError error) override {
    events.push_back("error " + std::string(streamErrorName(error.condition)));
    errors.push_back(std::move(error));
  }

  std::vector<std::string> events;
  std::vector<Element> headers;
  std::vector<Element> stanzas;
  std::vector<StreamError> errors;
  std::function<void()> onOpenHook;
  std::function<void(const Element&)> onStanzaHook;
};

struct Fixture {
  explicit Fixture(ParserLimits limits = {}) : parser(handler, limits) {}
  RecordingHandler handler;
  XmlStreamParser parser;
};

std::vector<std::string> parseWhole(std::string_view input, ParserLimits limits = {}) {
  Fixture f(limits);
  EXPECT_EQ(f.parser.feed(input), input.size());
  return f.handler.events;
}

// The single error a stream produced, or "" when there was none.
std::string errorOf(std::string_view input, ParserLimits limits = {}) {
  Fixture f(limits);
  f.parser.feed(input);
  EXPECT_LE(f.handler.errors.size(), 1u);
  if (f.handler.errors.empty()) return "";
  EXPECT_TRUE(f.parser.failed());
  return std::string(streamErrorName(f.handler.errors.front().condition));
}

std::string fullSession() {
  std::string s(kClientHeader);
  s += "\n  ";
  s += "<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>";
  s += " \n\t ";
  s += "<message to='juliet@example.com/balcony' type='chat' id='m1' xml:lang='fr'>"
       "<body>Wherefore art thou &amp; &lt;Romeo&gt; &#x263A; &#169; ✓ <![CDATA[<raw & cdata>]]>"
       "\r\nend</body>"
       "<x:data xmlns:x='jabber:x:data' x:type='form' type='submit'><x:field var='a'>1</x:field></x:data>"
       "<html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'>"
       "<p style=\"font-weight:bold\">hi</p></body></html>"
       "</message>";
  s += "<presence/>";
  s += "   ";
  s += "<presence type='unavailable'><status>bye</status></presence>";
  s += "</stream:stream>";
  return s;
}

TEST(StreamErrorNames, AllConditionsRoundTrip) {
  const std::vector<std::pair<StreamErrorCondition, std::string_view>> expected = {
      {StreamErrorCondition::BadFormat, "bad-format"},
      {StreamErrorCondition::BadNamespacePrefix, "bad-namespace-prefix"},
      {StreamErrorCondition::Conflict, "conflict"},
      {StreamErrorCondition::ConnectionTimeout, "connection-timeout"},
      {StreamErrorCondition::HostGone, "host-gone"},
      {StreamErrorCondition::HostUnknown, "host-unknown"},
      {StreamErrorCondition::ImproperAddressing, "improper-addressing"},
      {StreamErrorCondition::InternalServerError, "internal-server-error"},
      {StreamErrorCondition::InvalidFrom, "invalid-from"},
      {StreamErrorCondition::InvalidNamespace, "invalid-namespace"},
      {StreamErrorCondition::InvalidXml, "invalid-xml"},
      {StreamErrorCondition::NotAuthorized, "not-authorized"},
      {StreamErrorCondition::NotWellFormed, "not-well-formed"},
      {StreamErrorCondition::PolicyViolation, "policy-violation"},
      {StreamErrorCondition::RemoteConnectionFailed, "remote-connection-failed"},
      {StreamErrorCondition::Reset, "reset"},
      {StreamErrorCondition::ResourceConstraint, "resource-constraint"},
      {StreamErrorCondition::RestrictedXml, "restricted-xml"},
      {StreamErrorCondition::SeeOtherHost, "see-other-host"},
      {StreamErrorCondition::SystemShutdown, "system-shutdown"},
      {StreamErrorCondition::UndefinedCondition, "undefined-condition"},
      {StreamErrorCondition::UnsupportedEncoding, "unsupported-encoding"},
      {StreamErrorCondition::UnsupportedFeature, "unsupported-feature"},
      {StreamErrorCondition::UnsupportedStanzaType, "unsupported-stanza-type"},
      {StreamErrorCondition::UnsupportedVersion, "unsupported-version"},
  };
  for (const auto& [condition, name] : expected) {
    EXPECT_EQ(streamErrorName(condition), name);
    EXPECT_EQ(streamErrorFromName(name), condition);
  }
  EXPECT_FALSE(streamErrorFromName("no-such-condition").has_value());
  EXPECT_FALSE(streamErrorFromName("").has_value());
}

TEST(XmlStreamParser, FullClientStream) {
  const std::string input = fullSession();
  Fixture f;
  EXPECT_EQ(f.parser.feed(input), input.size());
  EXPECT_FALSE(f.parser.failed());
  EXPECT_TRUE(f.parser.closed());
  ASSERT_EQ(f.handler.events.size(), 6u);
  EXPECT_EQ(f.handler.events[0],
            "open <stream xmlns='http://etherx.jabber.org/streams' to='example.com' version='1.0' "
            "xml:lang='en'/> ns=jabber:client");
  EXPECT_EQ(f.handler.events[1],
            "stanza <iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>");
  EXPECT_EQ(f.handler.events[3], "stanza <presence/>");
  EXPECT_EQ(f.handler.events[4],
            "stanza <presence type='unavailable'><status>bye</status></presence>");
  EXPECT_EQ(f.handler.events[5], "close");

  const Element& header = f.handler.headers.at(0);
  EXPECT_EQ(header.name(), "stream");
  EXPECT_EQ(header.xmlns(), "http://etherx.jabber.org/streams");
  EXPECT_EQ(header.attr("xml:lang"), "en");
  EXPECT_EQ(header.attr("to"), "example.com");

  const Element& message = f.handler.stanzas.at(1);
  EXPECT_EQ(message.name(), "message");
  EXPECT_EQ(message.xmlns(), "jabber:client");
  EXPECT_EQ(message.attr("xml:lang"), "fr");
  const Element* body = message.child("body", "jabber:client");
  ASSERT_NE(body, nullptr);
  ASSERT_EQ(body->children().size(), 1u);  // entities, char refs, CDATA and newlines all merged
  EXPECT_EQ(body->textContent(),
            "Wherefore art thou & <Romeo> \u263A \u00A9 \u2713 <raw & cdata>\nend");
  const Element* form = message.child("data", "jabber:x:data");
  ASSERT_NE(form, nullptr);
  ASSERT_EQ(form->attrs().size(), 2u);
  EXPECT_EQ(form->attrs()[0].name, "type");
  EXPECT_EQ(form->attrs()[0].ns, "jabber:x:data");
  EXPECT_EQ(form->attrs()[0].value, "form");
  EXPECT_EQ(form->attr("type"), "submit");
  EXPECT_EQ(form->childText("field", "jabber:x:data"), "1");
  const Element* html = message.child("html");
  ASSERT_NE(html, nullptr);
  EXPECT_EQ(html->xmlns(), "http://jabber.org/protocol/xhtml-im");
  EXPECT_EQ(html->child("body")->xmlns(), "http://www.w3.org/1999/xhtml");
  EXPECT_EQ(html->child("body")->child("p")->xmlns(), "http://www.w3.org/1999/xhtml");
  EXPECT_EQ(f.handler.stanzas.at(0).child("query")->xmlns(), "jabber:iq:roster");
}

TEST(XmlStreamParser, SplitAtEveryByteBoundary) {
  const std::string input = fullSession();
  const std::vector<std::string> expected = parseWhole(input);
  ASSERT_EQ(expected.size(), 6u);
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    Fixture f;
    const std::string_view all(input);
    EXPECT_EQ(f.parser.feed(all.substr(0, cut)), cut);
    EXPECT_EQ(f.parser.feed(all.substr(cut)), input.size() - cut);
    ASSERT_EQ(f.handler.events, expected) << "split at " << cut;
  }
}

TEST(XmlStreamParser, ByteByByte) {
  const std::string input = fullSession();
  const std::vector<std::string> expected = parseWhole(input);
  Fixture f;
  for (char c : input) ASSERT_EQ(f.parser.feed(std::string_view(&c, 1)), 1u);
  EXPECT_EQ(f.handler.events, expected);
}

TEST(XmlStreamParser, WhitespaceKeepalivesIgnored) {
  std::string input(kBareHeader);
  input += " ";
  input += "\n\n\r\n\t ";
  input += "<presence/>";
  input += std::string(20000, ' ');  // more whitespace than the stanza limit: still fine
  input += "<presence/>\n";
  const auto events = parseWhole(input);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1], "stanza <presence/>");
  EXPECT_EQ(events[2], "stanza <presence/>");

  Fixture f;
  f.parser.feed(kBareHeader);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(f.parser.feed(" "), 1u);
  EXPECT_FALSE(f.parser.failed());
  EXPECT_EQ(f.handler.events.size(), 1u);
}

TEST(XmlStreamParser, TextBetweenStanzasIsRejected) {
  EXPECT_EQ(errorOf(std::string(kBareHeader) + "<presence/>hello<presence/>"), "not-well-formed");
}

TEST(XmlStreamParser, ContentNamespaceReported) {
  Fixture f;
  f.parser.feed(
      "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:server' "
      "xmlns:db='jabber:server:dialback' from='a.example' to='b.example' version='1.0'>"
      "<db:result from='a.example' to='b.example'>key</db:result><iq type='get' id='1'/>");
  ASSERT_EQ(f.handler.events.size(), 3u);
  EXPECT_NE(f.handler.events[0].find("ns=jabber:server"), std::string::npos);
  EXPECT_EQ(f.handler.stanzas[0].name(), "result");
  EXPECT_EQ(f.handler.stanzas[0].xmlns(), "jabber:server:dialback");
  EXPECT_EQ(f.handler.stanzas[1].xmlns(), "jabber:server");

  Fixture g;
  g.parser.feed("<stream xmlns='http://etherx.jabber.org/streams'><message/>");
  ASSERT_EQ(g.handler.events.size(), 2u);
  // The root's own default namespace is what gets reported (and inherited); the handler decides.
  EXPECT_EQ(g.handler.events[0],
            "open <stream xmlns='http://etherx.jabber.org/streams'/> ns=http://etherx.jabber.org/streams");
  EXPECT_EQ(g.handler.stanzas[0].xmlns(), "http://etherx.jabber.org/streams");

  Fixture h;
  h.parser.feed("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><message/>");
  ASSERT_EQ(h.handler.events.size(), 2u);
  EXPECT_NE(h.handler.events[0].find(" ns="), std::string::npos);
  EXPECT_EQ(h.handler.stanzas[0].xmlns(), "");
  EXPECT_FALSE(h.parser.failed());
}

TEST(XmlStreamParser, StreamCloseAndTrailingData) {
  Fixture f;
  const std::string input = std::string(kBareHeader) + "<presence/></stream:stream>";
  EXPECT_EQ(f.parser.feed(input), input.size());
  ASSERT_EQ(f.handler.events.size(), 3u);
  EXPECT_EQ(f.handler.events[2], "close");
  EXPECT_TRUE(f.parser.closed());
  EXPECT_EQ(f.parser.feed("<presence/>garbage"), 18u);  // ignored after the close
  EXPECT_EQ(f.handler.events.size(), 3u);
  EXPECT_FALSE(f.parser.failed());

  // Close in the same chunk as trailing junk: junk ignored, no error.
  Fixture g;
  g.parser.feed(std::string(kBareHeader) + "</stream:stream><junk");
  EXPECT_EQ(g.handler.events.back(), "close");
  EXPECT_TRUE(g.handler.errors.empty());
}

TEST(XmlStreamParser, RestartMidBuffer) {
  Fixture f;
  f.handler.onStanzaHook = [&](const Element& stanza) {
    if (stanza.name() == "starttls" || stanza.name() == "auth") f.parser.requestRestart();
  };
  const std::string first = std::string(kClientHeader) + "<presence/>" +
                            "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
  const std::string rest = std::string(kClientHeader) +
                           "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                           "AGp1bGlldAByMG0zMG15cjBtMzA=</auth>" +
                           std::string(kBareHeader) + "<presence/></stream:stream>";
  const std::string input = first + rest;

  EXPECT_FALSE(f.parser.restartPending());
  const std::size_t consumed = f.parser.feed(input);
  EXPECT_EQ(consumed, first.size());
  EXPECT_TRUE(f.parser.restartPending());
  EXPECT_EQ(f.handler.events.size(), 3u);
  f.parser.reset();

  std::string_view remaining = std::string_view(input).substr(consumed);
  const std::size_t consumed2 = f.parser.feed(remaining);
  const std::size_t authEnd = rest.find("</auth>") + 7;
  EXPECT_EQ(consumed2, authEnd);
  f.parser.reset();
  remaining = remaining.substr(consumed2);
  EXPECT_EQ(f.parser.feed(remaining), remaining.size());

  ASSERT_EQ(f.handler.events.size(), 8u);
  EXPECT_EQ(f.handler.events[3].substr(0, 5), "open ");
  EXPECT_EQ(f.handler.events[4].substr(0, 12), "stanza <auth");
  EXPECT_EQ(f.handler.events[5].substr(0, 5), "open ");
  EXPECT_EQ(f.handler.events[6], "stanza <presence/>");
  EXPECT_EQ(f.handler.events[7], "close");
  EXPECT_TRUE(f.handler.errors.empty());
}

TEST(XmlStreamParser, RestartAtEverySplit) {
  // Wherever the bytes are cut, the restart lands exactly after </auth>.
  const std::string header(kBareHeader);
  const std::string input = header + "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>x</auth>" + header +
                            "<presence/>";
  const std::size_t authEnd = input.find("</auth>") + 7;
  for (std::size_t cut = 1; cut < input.size(); ++cut) {
    Fixture f;
    f.handler.onStanzaHook = [&](const Element& s) {
      if (s.name() == "auth") f.parser.requestRestart();
    };
    std::size_t pos = 0;
    std::vector<std::string_view> chunks = {std::string_view(input).substr(0, cut),
                                            std::string_view(input).substr(cut)};
    for (std::string_view chunk : chunks) {
      while (!chunk.empty()) {
        const std::size_t n = f.parser.feed(chunk);
        pos += n;
        chunk.remove_prefix(n);
        if (f.parser.restartPending()) {
          ASSERT_EQ(pos, authEnd) << "cut " << cut;
          f.parser.reset();
        } else {
          ASSERT_TRUE(chunk.empty()) << "cut " << cut;
        }
      }
    }
    ASSERT_EQ(f.handler.events.size(), 4u) << "cut " << cut;
    EXPECT_EQ(f.handler.events[3], "stanza <presence/>") << "cut " << cut;
  }
}

TEST(XmlStreamParser, RestartAfterEmptyElementAndBeyondFirstSlice) {
  // The restart stanza sits past expat's first 4 KiB slice and is an empty element tag.
  Fixture f;
  f.handler.onStanzaHook = [&](const Element& s) {
    if (s.name() == "starttls") f.parser.requestRestart();
  };
  const std::string before = std::string(kBareHeader) + std::string(5000, ' ') +
                             "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
  const std::string after = std::string(kBareHeader) + std::string(9000, '\n') + "<presence/>";
  const std::string input = before + after;
  EXPECT_EQ(f.parser.feed(input), before.size());
  f.parser.reset();
  EXPECT_EQ(f.parser.feed(std::string_view(input).substr(before.size())), after.size());
  ASSERT_EQ(f.handler.events.size(), 4u);
  EXPECT_EQ(f.handler.events[3], "stanza <presence/>");
}

TEST(XmlStreamParser, PauseThenContinueSameStream) {
  // A handler may stop after a stanza (e.g. while checking credentials) and then carry on with
  // the same stream by feeding the rest without reset().
  Fixture f;
  f.handler.onStanzaHook = [&](const Element& s) {
    if (s.name() == "auth") f.parser.requestRestart();
  };
  const std::string head = std::string(kBareHeader) +
                           "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>bad</auth>";
  const std::string tail = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>good</auth><presence/>";
  const std::string input = head + tail;
  EXPECT_EQ(f.parser.feed(input), head.size());
  const std::size_t secondAuth = tail.find("</auth>") + 7;
  EXPECT_EQ(f.parser.feed(tail), secondAuth);  // continue: the second auth pauses again
  EXPECT_EQ(f.parser.feed(std::string_view(tail).substr(secondAuth)), tail.size() - secondAuth);
  ASSERT_EQ(f.handler.events.size(), 4u);
  EXPECT_EQ(f.handler.events[3], "stanza <presence/>");
  EXPECT_TRUE(f.handler.errors.empty());

  // Paused exactly at the end of a chunk, then continued with the next one.
  Fixture g;
  g.handler.onStanzaHook = [&](const Element& s) {
    if (s.name() == "auth") g.parser.requestRestart();
  };
  EXPECT_EQ(g.parser.feed(head), head.size());
  EXPECT_TRUE(g.parser.restartPending());
  EXPECT_EQ(g.parser.feed(tail), secondAuth);
  EXPECT_TRUE(g.parser.restartPending());
  EXPECT_EQ(g.parser.feed(std::string_view(tail).substr(secondAuth)), tail.size() - secondAuth);
  EXPECT_FALSE(g.parser.restartPending());
  EXPECT_EQ(g.handler.events, f.handler.events);

  // The stream's own parser pauses holding the rest of its slice (here because the stream started
  // in pieces); feeding less than that unconsumed part breaks the contract and fails cleanly.
  Fixture h;
  h.handler.onStanzaHook = [&](const Element& s) {
    if (s.name() == "auth") h.parser.requestRestart();
  };
  EXPECT_EQ(h.parser.feed(std::string_view(input).substr(0, 10)), 10u);
  EXPECT_EQ(h.parser.feed(std::string_view(input).substr(10)), head.size() - 10);
  h.parser.feed("<auth");
  ASSERT_EQ(h.handler.errors.size(), 1u);
  EXPECT_EQ(h.handler.errors[0].condition, StreamErrorCondition::InternalServerError);
}

TEST(XmlStreamParser, ResetInsideCallbackActsAsRestart) {
  Fixture f;
  f.handler.onStanzaHook = [&](const Element& s) {
    if (s.name() == "proceed") f.parser.reset();
  };
  const std::string head = std::string(kBareHeader) + "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
  const std::string input = head + std::string(kBareHeader) + "<presence/>";
  EXPECT_EQ(f.parser.feed(input), head.size());
  // Already reset: the rest is a new stream.
  EXPECT_EQ(f.parser.feed(std::string_view(input).substr(head.size())), input.size() - head.size());
  ASSERT_EQ(f.handler.events.size(), 4u);
  EXPECT_EQ(f.handler.events[2].substr(0, 5), "open ");
  EXPECT_EQ(f.handler.events[3], "stanza <presence/>");
}

// Owns its parser and drops it when the stream ends, as a session tearing down would.
class SelfDestructingHandler : public StreamParserHandler {
 public:
  void onStreamOpen(const Element&, std::string_view) override {}
  void onStanza(Element) override { ++stanzas; }
  void onStreamClose() override { parser.reset(); }
  void onStreamError(StreamError) override { parser.reset(); }
  std::unique_ptr<XmlStreamParser> parser;
  int stanzas = 0;
};

TEST(XmlStreamParser, HandlerMayDestroyParserOnCloseOrError) {
  for (const char* ending : {"</stream:stream>", "<!-- x -->", "<bad<"}) {
    SelfDestructingHandler owner;
    owner.parser = std::make_unique<XmlStreamParser>(owner, ParserLimits{});
    const std::string input = std::string(kBareHeader) + "<presence/>" + ending + "<presence/>";
    EXPECT_EQ(owner.parser->feed(input), input.size());
    EXPECT_EQ(owner.parser, nullptr) << ending;
    EXPECT_EQ(owner.stanzas, 1) << ending;
  }
}

TEST(XmlStreamParser, RequestRestartOutsideCallbackDoesNothing) {
  Fixture f;
  f.parser.requestRestart();
  const std::string input = std::string(kBareHeader) + "<presence/>";
  EXPECT_EQ(f.parser.feed(input), input.size());
  EXPECT_EQ(f.handler.events.size(), 2u);
}

TEST(XmlStreamParser, RestrictedXml) {
  const std::string header(kBareHeader);
  EXPECT_EQ(errorOf("<?xml version='1.0'?><!DOCTYPE stream><stream:stream/>"), "restricted-xml");
  EXPECT_EQ(errorOf("<!-- hi -->" + header), "restricted-xml");
  EXPECT_EQ(errorOf(header + "<message><!-- hidden --></message>"), "restricted-xml");
  EXPECT_EQ(errorOf(header + "<!-- between stanzas -->"), "restricted-xml");
  EXPECT_EQ(errorOf("<?xml-stylesheet href='a.xsl'?>" + header), "restricted-xml");
  EXPECT_EQ(errorOf(header + "<message><?php echo 1; ?></message>"), "restricted-xml");
  EXPECT_EQ(errorOf(header + "<message><body>&custom;</body></message>"), "restricted-xml");
  EXPECT_EQ(errorOf(header + "<message to='&custom;'/>"), "restricted-xml");
  // Internal entity declared in a DTD: refused at the DOCTYPE already.
  EXPECT_EQ(errorOf("<!DOCTYPE stream:stream [<!ENTITY custom 'x'>]>" + header +
                    "<message><body>&custom;</body></message>"),
            "restricted-xml");
  // A DOCTYPE after the root is not even well-formed.
  EXPECT_EQ(errorOf(header + "<!DOCTYPE foo>"), "not-well-formed");
  // A second XML declaration is misplaced.
  EXPECT_EQ(errorOf(header + "<?xml version='1.0'?>"), "not-well-formed");
}

TEST(XmlStreamParser, PredefinedEntitiesAndCharacterReferencesAllowed) {
  Fixture f;
  f.parser.feed(std::string(kBareHeader) +
                "<message id='&apos;&quot;&#65;'><body>&lt;&gt;&amp;&apos;&quot;&#x41;&#66;</body></message>");
  ASSERT_TRUE(f.handler.errors.empty());
  ASSERT_EQ(f.handler.stanzas.size(), 1u);
  EXPECT_EQ(f.handler.stanzas[0].attr("id"), "'\"A");
  EXPECT_EQ(f.handler.stanzas[0].childText("body"), "<>&'\"AB");
}

TEST(XmlStreamParser, BillionLaughsRefused) {
  std::string lol = "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>";
  lol += "<!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>";
  for (int i = 2; i <= 9; ++i) {
    lol += "<!ENTITY lol" + std::to_string(i) + " '";
    for (int j = 0; j < 10; ++j) lol += "&lol" + std::to_string(i - 1) + ";";
    lol += "'>";
  }
  lol += "]><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>"
         "<message><body>&lol9;</body></message>";
  Fixture f;
  f.parser.feed(lol);
  ASSERT_EQ(f.handler.errors.size(), 1u);
  EXPECT_EQ(f.handler.errors[0].condition, StreamErrorCondition::RestrictedXml);
  EXPECT_TRUE(f.handler.stanzas.empty());
  EXPECT_TRUE(f.handler.headers.empty());

  // Fed in small pieces, still refused at the DOCTYPE.
  Fixture g;
  for (std::size_t i = 0; i < lol.size(); i += 7) g.parser.feed(std::string_view(lol).substr(i, 7));
  ASSERT_EQ(g.handler.errors.size(), 1u);
  EXPECT_EQ(g.handler.errors[0].condition, StreamErrorCondition::RestrictedXml);
}

TEST(XmlStreamParser, ErrorReportedOnceThenFailed) {
  Fixture f;
  const std::string input = std::string(kBareHeader) + "<presence/><!-- x --><presence/><!-- y -->";
  EXPECT_EQ(f.parser.feed(input), input.size());
  EXPECT_TRUE(f.parser.failed());
  EXPECT_EQ(f.handler.events.size(), 3u);  // open, presence, error
  EXPECT_EQ(f.handler.events[2], "error restricted-xml");
  EXPECT_EQ(f.parser.feed("<presence/>"), 0u);
  EXPECT_EQ(f.parser.feed("<<<<"), 0u);
  EXPECT_EQ(f.handler.events.size(), 3u);

  // reset() gives a fresh, working parser.
  f.parser.reset();
  EXPECT_FALSE(f.parser.failed());
  f.parser.feed(std::string(kBareHeader) + "<presence/>");
  EXPECT_EQ(f.handler.events.size(), 5u);
}

TEST(XmlStreamParser, GarbageIsNotWellFormed) {
  EXPECT_EQ(errorOf("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"), "not-well-formed");
  EXPECT_EQ(errorOf(std::string(kBareHeader) + "<message><body></message>"), "not-well-formed");
  EXPECT_EQ(errorOf(std::string(kBareHeader) + "<message a='1' a='2'/>"), "not-well-formed");
  EXPECT_EQ(errorOf(std::string(kBareHeader) + "<message>&#0;</message>"), "not-well-formed");
  EXPECT_EQ(errorOf(std::string(kBareHeader) + "<message>\xff\xfe</message>"), "not-well-formed");
  EXPECT_EQ(errorOf(std::string(kBareHeader) + "<message>\xc3</message>"), "not-well-formed");
  EXPECT_EQ(errorOf(std::string("\0\0\0", 3)), "not-well-formed");
}

TEST(XmlStreamParser, UnboundPrefix) {
  EXPECT_EQ(errorOf("<stream:stream xmlns='jabber:client'>"), "bad-namespace-prefix");
  EXPECT_EQ(errorOf(std::string(kBareHeader) + "<foo:message/>"), "bad-namespace-prefix");
}

TEST(XmlStreamParser, WrongRootIsInvalidNamespace) {
  EXPECT_EQ(errorOf("<stream:stream xmlns:stream='http://example.com/streams' xmlns='jabber:client'>"),
            "invalid-namespace");
  EXPECT_EQ(errorOf("<stream xmlns='jabber:client'>"), "invalid-namespace");
  EXPECT_EQ(errorOf("<stream:features xmlns:stream='http://etherx.jabber.org/streams'>"),
            "invalid-namespace");
  EXPECT_EQ(errorOf("<html><body>hi</body></html>"), "invalid-namespace");
  Fixture f;
  f.parser.feed("<stream:stream xmlns:stream='urn:wrong'>");
  EXPECT_TRUE(f.handler.headers.empty());
}

TEST(XmlStreamParser, UnsupportedEncoding) {
  EXPECT_EQ(errorOf("<?xml version='1.0' encoding='ISO-8859-1'?>" + std::string(kBareHeader)),
            "unsupported-encoding");
  EXPECT_EQ(errorOf("<?xml version='1.0' encoding='utf-8'?>" + std::string(kBareHeader)), "");
  EXPECT_EQ(errorOf("\xEF\xBB\xBF<?xml version='1.0' encoding='UTF-8'?>" + std::string(kBareHeader)),
            "");
}

TEST(XmlStreamParser, OversizedStanzaRefusedWhileStreaming) {
  // 20 KiB of body text with the default 8 KiB limit, fed in 1 KiB chunks.
  std::string input = std::string(kBareHeader) + "<message><body>" + std::string(20 * 1024, 'a') +
                      "</body></message>";
  Fixture f;
  std::size_t fed = 0;
  while (fed < input.size() && !f.parser.failed()) {
    const std::string_view chunk = std::string_view(input).substr(fed, 1024);
    f.parser.feed(chunk);
    fed += chunk.size();
  }
  ASSERT_EQ(f.handler.errors.size(), 1u);
  EXPECT_EQ(f.handler.errors[0].condition, StreamErrorCondition::PolicyViolation);
  EXPECT_NE(f.handler.errors[0].text.find("too large"), std::string::npos);
  EXPECT_LE(fed, std::size_t{10 * 1024});
  EXPECT_TRUE(f.handler.stanzas.empty());
}

TEST(XmlStreamParser, OversizedSingleTokenRefusedWhileStreaming) {
  // A huge attribute value is one expat token: no callback fires until it ends.
  const std::string start = std::string(kBareHeader) + "<presence/><message id='";
  std::string input = start + std::string(10 * 1024 * 1024, 'x') + "'/>";
  Fixture f;
  std::size_t fed = 0;
  while (fed < input.size() && !f.parser.failed()) {
    const std::string_view chunk = std::string_view(input).substr(fed, 1024);
    f.parser.feed(chunk);
    fed += chunk.size();
  }
  ASSERT_EQ(f.handler.errors.size(), 1u);
  EXPECT_EQ(f.handler.errors[0].condition, StreamErrorCondition::PolicyViolation);
  EXPECT_LE(fed, start.size() + 10 * 1024);
  EXPECT_EQ(f.handler.stanzas.size(), 1u);  // the presence before it

  // Even in a single 10 MiB feed() call the stanza is refused.
  Fixture g;
  EXPECT_EQ(g.parser.feed(input), input.size());
  ASSERT_EQ(g.handler.errors.size(), 1u);
  EXPECT_EQ(g.handler.errors[0].condition, StreamErrorCondition::PolicyViolation);
}

TEST(XmlStreamParser, OversizedHeaderRefused) {
  std::string header = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='";
  header += std::string(9000, 'a') + "'>";
  EXPECT_EQ(errorOf(header), "policy-violation");
  Fixture f;
  for (std::size_t i = 0; i < header.size() && !f.parser.failed(); i += 512) {
    f.parser.feed(std::string_view(header).substr(i, 512));
  }
  ASSERT_EQ(f.handler.errors.size(), 1u);
  EXPECT_EQ(f.handler.errors[0].condition, StreamErrorCondition::PolicyViolation);
  EXPECT_TRUE(f.handler.headers.empty());
}

TEST(XmlStreamParser, StanzaSizeLimitIsExact) {
  const ParserLimits limits{100, 48};
  const std::string prefix = "<message><body>";
  const std::string suffix = "</body></message>";
  const std::string exact = prefix + std::string(100 - prefix.size() - suffix.size(), 'z') + suffix;
  ASSERT_EQ(exact.size(), 100u);
  const std::string header(kBareHeader);  // longer than 100 bytes: raise the limit for it
  {
    Fixture f({200, 48});
    f.parser.feed(header);
    f.parser.setLimits(limits);
    f.parser.feed(exact);
    EXPECT_TRUE(f.handler.errors.empty());
    EXPECT_EQ(f.handler.stanzas.size(), 1u);
  }
  {
    Fixture f({200, 48});
    f.parser.feed(header);
    f.parser.setLimits(limits);
    f.parser.feed(prefix + "z" + exact.substr(prefix.size()));
    ASSERT_EQ(f.handler.errors.size(), 1u);
    EXPECT_EQ(f.handler.errors[0].condition, StreamErrorCondition::PolicyViolation);
    EXPECT_TRUE(f.handler.stanzas.empty());
  }
}

TEST(XmlStreamParser, RaisedLimitsAcceptLargerStanzas) {
  const std::string big = "<message><body>" + std::string(100 * 1024, 'b') + "</body></message>";
  Fixture f;
  f.parser.feed(kBareHeader);
  f.parser.setLimits({256 * 1024, 48});
  EXPECT_EQ(f.parser.feed(big), big.size());
  EXPECT_TRUE(f.handler.errors.empty());
  ASSERT_EQ(f.handler.stanzas.size(), 1u);
  EXPECT_EQ(f.handler.stanzas[0].childText("body").size(), 100u * 1024);
}

std::string nested(std::size_t depth) {
  // `depth` nested elements starting at the stanza (depth 1).
  std::string s;
  for (std::size_t i = 0; i < depth; ++i) s += "<e>";
  for (std::size_t i = 0; i < depth; ++i) s += "</e>";
  return s;
}

TEST(XmlStreamParser, NestingLimit) {
  const std::string header(kBareHeader);
  EXPECT_EQ(errorOf(header + nested(48)), "");
  EXPECT_EQ(errorOf(header + nested(49)), "policy-violation");
  EXPECT_EQ(errorOf(header + nested(5), {8192, 5}), "");
  EXPECT_EQ(errorOf(header + nested(6), {8192, 5}), "policy-violation");
  EXPECT_EQ(errorOf(header + nested(10000), {1 << 20, 48}), "policy-violation");

  Fixture f;
  f.parser.feed(header + nested(48));
  ASSERT_EQ(f.handler.stanzas.size(), 1u);
  const Element* e = &f.handler.stanzas[0];
  std::size_t depth = 1;
  while (const Element* c = e->firstElement()) {
    e = c;
    ++depth;
  }
  EXPECT_EQ(depth, 48u);
}

TEST(XmlStreamParser, XmlLangAndNamespacedAttributes) {
  Fixture f;
  f.parser.feed(std::string(kClientHeader) +
                "<message xml:lang='de' xmlns:foo='urn:foo' foo:bar='1' bar='2'>"
                "<body xml:lang='en'>hi</body></message>");
  ASSERT_EQ(f.handler.stanzas.size(), 1u);
  const Element& m = f.handler.stanzas[0];
  EXPECT_EQ(m.attr("xml:lang"), "de");
  ASSERT_EQ(m.attrs().size(), 3u);
  EXPECT_EQ(m.attrs()[0].name, "xml:lang");
  EXPECT_EQ(m.attrs()[0].ns, "");
  EXPECT_EQ(m.attrs()[1].name, "bar");
  EXPECT_EQ(m.attrs()[1].ns, "urn:foo");
  EXPECT_EQ(m.attr("bar"), "2");
  EXPECT_EQ(m.child("body")->attr("xml:lang"), "en");
  EXPECT_EQ(f.handler.headers[0].attr("xml:lang"), "en");
  EXPECT_EQ(xml::serialize(m, "jabber:client"),
            "<message xmlns:a0='urn:foo' xml:lang='de' a0:bar='1' bar='2'>"
            "<body xml:lang='en'>hi</body></message>");
}

TEST(XmlStreamParser, AdjacentTextMergedAcrossFeeds) {
  Fixture f;
  f.parser.feed(kBareHeader);
  for (std::string_view piece : {"<body>a", "b&am", "p;c", "\r", "\nd<![CDATA[e", "f]]>g</bo", "dy>"}) {
    f.parser.feed(piece);
  }
  ASSERT_EQ(f.handler.stanzas.size(), 1u);
  ASSERT_EQ(f.handler.stanzas[0].children().size(), 1u);
  EXPECT_EQ(f.handler.stanzas[0].textContent(), "ab&c\ndefg");
}

// A stream whose header arrives in pieces gets a parser of its own (whole headers and stanzas go
// through the thread's shared parsers); the release tests below need one.
void openInPieces(Fixture& f, std::string_view header) {
  f.parser.feed(header.substr(0, 10));
  f.parser.feed(header.substr(10));
}

TEST(XmlStreamParser, WholeHeaderAndStanzasNeedNoParserOfTheirOwn) {
  Fixture f;
  f.parser.feed(kBareHeader);
  f.parser.feed("<presence/>");
  EXPECT_FALSE(f.parser.releaseIdle());  // nothing of its own to release
  f.parser.feed("<message><bo");         // a stanza in pieces: now it has one
  f.parser.feed("dy>x</body></message>");
  EXPECT_TRUE(f.parser.releaseIdle());
  EXPECT_EQ(f.handler.stanzas.size(), 2u);
  EXPECT_TRUE(f.handler.errors.empty());
}

// releaseIdle() between any two chunks, wherever it is allowed, changes no event.
TEST(XmlStreamParser, ReleaseIdleAtEverySplitKeepsTheStream) {
  const std::string input = fullSession();
  const std::vector<std::string> expected = parseWhole(input);
  std::size_t releases = 0;
  for (std::size_t cut = 10; cut <= input.size(); ++cut) {
    Fixture f;
    const std::string_view all(input);
    f.parser.feed(all.substr(0, 10));  // the stream starts in pieces: it has a parser of its own
    f.parser.feed(all.substr(10, cut - 10));
    if (f.parser.releaseIdle()) {
      ++releases;
      EXPECT_TRUE(f.parser.released());
      EXPECT_FALSE(f.parser.releaseIdle());  // once
    }
    f.parser.feed(all.substr(cut));
    ASSERT_EQ(f.handler.events, expected) << "released at " << cut;
  }
  // Right after the header and after each of the first stanzas and keepalives.
  EXPECT_GE(releases, 5u);
}

TEST(XmlStreamParser, ReleaseIdleByteByByte) {
  const std::string input = fullSession();
  const std::vector<std::string> expected = parseWhole(input);
  Fixture f;
  std::size_t releases = 0;
  for (char c : input) {
    ASSERT_EQ(f.parser.feed(std::string_view(&c, 1)), 1u);
    if (f.parser.releaseIdle()) ++releases;
  }
  EXPECT_EQ(f.handler.events, expected);
  EXPECT_GE(releases, 5u);
}

TEST(XmlStreamParser, ReleaseIdleKeepsRootNamespaceBindings) {
  Fixture f;
  openInPieces(f,
               "<s:stream xmlns='jabber:client' xmlns:s='http://etherx.jabber.org/streams' xmlns:x='urn:x' "
               "to='example.com' version='1.0'>");
  ASSERT_TRUE(f.parser.releaseIdle());
  // Stanzas in pieces: the stream's own parser is rebuilt for each and released again.
  f.parser.feed("<x:ping i");
  EXPECT_FALSE(f.parser.released());
  f.parser.feed("d='1'/>");
  ASSERT_TRUE(f.parser.releaseIdle());
  f.parser.feed("<message><body>h");
  f.parser.feed("i</body></message>");
  ASSERT_TRUE(f.parser.releaseIdle());
  f.parser.feed("</s:stream>");
  EXPECT_EQ(f.handler.events,
            (std::vector<std::string>{
                "open <stream xmlns='http://etherx.jabber.org/streams' to='example.com' version='1.0'/> "
                "ns=jabber:client",
                "stanza <ping xmlns='urn:x' id='1'/>", "stanza <message><body>hi</body></message>", "close"}));
  EXPECT_TRUE(f.handler.errors.empty());
}

TEST(XmlStreamParser, ReleaseIdleRefusedWhenNotAtABoundary) {
  Fixture f;
  EXPECT_FALSE(f.parser.releaseIdle());  // no stream yet
  f.parser.feed(std::string(kBareHeader) + "<message><bo");
  EXPECT_FALSE(f.parser.releaseIdle());  // inside a stanza
  f.parser.feed("dy>x</body></message><pres");
  EXPECT_FALSE(f.parser.releaseIdle());  // a partial tag buffered in expat
  f.parser.feed("ence/>");
  EXPECT_TRUE(f.parser.releaseIdle());
  bool insideCallback = true;
  f.handler.onStanzaHook = [&](const Element&) { insideCallback = f.parser.releaseIdle(); };
  f.parser.feed("<presence/>");
  EXPECT_FALSE(insideCallback);
  f.handler.onStanzaHook = nullptr;
  f.parser.feed("<a/><b");  // errors still surface after a rebuild
  f.parser.feed(" x='1' x='2'/>");
  ASSERT_EQ(f.handler.errors.size(), 1u);
  EXPECT_EQ(f.handler.errors[0].condition, StreamErrorCondition::NotWellFormed);
  EXPECT_FALSE(f.parser.releaseIdle());  // failed
  EXPECT_EQ(f.handler.stanzas.size(), 4u);
}

// Positions continue across a rebuild: the stanza size cap stays exact.
TEST(XmlStreamParser, ReleaseIdleKeepsSizeLimitsExact) {
  const ParserLimits limits{100, 48};
  const std::string prefix = "<message><body>";
  const std::string suffix = "</body></message>";
  const std::string exact = prefix + std::string(100 - prefix.size() - suffix.size(), 'z') + suffix;
  for (bool over : {false, true}) {
    Fixture f({200, 48});
    openInPieces(f, kBareHeader);
    f.parser.setLimits(limits);
    f.parser.feed("<presence/>  ");
    ASSERT_TRUE(f.parser.releaseIdle());
    f.parser.feed(over ? prefix + "z" + exact.substr(prefix.size()) : exact);
    EXPECT_EQ(f.handler.errors.size(), over ? 1u : 0u);
    EXPECT_EQ(f.handler.stanzas.size(), over ? 1u : 2u);
  }
}

TEST(XmlStreamParser, ResetAfterReleaseStartsANewStream) {
  Fixture f;
  openInPieces(f, kBareHeader);
  ASSERT_TRUE(f.parser.releaseIdle());
  f.parser.reset();
  EXPECT_FALSE(f.parser.released());
  f.parser.feed(std::string(kBareHeader) + "<presence/>");
  EXPECT_EQ(f.handler.headers.size(), 2u);
  EXPECT_EQ(f.handler.stanzas.size(), 1u);
  EXPECT_TRUE(f.handler.errors.empty());
}

// The header of a stream whose root declares one more prefix, so it needs its own shared parser.
constexpr std::string_view kPrefixedHeader =
    "<s:stream xmlns='jabber:client' xmlns:s='http://etherx.jabber.org/streams' xmlns:x='urn:x' "
    "to='example.com' version='1.0'>";

std::vector<std::string> someStanzas() {
  return {"<message to='a@example.com' id='1'><body>one &amp; &#x263A;</body></message>",
          "<iq type='get' id='2'><query xmlns='jabber:iq:roster'/></iq>",
          "<presence><status>here</status><c xmlns='http://jabber.org/protocol/caps' node='n'/></presence>",
          "<message id='3'><body><![CDATA[<cdata>]]></body><y:z xmlns:y='urn:y' y:a='1'/></message>"};
}

// Streams on one thread share parsers between stanzas; interleaving their stanzas, whole or in
// pieces, must give each exactly the events it gets alone.
TEST(XmlStreamParser, InterleavedStreamsGetTheirOwnEvents) {
  const std::vector<std::string> stanzas = someStanzas();
  std::string alone;
  for (const auto& s : stanzas) alone += s;
  const auto expectedA = parseWhole(std::string(kBareHeader) + alone);
  const auto expectedB = parseWhole(std::string(kPrefixedHeader) + "<x:ping/>" + alone);
  for (std::size_t cut = 0; cut < 40; ++cut) {
    Fixture a;
    Fixture b;
    a.parser.feed(kBareHeader);
    b.parser.feed(kPrefixedHeader);
    b.parser.feed("<x:ping/>");
    for (const auto& s : stanzas) {
      const std::string_view all(s);
      const std::size_t at = std::min(cut, s.size());
      a.parser.feed(all.substr(0, at));
      b.parser.feed(all);  // whole, while a's stanza is half-way
      a.parser.feed(all.substr(at));
    }
    ASSERT_EQ(a.handler.events, expectedA) << "cut " << cut;
    ASSERT_EQ(b.handler.events, expectedB) << "cut " << cut;
  }
}

TEST(XmlStreamParser, AnErrorInOneStreamLeavesTheOthersAlone) {
  Fixture a;
  Fixture b;
  a.parser.feed(kBareHeader);
  b.parser.feed(kBareHeader);
  a.parser.feed("<presence/>");
  b.parser.feed("<presence/>");
  a.parser.feed("<q:presence/>");  // unbound prefix
  b.parser.feed("<message><body>still here</body></message>");
  a.parser.feed("<presence/>");
  b.parser.feed("</stream:stream>");
  ASSERT_EQ(a.handler.errors.size(), 1u);
  EXPECT_EQ(a.handler.errors[0].condition, StreamErrorCondition::BadNamespacePrefix);
  EXPECT_NE(a.handler.errors[0].text.find("at byte "), std::string::npos);
  EXPECT_EQ(a.handler.stanzas.size(), 1u);
  Fixture c;  // a stream after another one closed and one failed
  c.parser.feed(kBareHeader);
  c.parser.feed("<presence/>");
  EXPECT_TRUE(b.handler.errors.empty());
  EXPECT_EQ(b.handler.events.back(), "close");
  ASSERT_EQ(b.handler.stanzas.size(), 2u);
  EXPECT_EQ(b.handler.stanzas[1].childText("body"), "still here");
  EXPECT_TRUE(c.handler.errors.empty());
  EXPECT_EQ(c.handler.stanzas.size(), 1u);
}

// More distinct roots than the thread shares parsers for: the rest use their own parsers.
TEST(XmlStreamParser, ManyDistinctRootsAllParse) {
  std::vector<std::unique_ptr<Fixture>> streams;
  for (int i = 0; i < 7; ++i) {
    streams.push_back(std::make_unique<Fixture>());
    const std::string prefix = "p" + std::to_string(i);
    streams.back()->parser.feed("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
                                "xmlns:" + prefix + "='urn:" + prefix + "' to='example.com' version='1.0'>");
  }
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 7; ++i) {
      const std::string prefix = "p" + std::to_string(i);
      streams[i]->parser.feed("<" + prefix + ":x n='" + std::to_string(round) + "'/>");
    }
  }
  for (int i = 0; i < 7; ++i) {
    const auto& f = *streams[i];
    EXPECT_TRUE(f.handler.errors.empty()) << i;
    ASSERT_EQ(f.handler.stanzas.size(), 3u) << i;
    EXPECT_EQ(f.handler.stanzas[2].xmlns(), "urn:p" + std::to_string(i));
    EXPECT_EQ(f.handler.stanzas[2].attr("n"), "2");
  }
}

// A handler may parse other XML (stored data, a resumed session's queue) while a shared parser
// is inside its stanza callback.
TEST(XmlStreamParser, NestedParseInsideAStanzaCallback) {
  Fixture f;
  std::vector<std::string> nested;
  f.handler.onStanzaHook = [&](const Element&) {
    nested = parseWhole(std::string(kBareHeader) + "<presence/>" + "<message/>");
  };
  f.parser.feed(kBareHeader);
  f.parser.feed("<iq type='get' id='1'/>");
  f.parser.feed("<presence/>");
  EXPECT_EQ(nested.size(), 3u);
  EXPECT_EQ(f.handler.stanzas.size(), 2u);
  EXPECT_TRUE(f.handler.errors.empty());
}

// Past the recycling threshold the shared parser is primed afresh; positions and limits stay exact.
TEST(XmlStreamParser, ManyStanzasThroughTheSharedParser) {
  const ParserLimits limits{300, 48};
  Fixture a({400, 48});
  Fixture b({400, 48});
  a.parser.feed(kBareHeader);
  b.parser.feed(kPrefixedHeader);
  a.parser.setLimits(limits);
  b.parser.setLimits(limits);
  const std::string prefix = "<message><body>";
  const std::string suffix = "</body></message>";
  const std::string exact = prefix + std::string(300 - prefix.size() - suffix.size(), 'm') + suffix;
  constexpr int kCount = 8000;  // 2.4 MB per stream
  for (int i = 0; i < kCount; ++i) {
    a.parser.feed(exact);
    b.parser.feed(exact);
  }
  EXPECT_TRUE(a.handler.errors.empty());
  EXPECT_TRUE(b.handler.errors.empty());
  EXPECT_EQ(a.handler.stanzas.size(), std::size_t{kCount});
  EXPECT_EQ(b.handler.stanzas.size(), std::size_t{kCount});
  a.parser.feed(prefix + "m" + exact.substr(prefix.size()));  // one byte over
  ASSERT_EQ(a.handler.errors.size(), 1u);
  EXPECT_EQ(a.handler.errors[0].condition, StreamErrorCondition::PolicyViolation);
}

}  // namespace
}  // namespace telex::stream
