// Each user's PEP nodes and items, in the "pep_nodes" and "pep_items" map stores. Synchronous:
// call it on the storage pool (ModuleContext::runBlocking) only.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modules/pep/node_config.hpp"
#include "storage/store.hpp"
#include "util/expected.hpp"
#include "xml/element.hpp"

namespace telex::modules::pep {

inline constexpr std::string_view kPubsubNs = "http://jabber.org/protocol/pubsub";

// Nodes one user may have; OMEMO alone makes one per device, so well above what clients use.
inline constexpr std::size_t kMaxNodesPerUser = 256;

struct StoredNode {
  std::string name;
  NodeConfig config;
  std::vector<std::string> itemIds;  // stored items, oldest first
};

// Why a write was refused; the caller turns it into the XEP-0060 error.
enum class PepFailure {
  NodeNotFound,
  ItemNotFound,
  NodeExists,           // create of a node that exists
  PreconditionNotMet,   // publish-options differ from the node's configuration
  TooManyNodes,
  BadConfig,            // a form that cannot be applied (see ConfigProblem)
};

struct PepError {
  PepFailure failure;
  std::string text;
};

struct Published {
  StoredNode node;  // after the publish
  std::string itemId;
  bool created = false;
};

// The item ids a node held and its configuration, for notifications about a removal.
struct Removed {
  StoredNode node;  // before the removal
  std::vector<std::string> itemIds;
};

class PepStore {
 public:
  explicit PepStore(storage::StorageDriver& driver);

  std::optional<StoredNode> node(std::string_view user, std::string_view node);
  std::vector<StoredNode> nodes(std::string_view user);
  std::vector<std::string> usersWithNode(std::string_view node) { return nodes_->usersWithKey(node); }
  // The stored <item/> elements (pubsub namespace) with these ids, in the order asked, skipping
  // ids that are not stored.
  std::vector<xml::Element> items(std::string_view user, std::string_view node, const std::vector<std::string>& ids);

  // Publishes `item` (<item/> in the pubsub namespace, its id generated when absent). Creates the
  // node on first publish with `options` applied to the defaults; on an existing node `options`
  // are preconditions (XEP-0060 §7.1.5).
  Expected<Published, PepError> publish(std::string_view user, std::string_view node, xml::Element item,
                                        const std::optional<SubmittedForm>& options);
  Expected<Removed, PepError> retract(std::string_view user, std::string_view node, std::string_view itemId);
  Expected<Removed, PepError> purge(std::string_view user, std::string_view node);
  Expected<Removed, PepError> deleteNode(std::string_view user, std::string_view node);
  Expected<StoredNode, PepError> create(std::string_view user, std::string_view node,
                                        const std::optional<SubmittedForm>& config);
  // Applies a node_config form; items beyond a lowered max_items (or all, when persistence is
  // turned off) are removed.
  Expected<StoredNode, PepError> configure(std::string_view user, std::string_view node, const SubmittedForm& form);

 private:
  void writeNode(std::string_view user, const StoredNode& node);
  void dropItems(std::string_view user, std::string_view node, const std::vector<std::string>& ids);

  storage::StorageDriver& driver_;
  std::shared_ptr<storage::MapStore> nodes_;
  std::shared_ptr<storage::MapStore> items_;
  // Publishes are read-modify-write of a node record. Taken before (never inside) a storage
  // transaction, so it cannot deadlock with the driver's own lock.
  std::mutex writeMutex_;
};

// The storage forms, exposed for tests.
std::string encodeNode(const StoredNode& node);
std::optional<StoredNode> decodeNode(std::string_view name, std::string_view text);
// The "pep_items" key of an item: unambiguous for any node name and item id.
std::string itemKey(std::string_view node, std::string_view itemId);

}  // namespace telex::modules::pep
