// The alert state machine (acknowledgement, escalation), its JSON round trip, and the pager parts
// that need no network (mail formatting, webhook URLs, pager addresses).
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>

#include "modules/alerts/alert_state.hpp"
#include "modules/alerts/alert_store.hpp"
#include "modules/alerts/pager_settings.hpp"
#include "modules/alerts/smtp_pager.hpp"
#include "modules/alerts/webhook_pager.hpp"
#include "storage/memory/memory_driver.hpp"

namespace telex::modules::alerts {
namespace {

Jid jid(std::string_view text) { return *Jid::parse(text); }

Alert sample() {
  Alert a;
  a.id = "0123456789abcdef";
  a.created = 1000;
  a.sender = "ci";
  a.source = "api";
  a.title = "db1";
  a.text = "disk full";
  a.severity = Severity::Critical;
  a.recipients.push_back({"alice@localhost", "alice@localhost", false, RecipientStatus::Delivered, 1000, 0, "", "", 0});
  a.recipients.push_back({"bob@localhost/desk", "bob@localhost/desk", false, RecipientStatus::Stored, 1000, 0, "", "", 0});
  a.recipients.push_back({"carol@localhost", "group:ops", false, RecipientStatus::Muted, 1000, 0, "", "", 0});
  a.escalation.state = Escalation::State::Pending;
  a.escalation.afterSeconds = 60;
  a.escalation.to = {"dave@localhost"};
  a.escalation.dueAt = 61000;
  return a;
}

TEST(AlertState, MessageIds) {
  EXPECT_EQ(Alert::messageId("00ff", 3), "alert-00ff-3");
  auto parsed = Alert::parseMessageId("alert-00ff-3");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->first, "00ff");
  EXPECT_EQ(parsed->second, 3u);
  for (const char* bad : {"", "alert-", "alert-00ff", "alert-00ff-", "alert-00ff-x", "alert-XYZ-1", "announce-00ff-1",
                          "alert-00ff-1a", "alert--1", "alert-00ff-99999999999"}) {
    EXPECT_FALSE(Alert::parseMessageId(bad)) << bad;
  }
}

TEST(AlertState, OnlyTheRecipientAcknowledges) {
  Alert a = sample();
  EXPECT_FALSE(a.acknowledged());
  EXPECT_FALSE(a.acknowledge(0, jid("mallory@localhost/x"), 2000));  // someone else echoing the id
  EXPECT_FALSE(a.acknowledge(9, jid("alice@localhost/x"), 2000));  // no such recipient
  EXPECT_FALSE(a.acknowledge(2, jid("carol@localhost/x"), 2000));  // muted: never sent
  EXPECT_FALSE(a.acknowledged());
  EXPECT_EQ(a.escalation.state, Escalation::State::Pending);
  EXPECT_TRUE(a.acknowledge(0, jid("alice@localhost/phone"), 3000));
  EXPECT_EQ(a.recipients[0].acknowledgedAt, 3000);
  EXPECT_EQ(a.recipients[0].acknowledgedBy, "alice@localhost/phone");
  EXPECT_FALSE(a.acknowledge(0, jid("alice@localhost/laptop"), 4000));  // the first receipt counts
  EXPECT_EQ(a.recipients[0].acknowledgedBy, "alice@localhost/phone");
  EXPECT_TRUE(a.acknowledged());
  EXPECT_EQ(a.escalation.state, Escalation::State::Acknowledged);
  EXPECT_FALSE(a.escalationDue(100000));
  EXPECT_FALSE(a.fireEscalation(100000));
}

TEST(AlertState, FullJidRecipientAcceptsAnyResourceOfTheAccount) {
  Alert a = sample();
  // A machine-addressed alert may be acknowledged from the machine it fell back to.
  EXPECT_TRUE(a.acknowledge(1, jid("bob@localhost/laptop"), 2000));
}

TEST(AlertState, EscalatesOnceWhenNobodyAcknowledges) {
  Alert a = sample();
  EXPECT_FALSE(a.escalationDue(60999));
  EXPECT_FALSE(a.fireEscalation(60999));
  EXPECT_TRUE(a.escalationDue(61000));
  EXPECT_TRUE(a.fireEscalation(61000));
  EXPECT_EQ(a.escalation.state, Escalation::State::Fired);
  EXPECT_EQ(a.escalation.firedAt, 61000);
  EXPECT_FALSE(a.fireEscalation(62000));
  // A late receipt is still recorded.
  EXPECT_TRUE(a.acknowledge(0, jid("alice@localhost/x"), 70000));
  EXPECT_EQ(a.escalation.state, Escalation::State::Fired);
  Alert none = sample();
  none.escalation = {};
  EXPECT_FALSE(none.fireEscalation(1e9));
}

TEST(AlertState, JsonRoundTrip) {
  Alert a = sample();
  a.acknowledge(0, jid("alice@localhost/phone"), 3000);
  a.recipients[1].pager = "sent: email";
  a.recipients[1].pagedAt = 3500;
  auto j = a.toJson();
  EXPECT_EQ(j["recipients"][0]["delivered"], true);
  EXPECT_EQ(j["recipients"][0]["acknowledged"], true);
  EXPECT_EQ(j["recipients"][1]["delivered"], false);
  EXPECT_EQ(j["recipients"][1]["message_id"], "alert-0123456789abcdef-1");
  EXPECT_EQ(j["severity"], "critical");
  auto back = Alert::fromJson(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->toJson(), j);
  EXPECT_FALSE(Alert::fromJson(nlohmann::json::parse("{}")));
  EXPECT_FALSE(Alert::fromJson(nlohmann::json::parse(R"({"id": "ZZ", "recipients": []})")));
  EXPECT_FALSE(Alert::fromJson(nlohmann::json::parse(R"({"id": "00", "recipients": [{"jid": "a", "status": "?"}]})")));
}

TEST(AlertState, StoreKeepsPendingEscalations) {
  auto storage = storage::makeMemoryDriver();
  AlertStore store(*storage);
  Alert a = sample();
  store.save(a);
  auto loaded = store.load(a.id);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->toJson(), a.toJson());
  auto pending = store.pendingEscalations();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].first, a.id);
  EXPECT_EQ(pending[0].second, 61000);
  a.acknowledge(0, jid("alice@localhost/x"), 5000);
  store.save(a);
  EXPECT_TRUE(store.pendingEscalations().empty());
  EXPECT_FALSE(store.load("ffff"));
  EXPECT_FALSE(store.load("../etc"));
  std::string text = describeAlert(*store.load(a.id));
  EXPECT_NE(text.find("alice@localhost"), std::string::npos);
  EXPECT_NE(text.find("by alice@localhost/x"), std::string::npos);
  EXPECT_NE(text.find("muted"), std::string::npos);
}

TEST(AlertPager, MailIsDotStuffedWithCrlf) {
  SmtpSettings s;
  s.from = "telex@localhost";
  s.heloName = "localhost";
  std::string mail = formatMail(s, {"alice@example.org", "[CRITICAL] db1\r\nBcc: x", "line1\n.hidden\nlast"});
  EXPECT_NE(mail.find("To: <alice@example.org>\r\n"), std::string::npos);
  EXPECT_NE(mail.find("Subject: [CRITICAL] db1  Bcc: x\r\n"), std::string::npos);  // no header injection
  EXPECT_NE(mail.find("\r\n\r\nline1\r\n..hidden\r\nlast\r\n.\r\n"), std::string::npos) << mail;
  EXPECT_EQ(encodeHeader("Überlauf"), "=?UTF-8?B?w5xiZXJsYXVm?=");
}

TEST(AlertPager, WebhookUrls) {
  auto u = parseWebhookUrl("https://ntfy.sh/mytopic");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "ntfy.sh");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->target, "/mytopic");
  u = parseWebhookUrl("http://127.0.0.1:8080?x=1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, "8080");
  EXPECT_EQ(u->target, "/?x=1");
  u = parseWebhookUrl("http://[::1]:81/a");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  for (const char* bad : {"ftp://x/", "http://", "http://user@host/", "http://h:port/", "http://h/a b", "http://[::1/"}) {
    EXPECT_FALSE(parseWebhookUrl(bad)) << bad;
  }
}

TEST(AlertPager, Addresses) {
  PagerAddress a;
  EXPECT_TRUE(a.validate());
  EXPECT_TRUE(a.empty());
  a.email = "alice@example.org";
  a.webhook = "https://ntfy.sh/t";
  EXPECT_TRUE(a.validate());
  a.email = "alice@example.org\r\nRCPT TO:<x@y>";
  EXPECT_FALSE(a.validate());
  a.email = "alice";
  EXPECT_FALSE(a.validate());
  a.email = "";
  a.webhook = "file:///etc/passwd";
  EXPECT_FALSE(a.validate());
  a.webhook = "";
  a.format = "xml";
  EXPECT_FALSE(a.validate());

  auto storage = storage::makeMemoryDriver();
  PagerSettings settings(*storage);
  EXPECT_TRUE(settings.get("alice").empty());
  settings.set("alice", {"alice@example.org", "", "json", true});
  auto got = settings.get("alice");
  EXPECT_EQ(got.email, "alice@example.org");
  EXPECT_EQ(got.format, "json");
  EXPECT_TRUE(got.messages);
  settings.set("alice", PagerAddress{});
  EXPECT_FALSE(storage->keyval("pager")->get("alice"));
}

}  // namespace
}  // namespace telex::modules::alerts

namespace telex::modules::alerts {
namespace {

// A relay that accepts the connection but never speaks: the page fails within the timeout instead
// of hanging the pager thread.
TEST(AlertPager, SilentRelayTimesOut) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  SmtpSettings s;
  s.host = "127.0.0.1";
  s.port = acceptor.local_endpoint().port();
  s.from = "telex@localhost";
  s.heloName = "localhost";
  s.timeout = std::chrono::seconds(1);
  auto start = std::chrono::steady_clock::now();
  auto result = sendMail(s, {"alice@example.org", "subject", "body"});
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("SMTP read failed"), std::string::npos) << result.error();
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(AlertPager, WebhookToClosedPortFails) {
  std::uint16_t port;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = acceptor.local_endpoint().port();
  }
  WebhookMessage m;
  m.title = "t";
  m.text = "x";
  auto result = postWebhook("http://127.0.0.1:" + std::to_string(port) + "/topic", m, std::chrono::seconds(2));
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("cannot connect"), std::string::npos) << result.error();
}

}  // namespace
}  // namespace telex::modules::alerts
