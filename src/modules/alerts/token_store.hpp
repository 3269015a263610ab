// API tokens for the alert endpoints: created by `telexd token create`, shown once, stored only as
// a SHA-256 hash (the "alert_tokens" key-value store, keyed by the token's name).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/store.hpp"

namespace telex::modules::alerts {

struct TokenRecord {
  std::string name;
  std::string hash;                 // hex SHA-256 of the token
  std::vector<std::string> scopes;  // "alerts"
  std::vector<std::string> defaultTo;  // recipients for webhooks that name none (Alertmanager, Grafana)
  std::int64_t created = 0;         // unix ms

  bool hasScope(std::string_view scope) const;
  std::string encode() const;
  static std::optional<TokenRecord> decode(std::string_view name, std::string_view bytes);
};

// The result of checking a presented token.
enum class TokenCheck { Unknown, Valid };

// Blocking calls: run them on the storage pool or in the CLI.
class TokenStore {
 public:
  explicit TokenStore(storage::StorageDriver& storage);

  // 1 to 64 characters of A-Z a-z 0-9 . _ -
  static bool validName(std::string_view name);
  static std::string hashToken(std::string_view token);

  // Creates a token and returns its secret (the only time it exists in clear); nullopt when the
  // name is taken.
  std::optional<std::string> create(std::string_view name, std::vector<std::string> scopes,
                                    std::vector<std::string> defaultTo);
  std::vector<TokenRecord> list();
  bool revoke(std::string_view name);
  // The token whose hash matches `token`, compared in constant time; nullopt when none does.
  std::optional<TokenRecord> authenticate(std::string_view token);

 private:
  std::shared_ptr<storage::KeyValStore> store_;
};

}  // namespace telex::modules::alerts
