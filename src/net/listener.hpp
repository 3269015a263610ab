// A listening socket: accepts on one worker and hands each connection to the next worker in turn.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>

#include "net/worker.hpp"
#include "util/expected.hpp"

namespace telex::net {

class Listener {
 public:
  // Called on the worker that will own the connection.
  using AcceptFn = std::function<void(asio::ip::tcp::socket socket, Worker& worker)>;

  // Binds now (so a taken port is reported before the server starts) and accepts once started.
  static Expected<std::unique_ptr<Listener>, std::string> open(WorkerPool& pool,
                                                               const std::string& address,
                                                               std::uint16_t port, AcceptFn onAccept);
  void start();
  void stop();
  std::uint16_t port() const { return port_; }
  const std::string& address() const { return address_; }

 private:
  Listener(WorkerPool& pool, asio::ip::tcp::acceptor acceptor, std::string address,
           std::uint16_t port, AcceptFn onAccept);
  void acceptNext();

  WorkerPool& pool_;
  asio::ip::tcp::acceptor acceptor_;
  std::string address_;
  std::uint16_t port_;
  AcceptFn onAccept_;
  // After a failed accept (EMFILE, ENFILE, ENOBUFS): wait before the next try instead of
  // spinning on a queue the process cannot take from; one log line per episode.
  asio::steady_timer retry_;
  bool failing_ = false;
};

}  // namespace telex::net
