// The roster a client just fetched (roster get), kept for a few seconds so that what its initial
// presence starts (the broadcast to contacts, probes, pending subscription requests) needs no
// second storage round trip. Keyed by full JID: only the session that fetched it uses it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
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

  using Items = std::shared_ptr<const std::vector<RosterItem>>;

  // `store` is the one every roster write goes through: its write count says what is current.
  explicit SignInRosters(std::shared_ptr<RosterStore> store) : store_(std::move(store)) {}
  const std::shared_ptr<RosterStore>& store() const { return store_; }

  // On the storage pool, around a read of `items`: call readStarting() before the read and
  // keep() after it. The items are kept only if no write to the store happened in between.
  std::uint64_t readStarting() const { return store_->writes(); }
  void keep(std::string_view fullJid, std::vector<RosterItem> items, std::uint64_t writesBefore);

  // On the session's worker: the kept roster, if it is still current (no write since it was
  // read, not older than kKeepFor). take() removes it either way; peek() leaves it for take().
  Items take(std::string_view fullJid);
  Items peek(std::string_view fullJid);

 private:
  struct Kept {
    Items items;
    std::uint64_t writes = 0;
    std::chrono::steady_clock::time_point at;
  };
  void dropExpired(std::chrono::steady_clock::time_point now);
  Items currentOf(const Kept& kept) const;

  std::shared_ptr<RosterStore> store_;
  std::mutex mutex_;
  util::StringMap<Kept> kept_;
  std::chrono::steady_clock::time_point lastSweep_{};
};

}  // namespace telex::modules::roster
