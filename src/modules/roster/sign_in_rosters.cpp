// Hand-over of a freshly read roster from roster get to the sign-in hook (see the header).
#include "modules/roster/sign_in_rosters.hpp"

namespace telex::modules::roster {
namespace {
// Entries nobody took (a client that fetched its roster and never sent presence, or fetched it
// twice) are swept when the map is this big, at most once a second: a sweep walks the map.
constexpr std::size_t kSweepAbove = 1024;
constexpr std::chrono::seconds kSweepEvery{1};
// Beyond this many, nothing more is kept (memory stays bounded under a flood of roster gets).
constexpr std::size_t kMaxKept = 16384;
}  // namespace

void SignInRosters::keep(std::string_view fullJid, std::vector<RosterItem> items, std::uint64_t writesBefore) {
  if (store_->writes() != writesBefore) return;  // a write raced with the read: not current
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  if (kept_.size() >= kSweepAbove && now - lastSweep_ >= kSweepEvery) {
    dropExpired(now);
    lastSweep_ = now;
  }
  if (kept_.size() >= kMaxKept) return;
  kept_.insert_or_assign(std::string(fullJid),
                         Kept{std::make_shared<const std::vector<RosterItem>>(std::move(items)), writesBefore, now});
}

SignInRosters::Items SignInRosters::take(std::string_view fullJid) {
  std::lock_guard lock(mutex_);
  auto it = kept_.find(fullJid);
  if (it == kept_.end()) return nullptr;
  Kept kept = std::move(it->second);
  kept_.erase(it);
  return currentOf(kept);
}

SignInRosters::Items SignInRosters::peek(std::string_view fullJid) {
  std::lock_guard lock(mutex_);
  auto it = kept_.find(fullJid);
  return it == kept_.end() ? nullptr : currentOf(it->second);
}

SignInRosters::Items SignInRosters::currentOf(const Kept& kept) const {
  if (kept.writes != store_->writes() || std::chrono::steady_clock::now() - kept.at > kKeepFor) return nullptr;
  return kept.items;
}

void SignInRosters::dropExpired(std::chrono::steady_clock::time_point now) {
  std::erase_if(kept_, [now](const auto& entry) { return now - entry.second.at > kKeepFor; });
}

}  // namespace telex::modules::roster
