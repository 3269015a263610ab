// PEP node configuration: the options Telex supports, data forms that set them (node_config and
// publish-options, XEP-0060 §8.2 and §7.1.5), and the form a configure request returns.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.hpp"
#include "xml/element.hpp"

namespace telex::modules::pep {

inline constexpr std::string_view kDataFormsNs = "jabber:x:data";
inline constexpr std::string_view kNodeConfigFormType = "http://jabber.org/protocol/pubsub#node_config";
inline constexpr std::string_view kPublishOptionsFormType = "http://jabber.org/protocol/pubsub#publish-options";

// Items a node keeps at most; what "max" means for pubsub#max_items.
inline constexpr int kMaxItemsLimit = 256;

enum class AccessModel { Open, Presence, Whitelist };
std::string_view accessModelName(AccessModel model);
std::optional<AccessModel> parseAccessModel(std::string_view name);

enum class SendLastPublished { Never, OnSub, OnSubAndPresence };
std::string_view sendLastPublishedName(SendLastPublished when);

struct NodeConfig {
  // XEP-0163 §4: PEP nodes default to the owner's presence subscribers.
  AccessModel accessModel = AccessModel::Presence;
  // XEP-0163 is about the current state, so one item unless asked for more.
  int maxItems = 1;
  bool persistItems = true;
  SendLastPublished sendLastPublished = SendLastPublished::OnSubAndPresence;
  bool notifyRetract = true;

  friend bool operator==(const NodeConfig&, const NodeConfig&) = default;
};

// A submitted jabber:x:data form, reduced to its FORM_TYPE and fields.
struct SubmittedField {
  std::string var;
  std::vector<std::string> values;
};
struct SubmittedForm {
  std::string formType;  // empty when the form has no FORM_TYPE
  std::vector<SubmittedField> fields;
};
// Reads <x xmlns='jabber:x:data'/>; nullopt when `x` is not a data form.
std::optional<SubmittedForm> parseSubmittedForm(const xml::Element& x);

// Why a form could not be applied: an option Telex does not have, or a value it cannot take.
struct ConfigProblem {
  std::string field;
  std::string reason;
};

// Applies every field of `form` to `base`. FORM_TYPE, when present, must be `formType`.
// Options that are not configurable but have one fixed behaviour (deliver_payloads,
// deliver_notifications, notify_delete, all true) are accepted only with that value.
Expected<NodeConfig, ConfigProblem> applyForm(NodeConfig base, const SubmittedForm& form,
                                              std::string_view formType);

// XEP-0060 §7.1.5: the publish-options a publisher asked for, checked against an existing node.
// True when applying them would change nothing; an option Telex does not know is never met.
bool preconditionsMet(const NodeConfig& config, const SubmittedForm& options);

// The <x type='form'/> a configure request answers with (XEP-0060 §8.2.1).
xml::Element configForm(const NodeConfig& config);

}  // namespace telex::modules::pep
