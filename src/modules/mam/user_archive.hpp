// Users' message archives (the "mam" archive store) with their preferences (the "mam_prefs"
// keyval store) and retention. Synchronous: every call runs on the storage pool, in the archive
// queue's order, except knownDecision() and changeQueued(), which workers call.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "modules/mam/mam_prefs.hpp"
#include "modules/mam/mam_query.hpp"
#include "modules/roster/roster_store.hpp"
#include "storage/store.hpp"
#include "util/string_hash.hpp"

namespace telex::modules::mam {

class UserArchive {
 public:
  // `retentionMs` 0 keeps items forever.
  UserArchive(storage::StorageDriver& driver, DefaultPolicy byDefault, std::int64_t retentionMs);

  Prefs prefs(std::string_view user);
  void setPrefs(std::string_view user, const Prefs& prefs);

  // Worker side, no storage: what `user`'s preferences decide for messages exchanged with
  // `other`, when they were read recently and no change of them is queued; nullopt means only
  // store() can tell. Lets messages that will not be archived skip the storage round trip
  // (with mam.default=never, that is nearly every message).
  std::optional<Decision> knownDecision(std::string_view user, const Jid& other);
  // A preference change for `user` was queued: knownDecision() asks storage until it has run.
  void changeQueued(std::string_view user);

  // Appends `message` (from forward::serializeStandalone) to `user`'s archive if the user's
  // preferences keep messages exchanged with `other`; returns the new archive id.
  std::optional<std::string> store(std::string_view user, const Jid& other, std::int64_t when,
                                   std::string_view message);

  // Runs `query` on `user`'s archive, leaving out what retention has expired even when the
  // hourly sweep has not removed it yet. Throws ItemNotFoundError.
  storage::ArchivePage query(std::string_view user, const MamQuery& query, std::size_t limit, std::int64_t now);

  // Deletes the user's archive and preferences (account removal; a new account of the same
  // name must not inherit them).
  void removeAll(std::string_view user);

  // Drops expired items of all users, at most once an hour; returns how many.
  std::size_t sweep(std::int64_t now);

 private:
  std::shared_ptr<storage::ArchiveStore> archive_;
  std::shared_ptr<storage::KeyValStore> prefs_;
  roster::RosterStore roster_;
  DefaultPolicy byDefault_;
  std::int64_t retentionMs_;
  std::atomic<std::int64_t> lastSweep_{0};

  // Preferences as last read or written on the pool. Entries expire, so that a change made
  // behind the module's back (account removal removes the prefs row) is seen soon.
  struct Known {
    Prefs prefs;
    std::int64_t readAt = 0;  // steady clock, ms
    unsigned pendingChanges = 0;
  };
  void remember(std::string_view user, const Prefs& prefs, bool changeDone);
  std::mutex knownMutex_;
  util::StringMap<Known> known_;
};

}  // namespace telex::modules::mam
