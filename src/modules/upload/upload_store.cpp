// Upload records and files.
#include "modules/upload/upload_store.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

namespace telex::modules::upload {

UploadStore::UploadStore(storage::StorageDriver& driver, std::filesystem::path dir, Lifetimes lifetimes)
    : slots_(driver.map("upload_slots")),
      index_(driver.keyval("upload_index")),
      dir_(std::move(dir)),
      lifetimes_(lifetimes) {}

bool UploadStore::slotOpen(const Slot& slot, std::int64_t now) const {
  return !slot.complete && now < slot.created + lifetimes_.slotSeconds;
}

bool UploadStore::fileLive(const Slot& slot, std::int64_t now) const {
  return slot.complete && (lifetimes_.fileSeconds <= 0 || now < slot.created + lifetimes_.fileSeconds);
}

std::uint64_t UploadStore::usage(std::string_view owner, std::int64_t now) {
  std::uint64_t total = 0;
  for (const auto& [id, text] : slots_->all(owner)) {
    auto slot = decodeSlot(id, text);
    if (slot && (slotOpen(*slot, now) || fileLive(*slot, now))) total += slot->size;
  }
  return total;
}

UploadStore::Reserve UploadStore::reserve(const Slot& slot, std::uint64_t quota, std::int64_t now) {
  std::lock_guard lock(reserveMutex_);
  std::uint64_t used = 0;
  std::size_t open = 0;
  for (const auto& [id, text] : slots_->all(slot.owner)) {
    auto existing = decodeSlot(id, text);
    if (!existing) continue;
    if (slotOpen(*existing, now)) ++open;
    if (slotOpen(*existing, now) || fileLive(*existing, now)) used += existing->size;
  }
  if (open >= kMaxOpenSlots) return Reserve::TooManySlots;
  if (quota > 0 && (used > quota || slot.size > quota - used)) return Reserve::OverQuota;
  index_->set(slot.id, slot.owner);
  slots_->set(slot.owner, slot.id, encodeSlot(slot));
  return Reserve::Ok;
}

std::optional<Slot> UploadStore::find(std::string_view id) {
  auto owner = index_->get(id);
  if (!owner) return std::nullopt;
  auto text = slots_->get(*owner, id);
  if (!text) return std::nullopt;
  return decodeSlot(id, *text);
}

void UploadStore::markComplete(const Slot& slot) {
  Slot done = slot;
  done.complete = true;
  slots_->set(slot.owner, slot.id, encodeSlot(done));
}

void UploadStore::remove(const Slot& slot) {
  std::error_code ec;
  std::filesystem::remove(filePath(slot.id), ec);
  std::filesystem::remove(partPath(slot.id), ec);
  slots_->remove(slot.owner, slot.id);
  index_->remove(slot.id);
}

std::size_t UploadStore::expire(std::int64_t now, const std::set<std::string>& busy) {
  std::size_t removed = 0;
  std::set<std::string> known;
  for (const auto& id : index_->users()) {
    if (busy.contains(id)) {
      known.insert(id);
      continue;
    }
    auto owner = index_->get(id);
    auto text = owner ? slots_->get(*owner, id) : std::nullopt;
    auto slot = text ? decodeSlot(id, *text) : std::nullopt;
    if (!slot) {
      // The owner's records went with the account: drop the index entry and the bytes.
      std::error_code ec;
      std::filesystem::remove(filePath(id), ec);
      std::filesystem::remove(partPath(id), ec);
      index_->remove(id);
      ++removed;
      continue;
    }
    // An unfinished slot stops counting against the quota when it closes, but its record and partial
    // bytes stay a day longer, so a PUT that started in time may still finish.
    bool pendingKept = !slot->complete && now < slot->created + lifetimes_.slotSeconds + 86400;
    if (pendingKept || fileLive(*slot, now)) {
      known.insert(id);
      continue;
    }
    remove(*slot);
    ++removed;
  }
  // Bytes no record names (a memory store lost at restart, a crash between steps).
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    std::string id = name.ends_with(".part") ? name.substr(0, name.size() - 5) : name;
    if (!isSlotId(id) || known.contains(id)) continue;
    // A slot made after the index was listed may already be filling its file: leave young files be.
    struct stat info {};
    if (::stat(it->path().c_str(), &info) != 0 || info.st_mtime > now - 3600) continue;
    std::error_code removeError;
    std::filesystem::remove(it->path(), removeError);
    ++removed;
  }
  return removed;
}

}  // namespace telex::modules::upload
