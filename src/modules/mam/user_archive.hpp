// Users' message archives (the "mam" archive store) with their preferences (the "mam_prefs"
// keyval store) and retention. Synchronous: every call runs on the storage pool.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "modules/mam/mam_prefs.hpp"
#include "modules/mam/mam_query.hpp"
#include "modules/roster/roster_store.hpp"
#include "storage/store.hpp"

namespace telex::modules::mam {

class UserArchive {
 public:
  // `retentionMs` 0 keeps items forever.
  UserArchive(storage::StorageDriver& driver, DefaultPolicy byDefault, std::int64_t retentionMs);

  Prefs prefs(std::string_view user);
  void setPrefs(std::string_view user, const Prefs& prefs);

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
};

}  // namespace telex::modules::mam
