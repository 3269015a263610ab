#include "modules/offline/offline_index.hpp"

namespace telex::modules::offline {

void OfflineIndex::load(const std::vector<std::string>& users) {
  std::lock_guard lock(mutex_);
  users_.insert(users.begin(), users.end());
}

void OfflineIndex::mark(std::string_view user) {
  std::lock_guard lock(mutex_);
  if (!users_.contains(user)) users_.emplace(user);
}

bool OfflineIndex::take(std::string_view user) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user);
  if (it == users_.end()) return false;
  users_.erase(it);
  return true;
}

}  // namespace telex::modules::offline
