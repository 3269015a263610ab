// A per-key sliding-window rate limit (announcements per sender, WinPopup messages per source).
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace telex::modules::announce {

// Thread-safe. Keys that have been quiet for a whole window are forgotten, so memory follows the
// number of recently active keys; past `maxKeys` of those, new keys are refused (fail closed).
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // `limit` events per `window` and key; a limit of 0 allows everything.
  RateLimiter(std::size_t limit, std::chrono::seconds window, std::size_t maxKeys = 10000);

  // Records an event for `key` and says whether it is within the limit. Refused events are
  // not recorded, so a sender who keeps trying is let through again once the window moves on.
  bool allow(std::string_view key, Clock::time_point now = Clock::now());
  std::size_t trackedKeys() const;

 private:
  void prune(Clock::time_point now);

  std::size_t limit_;
  Clock::duration window_;
  std::size_t maxKeys_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::deque<Clock::time_point>> events_;
  Clock::time_point lastPrune_{};
};

}  // namespace telex::modules::announce
