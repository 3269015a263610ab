// telex chat: parsing of the input line into commands.
#include <gtest/gtest.h>

#include "apps/telex/chat/commands.hpp"

namespace telex::chat {
namespace {

TEST(ChatCommands, PlainTextIsSaid) {
  auto c = parseCommand("hello there :)");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, CommandKind::Say);
  EXPECT_EQ(c->text, "hello there :)");
  auto slash = parseCommand("//not a command");
  ASSERT_TRUE(slash);
  EXPECT_EQ(slash->kind, CommandKind::Say);
  EXPECT_EQ(slash->text, "/not a command");
}

TEST(ChatCommands, AddWithAndWithoutName) {
  auto c = parseCommand("/add Bob@Example.org Bob the Builder");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, CommandKind::Add);
  EXPECT_EQ(c->jid->bareString(), "bob@example.org");
  EXPECT_EQ(c->text, "Bob the Builder");
  auto bare = parseCommand("/add  carol@example.org  ");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->jid->bareString(), "carol@example.org");
  EXPECT_EQ(bare->text, "");
}

TEST(ChatCommands, JidCommandsRequireAUserAddress) {
  for (const char* line : {"/add", "/add example.org", "/remove bob@example.org/desk", "/approve",
                           "/deny @@", "/remove a@b.org extra"}) {
    auto c = parseCommand(line);
    EXPECT_FALSE(c) << line;
    if (!c) {
      EXPECT_NE(c.error().find("usage"), std::string::npos) << c.error();
    }
  }
  auto approve = parseCommand("/approve dave@example.org");
  ASSERT_TRUE(approve);
  EXPECT_EQ(approve->kind, CommandKind::Approve);
  auto deny = parseCommand("/deny dave@example.org");
  ASSERT_TRUE(deny);
  EXPECT_EQ(deny->kind, CommandKind::Deny);
  auto remove = parseCommand("/remove dave@example.org");
  ASSERT_TRUE(remove);
  EXPECT_EQ(remove->kind, CommandKind::Remove);
}

TEST(ChatCommands, Status) {
  auto away = parseCommand("/status away out for lunch");
  ASSERT_TRUE(away);
  EXPECT_EQ(away->kind, CommandKind::SetStatus);
  EXPECT_EQ(away->status, Status::Away);
  EXPECT_EQ(away->text, "out for lunch");
  auto busy = parseCommand("/status busy");
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, Status::Busy);
  EXPECT_EQ(busy->text, "");
  ASSERT_TRUE(parseCommand("/status offline"));
  EXPECT_EQ(parseCommand("/status offline")->status, Status::Offline);
  EXPECT_EQ(parseCommand("/status online")->status, Status::Online);
  EXPECT_FALSE(parseCommand("/status"));
  EXPECT_FALSE(parseCommand("/status sleeping"));
}

TEST(ChatCommands, JoinAndRoomCommands) {
  auto j = parseCommand("/join lobby@conference.example.org alice");
  ASSERT_TRUE(j);
  EXPECT_EQ(j->kind, CommandKind::Join);
  EXPECT_EQ(j->jid->bareString(), "lobby@conference.example.org");
  EXPECT_EQ(j->text, "alice");
  auto noNick = parseCommand("/join lobby@conference.example.org");
  ASSERT_TRUE(noNick);
  EXPECT_EQ(noNick->text, "");
  EXPECT_FALSE(parseCommand("/join conference.example.org"));
  EXPECT_FALSE(parseCommand("/join lobby@conference.example.org two words"));
  EXPECT_EQ(parseCommand("/part")->kind, CommandKind::Part);
  EXPECT_EQ(parseCommand("/leave")->kind, CommandKind::Part);
  EXPECT_FALSE(parseCommand("/part now"));
}

TEST(ChatCommands, SendKeepsTheWholePath) {
  auto s = parseCommand("/send  ~/My Documents/report 2.pdf ");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->kind, CommandKind::SendFile);
  EXPECT_EQ(s->text, "~/My Documents/report 2.pdf");
  EXPECT_FALSE(parseCommand("/send"));
}

TEST(ChatCommands, SimpleCommandsAndUnknown) {
  EXPECT_EQ(parseCommand("/quit")->kind, CommandKind::Quit);
  EXPECT_EQ(parseCommand("/exit")->kind, CommandKind::Quit);
  EXPECT_EQ(parseCommand("/close")->kind, CommandKind::Close);
  EXPECT_EQ(parseCommand("/help")->kind, CommandKind::Help);
  auto msg = parseCommand("/msg bob@example.org hi bob");
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->kind, CommandKind::Open);
  EXPECT_EQ(msg->text, "hi bob");
  auto unknown = parseCommand("/frobnicate");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error(), "unknown command /frobnicate (type /help)");
  EXPECT_FALSE(parseCommand("/"));
  EXPECT_FALSE(helpLines().empty());
}

}  // namespace
}  // namespace telex::chat
