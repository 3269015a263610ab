// Storage interfaces seen by features: keyval, map and archive stores behind one driver (no SQL here).
// All calls are synchronous and thread-safe; they run on the storage thread pool, never on an event
// loop. Failures throw StorageError.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace telex::storage {

// `user` arguments are bare-JID localparts or whole bare JIDs: opaque to every store.
// Values are arbitrary bytes (may contain NUL).

class KeyValStore {  // one value per user, e.g. account credentials, vCard
 public:
  virtual ~KeyValStore() = default;
  virtual std::optional<std::string> get(std::string_view user) = 0;
  virtual void set(std::string_view user, std::string_view value) = 0;
  virtual bool remove(std::string_view user) = 0;  // true if it existed
  virtual std::vector<std::string> users() = 0;    // sorted (bytewise)
};

class MapStore {  // many keyed values per user, e.g. roster items
 public:
  virtual ~MapStore() = default;
  virtual std::optional<std::string> get(std::string_view user, std::string_view key) = 0;
  virtual void set(std::string_view user, std::string_view key, std::string_view value) = 0;
  virtual bool remove(std::string_view user, std::string_view key) = 0;  // true if it existed
  virtual std::vector<std::pair<std::string, std::string>> all(std::string_view user) = 0;  // sorted by key
  virtual void removeAll(std::string_view user) = 0;
  virtual std::vector<std::string> usersWithKey(std::string_view key) = 0;  // sorted (bytewise)
};

struct ArchiveItem {
  std::string id;
  std::int64_t when = 0;  // unix ms
  std::string with;
  std::string value;
};

// Items are ordered by append order; `when` is only used for filtering.
struct ArchiveQuery {
  std::optional<std::string> with;              // exact match
  std::optional<std::int64_t> start, end;       // inclusive, unix ms
  std::optional<std::string> afterId, beforeId;  // strictly after / before that item
  std::size_t limit = 50;
  bool reverse = false;  // page from the newest end (also implied by beforeId)
};

struct ArchivePage {
  std::vector<ArchiveItem> items;  // always oldest -> newest
  std::size_t total = 0;           // items matching with/start/end, ignoring afterId/beforeId/limit
  bool complete = false;           // no more matching items in the paging direction
};

class ArchiveStore {  // append-only ordered items per user, e.g. offline messages, message archive
 public:
  virtual ~ArchiveStore() = default;
  // Returns a new unique, unguessable id (16 base32 characters).
  virtual std::string append(std::string_view user, std::int64_t when, std::string_view with,
                             std::string_view value) = 0;
  // Throws ItemNotFoundError when afterId/beforeId is not an item of this user.
  virtual ArchivePage query(std::string_view user, const ArchiveQuery& query) = 0;
  virtual std::size_t count(std::string_view user) = 0;
  virtual bool remove(std::string_view user, std::string_view id) = 0;  // true if it existed
  // Retention: removes items with when < `when`; an empty user means all users. Returns how many.
  virtual std::size_t removeBefore(std::string_view user, std::int64_t when) = 0;
  virtual void removeAll(std::string_view user) = 0;
  virtual std::vector<std::string> owners() = 0;  // users with at least one item, sorted (bytewise)
};

class StorageDriver {
 public:
  virtual ~StorageDriver() = default;
  virtual std::string_view name() const = 0;  // "memory", "sqlite"
  // `store` is a namespace like "accounts"; the same name always reaches the same data.
  // Returned stores stay usable even if they outlive the driver.
  virtual std::shared_ptr<KeyValStore> keyval(std::string_view store) = 0;
  virtual std::shared_ptr<MapStore> map(std::string_view store) = 0;
  virtual std::shared_ptr<ArchiveStore> archive(std::string_view store) = 0;
  // Runs fn inside one transaction where the driver supports it (groups writes, rolls back and
  // rethrows if fn throws); the memory driver just runs it. Other threads' calls wait until it ends,
  // so fn must not wait for another thread that uses storage.
  virtual void transaction(const std::function<void()>& fn) = 0;
  // Runs fn's reads against one consistent state (a read transaction: one lock for all of them);
  // the memory driver just runs it. Other threads' calls wait until it ends.
  virtual void snapshot(const std::function<void()>& fn) { fn(); }
  // Deletes everything stored for `user` in every store (account removal).
  virtual void removeUser(std::string_view user) = 0;
};

class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An afterId/beforeId that names no item; maps to XMPP <item-not-found/>.
class ItemNotFoundError : public StorageError {
 public:
  ItemNotFoundError() : StorageError("item-not-found") {}
};

}  // namespace telex::storage
