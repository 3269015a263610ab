// Parsing and validating pubsub requests.
#include "modules/pep/pubsub_request.hpp"

#include <charconv>

#include "modules/pep/pep_store.hpp"

namespace telex::modules::pep {
namespace {

using Result = Expected<PubsubRequest, PubsubError>;

Unexpected<PubsubError> badRequest(std::string text = {}) {
  return unexpected(PubsubError::plain(router::StanzaError::badRequest(std::move(text))));
}

std::vector<const xml::Element*> elementChildren(const xml::Element& e) {
  std::vector<const xml::Element*> out;
  for (const auto& c : e.children()) {
    if (!c.isText()) out.push_back(&c);
  }
  return out;
}

// The 'node' attribute, required everywhere in PEP (no instant or collection nodes).
Expected<std::string, PubsubError> nodeOf(const xml::Element& e) {
  std::string node(e.attrOr("node", ""));
  if (node.empty()) return unexpected(PubsubError::nodeidRequired());
  if (node.size() > kMaxNodeBytes) return badRequest("node name too long");
  return node;
}

Expected<std::string, PubsubError> itemIdOf(const xml::Element& item, bool required) {
  std::string id(item.attrOr("id", ""));
  if (id.empty() && required) return unexpected(PubsubError::itemRequired());
  if (id.size() > kMaxItemIdBytes) return badRequest("item id too long");
  return id;
}

// The one data form inside <publish-options/> or <configure/>; nullopt when there is none.
std::optional<SubmittedForm> formIn(const xml::Element& wrapper) {
  const xml::Element* x = wrapper.child("x", kDataFormsNs);
  return x ? parseSubmittedForm(*x) : std::nullopt;
}

Result parsePublish(const xml::Element& publish, const xml::Element* publishOptions, std::string_view ns) {
  auto node = nodeOf(publish);
  if (!node) return unexpected(node.error());
  const xml::Element* item = nullptr;
  for (const auto* c : elementChildren(publish)) {
    if (c->name() != "item" || c->xmlns() != ns) return badRequest();
    // One item per publish: XEP-0060 no longer has batches.
    if (item) return unexpected(PubsubError::invalidPayload("one item per publish"));
    item = c;
  }
  if (!item) return unexpected(PubsubError::itemRequired());
  auto id = itemIdOf(*item, false);
  if (!id) return unexpected(id.error());
  auto payloads = elementChildren(*item);
  if (payloads.empty()) return unexpected(PubsubError::payloadRequired());
  if (payloads.size() > 1) return unexpected(PubsubError::invalidPayload("one payload per item"));
  // Only what the publisher may decide is kept: the id and the payload (a 'publisher' or any
  // other attribute is the service's to set).
  xml::Element stored("item", std::string(kPubsubNs));
  if (!id->empty()) stored.setAttr("id", *id);
  stored.addChild(*payloads.front());
  PublishRequest request{std::move(*node), std::move(stored), std::nullopt};
  if (publishOptions) {
    request.options = formIn(*publishOptions);
    if (!request.options) return unexpected(PubsubError::invalidOptions("publish-options without a data form"));
  }
  return PubsubRequest(std::move(request));
}

Result parseRetract(const xml::Element& retract, std::string_view ns) {
  auto node = nodeOf(retract);
  if (!node) return unexpected(node.error());
  auto children = elementChildren(retract);
  if (children.empty()) return unexpected(PubsubError::itemRequired());
  if (children.size() > 1 || children.front()->name() != "item" || children.front()->xmlns() != ns) {
    return badRequest("retract one item");
  }
  auto id = itemIdOf(*children.front(), true);
  if (!id) return unexpected(id.error());
  std::string_view notify = retract.attrOr("notify", "");
  return PubsubRequest(RetractRequest{std::move(*node), std::move(*id), notify == "1" || notify == "true"});
}

Result parseItems(const xml::Element& items, std::string_view ns) {
  auto node = nodeOf(items);
  if (!node) return unexpected(node.error());
  ItemsRequest request{std::move(*node), {}, std::nullopt};
  if (auto max = items.attr("max_items")) {
    int n = 0;
    auto [end, ec] = std::from_chars(max->data(), max->data() + max->size(), n);
    if (ec != std::errc() || end != max->data() + max->size() || n < 1) {
      return badRequest("max_items must be a positive number");
    }
    request.maxItems = n;
  }
  for (const auto* c : elementChildren(items)) {
    if (c->name() != "item" || c->xmlns() != ns) return badRequest();
    auto id = itemIdOf(*c, true);
    if (!id) return unexpected(id.error());
    request.itemIds.push_back(std::move(*id));
  }
  return PubsubRequest(std::move(request));
}

Result parseUserRequest(const std::vector<const xml::Element*>& children, bool isSet, std::string_view ns) {
  const xml::Element& verb = *children.front();
  const std::string& name = verb.name();
  const xml::Element* second = children.size() > 1 ? children[1] : nullptr;
  if (children.size() > 2 || verb.xmlns() != ns) return badRequest();
  if (isSet && name == "publish") {
    if (second && (second->name() != "publish-options" || second->xmlns() != ns)) {
      return badRequest();
    }
    return parsePublish(verb, second, ns);
  }
  if (isSet && name == "create") {
    if (second && (second->name() != "configure" || second->xmlns() != ns)) {
      return badRequest();
    }
    auto node = nodeOf(verb);
    if (!node) return unexpected(node.error());
    CreateRequest request{std::move(*node), std::nullopt};
    if (second) request.config = formIn(*second);
    return PubsubRequest(std::move(request));
  }
  if (second) return badRequest();
  if (isSet && name == "retract") return parseRetract(verb, ns);
  if (!isSet && name == "items") return parseItems(verb, ns);
  // XEP-0163 subscriptions are implicit (presence and +notify); nothing to manage explicitly.
  if (name == "subscribe" || name == "unsubscribe") return unexpected(PubsubError::unsupported("subscribe"));
  if (name == "subscriptions") return unexpected(PubsubError::unsupported("retrieve-subscriptions"));
  if (name == "affiliations") return unexpected(PubsubError::unsupported("retrieve-affiliations"));
  if (name == "options" || name == "default") return unexpected(PubsubError::unsupported("subscription-options"));
  return badRequest();
}

Result parseOwnerRequest(const std::vector<const xml::Element*>& children, bool isSet) {
  if (children.size() != 1 || children.front()->xmlns() != kPubsubOwnerNs) {
    return badRequest();
  }
  const xml::Element& verb = *children.front();
  const std::string& name = verb.name();
  if (name == "default" && !isSet) return PubsubRequest(DefaultConfigRequest{});
  if (name == "subscriptions") return unexpected(PubsubError::unsupported("manage-subscriptions"));
  if (name == "affiliations") return unexpected(PubsubError::unsupported("modify-affiliations"));
  if (name != "configure" && name != "delete" && name != "purge") {
    return badRequest();
  }
  auto node = nodeOf(verb);
  if (!node) return unexpected(node.error());
  if (name == "configure" && !isSet) return PubsubRequest(ConfigureGetRequest{std::move(*node)});
  if (!isSet) return badRequest();
  if (name == "delete") return PubsubRequest(DeleteRequest{std::move(*node)});
  if (name == "purge") return PubsubRequest(PurgeRequest{std::move(*node)});
  const xml::Element* x = verb.child("x", kDataFormsNs);
  if (!x) return badRequest("configure without a data form");
  if (x->attrOr("type", "") == "cancel") return PubsubRequest(ConfigureSetRequest{std::move(*node), std::nullopt});
  return PubsubRequest(ConfigureSetRequest{std::move(*node), parseSubmittedForm(*x)});
}

}  // namespace

Expected<PubsubRequest, PubsubError> parsePubsubRequest(const xml::Element& pubsub, bool isSet) {
  auto children = elementChildren(pubsub);
  if (children.empty()) return badRequest();
  if (pubsub.xmlns() == kPubsubOwnerNs) return parseOwnerRequest(children, isSet);
  return parseUserRequest(children, isSet, kPubsubNs);
}

}  // namespace telex::modules::pep
