// Token creation, hashing and look-up.
#include "modules/alerts/token_store.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <stdexcept>

#include "util/crypto.hpp"

namespace telex::modules::alerts {

bool TokenRecord::hasScope(std::string_view scope) const {
  for (const auto& s : scopes) {
    if (s == scope) return true;
  }
  return false;
}

std::string TokenRecord::encode() const {
  nlohmann::json j = {{"hash", hash}, {"scopes", scopes}, {"default_to", defaultTo}, {"created", created}};
  return j.dump();
}

std::optional<TokenRecord> TokenRecord::decode(std::string_view name, std::string_view bytes) {
  auto j = nlohmann::json::parse(bytes, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  try {
    TokenRecord r;
    r.name = std::string(name);
    r.hash = j.at("hash").get<std::string>();
    r.scopes = j.value("scopes", std::vector<std::string>{});
    r.defaultTo = j.value("default_to", std::vector<std::string>{});
    r.created = j.value("created", std::int64_t{0});
    return r;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

TokenStore::TokenStore(storage::StorageDriver& storage) : store_(storage.keyval("alert_tokens")) {}

bool TokenStore::validName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string TokenStore::hashToken(std::string_view token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(token.data(), token.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::optional<std::string> TokenStore::create(std::string_view name, std::vector<std::string> scopes,
                                              std::vector<std::string> defaultTo) {
  if (store_->get(name)) return std::nullopt;
  // 32 random bytes: guessing is hopeless, so a fast hash is enough to keep stored hashes useless.
  std::string token = "telex_" + util::randomHex(32);
  TokenRecord record;
  record.name = std::string(name);
  record.hash = hashToken(token);
  record.scopes = std::move(scopes);
  record.defaultTo = std::move(defaultTo);
  record.created = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  store_->set(name, record.encode());
  return token;
}

std::vector<TokenRecord> TokenStore::list() {
  std::vector<TokenRecord> out;
  for (const auto& name : store_->users()) {
    auto bytes = store_->get(name);
    if (!bytes) continue;
    if (auto record = TokenRecord::decode(name, *bytes)) out.push_back(std::move(*record));
  }
  return out;
}

bool TokenStore::revoke(std::string_view name) { return store_->remove(name); }

std::optional<TokenRecord> TokenStore::authenticate(std::string_view token) {
  if (token.empty() || token.size() > 256) return std::nullopt;
  std::string hash = hashToken(token);
  std::optional<TokenRecord> found;
  // Every record is compared, so timing does not tell which name matched.
  for (auto& record : list()) {
    if (util::constantTimeEquals(record.hash, hash) && !found) found = std::move(record);
  }
  return found;
}

}  // namespace telex::modules::alerts
