// PEP storage: node records (configuration and item order) and items, one map entry each.
#include "modules/pep/pep_store.hpp"

#include <algorithm>
#include <charconv>

#include "modules/private_xml/stored_xml.hpp"
#include "util/crypto.hpp"

namespace telex::modules::pep {
namespace {

// Private to the storage form; never seen on the wire.
constexpr std::string_view kRecordNs = "urn:telex:pep:node:0";

PepError fail(PepFailure failure, std::string text = {}) { return PepError{failure, std::move(text)}; }

int parseInt(std::string_view text, int fallback) {
  int n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  return ec == std::errc() && end == text.data() + text.size() ? n : fallback;
}

// Drops ids beyond `max` from the front (oldest) and returns them.
std::vector<std::string> trimOldest(std::vector<std::string>& ids, std::size_t max) {
  std::vector<std::string> dropped;
  if (ids.size() <= max) return dropped;
  auto cut = ids.begin() + static_cast<std::ptrdiff_t>(ids.size() - max);
  dropped.assign(ids.begin(), cut);
  ids.erase(ids.begin(), cut);
  return dropped;
}

}  // namespace

std::string itemKey(std::string_view node, std::string_view itemId) {
  return std::to_string(node.size()) + ":" + std::string(node) + std::string(itemId);
}

std::string encodeNode(const StoredNode& node) {
  xml::Element record("node", std::string(kRecordNs));
  record.setAttr("access", accessModelName(node.config.accessModel));
  record.setAttr("max-items", std::to_string(node.config.maxItems));
  record.setAttr("persist", node.config.persistItems ? "1" : "0");
  record.setAttr("send-last", sendLastPublishedName(node.config.sendLastPublished));
  record.setAttr("notify-retract", node.config.notifyRetract ? "1" : "0");
  for (const auto& id : node.itemIds) {
    record.addChild(xml::Element("item", std::string(kRecordNs))).setAttr("id", id);
  }
  return private_xml::toStoredXml(record);
}

std::optional<StoredNode> decodeNode(std::string_view name, std::string_view text) {
  auto record = private_xml::fromStoredXml(text);
  if (!record || record->name() != "node" || record->xmlns() != kRecordNs) return std::nullopt;
  StoredNode node;
  node.name = std::string(name);
  NodeConfig& c = node.config;
  c.accessModel = parseAccessModel(record->attrOr("access", "")).value_or(AccessModel::Presence);
  c.maxItems = std::clamp(parseInt(record->attrOr("max-items", ""), 1), 1, kMaxItemsLimit);
  c.persistItems = record->attrOr("persist", "1") == "1";
  std::string_view sendLast = record->attrOr("send-last", "");
  c.sendLastPublished = sendLast == "never"    ? SendLastPublished::Never
                        : sendLast == "on_sub" ? SendLastPublished::OnSub
                                               : SendLastPublished::OnSubAndPresence;
  c.notifyRetract = record->attrOr("notify-retract", "1") == "1";
  for (const auto& child : record->children()) {
    if (!child.isText() && child.name() == "item") node.itemIds.emplace_back(child.attrOr("id", ""));
  }
  return node;
}

PepStore::PepStore(storage::StorageDriver& driver)
    : driver_(driver), nodes_(driver.map("pep_nodes")), items_(driver.map("pep_items")) {}

std::optional<StoredNode> PepStore::node(std::string_view user, std::string_view node) {
  auto text = nodes_->get(user, node);
  if (!text) return std::nullopt;
  return decodeNode(node, *text);
}

std::vector<StoredNode> PepStore::nodes(std::string_view user) {
  std::vector<StoredNode> out;
  for (const auto& [name, text] : nodes_->all(user)) {
    if (auto n = decodeNode(name, text)) out.push_back(std::move(*n));
  }
  return out;
}

std::vector<xml::Element> PepStore::items(std::string_view user, std::string_view node,
                                          const std::vector<std::string>& ids) {
  std::vector<xml::Element> out;
  for (const auto& id : ids) {
    auto text = items_->get(user, itemKey(node, id));
    if (!text) continue;
    if (auto item = private_xml::fromStoredXml(*text)) out.push_back(std::move(*item));
  }
  return out;
}

void PepStore::writeNode(std::string_view user, const StoredNode& node) {
  nodes_->set(user, node.name, encodeNode(node));
}

void PepStore::dropItems(std::string_view user, std::string_view node, const std::vector<std::string>& ids) {
  for (const auto& id : ids) items_->remove(user, itemKey(node, id));
}

Expected<Published, PepError> PepStore::publish(std::string_view user, std::string_view nodeName, xml::Element item,
                                                const std::optional<SubmittedForm>& options) {
  std::lock_guard lock(writeMutex_);
  Published out;
  auto existing = node(user, nodeName);
  if (existing) {
    if (options && !preconditionsMet(existing->config, *options)) {
      return unexpected(fail(PepFailure::PreconditionNotMet));
    }
    out.node = std::move(*existing);
  } else {
    NodeConfig config;
    if (options) {
      auto applied = applyForm(config, *options, kPublishOptionsFormType);
      // A node cannot be made to satisfy options it does not support (XEP-0060 §7.1.5).
      if (!applied) {
        return unexpected(fail(PepFailure::PreconditionNotMet, applied.error().field + ": " + applied.error().reason));
      }
      config = *applied;
    }
    if (nodes_->all(user).size() >= kMaxNodesPerUser) return unexpected(fail(PepFailure::TooManyNodes));
    out.node = StoredNode{std::string(nodeName), config, {}};
    out.created = true;
  }
  std::string id(item.attrOr("id", ""));
  if (id.empty()) {
    id = util::randomHex(12);
    item.setAttr("id", id);
  }
  out.itemId = id;
  auto& ids = out.node.itemIds;
  std::vector<std::string> dropped;
  if (out.node.config.persistItems) {
    // Publishing an existing id replaces that item, which becomes the newest (XEP-0060 §7.1.2).
    std::erase(ids, id);
    ids.push_back(id);
    dropped = trimOldest(ids, static_cast<std::size_t>(out.node.config.maxItems));
  }
  driver_.transaction([&] {
    if (out.node.config.persistItems) items_->set(user, itemKey(nodeName, id), private_xml::toStoredXml(item));
    dropItems(user, nodeName, dropped);
    writeNode(user, out.node);
  });
  return out;
}

Expected<Removed, PepError> PepStore::retract(std::string_view user, std::string_view nodeName,
                                              std::string_view itemId) {
  std::lock_guard lock(writeMutex_);
  auto existing = node(user, nodeName);
  if (!existing) return unexpected(fail(PepFailure::NodeNotFound));
  Removed out{*existing, {}};
  auto& ids = existing->itemIds;
  if (std::find(ids.begin(), ids.end(), itemId) == ids.end()) return unexpected(fail(PepFailure::ItemNotFound));
  std::erase(ids, itemId);
  out.itemIds.emplace_back(itemId);
  driver_.transaction([&] {
    dropItems(user, nodeName, out.itemIds);
    writeNode(user, *existing);
  });
  return out;
}

Expected<Removed, PepError> PepStore::purge(std::string_view user, std::string_view nodeName) {
  std::lock_guard lock(writeMutex_);
  auto existing = node(user, nodeName);
  if (!existing) return unexpected(fail(PepFailure::NodeNotFound));
  Removed out{*existing, existing->itemIds};
  existing->itemIds.clear();
  driver_.transaction([&] {
    dropItems(user, nodeName, out.itemIds);
    writeNode(user, *existing);
  });
  return out;
}

Expected<Removed, PepError> PepStore::deleteNode(std::string_view user, std::string_view nodeName) {
  std::lock_guard lock(writeMutex_);
  auto existing = node(user, nodeName);
  if (!existing) return unexpected(fail(PepFailure::NodeNotFound));
  Removed out{*existing, existing->itemIds};
  driver_.transaction([&] {
    dropItems(user, nodeName, out.itemIds);
    nodes_->remove(user, nodeName);
  });
  return out;
}

Expected<StoredNode, PepError> PepStore::create(std::string_view user, std::string_view nodeName,
                                                const std::optional<SubmittedForm>& form) {
  std::lock_guard lock(writeMutex_);
  if (node(user, nodeName)) return unexpected(fail(PepFailure::NodeExists));
  NodeConfig config;
  if (form) {
    auto applied = applyForm(config, *form, kNodeConfigFormType);
    if (!applied) return unexpected(fail(PepFailure::BadConfig, applied.error().field + ": " + applied.error().reason));
    config = *applied;
  }
  if (nodes_->all(user).size() >= kMaxNodesPerUser) return unexpected(fail(PepFailure::TooManyNodes));
  StoredNode created{std::string(nodeName), config, {}};
  writeNode(user, created);
  return created;
}

Expected<StoredNode, PepError> PepStore::configure(std::string_view user, std::string_view nodeName,
                                                   const SubmittedForm& form) {
  std::lock_guard lock(writeMutex_);
  auto existing = node(user, nodeName);
  if (!existing) return unexpected(fail(PepFailure::NodeNotFound));
  auto applied = applyForm(existing->config, form, kNodeConfigFormType);
  if (!applied) return unexpected(fail(PepFailure::BadConfig, applied.error().field + ": " + applied.error().reason));
  existing->config = *applied;
  std::vector<std::string> dropped =
      applied->persistItems ? trimOldest(existing->itemIds, static_cast<std::size_t>(applied->maxItems))
                            : std::exchange(existing->itemIds, {});
  driver_.transaction([&] {
    dropItems(user, nodeName, dropped);
    writeNode(user, *existing);
  });
  return *existing;
}

}  // namespace telex::modules::pep
