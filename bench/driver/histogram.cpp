#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace telex::bench {

std::size_t LatencyHistogram::bucketOf(std::uint64_t micros) {
  if (micros < kSub) return static_cast<std::size_t>(micros);
  const std::size_t top = static_cast<std::size_t>(std::bit_width(micros)) - 1;  // >= kSubBits
  const std::size_t power = top - kSubBits;                                      // 0-based
  if (power >= kPowers) return kBuckets - 1;
  const std::size_t sub = static_cast<std::size_t>((micros >> (top - kSubBits)) & (kSub - 1));
  return kSub + power * kSub + sub;
}

std::uint64_t LatencyHistogram::bucketUpperBound(std::size_t bucket) {
  if (bucket < kSub) return bucket;
  const std::size_t power = (bucket - kSub) / kSub;
  const std::uint64_t sub = (bucket - kSub) % kSub;
  const std::size_t shift = power;  // width of one sub-bucket is 2^power
  const std::uint64_t low = (std::uint64_t{kSub} + sub) << shift;
  return low + (std::uint64_t{1} << shift) - 1;
}

void LatencyHistogram::record(std::uint64_t micros) {
  ++buckets_[bucketOf(micros)];
  ++count_;
  sum_ += micros;
  min_ = std::min(min_, micros);
  max_ = std::max(max_, micros);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  if (other.count_ > 0) {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
}

std::uint64_t LatencyHistogram::percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // Rank of the sample wanted, 1-based; q = 0 means the smallest sample.
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::clamp(bucketUpperBound(i), min(), max_);
  }
  return max_;
}

}  // namespace telex::bench
