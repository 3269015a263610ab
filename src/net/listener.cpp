// Accept loop and hand-off of accepted sockets to workers.
#include "net/listener.hpp"

#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

namespace telex::net {
namespace {
constexpr std::chrono::milliseconds kAcceptRetry{100};
// Then the rest of the loop's work runs before the next batch: a burst of connections cannot
// hold up the sessions already on worker 0.
constexpr int kAcceptsPerPass = 64;

asio::ip::tcp::endpoint endpointOf(const sockaddr_storage& address) {
  asio::ip::tcp::endpoint endpoint;
  if (address.ss_family == AF_INET || address.ss_family == AF_INET6) {
    std::memcpy(endpoint.data(), &address, address.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
  }
  return endpoint;
}
}  // namespace

Expected<std::unique_ptr<Listener>, std::string> Listener::open(WorkerPool& pool,
                                                                const std::string& address,
                                                                std::uint16_t port,
                                                                AcceptFn onAccept) {
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec) return unexpected("invalid listen address \"" + address + "\"");
  asio::ip::tcp::endpoint endpoint(ip, port);
  asio::ip::tcp::acceptor acceptor(pool.at(0).context());
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return unexpected("cannot listen on " + address + ":" + std::to_string(port) + ": " +
                      ec.message());
  }
  std::uint16_t bound = acceptor.local_endpoint(ec).port();
  // The descriptor leaves Asio: accept4 on readiness from the worker's poller hands out sockets
  // that are non-blocking already and belong to no reactor.
  if (!ec) acceptor.native_non_blocking(true, ec);
  int fd = ec ? -1 : acceptor.release(ec);
  if (ec) return unexpected("cannot listen on " + address + ":" + std::to_string(port) + ": " + ec.message());
  return std::unique_ptr<Listener>(new Listener(pool, fd, address, bound, std::move(onAccept)));
}

Listener::Listener(WorkerPool& pool, int fd, std::string address, std::uint16_t port, AcceptFn onAccept)
    : pool_(pool),
      fd_(fd),
      address_(std::move(address)),
      port_(port),
      onAccept_(std::move(onAccept)),
      retry_(pool.at(0).context()) {}

Listener::~Listener() {
  // Like Asio's acceptors, destroyed on worker 0's thread or once the loops have stopped.
  if (pollToken_ != 0) pool_.at(0).poller().remove(pollToken_);
  if (fd_ >= 0) ::close(fd_);
}

void Listener::start() {
  pool_.at(0).post([this] {
    if (fd_ < 0) return;
    pollToken_ = pool_.at(0).poller().add(fd_, *this, nullptr);
    if (pollToken_ == 0) spdlog::error("cannot watch the listening socket {}:{}", address_, port_);
    acceptReady();  // connections queued before the poller watched the socket
  });
}

void Listener::stop() {
  pool_.at(0).post([this] {
    pool_.at(0).poller().remove(pollToken_);
    pollToken_ = 0;
    retry_.cancel();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  });
}

void Listener::onPollEvents(std::uint32_t events) {
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) acceptReady();
}

void Listener::acceptReady() {
  for (int i = 0; i < kAcceptsPerPass; ++i) {
    if (fd_ < 0 || (failing_ && retry_.expiry() > std::chrono::steady_clock::now())) return;
    sockaddr_storage peer{};
    socklen_t length = sizeof(peer);
    int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK) return;
      if (error == EINTR || error == ECONNABORTED || error == EPROTO) continue;  // that one is gone
      // EMFILE and friends: keep the listener alive and try again shortly; connections wait in
      // the listen queue meanwhile.
      if (!failing_) spdlog::warn("accept on {}:{} failed: {}; retrying every {} ms", address_, port_,
                                  std::strerror(error), kAcceptRetry.count());
      failing_ = true;
      retry_.expires_after(kAcceptRetry);
      retry_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) acceptReady();
      });
      return;
    }
    if (failing_) {
      spdlog::info("accept on {}:{} works again", address_, port_);
      failing_ = false;
    }
    Worker& target = pool_.next();
    target.post([this, &target, socket = AcceptedSocket(fd, endpointOf(peer))]() mutable {
      onAccept_(std::move(socket), target);
    });
  }
  if (!passPosted_) {
    passPosted_ = true;
    pool_.at(0).post([this] {
      passPosted_ = false;
      acceptReady();
    });
  }
}

}  // namespace telex::net
