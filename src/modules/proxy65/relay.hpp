// Two activated SOCKS5 connections of one bytestream, copied into each other until both ends close.
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "net/worker.hpp"

namespace telex::modules::proxy65 {

class Relay : public std::enable_shared_from_this<Relay> {
 public:
  // Both sockets must belong to `worker`'s loop; pending operations keep the relay alive.
  Relay(net::Worker& worker, boost::asio::ip::tcp::socket a, boost::asio::ip::tcp::socket b,
        std::chrono::seconds idleTimeout);
  void start();

 private:
  struct Direction {
    boost::asio::ip::tcp::socket* from;
    boost::asio::ip::tcp::socket* to;
    std::vector<char> buffer;
    bool finished = false;
    std::uint64_t bytes = 0;
  };
  void pump(Direction& d);
  void checkIdle();
  void closeBoth();

  boost::asio::ip::tcp::socket a_;
  boost::asio::ip::tcp::socket b_;
  boost::asio::steady_timer idle_;
  std::chrono::seconds idleTimeout_;
  std::chrono::steady_clock::time_point lastActivity_;
  std::array<Direction, 2> directions_;
  bool closed_ = false;
};

}  // namespace telex::modules::proxy65
