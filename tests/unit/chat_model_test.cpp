// telex chat: the model behind the window — contacts grouped online/offline, presence, requests,
// conversations as tabs with unread counts, rooms, and the contact-list selection.
#include "apps/telex/chat/chat_model.hpp"

#include <gtest/gtest.h>

namespace telex::chat {
namespace {

using client::Presence;
using client::PresenceShow;
using client::PresenceType;

Jid jid(const char* text) { return *Jid::parse(text); }

client::Roster roster(std::initializer_list<std::pair<const char*, const char*>> items) {
  client::Roster r;
  for (const auto& [j, name] : items) {
    client::RosterItem item;
    item.jid = jid(j);
    item.name = name;
    item.subscription = client::Subscription::Both;
    r.items.push_back(item);
  }
  return r;
}

Presence presence(const char* from, PresenceType type = PresenceType::Available,
                  PresenceShow show = PresenceShow::None, const char* status = "",
                  int priority = 0) {
  Presence p;
  p.from = jid(from);
  p.type = type;
  p.show = show;
  p.status = status;
  p.priority = static_cast<std::int8_t>(priority);
  return p;
}

client::Message chat(const char* from, const char* body) {
  client::Message m;
  m.from = jid(from);
  m.type = client::MessageType::Chat;
  m.body = body;
  return m;
}

class ChatModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model.setSelf(jid("alice@example.org/desk"));
    model.applyRoster(
        roster(
            {{"bob@example.org", "Bob"}, {"carol@example.org", "carol"}, {"dave@example.org", ""}}),
        false);
  }
  ChatModel model;
};

TEST_F(ChatModelTest, GroupsOnlineAndOfflineSortedByName) {
  EXPECT_TRUE(model.onlineContacts().empty());
  ASSERT_EQ(model.offlineContacts().size(), 3u);
  EXPECT_EQ(model.offlineContacts()[0]->displayName(), "Bob");
  EXPECT_EQ(model.offlineContacts()[1]->displayName(), "carol");
  EXPECT_EQ(model.offlineContacts()[2]->displayName(), "dave@example.org");

  EXPECT_EQ(model.applyPresence(presence("dave@example.org/pc")), PresenceEvent::CameOnline);
  EXPECT_EQ(model.applyPresence(presence("bob@example.org/a", PresenceType::Available,
                                         PresenceShow::Away, "lunch")),
            PresenceEvent::CameOnline);
  ASSERT_EQ(model.onlineContacts().size(), 2u);
  EXPECT_EQ(model.onlineContacts()[0]->jid, jid("bob@example.org"));
  EXPECT_EQ(model.onlineContacts()[0]->availability(), Availability::Away);
  EXPECT_EQ(model.onlineContacts()[0]->statusText(), "lunch");
  ASSERT_EQ(model.offlineContacts().size(), 1u);

  const auto rows = model.contactRows();
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].text, "Online (2)");
  EXPECT_EQ(rows[1].jid, jid("bob@example.org"));
  EXPECT_EQ(rows[2].jid, jid("dave@example.org"));
  EXPECT_EQ(rows[3].text, "Offline (1)");
  EXPECT_EQ(rows[4].jid, jid("carol@example.org"));
}

TEST_F(ChatModelTest, ResourcesAndPriorities) {
  EXPECT_EQ(model.applyPresence(presence("bob@example.org/phone", PresenceType::Available,
                                         PresenceShow::Away, "on the go", -1)),
            PresenceEvent::CameOnline);
  EXPECT_EQ(model.applyPresence(presence("bob@example.org/desk", PresenceType::Available,
                                         PresenceShow::Dnd, "coding", 5)),
            PresenceEvent::Changed);
  const Contact* bob = model.contact(jid("bob@example.org"));
  ASSERT_NE(bob, nullptr);
  EXPECT_EQ(bob->availability(), Availability::Busy);  // the highest priority resource
  EXPECT_EQ(bob->statusText(), "coding");
  EXPECT_EQ(model.applyPresence(presence("bob@example.org/desk", PresenceType::Unavailable)),
            PresenceEvent::Changed);
  EXPECT_EQ(bob->availability(), Availability::Away);
  EXPECT_EQ(model.applyPresence(presence("bob@example.org/phone", PresenceType::Unavailable)),
            PresenceEvent::WentOffline);
  EXPECT_FALSE(bob->online());
  // Not a contact, our own resources: ignored.
  EXPECT_EQ(model.applyPresence(presence("eve@example.org/x")), PresenceEvent::None);
  EXPECT_EQ(model.applyPresence(presence("alice@example.org/phone")), PresenceEvent::None);
  model.applyPresence(presence("carol@example.org/x"));
  model.clearPresence();
  EXPECT_TRUE(model.onlineContacts().empty());
}

TEST_F(ChatModelTest, RosterPushesAndRequests) {
  client::Roster push = roster({{"erin@example.org", "Erin"}});
  push.items[0].subscription = client::Subscription::None;
  push.items[0].askSubscribe = true;
  model.applyRoster(push, true);
  ASSERT_NE(model.contact(jid("erin@example.org")), nullptr);
  EXPECT_TRUE(model.contact(jid("erin@example.org"))->askSubscribe);

  client::Roster remove = roster({{"dave@example.org", ""}});
  remove.items[0].subscription = client::Subscription::Remove;
  model.applyRoster(remove, true);
  EXPECT_EQ(model.contact(jid("dave@example.org")), nullptr);

  EXPECT_EQ(model.applyPresence(presence("frank@example.org", PresenceType::Subscribe)),
            PresenceEvent::Request);
  model.addRequest(jid("frank@example.org/x"));  // the same request once
  ASSERT_EQ(model.requests().size(), 1u);
  auto rows = model.contactRows();
  EXPECT_EQ(rows[0].text, "Requests (1)");
  EXPECT_EQ(rows[1].kind, ContactRow::Kind::Request);
  // Approving (the server's push with subscription from) ends the request.
  client::Roster approved = roster({{"frank@example.org", ""}});
  approved.items[0].subscription = client::Subscription::From;
  model.applyRoster(approved, true);
  EXPECT_TRUE(model.requests().empty());
  model.addRequest(jid("gina@example.org"));
  model.dropRequest(jid("gina@example.org"));
  EXPECT_TRUE(model.requests().empty());
}

TEST_F(ChatModelTest, UnreadCountsPerTab) {
  // The first conversation opens as the active tab: what is shown is not unread.
  auto bobTab = model.applyMessage(chat("bob@example.org/a", "hi"), 100);
  ASSERT_TRUE(bobTab);
  EXPECT_EQ(model.active(), bobTab);
  EXPECT_EQ(model.conversations()[*bobTab].unread, 0);
  EXPECT_EQ(model.conversations()[*bobTab].title, "Bob");
  EXPECT_EQ(model.conversations()[*bobTab].entries.back().who, "Bob");

  auto carolTab = model.applyMessage(chat("carol@example.org/b", "one"), 101);
  model.applyMessage(chat("carol@example.org/b", "two"), 102);
  ASSERT_TRUE(carolTab);
  EXPECT_NE(*carolTab, *bobTab);
  EXPECT_EQ(model.conversations()[*carolTab].unread, 2);
  // A stranger's message opens a tab too.
  auto strangerTab = model.applyMessage(chat("zed@example.org/z", "psst"), 103);
  ASSERT_TRUE(strangerTab);
  EXPECT_EQ(model.conversations()[*strangerTab].title, "zed@example.org");
  EXPECT_EQ(model.totalUnread(), 3);

  model.activate(*carolTab);
  EXPECT_EQ(model.conversations()[*carolTab].unread, 0);
  EXPECT_EQ(model.totalUnread(), 1);
  model.applyMessage(chat("carol@example.org/b", "three"), 104);  // visible: not unread
  EXPECT_EQ(model.conversations()[*carolTab].unread, 0);
  model.applyMessage(chat("bob@example.org/a", "again"), 105);
  EXPECT_EQ(model.conversations()[*bobTab].unread, 1);

  // Receipts and chat states are not messages; "composing" shows as a hint.
  client::Message typing = chat("bob@example.org/a", "");
  typing.chatState = client::ChatState::Composing;
  EXPECT_FALSE(model.applyMessage(typing, 106));
  EXPECT_TRUE(model.conversations()[*bobTab].peerComposing);
  EXPECT_EQ(model.conversations()[*bobTab].unread, 1);
  model.applyMessage(chat("bob@example.org/a", "done typing"), 107);
  EXPECT_FALSE(model.conversations()[*bobTab].peerComposing);
  EXPECT_EQ(model.conversations()[*bobTab].unread, 2);

  // Our own lines never count.
  model.addOutgoing(*bobTab, "reply", 108);
  EXPECT_EQ(model.conversations()[*bobTab].unread, 2);
  EXPECT_EQ(model.conversations()[*bobTab].entries.back().kind, Entry::Kind::Outgoing);
}

TEST_F(ChatModelTest, ErrorsGoToTheirConversation) {
  const std::size_t tab = model.openChat(jid("bob@example.org"));
  client::Message bounce;
  bounce.from = jid("bob@example.org");
  bounce.type = client::MessageType::Error;
  bounce.error = client::StanzaErrorInfo{"cancel", "service-unavailable", ""};
  EXPECT_EQ(model.applyMessage(bounce, 1), tab);
  EXPECT_EQ(model.conversations()[tab].entries.back().kind, Entry::Kind::Error);
  EXPECT_NE(model.conversations()[tab].entries.back().text.find("service-unavailable"),
            std::string::npos);
  bounce.from = jid("nobody@example.org");
  EXPECT_FALSE(model.applyMessage(bounce, 2));  // no tab for it: not opened for an error
}

TEST_F(ChatModelTest, TabsSwitchAndClose) {
  const auto a = model.openChat(jid("bob@example.org"));
  const auto b = model.openChat(jid("carol@example.org"));
  const auto c = model.openChat(jid("dave@example.org"));
  EXPECT_EQ(model.openChat(jid("carol@example.org/x")), b);  // one tab per contact
  EXPECT_EQ(model.active(), a);
  model.nextTab();
  EXPECT_EQ(model.active(), b);
  model.nextTab();
  model.nextTab();
  EXPECT_EQ(model.active(), a);  // wraps
  model.previousTab();
  EXPECT_EQ(model.active(), c);
  model.close(c);
  EXPECT_EQ(model.active(), b);
  model.close(a);
  EXPECT_EQ(model.active(), 0u);
  EXPECT_EQ(model.conversations()[0].jid, jid("carol@example.org"));
  model.close(0);
  EXPECT_FALSE(model.active());
  EXPECT_EQ(model.activeConversation(), nullptr);
}

TEST_F(ChatModelTest, SelectionSkipsHeadersAndFollowsItsContact) {
  // Rows: Online (0), Offline (3), Bob, carol, dave: the first contact is selected.
  EXPECT_EQ(model.selectedJid(), jid("bob@example.org"));
  EXPECT_EQ(model.selectedRow(), 2);
  model.applyPresence(presence("carol@example.org/x"));
  // Rows: Online (1), carol, Offline (2), Bob, dave: still Bob, now on another row.
  EXPECT_EQ(model.selectedJid(), jid("bob@example.org"));
  EXPECT_EQ(model.selectedRow(), 3);
  model.moveSelection(1);
  EXPECT_EQ(model.selectedJid(), jid("dave@example.org"));
  model.moveSelection(5);
  EXPECT_EQ(model.selectedJid(), jid("dave@example.org"));  // stays on the last contact
  model.moveSelection(-2);
  EXPECT_EQ(model.selectedJid(), jid("carol@example.org"));  // over the "Offline" header
  model.moveSelection(-1);
  EXPECT_EQ(model.selectedJid(), jid("carol@example.org"));  // stays on the first contact
  // The selected contact is removed: the selection moves to a neighbour.
  client::Roster remove = roster({{"carol@example.org", ""}});
  remove.items[0].subscription = client::Subscription::Remove;
  model.applyRoster(remove, true);
  ASSERT_TRUE(model.selectedJid());
  EXPECT_NE(model.selectedJid(), jid("carol@example.org"));
  // No contacts at all: no selection.
  model.applyRoster(client::Roster{}, false);
  EXPECT_FALSE(model.selectedJid());
  EXPECT_EQ(model.selectedRow(), -1);
}

TEST_F(ChatModelTest, RoomsWithOccupantsAndMessages) {
  const Jid room = jid("lobby@conference.example.org");
  const auto tab = model.openRoom(room, "alice");
  EXPECT_EQ(model.conversations()[tab].kind, Conversation::Kind::Room);
  client::RoomPresence bob;
  bob.room = room;
  bob.nick = "bob";
  EXPECT_EQ(model.applyRoomPresence(bob, 1), PresenceEvent::RoomOccupant);
  client::RoomPresence self;
  self.room = room;
  self.nick = "alice";
  self.self = true;
  EXPECT_EQ(model.applyRoomPresence(self, 2), PresenceEvent::RoomJoined);
  EXPECT_TRUE(model.conversations()[tab].joined);
  EXPECT_EQ(model.conversations()[tab].occupants.size(), 2u);

  model.openChat(jid("bob@example.org"));
  model.activate(1);
  client::RoomMessage history;
  history.room = room;
  history.nick = "bob";
  history.body = "earlier";
  history.delayed = true;
  model.applyRoomMessage(history, 3);
  EXPECT_EQ(model.conversations()[tab].unread, 0);  // history is not unread
  client::RoomMessage live = history;
  live.delayed = false;
  live.body = "now";
  model.applyRoomMessage(live, 4);
  EXPECT_EQ(model.conversations()[tab].unread, 1);
  client::RoomMessage echo = live;
  echo.nick = "alice";
  echo.fromSelf = true;
  model.applyRoomMessage(echo, 5);
  EXPECT_EQ(model.conversations()[tab].unread, 1);
  EXPECT_EQ(model.conversations()[tab].entries.back().kind, Entry::Kind::Outgoing);

  // The room's "no subject yet" is not a line; a subject someone sets is.
  const auto before = model.conversations()[tab].entries.size();
  client::RoomMessage noSubject;
  noSubject.room = room;
  noSubject.subject = "";
  EXPECT_FALSE(model.applyRoomMessage(noSubject, 6));
  EXPECT_EQ(model.conversations()[tab].entries.size(), before);
  client::RoomMessage topic;
  topic.room = room;
  topic.nick = "bob";
  topic.subject = "Friday plans";
  EXPECT_EQ(model.applyRoomMessage(topic, 6), tab);
  EXPECT_EQ(model.conversations()[tab].entries.back().text, "bob set the subject to: Friday plans");

  bob.available = false;
  model.applyRoomPresence(bob, 6);
  EXPECT_EQ(model.conversations()[tab].occupants.size(), 1u);
  client::RoomMessage other;
  other.room = jid("other@conference.example.org");
  other.body = "x";
  EXPECT_FALSE(model.applyRoomMessage(other, 7));  // no tab for that room
}

TEST(ChatModelLimits, OldEntriesAreDropped) {
  ChatModel model(3);
  const auto tab = model.openChat(*Jid::parse("bob@example.org"));
  for (int i = 0; i < 5; ++i) model.addOutgoing(tab, std::to_string(i), i);
  ASSERT_EQ(model.conversations()[tab].entries.size(), 3u);
  EXPECT_EQ(model.conversations()[tab].entries.front().text, "2");
}

}  // namespace
}  // namespace telex::chat
