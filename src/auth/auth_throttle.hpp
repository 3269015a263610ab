// Failed-authentication counting per remote address: after too many failures in the window,
// further attempts from that address are delayed. Shared by all workers.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace telex::auth {

class AuthThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  AuthThrottle(std::size_t limit, std::chrono::seconds window, std::chrono::seconds delay)
      : limit_(limit), window_(window), delay_(delay) {}

  // How long an attempt from `address` must wait before it is processed (zero if not throttled).
  std::chrono::seconds delayFor(const std::string& address, Clock::time_point now = Clock::now());
  void recordFailure(const std::string& address, Clock::time_point now = Clock::now());

 private:
  void prune(std::deque<Clock::time_point>& times, Clock::time_point now) const;

  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<Clock::time_point>> failures_;
  std::size_t limit_;
  std::chrono::seconds window_;
  std::chrono::seconds delay_;
};

}  // namespace telex::auth
