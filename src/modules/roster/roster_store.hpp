// Roster items and the roster version per user, in the "roster" map store (RFC 6121 §2).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/store.hpp"
#include "xml/element.hpp"

namespace telex::modules::roster {

enum class Subscription { None, To, From, Both };
std::string_view subscriptionName(Subscription s);

struct RosterItem {
  std::string jid;  // contact's bare JID
  std::string name;
  std::vector<std::string> groups;
  Subscription subscription = Subscription::None;
  bool askOut = false;     // pending out: we asked to see their presence
  bool pendingIn = false;  // pending in: they asked to see ours
  bool approved = false;   // pre-approved (RFC 6121 §3.4)
  bool inRoster = false;   // visible to the user; false for a bare pending-in request
  std::string pendingStatus;  // status text of their subscription request

  bool hasTo() const { return subscription == Subscription::To || subscription == Subscription::Both; }
  bool hasFrom() const { return subscription == Subscription::From || subscription == Subscription::Both; }
  void addTo();
  void addFrom();
  void removeTo();
  void removeFrom();

  // <item/> as sent to the user's client.
  xml::Element toElement() const;
};

// Synchronous: runs on the storage pool.
class RosterStore {
 public:
  explicit RosterStore(storage::StorageDriver& driver);

  std::vector<RosterItem> items(std::string_view user);
  std::optional<RosterItem> get(std::string_view user, std::string_view contact);
  // Stores the item and returns the new roster version.
  std::string put(std::string_view user, const RosterItem& item);
  // Removes the item; returns the new roster version.
  std::string remove(std::string_view user, std::string_view contact);
  std::string version(std::string_view user);
  // The version and the items as of one moment (one read transaction).
  std::pair<std::string, std::vector<RosterItem>> versionAndItems(std::string_view user);
  void removeAll(std::string_view user);
  // Counts this instance's writes (put, remove, removeAll), whoever they are for: a reader that
  // saw the same count before and after its read knows no write of this store raced with it.
  std::uint64_t writes() const { return writes_.load(std::memory_order_acquire); }

 private:
  std::string bumpVersion(std::string_view user);

  storage::StorageDriver& driver_;
  std::shared_ptr<storage::MapStore> items_;
  std::shared_ptr<storage::KeyValStore> versions_;
  std::atomic<std::uint64_t> writes_{0};
};

std::string encodeItem(const RosterItem& item);
std::optional<RosterItem> decodeItem(std::string_view contact, std::string_view text);

}  // namespace telex::modules::roster
