// A TCP connection fresh from accept(): its descriptor, owned and non-blocking, and the peer's
// address (accept4 returns both, so no socket object, reactor registration or getpeername).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <utility>

namespace telex::net {

class AcceptedSocket {
 public:
  AcceptedSocket(int fd, boost::asio::ip::tcp::endpoint peer) : fd_(fd), peer_(std::move(peer)) {}
  // Takes the descriptor out of an Asio socket (tests, and connections made by Asio).
  static AcceptedSocket fromAsio(boost::asio::ip::tcp::socket socket);
  ~AcceptedSocket();
  AcceptedSocket(AcceptedSocket&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), peer_(std::move(other.peer_)) {}
  AcceptedSocket& operator=(AcceptedSocket&& other) noexcept;
  AcceptedSocket(const AcceptedSocket&) = delete;
  AcceptedSocket& operator=(const AcceptedSocket&) = delete;

  int fd() const { return fd_; }  // -1 when the descriptor was lost
  const boost::asio::ip::tcp::endpoint& peer() const { return peer_; }
  // The descriptor, now the caller's to close.
  int release() { return std::exchange(fd_, -1); }
  // For owners whose I/O goes through Asio: registers the descriptor with `context`'s reactor.
  boost::asio::ip::tcp::socket toAsio(boost::asio::io_context& context) &&;

 private:
  int fd_;
  boost::asio::ip::tcp::endpoint peer_;
};

}  // namespace telex::net
