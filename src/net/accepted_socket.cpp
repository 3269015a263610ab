// Ownership of a freshly accepted descriptor (see accepted_socket.hpp).
#include "net/accepted_socket.hpp"

#include <unistd.h>

namespace telex::net {

AcceptedSocket AcceptedSocket::fromAsio(boost::asio::ip::tcp::socket socket) {
  boost::system::error_code ec;
  auto peer = socket.remote_endpoint(ec);  // a peer already gone leaves it unspecified
  ec.clear();
  socket.native_non_blocking(true, ec);
  int fd = ec ? -1 : socket.release(ec);
  return AcceptedSocket(ec ? -1 : fd, peer);
}

AcceptedSocket::~AcceptedSocket() {
  if (fd_ >= 0) ::close(fd_);
}

AcceptedSocket& AcceptedSocket::operator=(AcceptedSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    peer_ = std::move(other.peer_);
  }
  return *this;
}

boost::asio::ip::tcp::socket AcceptedSocket::toAsio(boost::asio::io_context& context) && {
  boost::asio::ip::tcp::socket socket(context);
  boost::system::error_code ec;
  socket.assign(peer_.protocol(), fd_, ec);
  if (!ec) fd_ = -1;  // the socket owns it now; on failure this object still closes it
  return socket;
}

}  // namespace telex::net
