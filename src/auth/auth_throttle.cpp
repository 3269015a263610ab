// Sliding-window failure counts per address.
#include "auth/auth_throttle.hpp"

namespace telex::auth {

void AuthThrottle::prune(std::deque<Clock::time_point>& times, Clock::time_point now) const {
  while (!times.empty() && now - times.front() > window_) times.pop_front();
}

std::chrono::seconds AuthThrottle::delayFor(const std::string& address, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = failures_.find(address);
  if (it == failures_.end()) return std::chrono::seconds(0);
  prune(it->second, now);
  if (it->second.empty()) {
    failures_.erase(it);
    return std::chrono::seconds(0);
  }
  return it->second.size() >= limit_ ? delay_ : std::chrono::seconds(0);
}

void AuthThrottle::recordFailure(const std::string& address, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  // Keep the table bounded under a spray of addresses: sweep expired entries now and then.
  if (failures_.size() > 100000) {
    for (auto it = failures_.begin(); it != failures_.end();) {
      prune(it->second, now);
      it = it->second.empty() ? failures_.erase(it) : std::next(it);
    }
  }
  auto& times = failures_[address];
  prune(times, now);
  times.push_back(now);
  // Only the last `limit_` failures matter for the decision.
  while (times.size() > limit_ + 1) times.pop_front();
}

}  // namespace telex::auth
