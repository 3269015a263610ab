// telex-host-gaps: how much a (virtual) machine takes its CPUs away. One thread per CPU, pinned,
// reads the monotonic clock in a loop for the given seconds; every gap between two reads longer
// than the threshold is time the thread did not run (host preemption of a vCPU, interrupts,
// other work). Latency tails of a benchmark on this machine cannot be shorter than these gaps.
//
// Usage: telex-host-gaps [SECONDS=5] [THRESHOLD_MS=1]
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

struct Gaps {
  int count = 0;
  double totalMs = 0;
  double worstMs = 0;
};

Gaps spin(unsigned cpu, double seconds, double thresholdMs) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  Gaps gaps;
  for (auto last = start;;) {
    const auto now = Clock::now();
    const double ms = std::chrono::duration<double, std::milli>(now - last).count();
    if (ms > thresholdMs) {
      ++gaps.count;
      gaps.totalMs += ms;
    }
    gaps.worstMs = std::max(gaps.worstMs, ms);
    last = now;
    if (now >= end) return gaps;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 5;
  const double thresholdMs = argc > 2 ? std::atof(argv[2]) : 1;
  if (seconds <= 0 || seconds > 600 || thresholdMs <= 0) {
    std::fprintf(stderr, "usage: telex-host-gaps [SECONDS (0-600]] [THRESHOLD_MS (>0)]\n");
    return 64;
  }
  const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  std::vector<Gaps> results(cpus);
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < cpus; ++i) {
    threads.emplace_back([&results, i, seconds, thresholdMs] { results[i] = spin(i, seconds, thresholdMs); });
  }
  for (auto& t : threads) t.join();
  std::printf("host gaps over %.0f s, longer than %.1f ms:", seconds, thresholdMs);
  for (unsigned i = 0; i < cpus; ++i) {
    std::printf("%s cpu%u %d (%.1f ms lost, worst %.2f ms)", i ? ";" : "", i, results[i].count,
                results[i].totalMs, results[i].worstMs);
  }
  std::printf("\n");
  return 0;
}
