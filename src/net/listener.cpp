// Accept loop and hand-off of accepted sockets to workers.
#include "net/listener.hpp"

#include <boost/asio/ip/address.hpp>
#include <spdlog/spdlog.h>

namespace telex::net {
namespace {
constexpr std::chrono::milliseconds kAcceptRetry{100};
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
  return std::unique_ptr<Listener>(
      new Listener(pool, std::move(acceptor), address, bound, std::move(onAccept)));
}

Listener::Listener(WorkerPool& pool, asio::ip::tcp::acceptor acceptor, std::string address,
                   std::uint16_t port, AcceptFn onAccept)
    : pool_(pool),
      acceptor_(std::move(acceptor)),
      address_(std::move(address)),
      port_(port),
      onAccept_(std::move(onAccept)),
      retry_(pool.at(0).context()) {}

void Listener::start() {
  pool_.at(0).post([this] { acceptNext(); });
}

void Listener::stop() {
  pool_.at(0).post([this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
    retry_.cancel();
  });
}

void Listener::acceptNext() {
  // Accepted straight onto the worker that will own the connection: the socket joins only that
  // worker's reactor, with no hand-over (deregister, re-register) on the way.
  Worker& target = pool_.next();
  acceptor_.async_accept(target.context(), [this, &target](const boost::system::error_code& ec,
                                                           asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // EMFILE and friends: keep the listener alive and try again shortly; connections wait in
      // the listen queue meanwhile.
      if (!failing_) spdlog::warn("accept on {}:{} failed: {}; retrying every {} ms", address_, port_,
                                  ec.message(), kAcceptRetry.count());
      failing_ = true;
      retry_.expires_after(kAcceptRetry);
      retry_.async_wait([this](const boost::system::error_code& error) {
        if (!error && acceptor_.is_open()) acceptNext();
      });
      return;
    }
    if (failing_) {
      spdlog::info("accept on {}:{} works again", address_, port_);
      failing_ = false;
    }
    target.post([this, &target, socket = std::move(socket)]() mutable { onAccept_(std::move(socket), target); });
    acceptNext();
  });
}

}  // namespace telex::net
