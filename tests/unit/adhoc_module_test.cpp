// The ad-hoc commands module on a real router with fake sessions: discovery by role, a
// multi-step command through execute / next / complete, cancel, and every XEP-0050 error.
#include <gtest/gtest.h>

#include <regex>

#include "modules/adhoc/adhoc.hpp"
#include "modules/adhoc/command_registry.hpp"
#include "modules/disco/disco.hpp"
#include "storage/memory/memory_driver.hpp"
#include "support/module_test_server.hpp"
#include "support/recording_session.hpp"

namespace telex::modules::adhoc {
namespace {

using FakeSession = test::RecordingSession;

struct Server : test::ModuleTestServer {
  explicit Server(storage::StorageDriver& storage) : ModuleTestServer(storage) {
    config.server.admins = {"boss@example.org"};
    load("disco", disco::setup);
    load("adhoc", setup);
  }
};

std::string attr(const std::string& xml, const std::string& name) {
  std::smatch m;
  if (std::regex_search(xml, m, std::regex(name + "='([^']*)'"))) return m[1];
  return {};
}

class AdhocModuleTest : public ::testing::Test {
 protected:
  AdhocModuleTest() : scope_(server_.worker) {
    auto& registry = CommandRegistry::of(server_.hooks);
    // A three-step admin command: ask for a name, then for a greeting, then answer.
    registry.add({"test#wizard", "Wizard", Access::Admin,
                  [this](StepRequest step, StepDone done) {
                    stages_.push_back(step.stage);
                    if (step.stage == 0) {
                      DataForm form;
                      form.add("name", "text-single", "Name");
                      done(StepResult::ask(form, false));
                    } else if (step.stage == 1) {
                      name_ = step.values.single("name");
                      DataForm form;
                      form.add("greeting", "text-single", "Greeting");
                      done(StepResult::ask(form));
                    } else if (step.values.single("greeting") == "fail") {
                      done(unexpected(router::StanzaError::badRequest("no")));
                    } else {
                      done(StepResult::done(step.values.single("greeting") + ", " + name_));
                    }
                  },
                  [this](const Caller& caller) { refused_.push_back(caller.jid.full()); }});
    registry.add({"test#mine", "Mine", Access::LocalUser,
                  [](StepRequest, StepDone done) { done(StepResult::done("ok")); }, nullptr});
  }

  std::shared_ptr<FakeSession> connect(const std::string& jid) {
    auto s = std::make_shared<FakeSession>(server_.worker, jid);
    std::shared_ptr<router::Session> replaced;
    server_.sessions.bind(s, replaced);
    server_.sessions.setPresence(*s, true, 0);
    return s;
  }

  // Sends <iq type=... to='example.org'>payload</iq> and returns the answer.
  std::string iq(FakeSession& from, std::string_view type, xml::Element payload) {
    xml::Element stanza("iq", "jabber:client");
    stanza.setAttr("type", type);
    stanza.setAttr("id", "q" + std::to_string(++ids_));
    stanza.setAttr("to", "example.org");
    stanza.addChild(std::move(payload));
    std::size_t before = from.received.size();
    server_.router.routeFromClient(from, std::move(stanza));
    for (int i = 0; i < 200 && from.received.size() == before; ++i) {
      server_.worker.context().poll();
      server_.worker.context().restart();
    }
    return from.received.size() > before ? from.last() : std::string();
  }

  xml::Element command(std::string_view node, std::string_view action = {}, std::string_view session = {}) {
    xml::Element c("command", std::string(kCommandsNs));
    c.setAttr("node", node);
    if (!action.empty()) c.setAttr("action", action);
    if (!session.empty()) c.setAttr("sessionid", session);
    return c;
  }

  static xml::Element submitted(std::string_view var, std::string_view value) {
    xml::Element x("x", std::string(kDataNs));
    x.setAttr("type", "submit");
    auto& f = x.addChild(xml::Element("field", std::string(kDataNs)));
    f.setAttr("var", var);
    f.addChild(xml::Element("value", std::string(kDataNs))).addText(value);
    return x;
  }

  std::unique_ptr<storage::StorageDriver> storage_ = storage::makeMemoryDriver();
  Server server_{*storage_};
  net::Worker::CurrentScope scope_;
  int ids_ = 0;
  std::vector<std::size_t> stages_;
  std::vector<std::string> refused_;
  std::string name_;
};

TEST_F(AdhocModuleTest, CommandListShowsWhatEachRequesterMayRun) {
  auto boss = connect("boss@example.org/desk");
  auto user = connect("user@example.org/phone");
  xml::Element query("query", "http://jabber.org/protocol/disco#items");
  query.setAttr("node", kCommandsNs);
  std::string forBoss = iq(*boss, "get", query);
  EXPECT_NE(forBoss.find("node='test#wizard'"), std::string::npos) << forBoss;
  EXPECT_NE(forBoss.find("node='test#mine'"), std::string::npos) << forBoss;
  std::string forUser = iq(*user, "get", query);
  EXPECT_NE(forUser.find("type='result'"), std::string::npos) << forUser;
  EXPECT_EQ(forUser.find("test#wizard"), std::string::npos) << forUser;
  EXPECT_NE(forUser.find("node='test#mine'"), std::string::npos) << forUser;
  // The disco module still answers for the server itself.
  std::string plain = iq(*user, "get", xml::Element("query", "http://jabber.org/protocol/disco#items"));
  EXPECT_NE(plain.find("type='result'"), std::string::npos) << plain;

  xml::Element info("query", "http://jabber.org/protocol/disco#info");
  info.setAttr("node", "test#wizard");
  std::string nodeInfo = iq(*boss, "get", info);
  EXPECT_NE(nodeInfo.find("type='command-node'"), std::string::npos) << nodeInfo;
  EXPECT_NE(nodeInfo.find("var='jabber:x:data'"), std::string::npos) << nodeInfo;
  EXPECT_NE(iq(*user, "get", info).find("<forbidden"), std::string::npos);
}

TEST_F(AdhocModuleTest, ThreeStepsWithNextAndComplete) {
  auto boss = connect("boss@example.org/desk");
  std::string first = iq(*boss, "set", command("test#wizard", "execute"));
  EXPECT_NE(first.find("status='executing'"), std::string::npos) << first;
  EXPECT_NE(first.find("<actions execute='next'><next/></actions>"), std::string::npos) << first;
  EXPECT_NE(first.find("var='name'"), std::string::npos) << first;
  std::string session = attr(first, "sessionid");
  ASSERT_FALSE(session.empty()) << first;

  auto next = command("test#wizard", "next", session);
  next.addChild(submitted("name", "Ada"));
  std::string second = iq(*boss, "set", next);
  EXPECT_NE(second.find("status='executing'"), std::string::npos) << second;
  EXPECT_NE(second.find("<actions execute='complete'><complete/></actions>"), std::string::npos) << second;
  EXPECT_EQ(attr(second, "sessionid"), session);

  auto complete = command("test#wizard", "complete", session);
  complete.addChild(submitted("greeting", "Hello"));
  std::string third = iq(*boss, "set", complete);
  EXPECT_NE(third.find("status='completed'"), std::string::npos) << third;
  EXPECT_NE(third.find("<note type='info'>Hello, Ada</note>"), std::string::npos) << third;
  EXPECT_EQ(stages_, (std::vector<std::size_t>{0, 1, 2}));

  // The session is over.
  std::string again = iq(*boss, "set", command("test#wizard", "complete", session));
  EXPECT_NE(again.find("bad-sessionid"), std::string::npos) << again;
}

TEST_F(AdhocModuleTest, FormWithTheFirstRequestSkipsTheFirstStep) {
  auto boss = connect("boss@example.org/desk");
  auto request = command("test#wizard");
  request.addChild(submitted("name", "Grace"));
  std::string reply = iq(*boss, "set", request);
  EXPECT_NE(reply.find("var='greeting'"), std::string::npos) << reply;
  EXPECT_EQ(stages_, (std::vector<std::size_t>{1}));
}

TEST_F(AdhocModuleTest, CancelEndsTheSession) {
  auto boss = connect("boss@example.org/desk");
  std::string session = attr(iq(*boss, "set", command("test#wizard")), "sessionid");
  std::string canceled = iq(*boss, "set", command("test#wizard", "cancel", session));
  EXPECT_NE(canceled.find("status='canceled'"), std::string::npos) << canceled;
  EXPECT_NE(iq(*boss, "set", command("test#wizard", "next", session)).find("bad-sessionid"), std::string::npos);
}

TEST_F(AdhocModuleTest, ErrorsOfTheProtocol) {
  auto boss = connect("boss@example.org/desk");
  auto other = connect("boss@example.org/laptop");
  auto user = connect("user@example.org/phone");

  std::string unknown = iq(*boss, "set", command("test#nope"));
  EXPECT_NE(unknown.find("item-not-found"), std::string::npos) << unknown;

  std::string forbidden = iq(*user, "set", command("test#wizard"));
  EXPECT_NE(forbidden.find("<forbidden"), std::string::npos) << forbidden;
  EXPECT_EQ(refused_, (std::vector<std::string>{"user@example.org/phone"}));
  EXPECT_TRUE(stages_.empty());

  std::string session = attr(iq(*boss, "set", command("test#wizard")), "sessionid");
  // Another resource of the same user does not own the session.
  std::string stolen = iq(*other, "set", command("test#wizard", "next", session));
  EXPECT_NE(stolen.find("bad-sessionid"), std::string::npos) << stolen;
  EXPECT_NE(stolen.find("xmlns='http://jabber.org/protocol/commands'"), std::string::npos) << stolen;

  std::string prev = iq(*boss, "set", command("test#wizard", "prev", session));
  EXPECT_NE(prev.find("bad-action"), std::string::npos) << prev;
  std::string weird = iq(*boss, "set", command("test#wizard", "explode", session));
  EXPECT_NE(weird.find("bad-action"), std::string::npos) << weird;

  auto badForm = command("test#wizard", "next", session);
  xml::Element x("x", std::string(kDataNs));
  x.setAttr("type", "result");
  badForm.addChild(x);
  std::string payload = iq(*boss, "set", badForm);
  EXPECT_NE(payload.find("bad-payload"), std::string::npos) << payload;

  // A handler's error ends the session with that error.
  auto next = command("test#wizard", "next", session);
  next.addChild(submitted("name", "x"));
  iq(*boss, "set", next);
  auto failing = command("test#wizard", "complete", session);
  failing.addChild(submitted("greeting", "fail"));
  std::string failed = iq(*boss, "set", failing);
  EXPECT_NE(failed.find("bad-request"), std::string::npos) << failed;
  EXPECT_NE(iq(*boss, "set", command("test#wizard", "complete", session)).find("bad-sessionid"), std::string::npos);
}

TEST(AdhocRolesTest, AdminsAnnouncersAndStrangers) {
  config::Config config;
  config.server.domain = "example.org";
  config.server.admins = {"Boss@Example.org"};
  config.server.announcers = {"herald@example.org"};
  Roles roles(config);
  auto boss = roles.caller(*Jid::parse("boss@example.org/x"));
  EXPECT_TRUE(boss.may(Access::Admin));
  EXPECT_TRUE(boss.may(Access::Announcer));
  auto herald = roles.caller(*Jid::parse("herald@example.org/x"));
  EXPECT_FALSE(herald.may(Access::Admin));
  EXPECT_TRUE(herald.may(Access::Announcer));
  EXPECT_TRUE(herald.may(Access::LocalUser));
  auto user = roles.caller(*Jid::parse("user@example.org/x"));
  EXPECT_FALSE(user.may(Access::Announcer));
  EXPECT_TRUE(user.may(Access::LocalUser));
  // Same name on another domain: not ours, nothing allowed.
  auto remote = roles.caller(*Jid::parse("boss@elsewhere.example/x"));
  EXPECT_FALSE(remote.may(Access::LocalUser));
  EXPECT_FALSE(remote.may(Access::Admin));
}

TEST(CommandRegistryTest, OnePerHookBusAndGoneWithIt) {
  auto hooks = std::make_unique<router::HookBus>();
  auto& a = CommandRegistry::of(*hooks);
  EXPECT_EQ(&a, &CommandRegistry::of(*hooks));
  a.addAdminCommand("x", [](const std::string&) { return std::string("y"); });
  router::HookBus other;
  EXPECT_NE(&a, &CommandRegistry::of(other));
  EXPECT_TRUE(CommandRegistry::of(other).adminCommands().empty());
  hooks.reset();
  // A new bus (maybe at the same address) starts empty.
  auto fresh = std::make_unique<router::HookBus>();
  EXPECT_TRUE(CommandRegistry::of(*fresh).adminCommands().empty());
}

}  // namespace
}  // namespace telex::modules::adhoc
