// The client's byte transport (internal): resolve, TCP, SOCKS, TLS (direct or STARTTLS), writes.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "client/socks.hpp"
#include "util/expected.hpp"

namespace telex::client::detail {

namespace asio = boost::asio;

struct TransportError {
  enum class Stage { Resolve, Connect, Proxy, Tls, Io, PeerClosed };
  Stage stage = Stage::Io;
  std::string message;
  bool certificateRejected = false;  // TLS failed because the server's certificate is not trusted
};

// What the owner of a transport hears from it. Calls come from the io_context's thread; after
// the owner calls abort() or detach(), none at all.
class TransportHandler {
 public:
  virtual ~TransportHandler() = default;
  virtual void onTransportConnected() = 0;  // TCP, proxy and direct TLS are done
  virtual void onTransportData(std::string_view bytes) = 0;
  virtual void onTransportTlsEstablished() = 0;  // the startTls() handshake succeeded
  virtual void onTransportClosed(const TransportError& error) = 0;  // once, at any stage
};

struct TlsSettings {
  bool verify = true;      // check the chain against the trust store and the server name
  std::string caFile;      // extra PEM trust anchors (may be a self-signed leaf certificate)
  std::string serverName;  // the XMPP domain: SNI and the name the certificate must carry
  bool directTls = false;  // XEP-0368: TLS from the first byte, ALPN "xmpp-client"
};

// Builds the TLS client context for `settings` (trust store, verification mode, TLS >= 1.2).
Expected<std::shared_ptr<asio::ssl::context>, std::string> makeClientTlsContext(
    const TlsSettings& settings);

class Transport : public std::enable_shared_from_this<Transport> {
 public:
  Transport(asio::io_context& io, TransportHandler& handler,
            std::shared_ptr<asio::ssl::context> tls, TlsSettings settings);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Connects to host:port, through `proxy` when given (the proxy resolves names, except SOCKS4).
  void connect(std::string host, std::uint16_t port, std::optional<ProxyConfig> proxy);
  // Queues bytes; they are written in order, several queued pieces per write.
  void send(std::string_view bytes);
  // Upgrades to TLS once queued output is flushed; stops reading plaintext until it is done.
  // Call it from onTransportData once the <proceed/> has been seen.
  void startTls();
  // Flushes queued output, then closes; reports nothing more. With a linger, our sending side is
  // shut down and the socket is read (and discarded) until the peer closes or the linger ends:
  // closing at once would reset a connection the server is still writing to (its closing tag,
  // a TLS close_notify), which some servers log as errors or worse.
  void closeAfterFlush(std::chrono::milliseconds linger = std::chrono::milliseconds(0));
  // Closes at once and reports nothing more.
  void abort();

  bool isTls() const { return tlsActive_; }
  std::string tlsDescription() const;  // e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384", empty if none

 private:
  using Tcp = asio::ip::tcp;

  void resolveTargetForSocks4();
  void connectTo(const Tcp::resolver::results_type& endpoints);
  void afterTcpConnected();
  void proxyRead();
  void startHandshake(bool directTls);
  void afterTransportReady();
  void readLoop();
  void flush();
  void finishClose();
  void fail(TransportError::Stage stage, std::string message, bool certificateRejected = false);
  bool configureSsl(std::string& error);

  asio::io_context& io_;
  TransportHandler* handler_;
  std::shared_ptr<asio::ssl::context> tlsContext_;
  TlsSettings tlsSettings_;
  Tcp::resolver resolver_;
  std::unique_ptr<asio::ssl::stream<Tcp::socket>> stream_;
  asio::steady_timer lingerTimer_;
  std::chrono::milliseconds linger_{0};

  std::string host_;
  std::uint16_t port_ = 0;
  std::optional<ProxyConfig> proxy_;
  std::optional<SocksHandshake> socks_;
  std::optional<std::array<std::uint8_t, 4>> socks4Address_;
  std::string initialData_;  // bytes that followed the proxy's reply

  std::array<char, 16384> readBuffer_{};
  std::string queued_;    // waiting for the current write to finish
  std::string inflight_;  // being written
  bool ready_ = false;    // connected (and through the proxy / direct TLS): stream bytes may flow
  bool writing_ = false;
  bool reading_ = false;
  bool tlsActive_ = false;
  bool tlsRequested_ = false;
  bool handshaking_ = false;
  bool closeRequested_ = false;
  bool finished_ = false;  // failed, aborted or closed: no more handler calls
};

}  // namespace telex::client::detail
