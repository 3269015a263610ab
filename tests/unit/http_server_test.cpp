// The HTTP listener end to end on a loopback port: routing, keep-alive, limits, streamed bodies in
// both directions, 100-continue and HEAD, driven by a raw socket client.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <thread>

#include "http/http_server.hpp"

namespace telex::http {
namespace {

namespace bh = boost::beast::http;

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

// A blocking HTTP/1.1 client just big enough for these tests.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawClient() { ::close(fd_); }
  bool connected() const { return connected_; }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads one response; `headOnly` for answers to HEAD (a Content-Length but no body).
  std::optional<Reply> read(bool headOnly = false) {
    auto end = buffer_.find("\r\n\r\n");
    while (end == std::string::npos) {
      if (!fill()) return std::nullopt;
      end = buffer_.find("\r\n\r\n");
    }
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    Reply reply;
    reply.status = std::atoi(head.substr(9, 3).c_str());
    std::size_t pos = head.find("\r\n");
    while (pos != std::string::npos) {
      std::size_t next = head.find("\r\n", pos + 2);
      std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      auto colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      reply.headers[name] = value;
      pos = next;
    }
    std::size_t length = reply.headers.contains("content-length") ? std::stoul(reply.headers["content-length"]) : 0;
    if (headOnly || reply.status == 100) length = 0;
    while (buffer_.size() < length) {
      if (!fill()) return std::nullopt;
    }
    reply.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return reply;
  }

  // True when the server closed the connection (EOF) within the receive timeout.
  bool closedByPeer() {
    char c;
    return buffer_.empty() && ::recv(fd_, &c, 1, 0) == 0;
  }

 private:
  bool fill() {
    char chunk[65536];
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("/hello", [](std::shared_ptr<Exchange> ex) {
      Response r = textResponse(Status::ok, "hello <&'\">");
      r.headers.set("X-Path", std::string(ex->path()));
      r.headers.set("X-Query", std::string(ex->query()));
      ex->respond(std::move(r));
    });
    // Counts the body's bytes and checks them against pattern(): answers "<count> <ok>".
    router_.add("/sink", [](std::shared_ptr<Exchange> ex) {
      auto state = std::make_shared<std::pair<std::size_t, bool>>(0, true);
      auto expected = std::make_shared<std::string>(pattern(ex->contentLength().value_or(0)));
      ex->readBody(
          2 * 1024 * 1024,
          [state, expected](std::string_view bytes) {
            if (expected->compare(state->first, bytes.size(), bytes) != 0) state->second = false;
            state->first += bytes.size();
            return true;
          },
          [ex, state](BodyEnd end) {
            if (end == BodyEnd::TooLarge) return ex->respond(textResponse(Status::payload_too_large, "too large"));
            ex->respond(textResponse(Status::ok, std::to_string(state->first) + (state->second ? " ok" : " bad")));
          });
    });
    // Streams pattern(n) for /stream/<n>.
    router_.add("/stream/", [](std::shared_ptr<Exchange> ex) {
      std::size_t n = std::stoul(std::string(ex->path().substr(8)));
      auto data = std::make_shared<std::string>(pattern(n));
      auto offset = std::make_shared<std::size_t>(0);
      Response head;
      head.headers.set(bh::field::content_type, "application/octet-stream");
      ex->respondStream(std::move(head), n, [data, offset](char* buffer, std::size_t size) -> Expected<std::size_t, std::string> {
        std::size_t take = std::min<std::size_t>(size, 1000);  // small pieces: many writes
        std::memcpy(buffer, data->data() + *offset, take);
        *offset += take;
        return take;
      });
    });
    workers_ = std::make_unique<net::WorkerPool>(2);
    auto server = HttpServer::open(*workers_, router_, {{"127.0.0.1", 0, false}}, {}, {});
    ASSERT_TRUE(server) << server.error();
    server_ = std::move(*server);
    port_ = server_->bound().front().port;
    workers_->start();
    server_->start();
  }

  void TearDown() override {
    server_->stop();
    for (std::size_t i = 0; i < workers_->size(); ++i) workers_->at(i).context().stop();
    workers_->stop();
    workers_->join();
    server_->close();
    workers_.reset();
    server_.reset();
  }

  Router router_;
  std::unique_ptr<net::WorkerPool> workers_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
};

TEST_F(HttpServerTest, RoutesAndKeepsTheConnection) {
  RawClient c(port_);
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send("GET /hello?x=%3C1 HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    auto r = c.read();
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "hello <&'\">\n");
    EXPECT_EQ(r->headers["x-path"], "/hello");
    EXPECT_EQ(r->headers["x-query"], "x=%3C1");
  }
  ASSERT_TRUE(c.send("GET /nothing-here HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto missing = c.read();
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  RawClient c(port_);
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers["connection"], "close");
  EXPECT_TRUE(c.closedByPeer());
}

TEST_F(HttpServerTest, RefusesOversizedHeadersAndBadRequests) {
  RawClient big(port_);
  ASSERT_TRUE(big.send("GET /hello HTTP/1.1\r\nHost: localhost\r\nX-Big: " + std::string(20000, 'x') + "\r\n\r\n"));
  auto r = big.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);

  RawClient garbage(port_);
  ASSERT_TRUE(garbage.send("NOT HTTP AT ALL\r\n\r\n"));
  auto g = garbage.read();
  ASSERT_TRUE(g);
  EXPECT_EQ(g->status, 400);

  RawClient absolute(port_);
  ASSERT_TRUE(absolute.send("GET http://example.org/hello HTTP/1.1\r\nHost: example.org\r\n\r\n"));
  auto a = absolute.read();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 400);
}

TEST_F(HttpServerTest, StreamsARequestBody) {
  RawClient c(port_);
  std::string body = pattern(1024 * 1024 + 17);
  ASSERT_TRUE(c.send("PUT /sink HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\n\r\n"));
  ASSERT_TRUE(c.send(body));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, std::to_string(body.size()) + " ok\n");
  // Still usable afterwards.
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto again = c.read();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

TEST_F(HttpServerTest, ChunkedBodyAndExpectContinue) {
  RawClient c(port_);
  ASSERT_TRUE(c.send("PUT /sink HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
                     "Expect: 100-continue\r\n\r\n"));
  auto cont = c.read();
  ASSERT_TRUE(cont);
  EXPECT_EQ(cont->status, 100);
  ASSERT_TRUE(c.send("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body.starts_with("11 "));
}

TEST_F(HttpServerTest, BodyOverTheLimitIsRefused) {
  RawClient c(port_);
  ASSERT_TRUE(c.send("PUT /sink HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3000000\r\n\r\n"));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->headers["connection"], "close");
  // The unread body is drained, not reset: the client can still send it without an error.
  EXPECT_TRUE(c.send(std::string(300000, 'x')));
}

TEST_F(HttpServerTest, StreamsAResponseBodyAndAnswersHead) {
  RawClient c(port_);
  ASSERT_TRUE(c.send("GET /stream/200000 HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers["content-length"], "200000");
  EXPECT_EQ(r->body, pattern(200000));
  ASSERT_TRUE(c.send("HEAD /stream/5000 HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto head = c.read(true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->headers["content-length"], "5000");
  EXPECT_EQ(head->body, "");
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto after = c.read();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body, "hello <&'\">\n");
}

TEST_F(HttpServerTest, ManyConnectionsAtOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      RawClient c(port_);
      if (!c.send("GET /stream/100000 HTTP/1.1\r\nHost: localhost\r\n\r\n")) return;
      auto r = c.read();
      if (r && r->body == pattern(100000)) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
}

}  // namespace
}  // namespace telex::http
