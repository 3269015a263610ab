// The roster a client just fetched (roster get), kept for a few seconds so that the sign-in
// work its initial presence starts (probes, pending subscription requests) needs no second
// storage round trip. Keyed by full JID: only the session that fetched it takes it, once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "modules/roster/roster_store.hpp"
#include "util/string_hash.hpp"

namespace telex::modules::roster {

class SignInRosters {
 public:
  static constexpr std::chrono::seconds kKeepFor{5};

  explicit SignInRosters(std::shared_ptr<const RosterStore> store) : store_(std::move(store)) {}

  // On the storage pool, around a read of `items`: call readStarting() before the read and
  // keep() after it. The items are kept only if no write to the store happened in between.
  std::uint64_t readStarting() const { return store_->writes(); }
  void keep(std::string_view fullJid, std::vector<RosterItem> items, std::uint64_t writesBefore);

  // On the session's worker: the kept roster, if it is still current (no write since it was
  // read, not older than kKeepFor). Removes it either way.
  std::optional<std::vector<RosterItem>> take(std::string_view fullJid);

 private:
  struct Kept {
    std::vector<RosterItem> items;
    std::uint64_t writes = 0;
    std::chrono::steady_clock::time_point at;
  };
  void dropExpired(std::chrono::steady_clock::time_point now);

  std::shared_ptr<const RosterStore> store_;
  std::mutex mutex_;
  util::StringMap<Kept> kept_;
  std::chrono::steady_clock::time_point lastSweep_{};
};

}  // namespace telex::modules::roster
