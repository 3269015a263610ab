// In-memory keyval/map/archive stores; one mutex per store keeps each call atomic across threads.
#include "storage/memory/memory_driver.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "storage/archive_id.hpp"

namespace telex::storage {
namespace {

class MemoryKeyValStore final : public KeyValStore {
 public:
  std::optional<std::string> get(std::string_view user) override {
    std::lock_guard lock(mutex_);
    auto it = values_.find(user);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }

  void set(std::string_view user, std::string_view value) override {
    std::lock_guard lock(mutex_);
    auto it = values_.find(user);
    if (it == values_.end()) {
      values_.emplace(std::string(user), std::string(value));
    } else {
      it->second.assign(value);
    }
  }

  bool remove(std::string_view user) override {
    std::lock_guard lock(mutex_);
    auto it = values_.find(user);
    if (it == values_.end()) return false;
    values_.erase(it);
    return true;
  }

  std::vector<std::string> users() override {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    out.reserve(values_.size());
    for (const auto& [user, value] : values_) out.push_back(user);
    return out;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::string, std::less<>> values_;
};

class MemoryMapStore final : public MapStore {
 public:
  std::optional<std::string> get(std::string_view user, std::string_view key) override {
    std::lock_guard lock(mutex_);
    auto u = users_.find(user);
    if (u == users_.end()) return std::nullopt;
    auto it = u->second.find(key);
    if (it == u->second.end()) return std::nullopt;
    return it->second;
  }

  void set(std::string_view user, std::string_view key, std::string_view value) override {
    std::lock_guard lock(mutex_);
    auto u = users_.find(user);
    if (u == users_.end()) u = users_.emplace(std::string(user), Entries{}).first;
    auto it = u->second.find(key);
    if (it == u->second.end()) {
      u->second.emplace(std::string(key), std::string(value));
    } else {
      it->second.assign(value);
    }
  }

  bool remove(std::string_view user, std::string_view key) override {
    std::lock_guard lock(mutex_);
    auto u = users_.find(user);
    if (u == users_.end()) return false;
    auto it = u->second.find(key);
    if (it == u->second.end()) return false;
    u->second.erase(it);
    if (u->second.empty()) users_.erase(u);
    return true;
  }

  std::vector<std::pair<std::string, std::string>> all(std::string_view user) override {
    std::lock_guard lock(mutex_);
    auto u = users_.find(user);
    if (u == users_.end()) return {};
    return {u->second.begin(), u->second.end()};
  }

  void removeAll(std::string_view user) override {
    std::lock_guard lock(mutex_);
    auto u = users_.find(user);
    if (u != users_.end()) users_.erase(u);
  }

  std::vector<std::string> usersWithKey(std::string_view key) override {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [user, entries] : users_) {
      if (entries.contains(key)) out.push_back(user);
    }
    return out;
  }

 private:
  using Entries = std::map<std::string, std::string, std::less<>>;
  std::mutex mutex_;
  std::map<std::string, Entries, std::less<>> users_;
};

class MemoryArchiveStore final : public ArchiveStore {
 public:
  std::string append(std::string_view user, std::int64_t when, std::string_view with,
                     std::string_view value) override {
    std::lock_guard lock(mutex_);
    std::string id = newArchiveId();
    while (ids_.count(id) != 0) id = newArchiveId();  // as unlikely as it gets, but keep ids unique
    auto u = users_.find(user);
    if (u == users_.end()) u = users_.emplace(std::string(user), std::vector<Entry>{}).first;
    u->second.push_back(Entry{nextSeq_++, ArchiveItem{id, when, std::string(with), std::string(value)}});
    ids_.insert(id);
    return id;
  }

  ArchivePage query(std::string_view user, const ArchiveQuery& q) override {
    std::lock_guard lock(mutex_);
    static const std::vector<Entry> kNone;
    auto u = users_.find(user);
    const std::vector<Entry>& entries = u == users_.end() ? kNone : u->second;

    // The paging anchors are looked up among all of the user's items, not only matching ones.
    auto seqOf = [&](const std::string& id) {
      for (const auto& e : entries) {
        if (e.item.id == id) return e.seq;
      }
      throw ItemNotFoundError();
    };
    std::uint64_t lo = 0;
    std::uint64_t hi = std::numeric_limits<std::uint64_t>::max();
    if (q.afterId) lo = seqOf(*q.afterId);
    if (q.beforeId) hi = seqOf(*q.beforeId);

    ArchivePage page;
    std::vector<const Entry*> range;
    for (const auto& e : entries) {
      if (q.with && e.item.with != *q.with) continue;
      if (q.start && e.item.when < *q.start) continue;
      if (q.end && e.item.when > *q.end) continue;
      ++page.total;
      if (e.seq > lo && e.seq < hi) range.push_back(&e);
    }
    std::size_t n = std::min(q.limit, range.size());
    page.complete = range.size() <= q.limit;
    bool backward = q.reverse || q.beforeId.has_value();
    auto first = backward ? range.end() - static_cast<std::ptrdiff_t>(n) : range.begin();
    page.items.reserve(n);
    for (auto it = first; it != first + static_cast<std::ptrdiff_t>(n); ++it) page.items.push_back((*it)->item);
    return page;
  }

  std::size_t count(std::string_view user) override {
    std::lock_guard lock(mutex_);
    auto u = users_.find(user);
    return u == users_.end() ? 0 : u->second.size();
  }

  bool remove(std::string_view user, std::string_view id) override {
    std::lock_guard lock(mutex_);
    auto u = users_.find(user);
    if (u == users_.end()) return false;
    auto& entries = u->second;
    auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.item.id == id; });
    if (it == entries.end()) return false;
    ids_.erase(it->item.id);
    entries.erase(it);
    if (entries.empty()) users_.erase(u);
    return true;
  }

  std::size_t removeBefore(std::string_view user, std::int64_t when) override {
    std::lock_guard lock(mutex_);
    std::size_t removed = 0;
    auto prune = [&](std::vector<Entry>& entries) {
      auto keep = std::remove_if(entries.begin(), entries.end(), [&](const Entry& e) {
        if (e.item.when >= when) return false;
        ids_.erase(e.item.id);
        return true;
      });
      removed += static_cast<std::size_t>(entries.end() - keep);
      entries.erase(keep, entries.end());
    };
    if (user.empty()) {
      for (auto it = users_.begin(); it != users_.end();) {
        prune(it->second);
        it = it->second.empty() ? users_.erase(it) : std::next(it);
      }
    } else if (auto u = users_.find(user); u != users_.end()) {
      prune(u->second);
      if (u->second.empty()) users_.erase(u);
    }
    return removed;
  }

  void removeAll(std::string_view user) override {
    std::lock_guard lock(mutex_);
    auto u = users_.find(user);
    if (u == users_.end()) return;
    for (const auto& e : u->second) ids_.erase(e.item.id);
    users_.erase(u);
  }

  std::vector<std::string> owners() override {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [user, entries] : users_) {
      if (!entries.empty()) out.push_back(user);
    }
    return out;
  }

 private:
  struct Entry {
    std::uint64_t seq;  // append order, the archive's only ordering
    ArchiveItem item;
  };
  std::mutex mutex_;
  std::map<std::string, std::vector<Entry>, std::less<>> users_;
  std::unordered_set<std::string> ids_;
  std::uint64_t nextSeq_ = 1;
};

// Hands out one store object per (kind, name) so every caller of a name sees the same data.
template <class Store>
class Registry {
 public:
  std::shared_ptr<Store> get(std::string_view name) {
    std::lock_guard lock(mutex_);
    auto it = stores_.find(name);
    if (it == stores_.end()) it = stores_.emplace(std::string(name), std::make_shared<Store>()).first;
    return it->second;
  }
  template <class Fn>
  void forEach(Fn fn) {
    std::vector<std::shared_ptr<Store>> all;
    {
      std::lock_guard lock(mutex_);
      for (auto& [name, store] : stores_) all.push_back(store);
    }
    for (auto& store : all) fn(*store);
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Store>, std::less<>> stores_;
};

class MemoryDriver final : public StorageDriver {
 public:
  std::string_view name() const override { return "memory"; }
  std::shared_ptr<KeyValStore> keyval(std::string_view store) override { return keyvals_.get(store); }
  std::shared_ptr<MapStore> map(std::string_view store) override { return maps_.get(store); }
  std::shared_ptr<ArchiveStore> archive(std::string_view store) override { return archives_.get(store); }
  void transaction(const std::function<void()>& fn) override { fn(); }  // no rollback in memory
  void removeUser(std::string_view user) override {
    keyvals_.forEach([&](MemoryKeyValStore& s) { s.remove(user); });
    maps_.forEach([&](MemoryMapStore& s) { s.removeAll(user); });
    archives_.forEach([&](MemoryArchiveStore& s) { s.removeAll(user); });
  }

 private:
  Registry<MemoryKeyValStore> keyvals_;
  Registry<MemoryMapStore> maps_;
  Registry<MemoryArchiveStore> archives_;
};

}  // namespace

std::unique_ptr<StorageDriver> makeMemoryDriver() { return std::make_unique<MemoryDriver>(); }

}  // namespace telex::storage
