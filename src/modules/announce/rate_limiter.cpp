// Sliding-window counting per key, with idle keys pruned.
#include "modules/announce/rate_limiter.hpp"

namespace telex::modules::announce {

RateLimiter::RateLimiter(std::size_t limit, std::chrono::seconds window, std::size_t maxKeys)
    : limit_(limit), window_(window), maxKeys_(maxKeys) {}

void RateLimiter::prune(Clock::time_point now) {
  for (auto it = events_.begin(); it != events_.end();) {
    auto& times = it->second;
    while (!times.empty() && now - times.front() >= window_) times.pop_front();
    it = times.empty() ? events_.erase(it) : std::next(it);
  }
  lastPrune_ = now;
}

bool RateLimiter::allow(std::string_view key, Clock::time_point now) {
  if (limit_ == 0) return true;
  std::lock_guard lock(mutex_);
  // A full sweep at most once per window keeps the cost per call constant on average.
  if (now - lastPrune_ >= window_ || events_.size() >= maxKeys_) prune(now);
  auto it = events_.find(std::string(key));
  if (it == events_.end()) {
    if (events_.size() >= maxKeys_) return false;
    it = events_.emplace(std::string(key), std::deque<Clock::time_point>{}).first;
  }
  auto& times = it->second;
  while (!times.empty() && now - times.front() >= window_) times.pop_front();
  if (times.size() >= limit_) return false;
  times.push_back(now);
  return true;
}

std::size_t RateLimiter::trackedKeys() const {
  std::lock_guard lock(mutex_);
  return events_.size();
}

}  // namespace telex::modules::announce
