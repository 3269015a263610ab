// Byte relay between the two parties of a SOCKS5 bytestream.
#include "modules/proxy65/relay.hpp"

#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

namespace telex::modules::proxy65 {

namespace asio = boost::asio;
constexpr std::size_t kBuffer = 64 * 1024;

Relay::Relay(net::Worker& worker, asio::ip::tcp::socket a, asio::ip::tcp::socket b, std::chrono::seconds idleTimeout)
    : a_(std::move(a)), b_(std::move(b)), idle_(worker.context()), idleTimeout_(idleTimeout) {
  directions_[0].from = &a_;
  directions_[0].to = &b_;
  directions_[1].from = &b_;
  directions_[1].to = &a_;
}

void Relay::start() {
  lastActivity_ = std::chrono::steady_clock::now();
  for (auto& d : directions_) {
    d.buffer.resize(kBuffer);
    pump(d);
  }
  checkIdle();
}

void Relay::pump(Direction& d) {
  d.from->async_read_some(asio::buffer(d.buffer), [self = shared_from_this(), &d](const boost::system::error_code& ec,
                                                                                  std::size_t n) {
    if (self->closed_) return;
    if (ec == asio::error::eof) {
      // One side finished sending: pass the end on, keep the other direction going.
      boost::system::error_code ignored;
      d.to->shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
      d.finished = true;
      d.buffer = {};
      if (self->directions_[0].finished && self->directions_[1].finished) self->closeBoth();
      return;
    }
    if (ec) return self->closeBoth();
    self->lastActivity_ = std::chrono::steady_clock::now();
    asio::async_write(*d.to, asio::buffer(d.buffer.data(), n),
                      [self, &d](const boost::system::error_code& ec, std::size_t n) {
                        if (self->closed_) return;
                        if (ec) return self->closeBoth();
                        d.bytes += n;
                        self->lastActivity_ = std::chrono::steady_clock::now();
                        self->pump(d);
                      });
  });
}

void Relay::checkIdle() {
  if (closed_) return;
  auto deadline = lastActivity_ + idleTimeout_;
  if (std::chrono::steady_clock::now() >= deadline) {
    spdlog::debug("proxy65: closing a relay idle for {} s", idleTimeout_.count());
    return closeBoth();
  }
  idle_.expires_at(deadline);
  idle_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->checkIdle();
  });
}

void Relay::closeBoth() {
  if (closed_) return;
  closed_ = true;
  spdlog::debug("proxy65: relay closed after {} + {} bytes", directions_[0].bytes, directions_[1].bytes);
  boost::system::error_code ignored;
  a_.close(ignored);
  b_.close(ignored);
  idle_.cancel();
}

}  // namespace telex::modules::proxy65
