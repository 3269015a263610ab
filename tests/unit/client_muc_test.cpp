// Unit tests for the client's XEP-0045 payloads and room bookkeeping: occupant presence (roles,
// affiliations, status codes 110/303/307/301), room messages (history, subject, own echo),
// disco#items, and the join → self-presence / error → leave life of detail::MucRooms.
#include <gtest/gtest.h>

#include "client/muc.hpp"
#include "support/parse_stanza.hpp"

namespace telex::client {
namespace {

xml::Element parseXml(std::string_view text) { return test::parseStanza(text); }

Presence presence(std::string_view text) {
  auto p = Presence::parse(parseXml(text));
  EXPECT_TRUE(p.has_value()) << text;
  return p ? *p : Presence{};
}

Message message(std::string_view text) {
  auto m = Message::parse(parseXml(text));
  EXPECT_TRUE(m.has_value()) << text;
  return m ? *m : Message{};
}

Jid jid(std::string_view text) { return *Jid::parse(text); }

TEST(ClientMuc, OccupantPresenceWithRoleAffiliationAndRealJid) {
  auto p = RoomPresence::parse(presence(
      "<presence from='room@conference.example.org/Alice &amp; Co'><show>away</show>"
      "<status>out</status><x xmlns='http://jabber.org/protocol/muc#user'>"
      "<item affiliation='owner' role='moderator' jid='alice@example.org/desk'/></x></presence>"));
  ASSERT_TRUE(p.has_value()) << p.error();
  EXPECT_EQ(p->room, jid("room@conference.example.org"));
  EXPECT_EQ(p->nick, "Alice & Co");
  EXPECT_TRUE(p->available);
  EXPECT_EQ(p->show, PresenceShow::Away);
  EXPECT_EQ(p->status, "out");
  EXPECT_EQ(p->role, MucRole::Moderator);
  EXPECT_EQ(p->affiliation, MucAffiliation::Owner);
  ASSERT_TRUE(p->realJid.has_value());
  EXPECT_EQ(*p->realJid, jid("alice@example.org/desk"));
  EXPECT_FALSE(p->self);
  EXPECT_TRUE(p->statusCodes.empty());
}

TEST(ClientMuc, StatusCodesSelfNickChangeKickBan) {
  auto self = RoomPresence::parse(presence(
      "<presence from='r@c.example.org/me'><x xmlns='http://jabber.org/protocol/muc#user'>"
      "<item affiliation='member' role='participant'/><status code='110'/>"
      "<status code='210'/></x></presence>"));
  ASSERT_TRUE(self.has_value());
  EXPECT_TRUE(self->self);
  EXPECT_TRUE(self->hasStatus(210));
  EXPECT_EQ(self->statusCodes, (std::vector<int>{110, 210}));

  auto rename = RoomPresence::parse(presence(
      "<presence from='r@c.example.org/old' type='unavailable'>"
      "<x xmlns='http://jabber.org/protocol/muc#user'><item nick='new' role='participant'/>"
      "<status code='303'/></x></presence>"));
  ASSERT_TRUE(rename.has_value());
  EXPECT_FALSE(rename->available);
  EXPECT_TRUE(rename->nickChange());
  EXPECT_EQ(rename->newNick, "new");

  auto kick = RoomPresence::parse(presence(
      "<presence from='r@c.example.org/bob' type='unavailable'>"
      "<x xmlns='http://jabber.org/protocol/muc#user'><item role='none' affiliation='none'>"
      "<reason>spam</reason></item><status code='307'/></x></presence>"));
  ASSERT_TRUE(kick.has_value());
  EXPECT_TRUE(kick->kicked());
  EXPECT_FALSE(kick->banned());
  EXPECT_EQ(kick->reason, "spam");
  EXPECT_EQ(kick->role, MucRole::None);

  auto ban = RoomPresence::parse(presence(
      "<presence from='r@c.example.org/eve' type='unavailable'>"
      "<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='outcast' role='none'/>"
      "<status code='301'/></x></presence>"));
  ASSERT_TRUE(ban.has_value());
  EXPECT_TRUE(ban->banned());
  EXPECT_EQ(ban->affiliation, MucAffiliation::Outcast);
}

TEST(ClientMuc, InvalidOccupantPresenceIsRefused) {
  // Not from an occupant (no nick), a bad role, a bad status code, a subscription request.
  EXPECT_FALSE(RoomPresence::parse(presence("<presence from='r@c.example.org'/>")).has_value());
  EXPECT_FALSE(RoomPresence::parse(presence("<presence from='c.example.org/x'/>")).has_value());
  EXPECT_FALSE(RoomPresence::parse(presence(
                   "<presence from='r@c.example.org/a'><x xmlns='http://jabber.org/protocol/"
                   "muc#user'><item role='king'/></x></presence>"))
                   .has_value());
  EXPECT_FALSE(RoomPresence::parse(presence(
                   "<presence from='r@c.example.org/a'><x xmlns='http://jabber.org/protocol/"
                   "muc#user'><status code='11x'/></x></presence>"))
                   .has_value());
  EXPECT_FALSE(RoomPresence::parse(presence("<presence from='r@c.example.org/a' type='subscribe'/>"))
                   .has_value());
  // An unparsable real JID is dropped, not fatal.
  auto p = RoomPresence::parse(presence(
      "<presence from='r@c.example.org/a'><x xmlns='http://jabber.org/protocol/muc#user'>"
      "<item role='visitor' jid='@@bad'/></x></presence>"));
  ASSERT_TRUE(p.has_value());
  EXPECT_FALSE(p->realJid.has_value());
  EXPECT_EQ(p->role, MucRole::Visitor);
}

TEST(ClientMuc, RoomMessagesHistoryAndSubject) {
  auto line = RoomMessage::parse(
      message("<message from='r@c.example.org/bob' type='groupchat' id='m1'><body>hi &lt;all&gt;"
              "</body></message>"));
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(line->room, jid("r@c.example.org"));
  EXPECT_EQ(line->nick, "bob");
  EXPECT_EQ(line->body, "hi <all>");
  EXPECT_EQ(line->id, "m1");
  EXPECT_FALSE(line->delayed);
  EXPECT_FALSE(line->subject.has_value());

  auto history = RoomMessage::parse(
      message("<message from='r@c.example.org/bob' type='groupchat'><body>old</body>"
              "<delay xmlns='urn:xmpp:delay' from='r@c.example.org' stamp='2025-01-02T03:04:05Z'/>"
              "</message>"));
  ASSERT_TRUE(history.has_value());
  EXPECT_TRUE(history->delayed);
  EXPECT_EQ(history->delayStamp.value_or(""), "2025-01-02T03:04:05Z");

  auto subject = RoomMessage::parse(message(
      "<message from='r@c.example.org/alice' type='groupchat'><subject>Plans</subject></message>"));
  ASSERT_TRUE(subject.has_value());
  EXPECT_EQ(subject->subject.value_or("?"), "Plans");

  // An empty <subject/> clears the subject: still a subject change.
  auto cleared = RoomMessage::parse(
      message("<message from='r@c.example.org' type='groupchat'><subject/></message>"));
  ASSERT_TRUE(cleared.has_value());
  EXPECT_EQ(cleared->subject.value_or("?"), "");
  EXPECT_EQ(cleared->nick, "");

  EXPECT_FALSE(RoomMessage::parse(message("<message from='r@c.example.org/a' type='chat'>"
                                          "<body>x</body></message>"))
                   .has_value());
}

TEST(ClientMuc, DiscoItemsAndJoinPresence) {
  auto items = parseDiscoItems(parseXml(
      "<query xmlns='http://jabber.org/protocol/disco#items'><item jid='conference.example.org' "
      "name='Rooms'/><item jid='example.org' node='n'/></query>"));
  ASSERT_TRUE(items.has_value());
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0].jid, jid("conference.example.org"));
  EXPECT_EQ((*items)[0].name, "Rooms");
  EXPECT_EQ((*items)[1].node, "n");
  EXPECT_FALSE(parseDiscoItems(parseXml("<query xmlns='http://jabber.org/protocol/disco#items'>"
                                        "<item jid='a@@b'/></query>"))
                   .has_value());

  Presence join = makeJoinPresence(jid("r@c.example.org"), "me", std::string("pw"), 0);
  const xml::Element e = join.toElement();
  EXPECT_EQ(e.attrOr("to", ""), "r@c.example.org/me");
  const xml::Element* x = e.child("x", kNsMuc);
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->childText("password", kNsMuc), "pw");
  ASSERT_NE(x->child("history", kNsMuc), nullptr);
  EXPECT_EQ(x->child("history", kNsMuc)->attrOr("maxstanzas", ""), "0");
}

TEST(ClientMucRooms, JoinCompletesOnSelfPresenceAfterTheOccupantList) {
  detail::MucRooms rooms;
  std::vector<std::string> results;
  auto record = [&](Expected<bool, StanzaErrorInfo> r) {
    results.push_back(r ? "joined" : r.error().condition);
  };
  Presence sent = rooms.join(jid("r@c.example.org"), "me", std::nullopt, record);
  EXPECT_EQ(sent.to->full(), "r@c.example.org/me");
  EXPECT_TRUE(rooms.isRoom(jid("r@c.example.org/anyone")));

  auto other = rooms.handlePresence(presence(
      "<presence from='r@c.example.org/bob'><x xmlns='http://jabber.org/protocol/muc#user'>"
      "<item role='participant'/></x></presence>"));
  ASSERT_TRUE(other.has_value());
  ASSERT_TRUE(other->event.has_value());
  EXPECT_EQ(other->event->nick, "bob");
  EXPECT_FALSE(other->callback);

  // The service renamed us (210): the nick we are known by follows.
  auto self = rooms.handlePresence(presence(
      "<presence from='r@c.example.org/me2'><x xmlns='http://jabber.org/protocol/muc#user'>"
      "<item role='participant'/><status code='110'/><status code='210'/></x></presence>"));
  ASSERT_TRUE(self.has_value());
  ASSERT_TRUE(self->callback);
  self->callback(*self->result);
  EXPECT_EQ(results, (std::vector<std::string>{"joined"}));
  EXPECT_EQ(rooms.nickIn(jid("r@c.example.org")).value_or(""), "me2");

  // Our own echo is marked; other rooms' messages and chat messages are not room messages.
  auto echo = rooms.handleMessage(
      message("<message from='r@c.example.org/me2' type='groupchat'><body>x</body></message>"));
  ASSERT_TRUE(echo.has_value());
  EXPECT_TRUE(echo->fromSelf);
  EXPECT_FALSE(rooms.handleMessage(message("<message from='q@c.example.org/me2' "
                                           "type='groupchat'><body>x</body></message>")));
  EXPECT_FALSE(rooms.handleMessage(
      message("<message from='r@c.example.org/bob' type='chat'><body>pm</body></message>")));
  // Presence from elsewhere is not ours to handle.
  EXPECT_FALSE(rooms.handlePresence(presence("<presence from='bob@example.org/x'/>")));

  // Leaving: the unavailable presence goes to our nick; our own unavailable forgets nothing
  // more (the room is already gone).
  auto leave = rooms.leave(jid("r@c.example.org"));
  ASSERT_TRUE(leave.has_value());
  EXPECT_EQ(leave->type, PresenceType::Unavailable);
  EXPECT_EQ(leave->to->full(), "r@c.example.org/me2");
  EXPECT_FALSE(rooms.isRoom(jid("r@c.example.org")));
  EXPECT_FALSE(rooms.leave(jid("r@c.example.org")).has_value());
}

TEST(ClientMucRooms, RefusedJoinKickAndRejoin) {
  detail::MucRooms rooms;
  std::vector<std::string> results;
  auto record = [&](Expected<bool, StanzaErrorInfo> r) {
    results.push_back(r ? "joined" : r.error().condition);
  };
  rooms.join(jid("r@c.example.org"), "me", std::nullopt, record);
  auto refused = rooms.handlePresence(presence(
      "<presence from='r@c.example.org/me' type='error'><error type='cancel'>"
      "<conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>"));
  ASSERT_TRUE(refused.has_value());
  EXPECT_FALSE(refused->event.has_value());
  refused->callback(*refused->result);
  EXPECT_EQ(results, (std::vector<std::string>{"conflict"}));
  EXPECT_FALSE(rooms.isRoom(jid("r@c.example.org")));

  rooms.join(jid("r@c.example.org"), "me", std::string("pw"), record);
  auto joined = rooms.handlePresence(
      presence("<presence from='r@c.example.org/me'><x xmlns='http://jabber.org/protocol/"
               "muc#user'><status code='110'/></x></presence>"));
  joined->callback(*joined->result);
  // A fresh session: the join is sent again, with the password and without history.
  auto again = rooms.rejoinPresences();
  ASSERT_EQ(again.size(), 1u);
  const xml::Element x = *again[0].toElement().child("x", kNsMuc);
  EXPECT_EQ(x.childText("password", kNsMuc), "pw");
  EXPECT_EQ(x.child("history", kNsMuc)->attrOr("maxstanzas", ""), "0");

  auto kicked = rooms.handlePresence(presence(
      "<presence from='r@c.example.org/me' type='unavailable'>"
      "<x xmlns='http://jabber.org/protocol/muc#user'><item role='none'/>"
      "<status code='307'/><status code='110'/></x></presence>"));
  ASSERT_TRUE(kicked.has_value());
  ASSERT_TRUE(kicked->event.has_value());
  EXPECT_TRUE(kicked->event->kicked());
  EXPECT_TRUE(kicked->event->self);
  EXPECT_FALSE(rooms.isRoom(jid("r@c.example.org")));

  // A join that never got an answer: abandoned (timeout) or failed at the end.
  rooms.join(jid("s@c.example.org"), "me", std::nullopt, record);
  auto abandoned = rooms.abandonJoin(jid("s@c.example.org"));
  ASSERT_TRUE(abandoned);
  EXPECT_FALSE(rooms.isRoom(jid("s@c.example.org")));
  rooms.join(jid("t@c.example.org"), "me", std::nullopt, record);
  EXPECT_EQ(rooms.clear().size(), 1u);
  EXPECT_TRUE(rooms.list().empty());
}

}  // namespace
}  // namespace telex::client
