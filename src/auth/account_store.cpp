// Account storage on top of the key-value store shape.
#include "auth/account_store.hpp"

#include "sasl/credentials_codec.hpp"

namespace telex::auth {

AccountStore::AccountStore(storage::StorageDriver& driver, std::uint32_t iterations)
    : driver_(driver), store_(driver.keyval("accounts")), iterations_(iterations) {}

std::size_t AccountStore::createBulk(std::string_view prefix, std::size_t count, std::string_view password) {
  std::string encoded = encode(password);
  std::size_t created = 0;
  driver_.transaction([&] {
    for (std::size_t i = 1; i <= count; ++i) {
      std::string name = std::string(prefix) + std::to_string(i);
      if (store_->get(name)) continue;
      store_->set(name, encoded);
      ++created;
    }
  });
  return created;
}

std::string AccountStore::encode(std::string_view password) const {
  return sasl::encodeCredentials({sasl::makeScramCredentials(sasl::HashAlgo::Sha256, password, iterations_),
                                  sasl::makeScramCredentials(sasl::HashAlgo::Sha1, password, iterations_)});
}

std::optional<std::vector<sasl::ScramCredentials>> AccountStore::credentials(std::string_view username) {
  auto raw = store_->get(username);
  if (!raw) return std::nullopt;
  return sasl::decodeCredentials(*raw);
}

bool AccountStore::exists(std::string_view username) { return store_->get(username).has_value(); }

bool AccountStore::create(std::string_view username, std::string_view password) {
  if (exists(username)) return false;
  store_->set(username, encode(password));
  return true;
}

bool AccountStore::setPassword(std::string_view username, std::string_view password) {
  if (!exists(username)) return false;
  store_->set(username, encode(password));
  return true;
}

bool AccountStore::remove(std::string_view username) { return store_->remove(username); }

std::vector<std::string> AccountStore::list() { return store_->users(); }

bool AccountStore::checkPassword(std::string_view username, std::string_view password) {
  auto creds = credentials(username);
  if (!creds) return false;
  for (const auto& c : *creds) {
    if (c.algo == sasl::HashAlgo::Sha256) return sasl::verifyPassword(c, password);
  }
  return !creds->empty() && sasl::verifyPassword(creds->front(), password);
}

}  // namespace telex::auth
