// The announce module on a real router with fake sessions and the offline module: announcements
// to online users, to everyone (stored for offline users), to a group, the message of the day at
// sign-in, roles, the rate limit, the audit trail and the admin-socket commands.
#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include "audit/audit_log.hpp"
#include "modules/adhoc/adhoc.hpp"
#include "modules/adhoc/command_registry.hpp"
#include "modules/announce/alert_preferences.hpp"
#include "modules/announce/announce.hpp"
#include "modules/announce/announcer.hpp"
#include "modules/announce/group_store.hpp"
#include "modules/offline/offline.hpp"
#include "storage/memory/memory_driver.hpp"
#include "support/module_test_server.hpp"
#include "support/recording_session.hpp"

namespace telex::modules::announce {
namespace {
using adhoc::kCommandsNs;
using adhoc::kDataNs;

using FakeSession = test::RecordingSession;

struct Server : test::ModuleTestServer {
  explicit Server(storage::StorageDriver& storage) : ModuleTestServer(storage) {
    config.server.admins = {"boss@example.org"};
    config.server.announcers = {"herald@example.org"};
    config.announce.ratePerMinute = 3;
    load("adhoc", adhoc::setup);
    load("announce", setup);
    load("offline", offline::setup);
  }
};

class AnnounceModuleTest : public ::testing::Test {
 protected:
  AnnounceModuleTest() : storage_(storage::makeMemoryDriver()), server_(*storage_), scope_(server_.worker) {
    for (const char* user : {"alice", "bob", "carol", "dave", "boss", "herald"}) {
      storage_->keyval("accounts")->set(user, "x");
    }
  }

  // Binds a session; `available` sends initial presence (which shows the MOTD).
  std::shared_ptr<FakeSession> connect(const std::string& jid, bool available = true) {
    auto s = std::make_shared<FakeSession>(server_.worker, jid);
    std::shared_ptr<router::Session> replaced;
    server_.sessions.bind(s, replaced);
    if (available) server_.router.routeFromClient(*s, xml::Element("presence", "jabber:client"));
    settle();
    return s;
  }

  // Lets storage work come back through the worker.
  void settle() {
    for (int i = 0; i < 20; ++i) {
      server_.worker.context().poll();
      server_.worker.context().restart();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  std::string run(FakeSession& from, std::string_view node, std::map<std::string, std::string> fields) {
    xml::Element command("command", std::string(kCommandsNs));
    command.setAttr("node", node);
    command.setAttr("action", "complete");
    if (!fields.empty()) {
      auto& x = command.addChild(xml::Element("x", std::string(kDataNs)));
      x.setAttr("type", "submit");
      for (const auto& [var, value] : fields) {
        auto& f = x.addChild(xml::Element("field", std::string(kDataNs)));
        f.setAttr("var", var);
        f.addChild(xml::Element("value", std::string(kDataNs))).addText(value);
      }
    }
    return iq(from, std::move(command));
  }

  std::string iq(FakeSession& from, xml::Element payload) {
    xml::Element stanza("iq", "jabber:client");
    stanza.setAttr("type", "set");
    stanza.setAttr("id", "q" + std::to_string(++ids_));
    stanza.setAttr("to", "example.org");
    stanza.addChild(std::move(payload));
    std::string id(stanza.attrOr("id", ""));
    server_.router.routeFromClient(from, std::move(stanza));
    for (int i = 0; i < 400; ++i) {
      for (const auto& r : from.received) {
        if (r.find("id='" + id + "'") != std::string::npos) return r;
      }
      server_.worker.context().poll();
      server_.worker.context().restart();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return {};
  }

  std::vector<audit::AuditEntry> audits() {
    settle();
    return audit::AuditLog(*storage_).list(100);
  }

  std::unique_ptr<storage::StorageDriver> storage_;
  Server server_;
  net::Worker::CurrentScope scope_;
  int ids_ = 0;
};

TEST_F(AnnounceModuleTest, OnlineAnnouncementReachesEveryAvailableResource) {
  auto alice1 = connect("alice@example.org/desk");
  auto alice2 = connect("alice@example.org/phone");
  auto bob = connect("bob@example.org/pc");
  auto quiet = connect("dave@example.org/bound-only", false);  // no presence yet
  auto boss = connect("boss@example.org/console");
  std::string reply = run(*boss, kAnnounceOnlineNode, {{"subject", "Maintenance"}, {"announcement", "Down at 5 <&>"}});
  EXPECT_NE(reply.find("status='completed'"), std::string::npos) << reply;
  // alice (once for both resources), bob, boss; dave has sent no presence.
  EXPECT_NE(reply.find("delivered to 3 online users"), std::string::npos) << reply;
  for (auto* s : {alice1.get(), alice2.get(), bob.get()}) {
    ASSERT_EQ(s->count("Down at 5 &lt;&amp;&gt;"), 1u) << s->jid().full();
    EXPECT_EQ(s->count("type='headline'"), 1u);
    EXPECT_EQ(s->count("from='example.org'"), 1u);
    EXPECT_EQ(s->count("<subject>Maintenance</subject>"), 1u);
  }
  EXPECT_EQ(quiet->count("Down at 5"), 0u);
  auto log = audits();
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.back().actor, "boss@example.org/console");
  EXPECT_EQ(log.back().action, "announce");
  EXPECT_EQ(log.back().target, "online");
  EXPECT_EQ(log.back().text, "Down at 5 <&>");
}

TEST_F(AnnounceModuleTest, AllUsersIncludesOfflineOnesAtTheirNextSignIn) {
  auto alice = connect("alice@example.org/desk");
  auto herald = connect("herald@example.org/x");
  std::string reply = run(*herald, kAnnounceAllNode, {{"announcement", "Hello everyone"}});
  EXPECT_NE(reply.find("status='completed'"), std::string::npos) << reply;
  EXPECT_NE(reply.find("stored for 4 offline"), std::string::npos) << reply;  // bob, carol, dave, boss
  EXPECT_EQ(alice->count("Hello everyone"), 1u);
  auto carol = connect("carol@example.org/laptop");
  settle();
  ASSERT_EQ(carol->count("Hello everyone"), 1u);
  EXPECT_EQ(carol->count("urn:xmpp:delay"), 1u);
  EXPECT_EQ(carol->count("type='headline'"), 1u);
  // Delivered once.
  auto carol2 = connect("carol@example.org/second");
  settle();
  EXPECT_EQ(carol2->count("Hello everyone"), 0u);
}

TEST_F(AnnounceModuleTest, GroupAnnouncementReachesMembersOnly) {
  GroupStore(*storage_).add("ops", {"bob@example.org", "carol@example.org", "ghost@example.org"});
  auto alice = connect("alice@example.org/desk");
  auto bob = connect("bob@example.org/pc");
  auto boss = connect("boss@example.org/console");
  std::string reply = run(*boss, kAnnounceGroupNode, {{"group", "ops"}, {"announcement", "Ops meeting"}});
  EXPECT_NE(reply.find("delivered to 1 online user, stored for 1 offline, 1 skipped"), std::string::npos) << reply;
  EXPECT_EQ(bob->count("Ops meeting"), 1u);
  EXPECT_EQ(alice->count("Ops meeting"), 0u);
  auto carol = connect("carol@example.org/laptop");
  settle();
  EXPECT_EQ(carol->count("Ops meeting"), 1u);
  std::string missing = run(*boss, kAnnounceGroupNode, {{"group", "nobody"}, {"announcement", "x"}});
  EXPECT_NE(missing.find("item-not-found"), std::string::npos) << missing;
  EXPECT_EQ(audits().back().outcome, "failed: no such group");
}

TEST_F(AnnounceModuleTest, GroupFormListsTheGroups) {
  GroupStore(*storage_).add("ops", {"bob@example.org"});
  auto boss = connect("boss@example.org/console");
  xml::Element command("command", std::string(kCommandsNs));
  command.setAttr("node", kAnnounceGroupNode);
  std::string form = iq(*boss, std::move(command));
  EXPECT_NE(form.find("status='executing'"), std::string::npos) << form;
  EXPECT_NE(form.find("<option label='ops'><value>ops</value></option>"), std::string::npos) << form;
}

TEST_F(AnnounceModuleTest, OnlyAdminsAndAnnouncersAndRefusalsAreAudited) {
  auto alice = connect("alice@example.org/desk");
  auto bob = connect("bob@example.org/pc");
  std::string reply = run(*alice, kAnnounceOnlineNode, {{"announcement", "spam"}});
  EXPECT_NE(reply.find("<forbidden"), std::string::npos) << reply;
  EXPECT_EQ(bob->count("spam"), 0u);
  std::string motd = run(*alice, kSetMotdNode, {{"motd", "spam"}});
  EXPECT_NE(motd.find("<forbidden"), std::string::npos) << motd;
  auto log = audits();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].actor, "alice@example.org/desk");
  EXPECT_EQ(log[0].action, "announce");
  EXPECT_EQ(log[0].outcome, "refused: forbidden (not an admin or announcer)");
  EXPECT_EQ(log[1].action, "motd-set");
}

TEST_F(AnnounceModuleTest, PerSenderRateLimit) {
  auto herald = connect("herald@example.org/x");
  auto boss = connect("boss@example.org/console");
  for (int i = 0; i < 3; ++i) {
    std::string ok = run(*herald, kAnnounceOnlineNode, {{"announcement", "n" + std::to_string(i)}});
    EXPECT_NE(ok.find("status='completed'"), std::string::npos) << ok;
  }
  std::string refused = run(*herald, kAnnounceOnlineNode, {{"announcement", "one too many"}});
  EXPECT_NE(refused.find("resource-constraint"), std::string::npos) << refused;
  EXPECT_EQ(boss->count("one too many"), 0u);
  EXPECT_EQ(audits().back().outcome, "refused: rate limit (announce.rate_per_minute)");
  // Someone else is not limited by the herald's announcements.
  EXPECT_NE(run(*boss, kAnnounceOnlineNode, {{"announcement", "mine"}}).find("completed"), std::string::npos);
}

TEST_F(AnnounceModuleTest, EmptyOrHugeAnnouncementsAreRefused) {
  auto boss = connect("boss@example.org/console");
  EXPECT_NE(run(*boss, kAnnounceOnlineNode, {{"announcement", "  \n "}}).find("bad-request"), std::string::npos);
  EXPECT_NE(run(*boss, kAnnounceOnlineNode, {{"subject", "x"}}).find("bad-request"), std::string::npos);
  std::string huge(kMaxAnnouncementBytes + 1, 'a');
  EXPECT_NE(run(*boss, kAnnounceOnlineNode, {{"announcement", huge}}).find("bad-request"), std::string::npos);
}

TEST_F(AnnounceModuleTest, MessageOfTheDayAtSignInEditAndDelete) {
  auto boss = connect("boss@example.org/console");
  std::string set = run(*boss, kSetMotdNode, {{"motd", "Welcome back"}});
  EXPECT_NE(set.find("status='completed'"), std::string::npos) << set;
  EXPECT_EQ(boss->count("Welcome back"), 0u);  // shown at sign-in, not pushed
  auto alice = connect("alice@example.org/desk");
  ASSERT_EQ(alice->count("Welcome back"), 1u);
  EXPECT_EQ(alice->count("Message of the day"), 1u);
  EXPECT_EQ(alice->count("type='headline'"), 1u);
  // A session that never sends presence does not get it; the MOTD comes once per sign-in.
  auto bound = connect("bob@example.org/bound", false);
  EXPECT_EQ(bound->count("Welcome back"), 0u);

  xml::Element edit("command", std::string(kCommandsNs));
  edit.setAttr("node", kEditMotdNode);
  std::string form = iq(*boss, std::move(edit));
  EXPECT_NE(form.find("<value>Welcome back</value>"), std::string::npos) << form;

  std::string deleted = run(*boss, kDeleteMotdNode, {});
  EXPECT_NE(deleted.find("status='completed'"), std::string::npos) << deleted;
  auto carol = connect("carol@example.org/laptop");
  EXPECT_EQ(carol->count("Message of the day"), 0u);
  auto log = audits();
  ASSERT_GE(log.size(), 2u);
  EXPECT_EQ(log[log.size() - 2].action, "motd-set");
  EXPECT_EQ(log.back().action, "motd-delete");
}

TEST_F(AnnounceModuleTest, MessageOfTheDaySurvivesARestart) {
  storage_->keyval("motd")->set("motd", "Stored earlier");
  auto alice = connect("alice@example.org/desk");
  settle();
  EXPECT_EQ(alice->count("Stored earlier"), 1u);
}

TEST_F(AnnounceModuleTest, UsersChooseTheirAlertThreshold) {
  auto alice = connect("alice@example.org/desk");
  xml::Element command("command", std::string(kCommandsNs));
  command.setAttr("node", kAlertPreferencesNode);
  std::string form = iq(*alice, std::move(command));
  EXPECT_NE(form.find("var='min_severity'"), std::string::npos) << form;
  std::string done = run(*alice, kAlertPreferencesNode, {{"min_severity", "critical"}});
  EXPECT_NE(done.find("Alerts below critical are muted."), std::string::npos) << done;
  settle();
  EXPECT_EQ(AlertPreferences(*storage_).minimum("alice"), Severity::Critical);
  EXPECT_NE(run(*alice, kAlertPreferencesNode, {{"min_severity", "loud"}}).find("bad-request"), std::string::npos);
}

TEST_F(AnnounceModuleTest, AdminSocketCommands) {
  auto alice = connect("alice@example.org/desk");
  const auto& commands = adhoc::CommandRegistry::of(server_.hooks).adminCommands();
  auto find = [&](std::string_view name) {
    auto it = std::find_if(commands.begin(), commands.end(), [&](const auto& c) { return c.first == name; });
    EXPECT_NE(it, commands.end()) << name;
    return it->second;
  };
  auto announce = find("announce");
  EXPECT_EQ(announce(R"({"target":"online","text":"From the CLI"})"), "announcement delivered to 1 online user\n");
  settle();
  EXPECT_EQ(alice->count("From the CLI"), 1u);
  EXPECT_EQ(announce(R"({"target":"all","text":"To all"})").rfind("announcement to all accepted", 0), 0u);
  settle();
  EXPECT_EQ(alice->count("To all"), 1u);
  EXPECT_EQ(announce("not json").rfind("error: ", 0), 0u);
  EXPECT_EQ(announce(R"({"target":"mars","text":"x"})").rfind("error: ", 0), 0u);
  EXPECT_EQ(announce(R"({"target":"group","group":"bad name","text":"x"})").rfind("error: ", 0), 0u);
  EXPECT_EQ(announce(R"({"target":"online","text":""})").rfind("error: ", 0), 0u);
  auto motd = find("motd");
  EXPECT_EQ(motd(R"({"action":"set","text":"CLI MOTD"})"), "message of the day set\n");
  settle();
  auto bob = connect("bob@example.org/pc");
  EXPECT_EQ(bob->count("CLI MOTD"), 1u);
  EXPECT_EQ(motd(R"({"action":"clear"})"), "message of the day cleared\n");
  EXPECT_EQ(motd(R"({"action":"explode"})").rfind("error: ", 0), 0u);
  auto log = audits();
  ASSERT_GE(log.size(), 4u);
  EXPECT_EQ(log[0].actor, "telexd CLI (admin socket)");
  EXPECT_EQ(log.back().action, "motd-delete");
}

}  // namespace
}  // namespace telex::modules::announce
