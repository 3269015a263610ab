// Unit tests for the client's typed payloads: parse, serialize, round trips with <&'"> everywhere.
// XML goes through the stream parser, so entities are decoded as on the wire.
#include <gtest/gtest.h>

#include "client/client.hpp"
#include "client/stanzas.hpp"
#include "support/parse_stanza.hpp"

namespace telex::client {
namespace {

const std::string kNasty = "<&'\">";

xml::Element parseXml(std::string_view text) { return test::parseStanza(text); }

// Serialize → parse again, as the peer would see it.
xml::Element wire(const xml::Element& e) { return parseXml(xml::serialize(e, kNsClient)); }

// ---- Message ------------------------------------------------------------------------------------

TEST(MessagePayload, ParsesEveryModelledField) {
  auto m = Message::parse(parseXml(
      "<message id='m&amp;1' from='alice@example.org/laptop' to='bob@example.org' type='chat'>"
      "<subject>re: &lt;&amp;&apos;&quot;&gt;</subject>"
      "<body xml:lang='de'>Hallo</body>"
      "<body>body &lt;&amp;'\"&gt; text</body>"
      "<thread>t-1</thread>"
      "<request xmlns='urn:xmpp:receipts'/>"
      "<composing xmlns='http://jabber.org/protocol/chatstates'/>"
      "<delay xmlns='urn:xmpp:delay' from='example.org' stamp='2024-05-01T12:00:00Z'/>"
      "<x xmlns='jabber:x:oob'><url>http://e/x</url></x>"
      "</message>"));
  ASSERT_TRUE(m) << m.error();
  EXPECT_EQ(m->id, "m&1");
  EXPECT_EQ(m->from->full(), "alice@example.org/laptop");
  EXPECT_EQ(m->to->full(), "bob@example.org");
  EXPECT_EQ(m->type, MessageType::Chat);
  EXPECT_EQ(m->subject, "re: " + kNasty);
  EXPECT_EQ(m->body, "body " + kNasty + " text");  // the body without xml:lang wins
  EXPECT_EQ(m->thread, "t-1");
  EXPECT_TRUE(m->requestReceipt);
  EXPECT_FALSE(m->receiptFor);
  EXPECT_EQ(m->chatState, ChatState::Composing);
  EXPECT_EQ(m->delayStamp, "2024-05-01T12:00:00Z");
  ASSERT_EQ(m->extensions.size(), 2u);  // the German body and the OOB payload
  EXPECT_EQ(m->extensions[0].name(), "body");
  EXPECT_EQ(m->extensions[1].xmlns(), "jabber:x:oob");
  EXPECT_FALSE(m->error);
  EXPECT_TRUE(m->hasContent());
}

TEST(MessagePayload, DefaultsAndReceipts) {
  auto m =
      Message::parse(parseXml("<message from='bob@example.org/phone' id='r1'><received "
                              "xmlns='urn:xmpp:receipts' id='m-7'/></message>"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, MessageType::Normal);
  EXPECT_EQ(m->receiptFor, "m-7");
  EXPECT_FALSE(m->hasContent());
  EXPECT_FALSE(m->to);
  EXPECT_EQ(m->chatState, ChatState::None);
}

TEST(MessagePayload, ErrorBounce) {
  auto m = Message::parse(parseXml(
      "<message type='error' id='x1' from='carol@example.org' to='alice@example.org/a'>"
      "<body>hi</body>"
      "<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
      "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>offline &amp; no storage</text></error>"
      "</message>"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, MessageType::Error);
  ASSERT_TRUE(m->error);
  EXPECT_EQ(m->error->type, "cancel");
  EXPECT_EQ(m->error->condition, "service-unavailable");
  EXPECT_EQ(m->error->text, "offline & no storage");
  EXPECT_EQ(m->error->describe(), "service-unavailable (offline & no storage)");
}

TEST(MessagePayload, RejectsInvalidInput) {
  EXPECT_FALSE(Message::parse(parseXml("<message type='shout'/>")));
  EXPECT_FALSE(Message::parse(parseXml("<message from='@@'/>")));
  EXPECT_FALSE(Message::parse(parseXml("<message to='a@b/c' from=''/>")));
  EXPECT_FALSE(Message::parse(parseXml("<presence/>")));
  EXPECT_FALSE(Message::parse(xml::Element{"message", "jabber:server"}));
}

TEST(MessagePayload, RoundTripWithNastyTextEverywhere) {
  Message m;
  m.id = "id" + kNasty;
  m.from = Jid::parse("alice@example.org/r" + kNasty);
  m.to = Jid::parse("bob@example.org");
  ASSERT_TRUE(m.from);
  m.type = MessageType::Headline;
  m.body = "body " + kNasty + "\nsecond line";
  m.subject = "subject " + kNasty;
  m.thread = "thread" + kNasty;
  m.requestReceipt = true;
  m.chatState = ChatState::Gone;
  xml::Element ext{"x", "urn:example:ext"};
  ext.setAttr("a", kNasty);
  ext.addText(kNasty);
  m.extensions.push_back(ext);

  const std::string xml = xml::serialize(m.toElement(), kNsClient);
  EXPECT_EQ(xml.find("<&"), std::string::npos) << xml;
  auto back = Message::parse(parseXml(xml));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->id, m.id);
  EXPECT_EQ(back->from, m.from);
  EXPECT_EQ(back->to, m.to);
  EXPECT_EQ(back->type, MessageType::Headline);
  EXPECT_EQ(back->body, m.body);
  EXPECT_EQ(back->subject, m.subject);
  EXPECT_EQ(back->thread, m.thread);
  EXPECT_TRUE(back->requestReceipt);
  EXPECT_EQ(back->chatState, ChatState::Gone);
  ASSERT_EQ(back->extensions.size(), 1u);
  EXPECT_EQ(back->extensions[0].attrOr("a", ""), kNasty);
  EXPECT_EQ(back->extensions[0].textContent(), kNasty);
}

TEST(MessagePayload, SerializesMinimalShapes) {
  Message m;
  m.id = "a1";
  m.to = Jid::parse("bob@example.org");
  m.body = "hi";
  EXPECT_EQ(xml::serialize(m.toElement(), kNsClient),
            "<message id='a1' to='bob@example.org'><body>hi</body></message>");

  Message receipt;
  receipt.to = Jid::parse("alice@example.org/laptop");
  receipt.receiptFor = "m'1";
  EXPECT_EQ(xml::serialize(receipt.toElement(), kNsClient),
            "<message to='alice@example.org/laptop'><received xmlns='urn:xmpp:receipts' "
            "id='m&apos;1'/></message>");

  Message state;
  state.type = MessageType::Chat;
  state.chatState = ChatState::Active;
  EXPECT_EQ(
      xml::serialize(state.toElement(), kNsClient),
      "<message type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>");
}

TEST(MessagePayload, TypeNames) {
  for (auto t : {MessageType::Normal, MessageType::Chat, MessageType::Headline,
                 MessageType::Groupchat, MessageType::Error}) {
    EXPECT_EQ(messageTypeFromName(messageTypeName(t)), t);
  }
  EXPECT_EQ(messageTypeFromName(""), MessageType::Normal);
  EXPECT_FALSE(messageTypeFromName("urgent"));
  EXPECT_EQ(chatStateName(ChatState::Paused), "paused");
}

// ---- Presence -----------------------------------------------------------------------------------

TEST(PresencePayload, Parses) {
  auto p = Presence::parse(
      parseXml("<presence from='bob@example.org/phone'><show>dnd</show>"
               "<status xml:lang='fr'>occupé</status><status>busy &lt;&amp;'\"&gt;</status>"
               "<priority>-5</priority><c xmlns='http://jabber.org/protocol/caps' node='n' ver='v' "
               "hash='sha-1'/>"
               "</presence>"));
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->type, PresenceType::Available);
  EXPECT_EQ(p->show, PresenceShow::Dnd);
  EXPECT_EQ(p->status, "busy " + kNasty);
  EXPECT_EQ(p->priority, -5);
  ASSERT_EQ(p->extensions.size(), 2u);  // the French status and the caps
  EXPECT_EQ(p->extensions[1].name(), "c");

  auto unavailable = Presence::parse(parseXml("<presence type='unavailable' from='a@b/c'/>"));
  ASSERT_TRUE(unavailable);
  EXPECT_EQ(unavailable->type, PresenceType::Unavailable);

  auto sub = Presence::parse(parseXml("<presence type='subscribe' from='a@b'/>"));
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->type, PresenceType::Subscribe);
}

TEST(PresencePayload, LenientWithBadShowAndPriority) {
  auto p =
      Presence::parse(parseXml("<presence><show>sleepy</show><priority>300</priority></presence>"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->show, PresenceShow::None);
  EXPECT_EQ(p->priority, 0);
  EXPECT_FALSE(Presence::parse(parseXml("<presence type='available'/>")));  // not an RFC type
  auto error =
      Presence::parse(parseXml("<presence type='error' from='x@y'><error type='auth'><forbidden "
                               "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>"));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->error->condition, "forbidden");
  EXPECT_EQ(error->error->type, "auth");
}

TEST(PresencePayload, RoundTrip) {
  Presence p;
  p.to = Jid::parse("bob@example.org");
  p.show = PresenceShow::Away;
  p.status = "lunch " + kNasty;
  p.priority = 7;
  EXPECT_EQ(
      xml::serialize(p.toElement(), kNsClient),
      "<presence to='bob@example.org'><show>away</show><status>lunch &lt;&amp;'\"&gt;</status>"
      "<priority>7</priority></presence>");
  auto back = Presence::parse(wire(p.toElement()));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->show, PresenceShow::Away);
  EXPECT_EQ(back->status, p.status);
  EXPECT_EQ(back->priority, 7);

  Presence initial;
  EXPECT_EQ(xml::serialize(initial.toElement(), kNsClient), "<presence/>");
  for (auto t : {PresenceType::Available, PresenceType::Unavailable, PresenceType::Subscribe,
                 PresenceType::Subscribed, PresenceType::Unsubscribe, PresenceType::Unsubscribed,
                 PresenceType::Probe, PresenceType::Error}) {
    EXPECT_EQ(presenceTypeFromName(presenceTypeName(t)), t);
  }
}

// ---- Roster -------------------------------------------------------------------------------------

TEST(RosterPayload, ParsesResultAndPush) {
  const auto iq = parseXml(
      "<iq type='result' id='r1'><query xmlns='jabber:iq:roster' ver='v42'>"
      "<item jid='carol@example.org' name='Carol &lt;&amp;&apos;&quot;&gt;' subscription='both'>"
      "<group>Friends</group><group>Work &amp; more</group></item>"
      "<item jid='dave@example.org' ask='subscribe'/>"
      "</query></iq>");
  auto roster = Roster::parse(*iq.child("query", kNsRoster));
  ASSERT_TRUE(roster) << roster.error();
  EXPECT_EQ(roster->version, "v42");
  ASSERT_EQ(roster->items.size(), 2u);
  EXPECT_EQ(roster->items[0].jid.full(), "carol@example.org");
  EXPECT_EQ(roster->items[0].name, "Carol " + kNasty);
  EXPECT_EQ(roster->items[0].subscription, Subscription::Both);
  EXPECT_EQ(roster->items[0].groups, (std::vector<std::string>{"Friends", "Work & more"}));
  EXPECT_EQ(roster->items[1].subscription, Subscription::None);
  EXPECT_TRUE(roster->items[1].askSubscribe);

  auto bad =
      parseXml("<iq type='set'><query xmlns='jabber:iq:roster'><item jid='@@'/></query></iq>");
  EXPECT_FALSE(Roster::parse(*bad.child("query", kNsRoster)));
  auto badSub = parseXml(
      "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='a@b' "
      "subscription='all'/></query></iq>");
  EXPECT_FALSE(Roster::parse(*badSub.child("query", kNsRoster)));
  EXPECT_FALSE(Roster::parse(xml::Element{"query", "jabber:iq:private"}));
}

TEST(RosterPayload, RoundTrip) {
  Roster roster;
  RosterItem item;
  item.jid = *Jid::parse("eve@example.org");
  item.name = "Eve " + kNasty;
  item.subscription = Subscription::Remove;
  item.groups = {"G " + kNasty};
  roster.items.push_back(item);
  const auto iq = wire(makeIq("set", "p1", std::nullopt, roster.toElement()));
  auto back = Roster::parse(*iq.child("query", kNsRoster));
  ASSERT_TRUE(back);
  ASSERT_EQ(back->items.size(), 1u);
  EXPECT_EQ(back->items[0].name, item.name);
  EXPECT_EQ(back->items[0].subscription, Subscription::Remove);
  EXPECT_EQ(back->items[0].groups, item.groups);
  EXPECT_FALSE(back->version);
}

// ---- Disco, errors, IQ builders -----------------------------------------------------------------

TEST(DiscoPayload, ParsesAndRoundTrips) {
  const auto iq = parseXml(
      "<iq type='result' from='example.org' id='d1'><query "
      "xmlns='http://jabber.org/protocol/disco#info'>"
      "<identity category='server' type='im' name='Telex &lt;&amp;&gt;'/>"
      "<feature var='urn:xmpp:ping'/><feature var='jabber:iq:version'/><feature/>"
      "</query></iq>");
  auto info = DiscoInfo::parse(*iq.child("query", kNsDiscoInfo));
  ASSERT_TRUE(info);
  ASSERT_EQ(info->identities.size(), 1u);
  EXPECT_EQ(info->identities[0].category, "server");
  EXPECT_EQ(info->identities[0].name, "Telex <&>");
  EXPECT_EQ(info->features.size(), 2u);
  EXPECT_TRUE(info->hasFeature("urn:xmpp:ping"));
  EXPECT_FALSE(info->hasFeature("urn:xmpp:mam:2"));

  const auto own = Client::ownDiscoInfo();
  auto back = DiscoInfo::parse(
      *wire(makeIq("result", "x", std::nullopt, own.toElement())).child("query", kNsDiscoInfo));
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->hasFeature("urn:xmpp:receipts"));
  EXPECT_TRUE(back->hasFeature("http://jabber.org/protocol/chatstates"));
  EXPECT_EQ(back->identities[0].category, "client");
}

TEST(StanzaErrorPayload, ParsesAndBuilds) {
  auto e =
      StanzaErrorInfo::parse(parseXml("<message><error type='wait'/></message>").children()[0]);
  EXPECT_EQ(e.condition, "undefined-condition");
  EXPECT_EQ(e.type, "wait");

  const auto request = parseXml(
      "<iq type='get' id='q&apos;1' from='alice@example.org/a'><query xmlns='urn:x'/></iq>");
  EXPECT_EQ(
      xml::serialize(makeIqError(request, {"cancel", "service-unavailable", "no <&>"}), kNsClient),
      "<iq type='error' id='q&apos;1' to='alice@example.org/a'><error type='cancel'>"
      "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
      "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>no &lt;&amp;&gt;</text></error></iq>");
  EXPECT_EQ(xml::serialize(makeIqResult(request), kNsClient),
            "<iq type='result' id='q&apos;1' to='alice@example.org/a'/>");
  EXPECT_EQ(xml::serialize(makeIq("get", "p", Jid::parse("example.org"),
                                  xml::Element{"ping", std::string(kNsPing)}),
                           kNsClient),
            "<iq type='get' id='p' to='example.org'><ping xmlns='urn:xmpp:ping'/></iq>");
}

TEST(DisconnectInfoText, DescribesOutcomes) {
  DisconnectInfo auth;
  auth.reason = DisconnectReason::AuthFailed;
  auth.condition = "not-authorized";
  EXPECT_EQ(auth.describe(), "sign-in failed: not-authorized");
  EXPECT_TRUE(auth.permanent());
  auth.condition = "temporary-auth-failure";
  EXPECT_FALSE(auth.permanent());

  DisconnectInfo stream;
  stream.reason = DisconnectReason::StreamError;
  stream.condition = "system-shutdown";
  stream.text = "bye";
  EXPECT_EQ(stream.describe(), "stream error: system-shutdown (bye)");
  EXPECT_FALSE(stream.permanent());
  stream.condition = "conflict";
  EXPECT_TRUE(stream.permanent());

  DisconnectInfo lost;
  lost.reason = DisconnectReason::ConnectionLost;
  lost.text = "the server closed the connection";
  EXPECT_EQ(lost.describe(), "connection lost: the server closed the connection");
  EXPECT_FALSE(lost.permanent());
  EXPECT_EQ(disconnectReasonName(DisconnectReason::CertificateRejected), "certificate-rejected");
}

}  // namespace
}  // namespace telex::client
