// Archive writes filtered by preferences, queries with retention applied first.
#include "modules/mam/user_archive.hpp"

#include <algorithm>

namespace telex::modules::mam {
namespace {
constexpr std::int64_t kSweepIntervalMs = 3600 * 1000;
}  // namespace

UserArchive::UserArchive(storage::StorageDriver& driver, DefaultPolicy byDefault, std::int64_t retentionMs)
    : archive_(driver.archive("mam")),
      prefs_(driver.keyval("mam_prefs")),
      roster_(driver),
      byDefault_(byDefault),
      retentionMs_(retentionMs) {}

Prefs UserArchive::prefs(std::string_view user) {
  if (auto stored = prefs_->get(user)) {
    if (auto decoded = decodePrefs(*stored)) return *decoded;
  }
  Prefs defaults;
  defaults.byDefault = byDefault_;
  return defaults;
}

void UserArchive::setPrefs(std::string_view user, const Prefs& prefs) { prefs_->set(user, encodePrefs(prefs)); }

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
}

std::size_t UserArchive::sweep(std::int64_t now) {
  if (retentionMs_ <= 0) return 0;
  std::int64_t last = lastSweep_.load();
  if (now - last < kSweepIntervalMs || !lastSweep_.compare_exchange_strong(last, now)) return 0;
  return archive_->removeBefore("", now - retentionMs_);
}

}  // namespace telex::modules::mam
