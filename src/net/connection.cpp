// Readiness-driven socket I/O for plain and TLS connections (see connection.hpp).
#include "net/connection.hpp"

#include <algorithm>
#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace telex::net {
namespace {
constexpr std::size_t kTlsRecord = 16384;
constexpr std::size_t kMaxIov = 192;  // a fanned-out stanza takes three entries
constexpr int kReadsPerPass = 16;  // then yield, so one busy client cannot starve the others
constexpr auto kCloseGrace = std::chrono::seconds(2);
}  // namespace

Connection::Connection(AcceptedSocket socket, Worker& worker, ConnectionHandler& handler)
    : worker_(worker), handler_(handler), timer_(worker.context()) {
  const auto& peer = socket.peer();
  if (peer.port() != 0 || !peer.address().is_unspecified()) {
    remoteAddress_ = peer.address().to_string();
    remoteLoopback_ = peer.address().is_loopback();
  } else {
    remoteAddress_ = "unknown";
  }
  fd_ = socket.release();
  int on = 1;
  if (fd_ >= 0) ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

Connection::~Connection() {
  // Registered connections keep their owner (and so this object) alive until finishClose(),
  // which closes the descriptor; one still open here was never started or outlived its poller.
  if (fd_ >= 0) ::close(fd_);
}

void Connection::start(std::weak_ptr<void> owner) {
  owner_ = std::move(owner);
  lastRefill_ = std::chrono::steady_clock::now();
  if (fd_ >= 0) pollToken_ = worker_.poller().add(fd_, *this, owner_.lock());
  if (pollToken_ == 0) {
    finishClose("cannot watch the socket");
    return;
  }
  waitReadable();
}

void Connection::setRateLimit(RateLimit limit) {
  rate_ = limit;
  if (rate_.bytesPerSecond > 0 && rate_.burstBytes <= 0) rate_.burstBytes = rate_.bytesPerSecond;
  tokens_ = static_cast<double>(rate_.burstBytes);
  lastRefill_ = std::chrono::steady_clock::now();
}

void Connection::startTls(SSL_CTX* context) {
  flush();
  if (state_ == State::Closed) return;
  // <proceed/> must reach the client in clear before the handshake; it is tiny, so the
  // non-blocking flush above has sent it unless the socket buffer is full of older output.
  if (outHead_ < out_.size()) {
    abort("could not flush before TLS");
    return;
  }
  ssl_.reset(SSL_new(context));
  if (!ssl_ || SSL_set_fd(ssl_.get(), fd_) != 1) {
    abort("TLS setup failed: " + lastOpenSslError());
    return;
  }
  SSL_set_accept_state(ssl_.get());
}

void Connection::send(SharedBytes bytes) {
  if (state_ != State::Open || !bytes || bytes->empty()) return;
  queuedBytes_ += bytes->size();
  out_.push_back(std::move(bytes));
  scheduleFlush();
}

void Connection::send(const StanzaBytes& stanza) {
  if (state_ != State::Open || stanza.empty()) return;
  for (const auto& piece : stanza.pieces()) {
    queuedBytes_ += piece->size();
    out_.push_back(piece);
  }
  scheduleFlush();
}

void Connection::scheduleFlush() {
  if (flushPosted_ || writing_) return;
  flushPosted_ = true;
  // One flush per loop pass: every stanza queued before it goes out in one write.
  worker_.post([this, keep = owner_.lock()] {
    flushPosted_ = false;
    flush();
  });
}

void Connection::close() {
  if (state_ != State::Open) return;
  state_ = State::Closing;
  flush();
}

void Connection::abort(std::string_view reason) { finishClose(reason); }

void Connection::waitReadable() {
  if (reading_ || state_ == State::Closed || paused_) return;
  reading_ = true;
  if (readable_) postReadinessCheck();
}

void Connection::waitWritable() {
  if (writing_ || state_ == State::Closed) return;
  writing_ = true;
  if (writable_) postReadinessCheck();
}

void Connection::postReadinessCheck() {
  if (checkPosted_) return;
  checkPosted_ = true;
  worker_.post([this, keep = owner_.lock()] {
    checkPosted_ = false;
    onPollEvents(0);
  });
}

void Connection::onPollEvents(std::uint32_t events) {
  if (state_ == State::Closed) return;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readable_ = true;
  if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) writable_ = true;
  if (writing_ && writable_) {
    writing_ = false;
    if (readWantsWrite_) {
      readWantsWrite_ = false;
      onReadable();
    }
    flush();
  }
  if (reading_ && readable_ && state_ != State::Closed) {
    reading_ = false;
    onReadable();
  }
}

std::size_t Connection::readAllowance() {
  if (rate_.bytesPerSecond <= 0) return SIZE_MAX;
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - lastRefill_).count();
  lastRefill_ = now;
  tokens_ = std::min(static_cast<double>(rate_.burstBytes),
                     tokens_ + elapsed * static_cast<double>(rate_.bytesPerSecond));
  if (tokens_ >= 1) return static_cast<std::size_t>(tokens_);
  // Over the rate: stop reading (TCP pushes back on the sender) until enough tokens return.
  double want = std::min(static_cast<double>(rate_.burstBytes), 1024.0) - tokens_;
  auto wait = std::chrono::duration<double>(want / static_cast<double>(rate_.bytesPerSecond));
  paused_ = true;
  timer_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(wait));
  timer_.async_wait([this, keep = owner_.lock()](const boost::system::error_code& ec) {
    paused_ = false;
    if (ec || state_ == State::Closed) return;
    waitReadable();
  });
  return 0;
}

void Connection::onReadable() {
  auto& buffer = worker_.readBuffer();
  for (int i = 0; i < kReadsPerPass; ++i) {
    if (state_ == State::Closed) return;
    std::size_t allowance = state_ == State::Open ? readAllowance() : SIZE_MAX;
    if (allowance == 0) return;
    std::size_t got = 0;
    switch (readSome(buffer.data(), std::min(buffer.size(), allowance), got)) {
      case Io::Done:
        tokens_ -= static_cast<double>(got);
        // While closing, whatever the peer still sends is read and dropped.
        if (state_ == State::Open) handler_.onData(std::string_view(buffer.data(), got));
        // A short plain read emptied the socket: wait instead of a recv that would say EAGAIN
        // (bytes that come in after it raise a new edge).
        if (!ssl_ && got < buffer.size()) {
          readable_ = false;
          waitReadable();
          return;
        }
        break;
      case Io::WouldBlockRead:
        waitReadable();
        return;
      case Io::WouldBlockWrite:
        readWantsWrite_ = true;
        waitWritable();
        return;
      case Io::Eof:
        finishClose("connection closed by peer");
        return;
      case Io::Error:
        finishClose("read error");
        return;
    }
  }
  if (state_ != State::Closed) worker_.post([this, keep = owner_.lock()] { onReadable(); });
}

Connection::Io Connection::readSome(char* data, std::size_t size, std::size_t& got) {
  if (ssl_) {
    int r = SSL_read_ex(ssl_.get(), data, size, &got);
    if (r == 1) return Io::Done;
    int err = SSL_get_error(ssl_.get(), r);
    if (err == SSL_ERROR_WANT_READ) {
      readable_ = false;
      return Io::WouldBlockRead;
    }
    if (err == SSL_ERROR_WANT_WRITE) {
      writable_ = false;
      return Io::WouldBlockWrite;
    }
    ERR_clear_error();
    if (err == SSL_ERROR_ZERO_RETURN) return Io::Eof;
    if (err == SSL_ERROR_SYSCALL && errno == 0) return Io::Eof;
    return Io::Error;
  }
  for (;;) {
    ssize_t n = ::recv(fd_, data, size, 0);
    if (n > 0) {
      got = static_cast<std::size_t>(n);
      return Io::Done;
    }
    if (n == 0) return Io::Eof;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      readable_ = false;
      return Io::WouldBlockRead;
    }
    return Io::Error;
  }
}

Connection::Io Connection::writePlain(std::size_t& written) {
  iovec iov[kMaxIov];
  std::size_t count = 0;
  for (std::size_t i = outHead_; i < out_.size() && count < kMaxIov; ++i, ++count) {
    std::size_t skip = i == outHead_ ? outOffset_ : 0;
    iov[count].iov_base = const_cast<char*>(out_[i]->data() + skip);
    iov[count].iov_len = out_[i]->size() - skip;
  }
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = count;
  for (;;) {
    ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n >= 0) {
      written = static_cast<std::size_t>(n);
      return Io::Done;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      writable_ = false;
      return Io::WouldBlockWrite;
    }
    return Io::Error;
  }
}

Connection::Io Connection::writeTls(std::size_t& written) {
  // Small stanzas are gathered into one TLS record; a repeated SSL_write rebuilds the same
  // bytes (output only grows at the back) and uses the length of the first attempt.
  const std::string& front = *out_[outHead_];
  std::size_t frontLeft = front.size() - outOffset_;
  const char* data = nullptr;
  std::size_t length = 0;
  if (frontLeft >= kTlsRecord || outHead_ + 1 == out_.size()) {
    data = front.data() + outOffset_;
    length = std::min(frontLeft, kTlsRecord);
  } else {
    std::string& scratch = worker_.writeScratch();
    scratch.clear();
    for (std::size_t i = outHead_; i < out_.size() && scratch.size() < kTlsRecord; ++i) {
      std::string_view piece(*out_[i]);
      if (i == outHead_) piece.remove_prefix(outOffset_);
      scratch.append(piece.substr(0, kTlsRecord - scratch.size()));
    }
    data = scratch.data();
    length = scratch.size();
  }
  if (tlsRetryLength_ != 0) length = std::min(length, tlsRetryLength_);
  int r = SSL_write_ex(ssl_.get(), data, length, &written);
  if (r == 1) {
    tlsRetryLength_ = 0;
    return Io::Done;
  }
  int err = SSL_get_error(ssl_.get(), r);
  if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
    tlsRetryLength_ = length;
    if (err == SSL_ERROR_WANT_WRITE) {
      writable_ = false;
      return Io::WouldBlockWrite;
    }
    readable_ = false;
    return Io::WouldBlockRead;
  }
  ERR_clear_error();
  return Io::Error;
}

void Connection::consumeOutput(std::size_t written) {
  queuedBytes_ -= written;
  while (written > 0 && outHead_ < out_.size()) {
    std::size_t left = out_[outHead_]->size() - outOffset_;
    if (written < left) {
      outOffset_ += written;
      return;
    }
    written -= left;
    out_[outHead_].reset();
    ++outHead_;
    outOffset_ = 0;
  }
}

void Connection::flush() {
  if (state_ == State::Closed) return;
  while (outHead_ < out_.size()) {
    std::size_t written = 0;
    Io r = ssl_ ? writeTls(written) : writePlain(written);
    if (r == Io::Done) {
      consumeOutput(written);
      continue;
    }
    if (r == Io::WouldBlockWrite) {
      waitWritable();
      return;
    }
    if (r == Io::WouldBlockRead) {
      waitReadable();
      return;
    }
    finishClose("write error");
    return;
  }
  out_.clear();
  if (out_.capacity() > 64) out_.shrink_to_fit();  // an idle connection keeps no big queue
  outHead_ = 0;
  outOffset_ = 0;
  if (state_ == State::Closing && !shutdownSent_) {
    shutdownSent_ = true;
    // Everything is sent: say goodbye and let the peer close; drop it after a grace period.
    if (ssl_) {
      SSL_shutdown(ssl_.get());
      ERR_clear_error();
    }
    ::shutdown(fd_, SHUT_WR);
    paused_ = false;
    timer_.expires_after(kCloseGrace);
    timer_.async_wait([this, keep = owner_.lock()](const boost::system::error_code& ec) {
      if (!ec) finishClose("closed");
    });
    waitReadable();
  }
}

void Connection::closeDescriptor() {
  if (fd_ < 0) return;
  worker_.poller().remove(pollToken_);
  ::close(fd_);
  fd_ = -1;
}

void Connection::finishClose(std::string_view reason) {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  timer_.cancel();
  closeDescriptor();
  ssl_.reset();
  out_.clear();
  out_.shrink_to_fit();
  outHead_ = outOffset_ = 0;
  queuedBytes_ = 0;
  handler_.onClosed(reason);
}

}  // namespace telex::net
