// Where uploads live: slot records in the storage driver (per owner, plus an id index) and the bytes
// under <data_dir>/upload/<id>. Every method blocks (storage, file system): call them on the pool.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "modules/upload/slot.hpp"
#include "storage/store.hpp"

namespace telex::modules::upload {

struct Lifetimes {
  std::int64_t slotSeconds = 300;  // a slot must be filled (its PUT started) this soon
  std::int64_t fileSeconds = 0;    // an uploaded file is kept this long; 0 = forever
};

class UploadStore {
 public:
  UploadStore(storage::StorageDriver& driver, std::filesystem::path dir, Lifetimes lifetimes);

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path filePath(std::string_view id) const { return dir_ / std::string(id); }
  std::filesystem::path partPath(std::string_view id) const { return dir_ / (std::string(id) + ".part"); }
  const Lifetimes& lifetimes() const { return lifetimes_; }

  // Unfilled slots one user may hold at once, whatever their size (empty files cost records too).
  static constexpr std::size_t kMaxOpenSlots = 100;

  enum class Reserve { Ok, OverQuota, TooManySlots };
  // Records `slot` unless it would take its owner over `quota` bytes (0 = unlimited), counting the
  // owner's live files and unexpired slots, or over kMaxOpenSlots. Check and record are one step.
  Reserve reserve(const Slot& slot, std::uint64_t quota, std::int64_t now);
  std::uint64_t usage(std::string_view owner, std::int64_t now);
  std::optional<Slot> find(std::string_view id);
  void markComplete(const Slot& slot);
  void remove(const Slot& slot);  // record, index and bytes

  // Whether a slot still takes uploads / a file may still be served.
  bool slotOpen(const Slot& slot, std::int64_t now) const;
  bool fileLive(const Slot& slot, std::int64_t now) const;

  // Removes expired slots and files, records whose owner was deleted, and files nobody records.
  // `busy` holds ids with a PUT in progress, which are left alone. Returns how many went.
  std::size_t expire(std::int64_t now, const std::set<std::string>& busy);

 private:
  std::shared_ptr<storage::MapStore> slots_;    // owner → id → slot
  std::shared_ptr<storage::KeyValStore> index_;  // id → owner
  std::filesystem::path dir_;
  Lifetimes lifetimes_;
  std::mutex reserveMutex_;
};

}  // namespace telex::modules::upload
