// The WinPopup gateway over real loopback sockets: the smbclient exchange delivers a message to the
// mapped user, unknown names and over-the-limit senders are refused, sources outside
// winpopup.allow are cut off at once, garbage closes the connection, and the options are checked.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <mutex>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "audit/audit_log.hpp"
#include "modules/winpopup/netbios.hpp"
#include "modules/winpopup/smb_message.hpp"
#include "modules/winpopup/winpopup_gateway.hpp"
#include "storage/memory/memory_driver.hpp"

namespace telex::modules::winpopup {
namespace {
using namespace std::string_literals;

class FakeSession : public router::Session {
 public:
  FakeSession(net::Worker& worker, std::string jid) : worker_(worker), jid_(*Jid::parse(jid)) {}
  const Jid& jid() const override { return jid_; }
  net::Worker& worker() override { return worker_; }
  void deliver(const net::SharedBytes& stanza) override {
    std::lock_guard lock(mutex_);
    received_.push_back(*stanza);
  }
  void closeWithError(stream::StreamErrorCondition, std::string_view) override {}
  std::vector<std::string> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  // Waits (bounded) for a delivery containing `needle`.
  std::string waitFor(std::string_view needle) {
    for (int i = 0; i < 300; ++i) {
      for (const auto& r : received()) {
        if (r.find(needle) != std::string::npos) return r;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return {};
  }

 private:
  net::Worker& worker_;
  Jid jid_;
  std::mutex mutex_;
  std::vector<std::string> received_;
};

// A blocking test client with a receive timeout, optionally bound to another loopback address.
class Client {
 public:
  Client(std::uint16_t port, const char* source = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{3, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (source) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      ::inet_pton(AF_INET, source, &local.sin_addr);
      ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local));
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  void send(std::string_view bytes) { (void)!::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
  // The next frame's payload with its type, or nullopt when the connection closed or timed out.
  std::optional<std::pair<std::uint8_t, std::string>> frame() {
    std::string buffer;
    for (;;) {
      Frame f;
      auto status = parseFrame(buffer, 1 << 17, f);
      if (status == FrameStatus::Complete) return std::make_pair(f.type, std::string(f.payload));
      if (status == FrameStatus::Invalid) return std::nullopt;
      char c;
      if (::recv(fd_, &c, 1, 0) != 1) return std::nullopt;
      buffer += c;
    }
  }
  // Whether the server closed the connection (EOF or reset) within the receive timeout.
  bool closedByPeer() {
    char c;
    for (;;) {
      auto n = ::recv(fd_, &c, 1, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

std::string smb(std::uint8_t command, std::string_view words, std::string_view bytes) {
  std::string out = "\xFFSMB"s;
  out += static_cast<char>(command);
  out += std::string(27, '\0');
  out += static_cast<char>(words.size() / 2);
  out += words;
  out += static_cast<char>(bytes.size() & 0xFF);
  out += static_cast<char>(bytes.size() >> 8);
  out += bytes;
  return makeFrame(kSessionMessage, out);
}

std::string start(std::string_view from, std::string_view to) {
  return smb(kSmbSendStart, {}, "\x04"s + std::string(from) + '\0' + "\x04" + std::string(to) + '\0');
}
std::string block(std::string_view text) {
  return "\x01"s + static_cast<char>(text.size() & 0xFF) + static_cast<char>(text.size() >> 8) + std::string(text);
}
std::string textMessage(std::uint16_t group, std::string_view text) {
  return smb(kSmbSendText, std::string{static_cast<char>(group & 0xFF), static_cast<char>(group >> 8)}, block(text));
}
std::string endMessage(std::uint16_t group) {
  return smb(kSmbSendEnd, std::string{static_cast<char>(group & 0xFF), static_cast<char>(group >> 8)}, {});
}

// SMB error class and code of a response payload.
std::pair<int, int> status(const std::string& payload) {
  if (payload.size() < 9) return {-1, -1};
  return {static_cast<std::uint8_t>(payload[5]),
          static_cast<std::uint8_t>(payload[7]) | (static_cast<std::uint8_t>(payload[8]) << 8)};
}

class WinPopupGatewayTest : public ::testing::Test {
 protected:
  WinPopupGatewayTest()
      : sessions_(10), router_("example.org", sessions_, hooks_), storage_(storage::makeMemoryDriver()) {
    config_.server.domain = "example.org";
    config_.winpopup.enabled = true;
    config_.winpopup.port = 0;  // any free port
    config_.winpopup.names = {{"ALICE", "alice@example.org"}, {"pc1", "bob@example.org/desk"}};
    config_.winpopup.ratePerMinute = 5;
  }
  ~WinPopupGatewayTest() override {
    if (gateway_) gateway_->stop();
    for (std::size_t i = 0; i < workers_.size(); ++i) workers_.at(i).context().stop();
    workers_.stop();
    workers_.join();
    gateway_.reset();
  }

  std::uint16_t open() {
    auto gateway = Gateway::open(workers_, router_, config_, *storage_, pool_);
    EXPECT_TRUE(gateway) << (gateway ? "" : gateway.error());
    gateway_ = std::move(*gateway);
    workers_.start();
    gateway_->start();
    alice_ = std::make_shared<FakeSession>(workers_.at(0), "alice@example.org/home");
    bob_ = std::make_shared<FakeSession>(workers_.at(0), "bob@example.org/desk");
    for (auto& s : {alice_, bob_}) {
      std::shared_ptr<router::Session> replaced;
      sessions_.bind(s, replaced);
      sessions_.setPresence(*s, true, 0);
    }
    return gateway_->listeners().front()->port();
  }

  net::WorkerPool workers_{1};
  storage::StoragePool pool_;
  router::HookBus hooks_;
  router::SessionManager sessions_;
  router::StanzaRouter router_;
  std::unique_ptr<storage::StorageDriver> storage_;
  config::Config config_;
  std::unique_ptr<Gateway> gateway_;
  std::shared_ptr<FakeSession> alice_, bob_;
};

TEST_F(WinPopupGatewayTest, SmbclientExchangeDeliversToTheMappedUser) {
  Client client(open());
  ASSERT_TRUE(client.connected());
  client.send(makeFrame(kSessionRequest, encodeName("ALICE", 0x03) + encodeName("MYPC", 0x00)));
  auto positive = client.frame();
  ASSERT_TRUE(positive);
  EXPECT_EQ(positive->first, kPositiveResponse);

  client.send(start("bob", "alice"));
  auto started = client.frame();
  ASSERT_TRUE(started);
  EXPECT_EQ(status(started->second), std::make_pair(0, 0));
  ASSERT_GE(started->second.size(), 35u);
  EXPECT_EQ(started->second[32], 1);  // the message group word
  auto group = static_cast<std::uint16_t>(static_cast<std::uint8_t>(started->second[33]) |
                                          (static_cast<std::uint8_t>(started->second[34]) << 8));
  client.send(textMessage(group, "Printer <out> of\r\n"));
  EXPECT_EQ(status(client.frame()->second), std::make_pair(0, 0));
  client.send(textMessage(group, "paper & toner \x81"));
  EXPECT_EQ(status(client.frame()->second), std::make_pair(0, 0));
  client.send(endMessage(group));
  EXPECT_EQ(status(client.frame()->second), std::make_pair(0, 0));

  std::string message = alice_->waitFor("Printer");
  ASSERT_FALSE(message.empty());
  EXPECT_NE(message.find("from='bob@winpopup.example.org'"), std::string::npos) << message;
  EXPECT_NE(message.find("to='alice@example.org'"), std::string::npos) << message;
  EXPECT_NE(message.find("<body>Printer &lt;out&gt; of\npaper &amp; toner \xc3\xbc</body>"), std::string::npos) << message;
  EXPECT_NE(message.find("<nick xmlns='http://jabber.org/protocol/nick'>bob</nick>"), std::string::npos) << message;
  EXPECT_NE(message.find("WinPopup message from bob to alice"), std::string::npos) << message;

  std::vector<audit::AuditEntry> log;
  for (int i = 0; i < 100 && log.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    log = audit::AuditLog(*storage_).list(10);
  }
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].action, "winpopup");
  EXPECT_EQ(log[0].actor, "winpopup 127.0.0.1 bob");
  EXPECT_EQ(log[0].target, "alice@example.org");
}

TEST_F(WinPopupGatewayTest, SingleBlockToAMachineWithoutSessionRequest) {
  Client client(open());
  client.send(smb(kSmbSendSingle, {}, "\x04UPS\0\x04pc1\0"s + block("on battery")));
  auto answer = client.frame();
  ASSERT_TRUE(answer);
  EXPECT_EQ(status(answer->second), std::make_pair(0, 0));
  std::string message = bob_->waitFor("on battery");
  ASSERT_FALSE(message.empty());
  EXPECT_NE(message.find("to='bob@example.org/desk'"), std::string::npos) << message;
  EXPECT_NE(message.find("from='ups@winpopup.example.org'"), std::string::npos) << message;
  EXPECT_TRUE(alice_->received().empty());
}

TEST_F(WinPopupGatewayTest, UnknownNamesAreRefused) {
  auto port = open();
  Client called(port);
  called.send(makeFrame(kSessionRequest, encodeName("NOBODY", 0x03) + encodeName("MYPC", 0x00)));
  auto negative = called.frame();
  ASSERT_TRUE(negative);
  EXPECT_EQ(negative->first, kNegativeResponse);
  EXPECT_EQ(negative->second, std::string(1, static_cast<char>(kCalledNameNotPresent)));
  EXPECT_TRUE(called.closedByPeer());

  Client direct(port);
  direct.send(start("bob", "nobody"));
  auto refused = direct.frame();
  ASSERT_TRUE(refused);
  EXPECT_EQ(status(refused->second), std::make_pair(2, 82));
  // Text for a message that was never started is refused too.
  direct.send(textMessage(1, "x"));
  EXPECT_EQ(status(direct.frame()->second), std::make_pair(2, 1));
  // So is anything that is not a messenger command.
  direct.send(smb(0x72, {}, "\x02NT LM 0.12\0"s));
  EXPECT_EQ(status(direct.frame()->second), std::make_pair(2, 64));
  EXPECT_TRUE(alice_->received().empty());
}

TEST_F(WinPopupGatewayTest, RateLimitPerSource) {
  Client client(open());
  for (int i = 0; i < 5; ++i) {
    client.send(smb(kSmbSendSingle, {}, "\x04x\0\x04" "alice\0"s + block("n" + std::to_string(i))));
    EXPECT_EQ(status(client.frame()->second), std::make_pair(0, 0)) << i;
  }
  client.send(smb(kSmbSendSingle, {}, "\x04x\0\x04" "alice\0"s + block("too many")));
  EXPECT_EQ(status(client.frame()->second), std::make_pair(2, 89));
  ASSERT_FALSE(alice_->waitFor("n4").empty());
  for (const auto& r : alice_->received()) EXPECT_EQ(r.find("too many"), std::string::npos);
}

TEST_F(WinPopupGatewayTest, SourcesOutsideTheAllowListAreCutOff) {
  config_.winpopup.allow = {"127.0.0.2/32"};
  auto port = open();
  Client outsider(port);  // from 127.0.0.1
  ASSERT_TRUE(outsider.connected());
  outsider.send(smb(kSmbSendSingle, {}, "\x04x\0\x04" "alice\0"s + block("let me in")));
  EXPECT_TRUE(outsider.closedByPeer());
  Client insider(port, "127.0.0.2");
  insider.send(smb(kSmbSendSingle, {}, "\x04x\0\x04" "alice\0"s + block("allowed")));
  auto answer = insider.frame();
  ASSERT_TRUE(answer);
  EXPECT_EQ(status(answer->second), std::make_pair(0, 0));
  EXPECT_FALSE(alice_->waitFor("allowed").empty());
  for (const auto& r : alice_->received()) EXPECT_EQ(r.find("let me in"), std::string::npos);
}

TEST_F(WinPopupGatewayTest, GarbageClosesTheConnectionAndTheGatewayCarriesOn) {
  auto port = open();
  for (const std::string& junk : {"GET / HTTP/1.1\r\n\r\n"s, "\x00\x00\xff\xff"s + std::string(70000, 'x'),
                                   "\x81\x00\x00\x04" "abcd"s, "\x00\x00\x00\x05\xfeSMB@"s, "\x42\x00\x00\x00"s}) {
    Client client(port);
    client.send(junk);
    EXPECT_TRUE(client.closedByPeer()) << junk.substr(0, 8);
  }
  Client good(port);
  good.send(smb(kSmbSendSingle, {}, "\x04x\0\x04" "alice\0"s + block("still here")));
  EXPECT_EQ(status(good.frame()->second), std::make_pair(0, 0));
  EXPECT_FALSE(alice_->waitFor("still here").empty());
}

TEST_F(WinPopupGatewayTest, OptionsAreChecked) {
  auto check = [&](auto change) {
    config::Config c = config_;
    change(c);
    return Gateway::open(workers_, router_, c, *storage_, pool_);
  };
  EXPECT_FALSE(check([](config::Config& c) { c.winpopup.allow = {"lan"}; }));
  EXPECT_FALSE(check([](config::Config& c) { c.winpopup.allow = {}; }));
  EXPECT_FALSE(check([](config::Config& c) { c.winpopup.names = {{"X", "alice@elsewhere.example"}}; }));
  EXPECT_FALSE(check([](config::Config& c) { c.winpopup.names = {{"X", "example.org"}}; }));
  EXPECT_FALSE(check([](config::Config& c) { c.winpopup.names = {{"SIXTEEN-CHARS-AB", "alice@example.org"}}; }));
  EXPECT_FALSE(check([](config::Config& c) { c.winpopup.interfaces = {"not-an-address"}; }));
}

TEST(WinPopupConfigTest, NamesAreATomlTable) {
  config::Config c;
  ASSERT_TRUE(config::applyOverride(c, R"(winpopup.names={ ALICE = "alice@localhost", "PC 1" = "bob@localhost/desk" })"));
  EXPECT_EQ(c.winpopup.names.size(), 2u);
  EXPECT_EQ(c.winpopup.names["PC 1"], "bob@localhost/desk");
  EXPECT_FALSE(config::applyOverride(c, R"(winpopup.names={ ALICE = 5 })"));
  EXPECT_FALSE(config::applyOverride(c, R"(winpopup.names=["ALICE=alice@localhost"])"));
  ASSERT_TRUE(config::applyOverride(c, R"(server.admins=["admin@localhost"])"));
  EXPECT_TRUE(config::validate(c));
  ASSERT_TRUE(config::applyOverride(c, R"(server.announcers=["not a jid/with resource"])"));
  EXPECT_FALSE(config::validate(c));
  // The example configuration shows the table inline, so it loads back.
  EXPECT_NE(config::exampleConfig().find("\nnames = {}\n"), std::string::npos);
}

}  // namespace
}  // namespace telex::modules::winpopup
