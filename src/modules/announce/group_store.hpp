// Server-side groups of users (named lists of bare JIDs) that announcements can address, kept in
// the "groups" key-value store and managed with `telexd group`.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/store.hpp"

namespace telex::modules::announce {

// Blocking calls: run them on the storage pool or in the CLI. Members are bare JIDs, normalized
// by the caller.
class GroupStore {
 public:
  explicit GroupStore(storage::StorageDriver& storage);

  // 1 to 64 characters of A-Z a-z 0-9 . _ -
  static bool validName(std::string_view name);

  std::vector<std::string> names();
  // nullopt when there is no such group.
  std::optional<std::vector<std::string>> members(std::string_view group);
  // Creates the group if needed; returns how many of `members` were new.
  std::size_t add(std::string_view group, const std::vector<std::string>& members);
  // Removes `members`, and the group itself once empty; returns how many were removed.
  std::size_t removeMembers(std::string_view group, const std::vector<std::string>& members);
  bool remove(std::string_view group);

 private:
  std::shared_ptr<storage::KeyValStore> store_;
};

}  // namespace telex::modules::announce
