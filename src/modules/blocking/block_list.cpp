// Block-list matching rules, storage encoding and the in-memory registry.
#include "modules/blocking/block_list.hpp"

#include <mutex>

namespace telex::modules::blocking {

bool itemMatches(const Jid& item, const Jid& address) {
  if (item.hasLocal() && item.hasResource()) return item == address;
  if (item.hasLocal()) return item == address.bare();
  if (item.hasResource()) {
    return !address.hasLocal() && address.domain() == item.domain() && address.resource() == item.resource();
  }
  return address.domain() == item.domain();
}

AddressForms addressForms(std::string_view address) {
  std::string_view bare = address.substr(0, address.find('/'));
  auto at = bare.find('@');
  if (at == std::string_view::npos) return {address, bare, {}, bare};
  return {address, bare, bare.substr(0, at), bare.substr(at + 1)};
}

bool blockSetCovers(const BlockSet& items, std::string_view address) {
  if (items.empty()) return false;
  AddressForms forms = addressForms(address);
  return items.contains(forms.full) || items.contains(forms.bare) || items.contains(forms.domain);
}

std::string encodeBlockList(const BlockSet& items) {
  std::string out;
  for (const auto& jid : items) {
    if (!out.empty()) out += '\n';
    out += jid;
  }
  return out;
}

BlockSet decodeBlockList(std::string_view text) {
  BlockSet items;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    // Re-normalizing guards against data written by an older or foreign tool.
    if (auto jid = Jid::parse(line)) items.insert(jid->full());
  }
  return items;
}

void BlockListRegistry::load(std::string_view user, BlockSet items) {
  std::unique_lock lock(mutex_);
  auto it = lists_.find(user);
  bool had = it != lists_.end();
  if (items.empty()) {
    if (had) {
      lists_.erase(it);
      --nonEmpty_;
    }
    return;
  }
  if (had) {
    it->second = std::move(items);
  } else {
    lists_.emplace(std::string(user), std::move(items));
    ++nonEmpty_;
  }
}

bool BlockListRegistry::blocks(std::string_view user, std::string_view address) const {
  if (nonEmpty_.load() == 0) return false;
  std::shared_lock lock(mutex_);
  auto it = lists_.find(user);
  return it != lists_.end() && blockSetCovers(it->second, address);
}

bool BlockListRegistry::blocks(std::string_view user, const Jid& address) const {
  if (nonEmpty_.load() == 0) return false;
  std::shared_lock lock(mutex_);
  auto it = lists_.find(user);
  if (it == lists_.end()) return false;
  const BlockSet& items = it->second;
  return items.contains(address.full()) || items.contains(address.bareString()) ||
         items.contains(address.domain());
}

BlockSet BlockListRegistry::items(std::string_view user) const {
  std::shared_lock lock(mutex_);
  auto it = lists_.find(user);
  return it == lists_.end() ? BlockSet{} : it->second;
}

std::optional<std::vector<std::string>> BlockListRegistry::add(std::string_view user,
                                                               const std::vector<std::string>& jids,
                                                               std::size_t maxItems) {
  std::unique_lock lock(mutex_);
  auto it = lists_.find(user);
  BlockSet fresh;
  for (const auto& jid : jids) {
    if (it == lists_.end() || !it->second.contains(jid)) fresh.insert(jid);
  }
  std::size_t current = it == lists_.end() ? 0 : it->second.size();
  if (current + fresh.size() > maxItems) return std::nullopt;
  if (fresh.empty()) return std::vector<std::string>{};
  if (it == lists_.end()) {
    it = lists_.emplace(std::string(user), BlockSet{}).first;
    ++nonEmpty_;
  }
  it->second.insert(fresh.begin(), fresh.end());
  return std::vector<std::string>(fresh.begin(), fresh.end());
}

std::vector<std::string> BlockListRegistry::remove(std::string_view user, const std::vector<std::string>& jids) {
  std::unique_lock lock(mutex_);
  std::vector<std::string> removed;
  auto it = lists_.find(user);
  if (it == lists_.end()) return removed;
  for (const auto& jid : jids) {
    if (it->second.erase(jid) > 0) removed.push_back(jid);
  }
  if (it->second.empty()) {
    lists_.erase(it);
    --nonEmpty_;
  }
  return removed;
}

std::vector<std::string> BlockListRegistry::clear(std::string_view user) {
  std::unique_lock lock(mutex_);
  auto it = lists_.find(user);
  if (it == lists_.end()) return {};
  auto node = lists_.extract(it);
  --nonEmpty_;
  return std::vector<std::string>(node.mapped().begin(), node.mapped().end());
}

std::size_t BlockListRegistry::userCount() const { return nonEmpty_.load(); }

}  // namespace telex::modules::blocking
