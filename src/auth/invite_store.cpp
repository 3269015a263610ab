// Invitation tokens kept in the "invites" key-value store.
#include "auth/invite_store.hpp"

#include <nlohmann/json.hpp>

#include "util/crypto.hpp"

namespace telex::auth {
namespace {
std::int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
std::string encode(const Invite& invite) {
  return nlohmann::json{{"uses", invite.usesLeft}, {"expires", invite.expiresAt}}.dump();
}
}  // namespace

InviteStore::InviteStore(storage::StorageDriver& driver) : store_(driver.keyval("invites")) {}

std::optional<Invite> InviteStore::load(std::string_view token) {
  auto raw = store_->get(token);
  if (!raw) return std::nullopt;
  auto j = nlohmann::json::parse(*raw, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return Invite{std::string(token), j.value("uses", std::int64_t{0}), j.value("expires", std::int64_t{0})};
}

Invite InviteStore::create(std::int64_t uses, std::chrono::seconds validFor) {
  Invite invite{util::randomHex(16), uses, now() + validFor.count()};
  store_->set(invite.token, encode(invite));
  return invite;
}

bool InviteStore::valid(std::string_view token) {
  auto invite = load(token);
  return invite && invite->usesLeft > 0 && invite->expiresAt > now();
}

bool InviteStore::consume(std::string_view token) {
  std::lock_guard lock(mutex_);
  auto invite = load(token);
  if (!invite || invite->usesLeft <= 0 || invite->expiresAt <= now()) return false;
  --invite->usesLeft;
  if (invite->usesLeft == 0) {
    store_->remove(token);
  } else {
    store_->set(token, encode(*invite));
  }
  return true;
}

std::vector<Invite> InviteStore::list() {
  std::vector<Invite> out;
  for (const auto& token : store_->users()) {
    if (auto invite = load(token)) out.push_back(*invite);
  }
  return out;
}

bool InviteStore::revoke(std::string_view token) { return store_->remove(token); }

}  // namespace telex::auth
