// The caps registries behind +notify filtering.
#include "modules/pep/caps_cache.hpp"

#include <algorithm>

#include "util/crypto.hpp"

namespace telex::modules::pep {
namespace {

constexpr std::string_view kNotifySuffix = "+notify";
// Distinct client configurations seen in practice number in the hundreds; this bounds what a
// stream of made-up (but correctly hashed) answers could make the cache hold.
constexpr std::size_t kProcessWideCapacity = 4096;
// Unanswered queries kept at most; beyond that the oldest are dropped first.
constexpr std::size_t kMaxPendingQueries = 10000;

std::string cacheKey(std::string_view hash, std::string_view ver) {
  return std::string(hash) + " " + std::string(ver);
}

}  // namespace

std::shared_ptr<const CapsFeatures> CapsFeatures::make(std::vector<std::string> features) {
  auto out = std::make_shared<CapsFeatures>();
  std::sort(features.begin(), features.end());
  features.erase(std::unique(features.begin(), features.end()), features.end());
  for (const auto& f : features) {
    if (f.size() > kNotifySuffix.size() && f.ends_with(kNotifySuffix)) {
      out->notifyNodes.push_back(f.substr(0, f.size() - kNotifySuffix.size()));
    }
  }
  std::sort(out->notifyNodes.begin(), out->notifyNodes.end());
  out->features = std::move(features);
  return out;
}

bool CapsFeatures::wantsNotify(std::string_view node) const {
  return std::binary_search(notifyNodes.begin(), notifyNodes.end(), node,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

CapsCache& CapsCache::processWide() {
  static CapsCache cache(kProcessWideCapacity);
  return cache;
}

std::shared_ptr<const CapsFeatures> CapsCache::find(std::string_view hash, std::string_view ver) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(cacheKey(hash, ver));
  return it == entries_.end() ? nullptr : it->second;
}

void CapsCache::add(std::string_view hash, std::string_view ver, std::shared_ptr<const CapsFeatures> features) {
  std::string key = cacheKey(hash, ver);
  std::lock_guard lock(mutex_);
  if (entries_.contains(key)) return;
  while (!order_.empty() && entries_.size() >= capacity_) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
  entries_.emplace(key, std::move(features));
  order_.push_back(std::move(key));
}

std::size_t CapsCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

bool ResourceInterests::advertise(const std::string& fullJid, const std::string& capsKey) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = entries_.try_emplace(fullJid);
  if (!inserted && it->second.capsKey == capsKey) return false;
  it->second = Entry{capsKey, nullptr};
  return true;
}

bool ResourceInterests::learn(const std::string& fullJid, const std::string& capsKey,
                              std::shared_ptr<const CapsFeatures> features) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(fullJid);
  if (it == entries_.end() || it->second.capsKey != capsKey) return false;
  it->second.features = std::move(features);
  return true;
}

std::shared_ptr<const CapsFeatures> ResourceInterests::features(const std::string& fullJid) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(fullJid);
  return it == entries_.end() ? nullptr : it->second.features;
}

void ResourceInterests::forget(const std::string& fullJid) {
  std::lock_guard lock(mutex_);
  entries_.erase(fullJid);
}

std::size_t ResourceInterests::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::string CapsQueries::add(Query query) {
  std::string id = "pep-caps-" + util::randomHex(8);
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  std::erase_if(pending_, [&](const auto& entry) { return now - entry.second.sent > timeout_; });
  while (pending_.size() >= kMaxPendingQueries) {
    auto oldest = std::min_element(pending_.begin(), pending_.end(),
                                   [](const auto& a, const auto& b) { return a.second.sent < b.second.sent; });
    pending_.erase(oldest);
  }
  query.sent = now;
  pending_.emplace(id, std::move(query));
  return id;
}

std::optional<CapsQueries::Query> CapsQueries::take(std::string_view id, std::string_view from) {
  std::lock_guard lock(mutex_);
  auto it = pending_.find(std::string(id));
  if (it == pending_.end() || it->second.fullJid != from) return std::nullopt;
  Query query = std::move(it->second);
  pending_.erase(it);
  return query;
}

void CapsQueries::forgetResource(const std::string& fullJid) {
  std::lock_guard lock(mutex_);
  std::erase_if(pending_, [&](const auto& entry) { return entry.second.fullJid == fullJid; });
}

std::size_t CapsQueries::size() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

}  // namespace telex::modules::pep
