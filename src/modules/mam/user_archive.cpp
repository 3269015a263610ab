// Archive writes filtered by preferences, queries with retention applied first.
#include "modules/mam/user_archive.hpp"

#include <algorithm>
#include <chrono>

namespace telex::modules::mam {
namespace {
constexpr std::int64_t kSweepIntervalMs = 3600 * 1000;
constexpr std::int64_t kKnownForMs = 30 * 1000;
constexpr std::size_t kKnownSweepAt = 4096;  // entries before expired ones are dropped

std::int64_t steadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

UserArchive::UserArchive(storage::StorageDriver& driver, DefaultPolicy byDefault, std::int64_t retentionMs)
    : archive_(driver.archive("mam")),
      prefs_(driver.keyval("mam_prefs")),
      roster_(driver),
      byDefault_(byDefault),
      retentionMs_(retentionMs) {}

Prefs UserArchive::prefs(std::string_view user) {
  Prefs result;
  result.byDefault = byDefault_;
  if (auto stored = prefs_->get(user)) {
    if (auto decoded = decodePrefs(*stored)) result = std::move(*decoded);
  }
  remember(user, result, false);
  return result;
}

void UserArchive::setPrefs(std::string_view user, const Prefs& prefs) {
  // Whatever happens, the queued change is over; on failure the entry is left expired.
  struct Done {
    UserArchive& self;
    std::string_view user;
    const Prefs* written = nullptr;
    ~Done() {
      if (written) {
        self.remember(user, *written, true);
        return;
      }
      std::lock_guard lock(self.knownMutex_);
      if (auto it = self.known_.find(user); it != self.known_.end()) {
        if (it->second.pendingChanges > 0) --it->second.pendingChanges;
        it->second.readAt = 0;
      }
    }
  } done{*this, user};
  prefs_->set(user, encodePrefs(prefs));
  done.written = &prefs;
}

void UserArchive::remember(std::string_view user, const Prefs& prefs, bool changeDone) {
  std::int64_t now = steadyMillis();
  std::lock_guard lock(knownMutex_);
  if (known_.size() >= kKnownSweepAt) {
    std::erase_if(known_, [&](const auto& kv) {
      return kv.second.pendingChanges == 0 && now - kv.second.readAt >= kKnownForMs;
    });
  }
  auto [it, inserted] = known_.try_emplace(std::string(user));
  Known& k = it->second;
  if (changeDone && k.pendingChanges > 0) --k.pendingChanges;
  k.prefs = prefs;
  k.readAt = now;
}

std::optional<Decision> UserArchive::knownDecision(std::string_view user, const Jid& other) {
  std::int64_t now = steadyMillis();
  std::lock_guard lock(knownMutex_);
  auto it = known_.find(user);
  if (it == known_.end() || it->second.pendingChanges > 0 || now - it->second.readAt >= kKnownForMs) {
    return std::nullopt;
  }
  return decide(it->second.prefs, other);
}

void UserArchive::changeQueued(std::string_view user) {
  std::lock_guard lock(knownMutex_);
  auto [it, inserted] = known_.try_emplace(std::string(user));
  ++it->second.pendingChanges;
}

std::optional<std::string> UserArchive::store(std::string_view user, const Jid& other, std::int64_t when,
                                              std::string_view message) {
  switch (decide(prefs(user), other)) {
    case Decision::Skip: return std::nullopt;
    case Decision::IfInRoster: {
      auto item = roster_.get(user, other.bareString());
      if (!item || !item->inRoster) return std::nullopt;
      break;
    }
    case Decision::Archive: break;
  }
  std::string id = archive_->append(user, when, other.bareString(), message);
  sweep(when);
  return id;
}

storage::ArchivePage UserArchive::query(std::string_view user, const MamQuery& query, std::size_t limit,
                                        std::int64_t now) {
  if (retentionMs_ <= 0) return runQuery(*archive_, user, query, limit);
  MamQuery bounded = query;
  bounded.start = std::max(query.start.value_or(now - retentionMs_), now - retentionMs_);
  return runQuery(*archive_, user, bounded, limit);
}

void UserArchive::removeAll(std::string_view user) {
  archive_->removeAll(user);
  prefs_->remove(user);
  std::lock_guard lock(knownMutex_);
  if (auto it = known_.find(user); it != known_.end()) it->second.readAt = 0;
}

std::size_t UserArchive::sweep(std::int64_t now) {
  if (retentionMs_ <= 0) return 0;
  std::int64_t last = lastSweep_.load();
  if (now - last < kSweepIntervalMs || !lastSweep_.compare_exchange_strong(last, now)) return 0;
  return archive_->removeBefore("", now - retentionMs_);
}

}  // namespace telex::modules::mam
