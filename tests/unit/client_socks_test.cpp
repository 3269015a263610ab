// Unit tests for SOCKS 4/4a/5 (byte-exact handshakes, proxy URLs, an end-to-end SOCKS5 relay).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "client/socks.hpp"
#include "client/transport.hpp"

namespace telex::client {
namespace {

using namespace std::string_literals;
using Status = SocksHandshake::Status;

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

// ---- SOCKS4 / 4a --------------------------------------------------------------------------------

TEST(Socks4, ConnectRequestWithIpLiteralAndUserId) {
  SocksHandshake h(ProxyType::Socks4, "192.0.2.7", 5222, "alice");
  auto step = h.start();
  ASSERT_EQ(step.status, Status::NeedMore) << step.error;
  EXPECT_EQ(step.send, bytes({4, 1, 0x14, 0x66, 192, 0, 2, 7}) + "alice" + bytes({0}));
  step = h.receive(bytes({0, 90, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(step.status, Status::Done);
  EXPECT_TRUE(step.send.empty());
  EXPECT_TRUE(step.leftover.empty());
}

TEST(Socks4, NameNeedsLocallyResolvedAddress) {
  EXPECT_TRUE(SocksHandshake::needsLocalResolution(ProxyType::Socks4, "xmpp.example.org"));
  EXPECT_FALSE(SocksHandshake::needsLocalResolution(ProxyType::Socks4, "10.0.0.1"));
  EXPECT_FALSE(SocksHandshake::needsLocalResolution(ProxyType::Socks4a, "xmpp.example.org"));
  EXPECT_FALSE(SocksHandshake::needsLocalResolution(ProxyType::Socks5, "xmpp.example.org"));

  SocksHandshake missing(ProxyType::Socks4, "xmpp.example.org", 5222);
  auto step = missing.start();
  EXPECT_EQ(step.status, Status::Failed);
  EXPECT_NE(step.error.find("IPv4"), std::string::npos);

  SocksHandshake resolved(ProxyType::Socks4, "xmpp.example.org", 5222, "", "",
                          std::array<std::uint8_t, 4>{10, 1, 2, 3});
  step = resolved.start();
  ASSERT_EQ(step.status, Status::NeedMore);
  EXPECT_EQ(step.send, bytes({4, 1, 0x14, 0x66, 10, 1, 2, 3, 0}));
}

TEST(Socks4a, SendsTheNameForTheProxyToResolve) {
  SocksHandshake h(ProxyType::Socks4a, "xmpp.example.org", 5223, "bob");
  auto step = h.start();
  ASSERT_EQ(step.status, Status::NeedMore);
  EXPECT_EQ(step.send, bytes({4, 1, 0x14, 0x67, 0, 0, 0, 1}) + "bob" + bytes({0}) +
                           "xmpp.example.org" + bytes({0}));
  // The reply may arrive in pieces; bytes after it belong to the tunnelled stream.
  EXPECT_EQ(h.receive(bytes({0, 90, 0})).status, Status::NeedMore);
  step = h.receive(bytes({0, 0, 0, 0, 0}) + "<?xml");
  EXPECT_EQ(step.status, Status::Done);
  EXPECT_EQ(step.leftover, "<?xml");
}

TEST(Socks4a, IpLiteralIsSentAsAnAddress) {
  SocksHandshake h(ProxyType::Socks4a, "127.0.0.1", 80);
  auto step = h.start();
  EXPECT_EQ(step.send, bytes({4, 1, 0, 80, 127, 0, 0, 1, 0}));
}

TEST(Socks4, RejectionCodesAreExplained) {
  const std::pair<int, std::string> cases[] = {{91, "rejected or failed"},
                                               {92, "identd"},
                                               {93, "different user id"},
                                               {17, "unknown reply code 17"}};
  for (const auto& [code, text] : cases) {
    SocksHandshake h(ProxyType::Socks4, "10.0.0.1", 5222);
    h.start();
    auto step = h.receive(bytes({0, code, 0, 0, 0, 0, 0, 0}));
    EXPECT_EQ(step.status, Status::Failed);
    EXPECT_NE(step.error.find(text), std::string::npos) << step.error;
    EXPECT_EQ(h.status(), Status::Failed);
    EXPECT_EQ(h.receive("more").status, Status::Failed);
  }
}

TEST(Socks4, NonSocksReplyFails) {
  SocksHandshake h(ProxyType::Socks4, "10.0.0.1", 5222);
  h.start();
  auto step = h.receive("HTTP/1.1 400 Bad");
  EXPECT_EQ(step.status, Status::Failed);
  EXPECT_NE(step.error.find("SOCKS4"), std::string::npos);
}

// ---- SOCKS5 -------------------------------------------------------------------------------------

TEST(Socks5, NoAuthDomainConnect) {
  SocksHandshake h(ProxyType::Socks5, "example.org", 5222);
  auto step = h.start();
  EXPECT_EQ(step.send, bytes({5, 1, 0}));
  step = h.receive(bytes({5, 0}));
  ASSERT_EQ(step.status, Status::NeedMore);
  EXPECT_EQ(step.send, bytes({5, 1, 0, 3, 11}) + "example.org" + bytes({0x14, 0x66}));
  // Reply with a bound IPv4 address, fed one byte at a time.
  const std::string reply = bytes({5, 0, 0, 1, 10, 0, 0, 1, 0x30, 0x39});
  for (std::size_t i = 0; i + 1 < reply.size(); ++i) {
    EXPECT_EQ(h.receive(reply.substr(i, 1)).status, Status::NeedMore) << i;
  }
  step = h.receive(reply.substr(reply.size() - 1));
  EXPECT_EQ(step.status, Status::Done);
  EXPECT_TRUE(step.leftover.empty());
}

TEST(Socks5, AddressTypesInRequestAndReply) {
  {
    SocksHandshake h(ProxyType::Socks5, "192.0.2.1", 443);
    h.start();
    auto step = h.receive(bytes({5, 0}));
    EXPECT_EQ(step.send, bytes({5, 1, 0, 1, 192, 0, 2, 1, 1, 0xbb}));
    // Bound address as a domain name, then leftover stream bytes.
    step = h.receive(bytes({5, 0, 0, 3, 4}) + "host" + bytes({0, 1}) + "xy");
    EXPECT_EQ(step.status, Status::Done);
    EXPECT_EQ(step.leftover, "xy");
  }
  {
    SocksHandshake h(ProxyType::Socks5, "::1", 5222);
    h.start();
    auto step = h.receive(bytes({5, 0}));
    EXPECT_EQ(step.send,
              bytes({5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x14, 0x66}));
    std::string reply = bytes({5, 0, 0, 4}) + std::string(16, '\0') + bytes({0, 0});
    EXPECT_EQ(h.receive(reply.substr(0, 20)).status, Status::NeedMore);
    EXPECT_EQ(h.receive(reply.substr(20)).status, Status::Done);
  }
}

TEST(Socks5, UsernamePasswordAuthentication) {
  SocksHandshake h(ProxyType::Socks5, "example.org", 5222, "user", "p@ss");
  auto step = h.start();
  EXPECT_EQ(step.send, bytes({5, 2, 0, 2}));
  step = h.receive(bytes({5, 2}));
  ASSERT_EQ(step.status, Status::NeedMore);
  EXPECT_EQ(step.send, bytes({1, 4}) + "user" + bytes({4}) + "p@ss");
  step = h.receive(bytes({1, 0}));
  ASSERT_EQ(step.status, Status::NeedMore);
  EXPECT_EQ(step.send, bytes({5, 1, 0, 3, 11}) + "example.org" + bytes({0x14, 0x66}));
  EXPECT_EQ(h.receive(bytes({5, 0, 0, 1, 0, 0, 0, 0, 0, 0})).status, Status::Done);
}

TEST(Socks5, ProxyMayStillChooseNoAuthentication) {
  SocksHandshake h(ProxyType::Socks5, "example.org", 5222, "user", "pw");
  h.start();
  auto step = h.receive(bytes({5, 0}));
  EXPECT_EQ(step.send[0], 5);
  EXPECT_EQ(step.send[3], 3);
}

TEST(Socks5, Failures) {
  {
    SocksHandshake h(ProxyType::Socks5, "example.org", 5222);
    h.start();
    auto step = h.receive(bytes({5, 0xff}));
    EXPECT_EQ(step.status, Status::Failed);
    EXPECT_NE(step.error.find("requires authentication"), std::string::npos) << step.error;
  }
  {
    SocksHandshake h(ProxyType::Socks5, "example.org", 5222, "u", "p");
    h.start();
    EXPECT_NE(h.receive(bytes({5, 0xff})).error.find("none of our authentication methods"),
              std::string::npos);
  }
  {
    SocksHandshake h(ProxyType::Socks5, "example.org", 5222);
    h.start();
    EXPECT_NE(h.receive(bytes({5, 2})).error.find("did not offer"), std::string::npos);
  }
  {
    SocksHandshake h(ProxyType::Socks5, "example.org", 5222, "u", "wrong");
    h.start();
    h.receive(bytes({5, 2}));
    auto step = h.receive(bytes({1, 1}));
    EXPECT_EQ(step.status, Status::Failed);
    EXPECT_NE(step.error.find("rejected the username or password"), std::string::npos);
  }
  {
    SocksHandshake h(ProxyType::Socks5, "example.org", 5222);
    h.start();
    h.receive(bytes({5, 0}));
    auto step = h.receive(bytes({5, 5}));  // fails as soon as REP is known
    EXPECT_EQ(step.status, Status::Failed);
    EXPECT_EQ(step.error, "SOCKS5 proxy: connection refused");
  }
  {
    SocksHandshake h(ProxyType::Socks5, "example.org", 5222);
    h.start();
    h.receive(bytes({5, 0}));
    EXPECT_NE(h.receive(bytes({5, 0, 0, 9, 0})).error.find("unknown address type"),
              std::string::npos);
  }
  {
    SocksHandshake h(ProxyType::Socks5, "example.org", 5222);
    h.start();
    EXPECT_NE(h.receive(bytes({4, 0})).error.find("SOCKS5"), std::string::npos);
  }
  {
    SocksHandshake h(ProxyType::Socks5, std::string(256, 'a'), 5222);
    EXPECT_EQ(h.start().status, Status::Failed);
  }
  {
    SocksHandshake h(ProxyType::Socks5, "example.org", 5222, std::string(256, 'u'), "p");
    EXPECT_EQ(h.start().status, Status::Failed);
  }
  {
    SocksHandshake h(ProxyType::Socks5, "example.org", 5222);
    EXPECT_EQ(h.receive(bytes({5, 0})).status, Status::Failed);  // not started
  }
}

TEST(Socks5, ReplyCodesAreExplained) {
  const char* expected[] = {"",
                            "general SOCKS server failure",
                            "connection not allowed by ruleset",
                            "network unreachable",
                            "host unreachable",
                            "connection refused",
                            "TTL expired",
                            "command not supported",
                            "address type not supported"};
  for (int code = 1; code <= 8; ++code) {
    SocksHandshake h(ProxyType::Socks5, "example.org", 5222);
    h.start();
    h.receive(bytes({5, 0}));
    EXPECT_EQ(h.receive(bytes({5, code, 0, 1})).error, "SOCKS5 proxy: "s + expected[code]);
  }
}

// ---- proxy URLs ---------------------------------------------------------------------------------

TEST(ProxyUrl, Parses) {
  auto p = parseProxyUrl("socks5://proxy.example:9050");
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->type, ProxyType::Socks5);
  EXPECT_EQ(p->host, "proxy.example");
  EXPECT_EQ(p->port, 9050);
  EXPECT_TRUE(p->username.empty());

  p = parseProxyUrl("socks4://10.0.0.1");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, ProxyType::Socks4);
  EXPECT_EQ(p->port, 1080);

  p = parseProxyUrl("socks4a://h:1/");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, ProxyType::Socks4a);

  p = parseProxyUrl("socks5h://us%40er:p%3Ass@[::1]:1081");
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->type, ProxyType::Socks5);
  EXPECT_EQ(p->host, "::1");
  EXPECT_EQ(p->port, 1081);
  EXPECT_EQ(p->username, "us@er");
  EXPECT_EQ(p->password, "p:ss");
}

TEST(ProxyUrl, RejectsNonsense) {
  for (const char* bad :
       {"proxy:1080", "http://proxy:8080", "socks5://", "socks5://h:0", "socks5://h:65536",
        "socks5://h:x", "socks5://[::1", "socks5://h/path", "socks5://u%4@h"}) {
    EXPECT_FALSE(parseProxyUrl(bad)) << bad;
  }
  EXPECT_EQ(proxyTypeName(ProxyType::Socks4a), "socks4a");
  EXPECT_FALSE(proxyTypeFromName("socks6"));
}

// ---- end to end: Transport → SOCKS5 proxy (with authentication) → target, all on 127.0.0.1 ----

int listenLoopback(std::uint16_t& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 4) != 0) {
    ::close(fd);
    return -1;
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

// Reads exactly n bytes with a bounded wait; returns fewer on timeout/close.
std::string readExact(int fd, std::size_t n) {
  std::string out;
  while (out.size() < n) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) break;
    char buf[512];
    const ssize_t got = ::read(fd, buf, std::min(sizeof buf, n - out.size()));
    if (got <= 0) break;
    out.append(buf, static_cast<std::size_t>(got));
  }
  return out;
}

void writeAll(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

// A one-connection SOCKS5 proxy requiring user/pass; records what the client asked for.
struct TestProxy {
  std::uint16_t port = 0;
  int listenFd = -1;
  std::thread thread;
  std::string requestedHost;
  int requestedPort = 0;
  std::string authSeen;
  std::atomic<bool> ok{false};

  void run() {
    listenFd = listenLoopback(port);
    thread = std::thread([this] { serve(); });
  }

  void serve() {
    pollfd p{listenFd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return;
    const int client = ::accept(listenFd, nullptr, nullptr);
    if (client < 0) return;
    std::string greeting = readExact(client, 2);
    if (greeting.size() != 2) return ::close(client), void();
    std::string methods = readExact(client, static_cast<unsigned char>(greeting[1]));
    if (methods.find('\x02') == std::string::npos) {
      writeAll(client, bytes({5, 0xff}));
      return ::close(client), void();
    }
    writeAll(client, bytes({5, 2}));
    std::string head = readExact(client, 2);
    std::string user = readExact(client, static_cast<unsigned char>(head[1]));
    std::string plen = readExact(client, 1);
    std::string pass = readExact(client, static_cast<unsigned char>(plen[0]));
    authSeen = user + ":" + pass;
    writeAll(client, bytes({1, pass == "secret" ? 0 : 1}));
    if (pass != "secret") return ::close(client), void();
    std::string req = readExact(client, 5);
    if (req.size() != 5 || req[3] != 3) return ::close(client), void();
    requestedHost = readExact(client, static_cast<unsigned char>(req[4]));
    std::string portBytes = readExact(client, 2);
    requestedPort =
        (static_cast<unsigned char>(portBytes[0]) << 8) | static_cast<unsigned char>(portBytes[1]);
    // Connect to the target on 127.0.0.1 whatever name was asked (the test's "DNS").
    int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(requestedPort));
    if (::connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      writeAll(client, bytes({5, 5, 0, 1, 0, 0, 0, 0, 0, 0}));
      ::close(upstream);
      return ::close(client), void();
    }
    writeAll(client, bytes({5, 0, 0, 1, 127, 0, 0, 1, 0, 0}));
    ok = true;
    // Relay until either side closes.
    for (;;) {
      pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
      if (::poll(fds, 2, 5000) <= 0) break;
      char buf[4096];
      bool closed = false;
      for (int i = 0; i < 2; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
        const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
        if (n <= 0) {
          closed = true;
          break;
        }
        writeAll(i == 0 ? upstream : client, std::string(buf, static_cast<std::size_t>(n)));
      }
      if (closed) break;
    }
    ::close(upstream);
    ::close(client);
  }

  ~TestProxy() {
    if (thread.joinable()) thread.join();
    if (listenFd >= 0) ::close(listenFd);
  }
};

class RecordingTransportHandler : public detail::TransportHandler {
 public:
  explicit RecordingTransportHandler(boost::asio::io_context& io) : io_(io) {}
  void onTransportConnected() override {
    connected = true;
    if (transport) transport->send("hello through the proxy");
  }
  void onTransportData(std::string_view data) override {
    received.append(data);
    if (received.size() >= std::string("echo: hello through the proxy").size()) {
      if (transport) transport->abort();
      io_.stop();
    }
  }
  void onTransportTlsEstablished() override {}
  void onTransportClosed(const detail::TransportError& error) override {
    closedWith = error.message;
    io_.stop();
  }

  boost::asio::io_context& io_;
  std::shared_ptr<detail::Transport> transport;
  bool connected = false;
  std::string received;
  std::string closedWith;
};

TEST(SocksEndToEnd, TransportReachesTargetThroughSocks5WithAuth) {
  std::uint16_t targetPort = 0;
  const int targetFd = listenLoopback(targetPort);
  ASSERT_GE(targetFd, 0);
  std::thread target([targetFd] {
    pollfd p{targetFd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return;
    const int c = ::accept(targetFd, nullptr, nullptr);
    const std::string got = readExact(c, std::string("hello through the proxy").size());
    writeAll(c, "echo: " + got);
    readExact(c, 1);  // until the client closes
    ::close(c);
  });
  TestProxy proxy;
  proxy.run();

  boost::asio::io_context io;
  RecordingTransportHandler handler(io);
  detail::TlsSettings tls;
  tls.verify = false;
  auto context = detail::makeClientTlsContext(tls);
  ASSERT_TRUE(context);
  handler.transport = std::make_shared<detail::Transport>(io, handler, *context, tls);
  ProxyConfig config{ProxyType::Socks5, "127.0.0.1", proxy.port, "alice", "secret"};
  handler.transport->connect("xmpp.test", targetPort, config);
  boost::asio::steady_timer guard(io, std::chrono::seconds(10));
  guard.async_wait([&](auto) { io.stop(); });
  io.run();
  handler.transport.reset();

  target.join();
  ::close(targetFd);
  EXPECT_TRUE(handler.connected) << handler.closedWith;
  EXPECT_EQ(handler.received, "echo: hello through the proxy");
  proxy.thread.join();
  EXPECT_TRUE(proxy.ok);
  EXPECT_EQ(proxy.authSeen, "alice:secret");
  EXPECT_EQ(proxy.requestedHost, "xmpp.test");  // the name went to the proxy, unresolved
  EXPECT_EQ(proxy.requestedPort, targetPort);
}

TEST(SocksEndToEnd, WrongProxyPasswordIsReported) {
  TestProxy proxy;
  proxy.run();
  boost::asio::io_context io;
  RecordingTransportHandler handler(io);
  detail::TlsSettings tls;
  tls.verify = false;
  auto context = detail::makeClientTlsContext(tls);
  ASSERT_TRUE(context);
  handler.transport = std::make_shared<detail::Transport>(io, handler, *context, tls);
  handler.transport->connect(
      "xmpp.test", 5222, ProxyConfig{ProxyType::Socks5, "127.0.0.1", proxy.port, "alice", "nope"});
  boost::asio::steady_timer guard(io, std::chrono::seconds(10));
  guard.async_wait([&](auto) { io.stop(); });
  io.run();
  handler.transport.reset();
  proxy.thread.join();
  EXPECT_FALSE(handler.connected);
  EXPECT_EQ(handler.closedWith, "proxy: SOCKS5 proxy rejected the username or password");
}

}  // namespace
}  // namespace telex::client
