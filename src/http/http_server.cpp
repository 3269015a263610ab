// HTTP/1.1 connections over Boost.Beast (plain and TLS) implementing Exchange, and the listeners
// that create them. Each connection lives on one worker; bodies move in 64 KiB pieces, so a large
// upload or download never holds the loop for more than one piece at a time.
#include "http/http_server.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <limits>
#include <optional>
#include <spdlog/spdlog.h>
#include <type_traits>

#include "http/url.hpp"
#include "net/tls_context.hpp"

namespace telex::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr std::size_t kChunk = 64 * 1024;
// After a reply that leaves part of a request body unread, the rest is read and dropped for this
// long before closing, so the client sees the reply rather than a reset.
constexpr std::chrono::seconds kLinger{5};
constexpr std::chrono::seconds kTlsShutdown{2};

bool isHttpParseError(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

template <class Stream>
class Connection final : public Exchange, public std::enable_shared_from_this<Connection<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  Connection(Stream stream, net::Worker& worker, const Router& router, const Limits& limits,
             std::string remote)
      : stream_(std::move(stream)),
        worker_(worker),
        router_(router),
        limits_(limits),
        remote_(std::move(remote)),
        buffer_(limits.maxHeaderBytes + kChunk) {}

  void start() {
    if constexpr (kTls) {
      lowest().expires_after(limits_.handshakeTimeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](const beast::error_code& ec) {
                                if (ec) return self->closeNow();
                                self->readRequest();
                              });
    } else {
      readRequest();
    }
  }

  // Exchange
  Verb method() const override { return parser_->get().method(); }
  std::string_view path() const override { return path_; }
  std::string_view query() const override { return query_; }
  std::optional<std::string_view> header(std::string_view name) const override {
    const auto& request = parser_->get();
    auto it = request.find(beast::string_view(name.data(), name.size()));
    if (it == request.end()) return std::nullopt;
    auto value = it->value();
    return std::string_view(value.data(), value.size());
  }
  std::optional<std::uint64_t> contentLength() const override {
    auto length = parser_->content_length();
    if (!length) return std::nullopt;
    return *length;
  }
  bool hasBody() const override { return parser_->chunked() || contentLength().value_or(0) > 0; }
  const std::string& remoteAddress() const override { return remote_; }
  bool isTls() const override { return kTls; }
  net::Worker& worker() override { return worker_; }

  void readBody(std::uint64_t limit, ChunkFn chunk, DoneFn done) override {
    chunkFn_ = std::move(chunk);
    doneFn_ = std::move(done);
    if (parser_->is_done()) return finishBody(BodyEnd::Complete);
    if (auto length = contentLength(); length && *length > limit) return finishBody(BodyEnd::TooLarge);
    parser_->body_limit(limit);
    chunkBuffer_.resize(kChunk);
    auto expect = header("Expect");
    if (expect && equalsIgnoreCase(*expect, "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      lowest().expires_after(limits_.ioTimeout);
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = this->shared_from_this()](const beast::error_code& ec, std::size_t) {
                          if (ec) return self->finishBody(BodyEnd::Failed);
                          self->readChunk();
                        });
      return;
    }
    readChunk();
  }

  void respond(Response response) override {
    if (answered_) return;
    answered_ = true;
    body_ = std::move(response.body);
    std::uint64_t length = body_.size();
    writeHead(std::move(response), length, [this] { writeStringBody(); });
  }

  void respondStream(Response head, std::uint64_t length, BodySource source) override {
    if (answered_) return;
    answered_ = true;
    source_ = std::move(source);
    remaining_ = length;
    writeHead(std::move(head), length, [this] { pump(); });
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void readRequest() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits_.maxHeaderBytes));
    // Beast's default (1 MB) would refuse a large Content-Length while the header is read; the
    // handler sets the real limit when it reads the body.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    answered_ = false;
    mustClose_ = false;
    if (buffer_.size() == 0) buffer_.shrink_to_fit();  // idle keep-alive connections hold no buffer
    lowest().expires_after(limits_.headerTimeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](const beast::error_code& ec, std::size_t) {
                               self->onHeader(ec);
                             });
  }

  void onHeader(const beast::error_code& ec) {
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      return refuse(Status::request_header_fields_too_large, "request header too large");
    }
    if (isHttpParseError(ec)) return refuse(Status::bad_request, "malformed request");
    if (ec) return closeNow();
    lowest().expires_never();  // the handler may wait for storage; no I/O is pending meanwhile
    auto target = parser_->get().target();
    std::string_view raw(target.data(), target.size());
    if (raw.empty() || raw.front() != '/') return refuse(Status::bad_request, "request target must be a path");
    auto split = splitTarget(raw);
    path_ = std::string(split.path);
    query_ = std::string(split.query);
    const Router::Handler* handler = router_.find(path_);
    if (!handler) return refuse(Status::not_found, "not found");
    try {
      (*handler)(this->shared_from_this());
    } catch (const std::exception& e) {
      spdlog::error("http: handler for {} threw: {}", path_, e.what());
      mustClose_ = true;
      if (!answered_) respond(textResponse(Status::internal_server_error, "internal error"));
    }
  }

  void refuse(Status status, std::string_view why) {
    mustClose_ = true;
    respond(textResponse(status, why));
  }

  void readChunk() {
    auto& body = parser_->get().body();
    body.data = chunkBuffer_.data();
    body.size = chunkBuffer_.size();
    body.more = true;
    lowest().expires_after(limits_.ioTimeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->onChunk(ec);
                      });
  }

  void onChunk(beast::error_code ec) {
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec == bhttp::error::body_limit) return finishBody(BodyEnd::TooLarge);
    if (ec) return finishBody(BodyEnd::Failed);
    std::size_t got = chunkBuffer_.size() - parser_->get().body().size;
    if (got > 0 && !chunkFn_(std::string_view(chunkBuffer_.data(), got))) return finishBody(BodyEnd::Aborted);
    if (parser_->is_done()) return finishBody(BodyEnd::Complete);
    readChunk();
  }

  void finishBody(BodyEnd end) {
    lowest().expires_never();
    if (end != BodyEnd::Complete) mustClose_ = true;
    auto done = std::move(doneFn_);
    chunkFn_ = nullptr;
    doneFn_ = nullptr;
    releaseChunkBuffer();
    if (done) done(end);
  }

  template <class Next>
  void writeHead(Response response, std::uint64_t length, Next next) {
    head_.emplace(response.status, 11);
    for (const auto& field : response.headers) head_->insert(field.name_string(), field.value());
    auto code = static_cast<unsigned>(response.status);
    if (code >= 200 && code != 204 && code != 304) head_->content_length(length);
    keepAlive_ = parser_->get().keep_alive() && parser_->is_done() && !mustClose_;
    head_->keep_alive(keepAlive_);
    serializer_.emplace(*head_);
    lowest().expires_after(limits_.ioTimeout);
    bhttp::async_write_header(stream_, *serializer_,
                              [self = this->shared_from_this(), next](const beast::error_code& ec, std::size_t) {
                                if (ec) return self->closeNow();
                                next();
                              });
  }

  bool headOnly() const { return parser_->get().method() == Verb::head; }

  void writeStringBody() {
    if (headOnly() || body_.empty()) return finishResponse();
    lowest().expires_after(limits_.ioTimeout);
    asio::async_write(stream_, asio::buffer(body_),
                      [self = this->shared_from_this()](const beast::error_code& ec, std::size_t) {
                        if (ec) return self->closeNow();
                        self->finishResponse();
                      });
  }

  void pump() {
    if (remaining_ == 0 || headOnly()) return finishResponse();
    chunkBuffer_.resize(kChunk);
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, kChunk));
    auto got = source_(chunkBuffer_.data(), want);
    if (!got || *got == 0 || *got > want) {
      // The Content-Length is already on the wire: the only honest end is to cut the connection.
      spdlog::warn("http: response body for {} ended early: {}", path_, got ? "short read" : got.error());
      return closeNow();
    }
    remaining_ -= *got;
    lowest().expires_after(limits_.ioTimeout);
    asio::async_write(stream_, asio::buffer(chunkBuffer_.data(), *got),
                      [self = this->shared_from_this()](const beast::error_code& ec, std::size_t) {
                        if (ec) return self->closeNow();
                        self->pump();
                      });
  }

  void finishResponse() {
    bool bodyUnread = !parser_->is_done();
    serializer_.reset();
    head_.reset();
    body_.clear();
    body_.shrink_to_fit();
    source_ = nullptr;
    if (keepAlive_) {
      releaseChunkBuffer();
      return readRequest();
    }
    if (bodyUnread) return linger();
    if constexpr (kTls) {
      lowest().expires_after(kTlsShutdown);
      stream_.async_shutdown([self = this->shared_from_this()](const beast::error_code&) { self->closeNow(); });
    } else {
      beast::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      closeNow();
    }
  }

  // Reads and drops what the client still sends (up to kLinger), then closes.
  void linger() {
    if constexpr (!kTls) {
      beast::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    if (!lingerDeadline_) lingerDeadline_ = std::chrono::steady_clock::now() + kLinger;
    auto left = *lingerDeadline_ - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return closeNow();
    chunkBuffer_.resize(kChunk);
    lowest().expires_after(left);
    stream_.async_read_some(asio::buffer(chunkBuffer_),
                            [self = this->shared_from_this()](const beast::error_code& ec, std::size_t) {
                              if (ec) return self->closeNow();
                              self->linger();
                            });
  }

  void releaseChunkBuffer() {
    chunkBuffer_.clear();
    chunkBuffer_.shrink_to_fit();
  }

  void closeNow() {
    beast::error_code ignored;
    lowest().socket().close(ignored);
  }

  Stream stream_;
  net::Worker& worker_;
  const Router& router_;
  Limits limits_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::buffer_body>> parser_;
  std::string path_;
  std::string query_;
  bool answered_ = false;
  bool mustClose_ = false;
  bool keepAlive_ = false;
  std::vector<char> chunkBuffer_;
  ChunkFn chunkFn_;
  DoneFn doneFn_;
  std::optional<bhttp::response<bhttp::empty_body>> head_;
  std::optional<bhttp::response_serializer<bhttp::empty_body>> serializer_;
  std::string body_;
  BodySource source_;
  std::uint64_t remaining_ = 0;
  std::optional<std::chrono::steady_clock::time_point> lingerDeadline_;
};

// ALPN for HTTPS: HTTP/1.1 when offered; otherwise no ALPN (the client then speaks HTTP/1.1 anyway).
int selectHttpAlpn(SSL*, const unsigned char** out, unsigned char* outLength, const unsigned char* in,
                   unsigned int inLength, void*) {
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outLength, kHttp11, sizeof(kHttp11), in, inLength) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

HttpServer::HttpServer(const Router& router, Limits limits) : router_(router), limits_(limits) {}
HttpServer::~HttpServer() = default;

Expected<std::unique_ptr<HttpServer>, std::string> HttpServer::open(
    net::WorkerPool& workers, const Router& router, const std::vector<Endpoint>& endpoints,
    const std::filesystem::path& certificate, const std::filesystem::path& key, Limits limits) {
  std::unique_ptr<HttpServer> server(new HttpServer(router, limits));
  bool anyTls = std::any_of(endpoints.begin(), endpoints.end(), [](const Endpoint& e) { return e.tls; });
  if (anyTls) {
    auto ctx = net::makeServerTlsContext(certificate, key);
    if (!ctx) return unexpected("http: " + ctx.error());
    SSL_CTX_set_alpn_select_cb(ctx->get(), selectHttpAlpn, nullptr);
    server->tls_ = std::make_unique<asio::ssl::context>(ctx->release());
  }
  HttpServer* self = server.get();
  for (const auto& endpoint : endpoints) {
    bool tls = endpoint.tls;
    auto listener = net::Listener::open(
        workers, endpoint.address, endpoint.port, [self, tls](net::AcceptedSocket accepted, net::Worker& worker) {
          auto peer = accepted.peer();
          // Plain HTTP is for a reverse proxy or tests on this machine; elsewhere, use HTTPS.
          if (!tls && !peer.address().is_loopback()) return;
          tcp::socket socket = std::move(accepted).toAsio(worker.context());
          if (!socket.is_open()) return;
          std::string remote = peer.address().to_string();
          if (tls) {
            auto c = std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(
                beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *self->tls_), worker,
                self->router_, self->limits_, std::move(remote));
            c->start();
          } else {
            auto c = std::make_shared<Connection<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), worker,
                                                                     self->router_, self->limits_, std::move(remote));
            c->start();
          }
        });
    if (!listener) return unexpected("http: " + listener.error());
    server->listeners_.push_back(std::move(*listener));
    server->listenerTls_.push_back(tls);
  }
  return server;
}

void HttpServer::start() {
  for (auto& l : listeners_) l->start();
}

void HttpServer::stop() {
  for (auto& l : listeners_) l->stop();
}

std::vector<HttpServer::Bound> HttpServer::bound() const {
  std::vector<Bound> out;
  for (std::size_t i = 0; i < listeners_.size(); ++i) {
    out.push_back({listeners_[i]->address(), listeners_[i]->port(), listenerTls_[i]});
  }
  return out;
}

}  // namespace telex::http
