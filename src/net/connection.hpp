// One TCP connection, plain or TLS, driven by readiness on its worker (net::Poller): reads into
// the worker's shared buffer, writes coalesced once per loop pass, optional byte-rate shaping.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/accepted_socket.hpp"
#include "net/poller.hpp"
#include "net/stanza_bytes.hpp"
#include "net/tls_context.hpp"
#include "net/worker.hpp"

namespace telex::net {

// Network::ConnectionHandler — what the owner of a connection hears from it.
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  virtual void onData(std::string_view bytes) = 0;
  virtual void onTlsEstablished() {}
  // The connection is gone (peer closed, error, or after close()); called once.
  virtual void onClosed(std::string_view reason) = 0;
};

struct RateLimit {
  std::int64_t bytesPerSecond = 0;  // 0 = unlimited
  std::int64_t burstBytes = 0;
};

class Connection final : private PollClient {
 public:
  Connection(AcceptedSocket socket, Worker& worker, ConnectionHandler& handler);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts reading. Pending operations hold `owner` alive, so the object that owns this
  // connection lives as long as the connection is open.
  void start(std::weak_ptr<void> owner);
  // Server-side TLS from the first byte (direct TLS) or after <proceed/> (STARTTLS): output
  // queued so far is flushed in clear first.
  void startTls(SSL_CTX* context);
  void setRateLimit(RateLimit limit);

  void send(SharedBytes bytes);
  void send(std::string bytes) { send(std::make_shared<const std::string>(std::move(bytes))); }
  // Queues every piece as it is (shared, not copied); they leave back to back.
  void send(const StanzaBytes& stanza);
  // Flushes what is queued, then closes gracefully; no more data is delivered to the handler.
  void close();
  // Drops the connection at once.
  void abort(std::string_view reason);

  bool isTls() const { return ssl_ != nullptr; }
  bool isOpen() const { return state_ == State::Open; }
  const std::string& remoteAddress() const { return remoteAddress_; }
  bool remoteIsLoopback() const { return remoteLoopback_; }
  Worker& worker() { return worker_; }
  SSL* ssl() { return ssl_.get(); }
  std::size_t queuedBytes() const { return queuedBytes_; }

 private:
  enum class State { Open, Closing, Closed };
  enum class Io { Done, WouldBlockRead, WouldBlockWrite, Eof, Error };

  void onPollEvents(std::uint32_t events) override;
  // Read (write) as soon as the socket is readable (writable): now, on a later pass, if it is
  // known to be, otherwise at its next readiness edge.
  void waitReadable();
  void waitWritable();
  void postReadinessCheck();
  void closeDescriptor();
  void onReadable();
  void scheduleFlush();
  void flush();
  Io readSome(char* data, std::size_t size, std::size_t& got);
  Io writePlain(std::size_t& written);
  Io writeTls(std::size_t& written);
  void consumeOutput(std::size_t written);
  void finishClose(std::string_view reason);
  std::size_t readAllowance();

  int fd_ = -1;
  std::uint64_t pollToken_ = 0;
  Worker& worker_;
  ConnectionHandler& handler_;
  std::weak_ptr<void> owner_;
  SslPtr ssl_;
  asio::steady_timer timer_;  // rate-shaping pause, or the close grace period
  std::string remoteAddress_;
  bool remoteLoopback_ = false;

  std::vector<SharedBytes> out_;
  std::size_t outHead_ = 0;        // first unsent entry in out_
  std::size_t outOffset_ = 0;      // bytes of out_[outHead_] already sent
  std::size_t queuedBytes_ = 0;
  std::size_t tlsRetryLength_ = 0;  // an SSL_write that must be repeated with this length

  RateLimit rate_;
  double tokens_ = 0;
  std::chrono::steady_clock::time_point lastRefill_;

  State state_ = State::Open;
  bool readable_ = false;    // a readiness edge came and no read has said EAGAIN since
  bool writable_ = true;     // no write has said EAGAIN since the last writability edge
  bool reading_ = false;     // waiting to read
  bool writing_ = false;     // waiting to write
  bool checkPosted_ = false;
  bool flushPosted_ = false;
  bool paused_ = false;
  bool readWantsWrite_ = false;  // TLS read needs the socket writable first
  bool shutdownSent_ = false;
};

}  // namespace telex::net
