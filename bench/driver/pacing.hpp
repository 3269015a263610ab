// Paced sending for telex-bench (--rate, the --half-rate phase). Sending what is due in bursts
// every few milliseconds queues each burst at the server and adds that wait to the measured
// latency; the driver instead wakes when the next message is due, or, above one message per
// tick, once per tick. Times are seconds since the phase started.
#pragma once

#include <algorithm>
#include <cstdint>

namespace telex::bench {

class Pacer {
 public:
  explicit Pacer(double rate) : rate_(rate) {}
  // Message k (counting from 1) is due k/rate seconds after the start.
  double dueAt(std::uint64_t k) const { return static_cast<double>(k) / rate_; }
  // How many messages are due by `elapsed`; the small slack keeps dueBy(dueAt(k)) == k despite
  // rounding, so waking at dueAt(k) does send message k.
  std::uint64_t dueBy(double elapsed) const {
    return elapsed <= 0 ? 0 : static_cast<std::uint64_t>(rate_ * elapsed + 1e-6);
  }
  // When to wake next after `sent` messages at `elapsed`: when the next one is due, but no sooner
  // than `tick` from now (a high rate sends a few per tick; a backlog, when every sender's window
  // is full, is retried each tick).
  double nextWake(std::uint64_t sent, double elapsed, double tick) const {
    return std::max(dueAt(sent + 1), elapsed + tick);
  }

 private:
  double rate_;
};

}  // namespace telex::bench
