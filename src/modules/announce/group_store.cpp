// Groups as one newline-separated, sorted member list per group name.
#include "modules/announce/group_store.hpp"

#include <algorithm>
#include <set>

namespace telex::modules::announce {
namespace {

std::set<std::string> decode(const std::string& value) {
  std::set<std::string> out;
  std::size_t start = 0;
  while (start < value.size()) {
    auto end = value.find('\n', start);
    if (end == std::string::npos) end = value.size();
    if (end > start) out.emplace(value.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string encode(const std::set<std::string>& members) {
  std::string out;
  for (const auto& m : members) {
    if (!out.empty()) out += '\n';
    out += m;
  }
  return out;
}

}  // namespace

GroupStore::GroupStore(storage::StorageDriver& storage) : store_(storage.keyval("groups")) {}

bool GroupStore::validName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

std::vector<std::string> GroupStore::names() { return store_->users(); }

std::optional<std::vector<std::string>> GroupStore::members(std::string_view group) {
  auto value = store_->get(group);
  if (!value) return std::nullopt;
  auto set = decode(*value);
  return std::vector<std::string>(set.begin(), set.end());
}

std::size_t GroupStore::add(std::string_view group, const std::vector<std::string>& members) {
  auto value = store_->get(group);
  auto set = value ? decode(*value) : std::set<std::string>{};
  std::size_t added = 0;
  for (const auto& m : members) {
    if (!m.empty() && m.find('\n') == std::string::npos && set.insert(m).second) ++added;
  }
  store_->set(group, encode(set));
  return added;
}

std::size_t GroupStore::removeMembers(std::string_view group, const std::vector<std::string>& members) {
  auto value = store_->get(group);
  if (!value) return 0;
  auto set = decode(*value);
  std::size_t removed = 0;
  for (const auto& m : members) removed += set.erase(m);
  if (set.empty()) {
    store_->remove(group);
  } else {
    store_->set(group, encode(set));
  }
  return removed;
}

bool GroupStore::remove(std::string_view group) { return store_->remove(group); }

}  // namespace telex::modules::announce
