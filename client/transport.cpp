// Transport: asynchronous resolve/connect, SOCKS, TLS and coalesced writes on Boost.Asio.
#include "client/transport.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>

namespace telex::client::detail {

namespace {

bool isIpLiteral(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

std::string describeError(const boost::system::error_code& ec) {
  std::string message = ec.message();
  // OpenSSL's messages come as "certificate verify failed (SSL routines)"; keep the useful part.
  if (const auto paren = message.find(" (SSL routines"); paren != std::string::npos) {
    message.resize(paren);
  }
  return message;
}

}  // namespace

Expected<std::shared_ptr<asio::ssl::context>, std::string> makeClientTlsContext(
    const TlsSettings& settings) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  boost::system::error_code ec;
  if (!settings.verify) {
    context->set_verify_mode(asio::ssl::verify_none, ec);
    return context;
  }
  context->set_verify_mode(asio::ssl::verify_peer, ec);
  if (ec) return unexpected("cannot enable certificate verification: " + describeError(ec));
  context->set_default_verify_paths(ec);
  if (ec) return unexpected("cannot load the system's trusted certificates: " + describeError(ec));
  if (!settings.caFile.empty()) {
    context->load_verify_file(settings.caFile, ec);
    if (ec) {
      return unexpected("cannot load CA file " + settings.caFile + ": " + describeError(ec));
    }
    // Trusting a given certificate must work for a self-signed server certificate too, which
    // is a leaf rather than a CA: a chain may end at any certificate we were told to trust.
    X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_PARTIAL_CHAIN);
  }
  return context;
}

Transport::Transport(asio::io_context& io, TransportHandler& handler,
                     std::shared_ptr<asio::ssl::context> tls, TlsSettings settings)
    : io_(io),
      handler_(&handler),
      tlsContext_(std::move(tls)),
      tlsSettings_(std::move(settings)),
      resolver_(io),
      stream_(std::make_unique<asio::ssl::stream<Tcp::socket>>(io, *tlsContext_)),
      lingerTimer_(io) {}

Transport::~Transport() = default;

void Transport::connect(std::string host, std::uint16_t port, std::optional<ProxyConfig> proxy) {
  host_ = std::move(host);
  port_ = port;
  proxy_ = std::move(proxy);
  if (proxy_ && SocksHandshake::needsLocalResolution(proxy_->type, host_)) {
    resolveTargetForSocks4();
    return;
  }
  const std::string connectHost = proxy_ ? proxy_->host : host_;
  const std::uint16_t connectPort = proxy_ ? proxy_->port : port_;
  resolver_.async_resolve(
      connectHost, std::to_string(connectPort),
      [self = shared_from_this(), connectHost](const boost::system::error_code& ec,
                                               Tcp::resolver::results_type results) {
        if (self->finished_) return;
        if (ec) {
          self->fail(TransportError::Stage::Resolve,
                     "cannot resolve " + connectHost + ": " + describeError(ec));
          return;
        }
        self->connectTo(results);
      });
}

// SOCKS4 carries only an IPv4 address, so the name is resolved here before the proxy is reached.
void Transport::resolveTargetForSocks4() {
  resolver_.async_resolve(
      Tcp::v4(), host_, std::to_string(port_),
      [self = shared_from_this()](const boost::system::error_code& ec,
                                  Tcp::resolver::results_type results) {
        if (self->finished_) return;
        if (ec || results.empty()) {
          self->fail(TransportError::Stage::Resolve,
                     "cannot resolve " + self->host_ + " to an IPv4 address for the SOCKS4 proxy" +
                         (ec ? ": " + describeError(ec) : std::string()));
          return;
        }
        const auto bytes = results.begin()->endpoint().address().to_v4().to_bytes();
        self->socks4Address_ = std::array<std::uint8_t, 4>{bytes[0], bytes[1], bytes[2], bytes[3]};
        const std::string proxyHost = self->proxy_->host;
        self->resolver_.async_resolve(
            proxyHost, std::to_string(self->proxy_->port),
            [self, proxyHost](const boost::system::error_code& ec2,
                              Tcp::resolver::results_type proxyResults) {
              if (self->finished_) return;
              if (ec2) {
                self->fail(TransportError::Stage::Resolve,
                           "cannot resolve proxy " + proxyHost + ": " + describeError(ec2));
                return;
              }
              self->connectTo(proxyResults);
            });
      });
}

void Transport::connectTo(const Tcp::resolver::results_type& endpoints) {
  asio::async_connect(
      stream_->next_layer(), endpoints,
      [self = shared_from_this()](const boost::system::error_code& ec, const Tcp::endpoint&) {
        if (self->finished_) return;
        if (ec) {
          const std::string what =
              self->proxy_ ? "cannot connect to proxy " + self->proxy_->host + ":" +
                                 std::to_string(self->proxy_->port)
                           : "cannot connect to " + self->host_ + ":" + std::to_string(self->port_);
          self->fail(TransportError::Stage::Connect, what + ": " + describeError(ec));
          return;
        }
        boost::system::error_code ignored;
        self->stream_->next_layer().set_option(Tcp::no_delay(true), ignored);
        self->afterTcpConnected();
      });
}

void Transport::afterTcpConnected() {
  if (!proxy_) {
    startHandshake(tlsSettings_.directTls);
    return;
  }
  socks_.emplace(proxy_->type, host_, port_, proxy_->username, proxy_->password, socks4Address_);
  auto step = socks_->start();
  if (step.status == SocksHandshake::Status::Failed) {
    fail(TransportError::Stage::Proxy, "proxy: " + step.error);
    return;
  }
  auto bytes = std::make_shared<std::string>(std::move(step.send));
  asio::async_write(
      stream_->next_layer(), asio::buffer(*bytes),
      [self = shared_from_this(), bytes](const boost::system::error_code& ec, std::size_t) {
        if (self->finished_) return;
        if (ec) {
          self->fail(TransportError::Stage::Proxy, "proxy: write failed: " + describeError(ec));
          return;
        }
        self->proxyRead();
      });
}

void Transport::proxyRead() {
  stream_->next_layer().async_read_some(
      asio::buffer(readBuffer_),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        if (self->finished_) return;
        if (ec) {
          self->fail(TransportError::Stage::Proxy,
                     ec == asio::error::eof ? "proxy: the proxy closed the connection"
                                            : "proxy: read failed: " + describeError(ec));
          return;
        }
        auto step = self->socks_->receive(std::string_view(self->readBuffer_.data(), n));
        if (step.status == SocksHandshake::Status::Failed) {
          self->fail(TransportError::Stage::Proxy, "proxy: " + step.error);
          return;
        }
        const auto next = [self, status = step.status, leftover = std::move(step.leftover)]() {
          if (status == SocksHandshake::Status::Done) {
            if (!leftover.empty() && self->tlsSettings_.directTls) {
              self->fail(TransportError::Stage::Proxy, "proxy: unexpected data before TLS");
              return;
            }
            self->initialData_ = leftover;
            self->startHandshake(self->tlsSettings_.directTls);
          } else {
            self->proxyRead();
          }
        };
        if (step.send.empty()) {
          next();
          return;
        }
        auto bytes = std::make_shared<std::string>(std::move(step.send));
        asio::async_write(self->stream_->next_layer(), asio::buffer(*bytes),
                          [self, bytes, next](const boost::system::error_code& wec, std::size_t) {
                            if (self->finished_) return;
                            if (wec) {
                              self->fail(TransportError::Stage::Proxy,
                                         "proxy: write failed: " + describeError(wec));
                              return;
                            }
                            next();
                          });
      });
}

bool Transport::configureSsl(std::string& error) {
  SSL* ssl = stream_->native_handle();
  const std::string& name = tlsSettings_.serverName;
  if (!name.empty() && !isIpLiteral(name)) {
    // SNI lets one address host many XMPP domains; literal addresses are not sent (RFC 6066 §3).
    if (SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
      error = "cannot set TLS server name";
      return false;
    }
  }
  if (tlsSettings_.verify && !name.empty()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int ok = isIpLiteral(name) ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                                     : X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
    if (ok != 1) {
      error = "cannot set the certificate name to check";
      return false;
    }
  }
  if (tlsSettings_.directTls) {
    static const unsigned char kAlpn[] = "\x0bxmpp-client";
    SSL_set_alpn_protos(ssl, kAlpn, sizeof(kAlpn) - 1);
  }
  return true;
}

void Transport::startHandshake(bool tls) {
  if (!tls) {
    afterTransportReady();
    return;
  }
  std::string error;
  if (!configureSsl(error)) {
    fail(TransportError::Stage::Tls, error);
    return;
  }
  handshaking_ = true;
  stream_->async_handshake(
      asio::ssl::stream_base::client,
      [self = shared_from_this()](const boost::system::error_code& ec) {
        if (self->finished_) return;
        self->handshaking_ = false;
        if (ec) {
          const long verify = SSL_get_verify_result(self->stream_->native_handle());
          if (verify != X509_V_OK && self->tlsSettings_.verify) {
            self->fail(TransportError::Stage::Tls,
                       std::string("the server's certificate is not trusted: ") +
                           X509_verify_cert_error_string(verify),
                       true);
          } else {
            self->fail(TransportError::Stage::Tls, "TLS handshake failed: " + describeError(ec));
          }
          return;
        }
        self->tlsActive_ = true;
        if (self->tlsRequested_) {
          // STARTTLS upgrade of an established stream.
          self->tlsRequested_ = false;
          if (self->handler_) self->handler_->onTransportTlsEstablished();
          if (self->finished_) return;
          self->flush();
          self->readLoop();
        } else {
          self->afterTransportReady();
        }
      });
}

void Transport::afterTransportReady() {
  ready_ = true;
  if (handler_) handler_->onTransportConnected();
  if (finished_) return;
  if (!initialData_.empty()) {
    const std::string data = std::move(initialData_);
    initialData_.clear();
    if (handler_) handler_->onTransportData(data);
    if (finished_) return;
  }
  flush();
  readLoop();
}

void Transport::readLoop() {
  if (reading_ || finished_ || tlsRequested_ || handshaking_) return;
  reading_ = true;
  auto onRead = [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
    self->reading_ = false;
    if (self->finished_) return;
    if (ec) {
      if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
          ec == asio::error::connection_reset) {
        self->fail(TransportError::Stage::PeerClosed, "the server closed the connection");
      } else {
        self->fail(TransportError::Stage::Io, "connection lost: " + describeError(ec));
      }
      return;
    }
    if (self->handler_) {
      self->handler_->onTransportData(std::string_view(self->readBuffer_.data(), n));
    }
    if (self->finished_) return;
    if (self->tlsRequested_) {
      // Plaintext reading stops here; the handshake starts once our output is flushed.
      if (!self->writing_ && self->queued_.empty()) self->startHandshake(true);
      return;
    }
    self->readLoop();
  };
  if (tlsActive_) {
    stream_->async_read_some(asio::buffer(readBuffer_), std::move(onRead));
  } else {
    stream_->next_layer().async_read_some(asio::buffer(readBuffer_), std::move(onRead));
  }
}

void Transport::send(std::string_view bytes) {
  if (finished_ || closeRequested_) return;
  queued_.append(bytes);
  flush();
}

void Transport::startTls() {
  if (finished_ || tlsActive_) return;
  tlsRequested_ = true;
}

void Transport::flush() {
  if (writing_ || queued_.empty() || finished_ || handshaking_) return;
  // Before the transport is ready, or while a STARTTLS upgrade waits for the read handler,
  // output stays queued; the ready/handshake paths call flush() again.
  if (!ready_) return;
  writing_ = true;
  inflight_.swap(queued_);
  queued_.clear();
  auto onWritten = [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
    self->writing_ = false;
    self->inflight_.clear();
    if (self->closeRequested_ && !self->finished_ && (ec || self->queued_.empty())) {
      if (ec) {
        self->abort();
      } else {
        self->finishClose();
      }
      return;
    }
    if (self->finished_) return;
    if (ec) {
      self->fail(TransportError::Stage::Io, "write failed: " + describeError(ec));
      return;
    }
    if (self->tlsRequested_ && !self->reading_ && self->queued_.empty()) {
      self->startHandshake(true);
      return;
    }
    self->flush();
  };
  if (tlsActive_) {
    asio::async_write(*stream_, asio::buffer(inflight_), std::move(onWritten));
  } else {
    asio::async_write(stream_->next_layer(), asio::buffer(inflight_), std::move(onWritten));
  }
}

void Transport::closeAfterFlush(std::chrono::milliseconds linger) {
  handler_ = nullptr;
  if (finished_ || closeRequested_) return;
  closeRequested_ = true;
  linger_ = linger;
  if (!writing_) finishClose();
}

void Transport::finishClose() {
  if (linger_.count() <= 0 || !ready_ || handshaking_ || tlsRequested_) {
    abort();
    return;
  }
  boost::system::error_code ignored;
  stream_->next_layer().shutdown(Tcp::socket::shutdown_send, ignored);
  lingerTimer_.expires_after(linger_);
  lingerTimer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->abort();
  });
  readLoop();  // with no handler, what arrives is dropped; EOF or an error ends it (fail → abort)
}

void Transport::abort() {
  handler_ = nullptr;
  if (finished_) return;
  finished_ = true;
  resolver_.cancel();
  lingerTimer_.cancel();
  boost::system::error_code ignored;
  auto& socket = stream_->next_layer();
  if (socket.is_open()) {
    socket.shutdown(Tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }
}

void Transport::fail(TransportError::Stage stage, std::string message, bool certificateRejected) {
  if (finished_) return;
  TransportHandler* handler = handler_;
  abort();
  if (handler) {
    handler->onTransportClosed(TransportError{stage, std::move(message), certificateRejected});
  }
}

std::string Transport::tlsDescription() const {
  if (!tlsActive_) return {};
  SSL* ssl = stream_->native_handle();
  return std::string(SSL_get_version(ssl)) + " " + SSL_get_cipher_name(ssl);
}

}  // namespace telex::client::detail
