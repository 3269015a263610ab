// Straight-line network I/O with one overall deadline for the pager's thread: each asynchronous
// step runs on a private io_context until it completes or the deadline passes (then the socket is
// closed and the step fails). Never used on a worker loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <optional>

namespace telex::modules::alerts {

class DeadlineRunner {
 public:
  explicit DeadlineRunner(std::chrono::seconds timeout) : deadline_(std::chrono::steady_clock::now() + timeout) {}

  boost::asio::io_context& context() { return io_; }

  // Starts an operation with `start(handler)` (the handler takes (error_code, size_t) or
  // (error_code)); runs until it finishes. On timeout calls `cancel()` (close the socket), lets the
  // operation end, and reports timed_out.
  template <class Start, class Cancel>
  boost::system::error_code run(Start start, Cancel cancel) {
    std::optional<boost::system::error_code> result;
    start([&result](const boost::system::error_code& ec, auto&&...) { result = ec; });
    io_.restart();
    while (!result && std::chrono::steady_clock::now() < deadline_) {
      if (io_.run_one_until(deadline_) == 0 && io_.stopped()) break;
    }
    if (!result) {
      cancel();
      io_.restart();
      while (!result && io_.run_one() > 0) {
      }
      return boost::asio::error::timed_out;
    }
    return *result;
  }

 private:
  boost::asio::io_context io_;
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace telex::modules::alerts
