// The pubsub requests a PEP service answers, read from an IQ's <pubsub/> payload (XEP-0060 §6-§8).
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "modules/pep/node_config.hpp"
#include "modules/pep/pubsub_error.hpp"
#include "xml/element.hpp"

namespace telex::modules::pep {

inline constexpr std::string_view kPubsubOwnerNs = "http://jabber.org/protocol/pubsub#owner";
inline constexpr std::string_view kPubsubEventNs = "http://jabber.org/protocol/pubsub#event";

// Longest node name and item id accepted, in bytes (an item id may be a JID: XEP-0402 uses the
// room's address, up to 3 × 1023 bytes).
inline constexpr std::size_t kMaxNodeBytes = 1023;
inline constexpr std::size_t kMaxItemIdBytes = 3071;

struct PublishRequest {
  std::string node;
  xml::Element item;  // <item/> in the pubsub namespace: 'id' (if given) and the one payload only
  std::optional<SubmittedForm> options;
};
struct RetractRequest {
  std::string node;
  std::string itemId;
  bool notify = false;  // the publisher asked for a retract notification
};
struct ItemsRequest {
  std::string node;
  std::vector<std::string> itemIds;  // empty: the newest items
  std::optional<int> maxItems;
};
struct CreateRequest {
  std::string node;
  std::optional<SubmittedForm> config;
};
struct ConfigureGetRequest {
  std::string node;
};
struct ConfigureSetRequest {
  std::string node;
  std::optional<SubmittedForm> form;  // nullopt: the client cancelled (XEP-0060 §8.2.4)
};
struct DeleteRequest {
  std::string node;
};
struct PurgeRequest {
  std::string node;
};
struct DefaultConfigRequest {};

using PubsubRequest = std::variant<PublishRequest, RetractRequest, ItemsRequest, CreateRequest, ConfigureGetRequest,
                                   ConfigureSetRequest, DeleteRequest, PurgeRequest, DefaultConfigRequest>;

// Reads the <pubsub/> payload (pubsub or pubsub#owner namespace) of an IQ of type get (`isSet`
// false) or set. Requests PEP does not offer (explicit subscriptions, affiliations) come back as
// <feature-not-implemented/> with <unsupported/>.
Expected<PubsubRequest, PubsubError> parsePubsubRequest(const xml::Element& pubsub, bool isSet);

}  // namespace telex::modules::pep
