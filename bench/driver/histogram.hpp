// Latency histogram for the benchmark driver: constant memory whatever the message count, with
// under 1% relative error (log-linear buckets, as HdrHistogram does), so p99.9 over millions of
// deliveries costs nothing to keep.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace telex::bench {

class LatencyHistogram {
 public:
  // Values are microseconds; anything above ~1 hour lands in the last bucket.
  void record(std::uint64_t micros);
  void merge(const LatencyHistogram& other);
  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_); }
  // Smallest recorded-bucket value v such that at least q (0..1] of the samples are <= v; the
  // value returned is the bucket's upper bound, clamped to max(). 0 when empty.
  std::uint64_t percentile(double q) const;

  // Bucket layout, exposed for the unit test.
  static std::size_t bucketOf(std::uint64_t micros);
  static std::uint64_t bucketUpperBound(std::size_t bucket);

 private:
  // Values below 128 get one bucket each; every further power of two is split into 128 buckets.
  static constexpr std::size_t kSubBits = 7;
  static constexpr std::size_t kSub = std::size_t{1} << kSubBits;
  static constexpr std::size_t kPowers = 32 - kSubBits;  // up to 2^32 µs
  static constexpr std::size_t kBuckets = kSub + kPowers * kSub;

  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = ~std::uint64_t{0};
  std::uint64_t max_ = 0;
};

}  // namespace telex::bench
