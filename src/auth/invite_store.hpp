// Invitation tokens for account registration: created by `telexd invite create`, spent by
// in-band registration (XEP-0077 with XEP-0401 preauth). Synchronous: run on the storage pool.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "storage/store.hpp"

namespace telex::auth {

struct Invite {
  std::string token;
  std::int64_t usesLeft = 1;
  std::int64_t expiresAt = 0;  // unix seconds
};

class InviteStore {
 public:
  explicit InviteStore(storage::StorageDriver& driver);

  Invite create(std::int64_t uses, std::chrono::seconds validFor);
  // A token that exists, has uses left and has not expired.
  bool valid(std::string_view token);
  // Spends one use; false if the token is not valid.
  bool consume(std::string_view token);
  std::vector<Invite> list();
  bool revoke(std::string_view token);

 private:
  std::optional<Invite> load(std::string_view token);
  std::mutex mutex_;  // consume() is read-modify-write; pool threads must not interleave it
  std::shared_ptr<storage::KeyValStore> store_;
};

}  // namespace telex::auth
