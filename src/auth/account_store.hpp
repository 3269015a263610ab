// Accounts: SCRAM keys per user in the "accounts" key-value store; passwords are never stored.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sasl/scram.hpp"
#include "storage/store.hpp"

namespace telex::auth {

// Synchronous; call it from a storage pool thread or a command-line tool, never an event loop.
class AccountStore {
 public:
  AccountStore(storage::StorageDriver& driver, std::uint32_t iterations);

  std::optional<std::vector<sasl::ScramCredentials>> credentials(std::string_view username);
  bool exists(std::string_view username);
  bool create(std::string_view username, std::string_view password);    // false if it exists
  bool setPassword(std::string_view username, std::string_view password);  // false if missing
  bool remove(std::string_view username);
  // Creates prefix1 … prefixN sharing one password, in one transaction. The keys are derived
  // once and shared (same salt) — fine for load-test accounts, which is what this is for.
  // Returns how many were created (existing names are skipped).
  std::size_t createBulk(std::string_view prefix, std::size_t count, std::string_view password);
  std::vector<std::string> list();

  // Verifies a password (for SASL PLAIN) against the stored SCRAM-SHA-256 key.
  bool checkPassword(std::string_view username, std::string_view password);

 private:
  std::string encode(std::string_view password) const;

  storage::StorageDriver& driver_;
  std::shared_ptr<storage::KeyValStore> store_;
  std::uint32_t iterations_;
};

}  // namespace telex::auth
