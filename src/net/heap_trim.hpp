// Gives freed heap pages back to the OS after a wave of releases. glibc keeps the pages of freed
// chunks that sit between live ones, so after a sign-in burst (whose parsers are released when
// the sessions go idle) or a mass disconnect the RSS would stay at the peak.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>

#include "net/worker.hpp"

namespace telex::net {

class HeapTrim {
 public:
  // A trim runs on `worker` once `threshold` releases were noted, `delay` after the first of them:
  // at most one per delay, and only after real churn (a trim walks every free chunk, ~4 ms on a
  // fragmented 250 MB heap).
  HeapTrim(Worker& worker, std::size_t threshold, std::chrono::milliseconds delay)
      : worker_(worker), threshold_(threshold), delay_(delay) {}

  // Any thread: something sizeable was freed (an idle stream's parser, a closed session).
  void released();
  std::size_t trims() const { return trims_.load(std::memory_order_relaxed); }

 private:
  void trimLater();

  Worker& worker_;
  const std::size_t threshold_;
  const std::chrono::milliseconds delay_;
  std::atomic<std::size_t> releases_{0};
  std::atomic<bool> pending_{false};
  std::atomic<std::size_t> trims_{0};
};

}  // namespace telex::net
