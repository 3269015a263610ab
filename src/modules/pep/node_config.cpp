// Node options from and to data forms.
#include "modules/pep/node_config.hpp"

#include <charconv>

namespace telex::modules::pep {
namespace {

std::optional<bool> parseBoolean(std::string_view value) {
  // XEP-0004 §3.3 boolean: both spellings are valid.
  if (value == "1" || value == "true") return true;
  if (value == "0" || value == "false") return false;
  return std::nullopt;
}

std::optional<SendLastPublished> parseSendLastPublished(std::string_view name) {
  if (name == "never") return SendLastPublished::Never;
  if (name == "on_sub") return SendLastPublished::OnSub;
  if (name == "on_sub_and_presence") return SendLastPublished::OnSubAndPresence;
  return std::nullopt;
}

std::optional<int> parseMaxItems(std::string_view value) {
  if (value == "max") return kMaxItemsLimit;
  int n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || n < 1 || n > kMaxItemsLimit) return std::nullopt;
  return n;
}

ConfigProblem badValue(const SubmittedField& field) {
  std::string value = field.values.empty() ? std::string("(none)") : field.values.front();
  return {field.var, "unsupported value " + value};
}

xml::Element field(std::string_view var, std::string_view type, std::string_view label) {
  xml::Element f("field", std::string(kDataFormsNs));
  f.setAttr("var", var);
  f.setAttr("type", type);
  if (!label.empty()) f.setAttr("label", label);
  return f;
}

void addValue(xml::Element& f, std::string_view value) {
  f.addChild(xml::Element("value", std::string(kDataFormsNs))).addText(value);
}

void addOption(xml::Element& f, std::string_view value) {
  auto& option = f.addChild(xml::Element("option", std::string(kDataFormsNs)));
  option.addChild(xml::Element("value", std::string(kDataFormsNs))).addText(value);
}

}  // namespace

std::string_view accessModelName(AccessModel model) {
  switch (model) {
    case AccessModel::Open: return "open";
    case AccessModel::Presence: return "presence";
    case AccessModel::Whitelist: return "whitelist";
  }
  return "presence";
}

std::optional<AccessModel> parseAccessModel(std::string_view name) {
  if (name == "open") return AccessModel::Open;
  if (name == "presence") return AccessModel::Presence;
  if (name == "whitelist") return AccessModel::Whitelist;
  return std::nullopt;
}

std::string_view sendLastPublishedName(SendLastPublished when) {
  switch (when) {
    case SendLastPublished::Never: return "never";
    case SendLastPublished::OnSub: return "on_sub";
    case SendLastPublished::OnSubAndPresence: return "on_sub_and_presence";
  }
  return "on_sub_and_presence";
}

std::optional<SubmittedForm> parseSubmittedForm(const xml::Element& x) {
  if (x.name() != "x" || x.xmlns() != kDataFormsNs) return std::nullopt;
  SubmittedForm form;
  for (const auto& child : x.children()) {
    if (child.isText() || child.name() != "field") continue;
    SubmittedField f{std::string(child.attrOr("var", "")), {}};
    for (const auto& v : child.children()) {
      if (!v.isText() && v.name() == "value") f.values.push_back(v.textContent());
    }
    if (f.var == "FORM_TYPE") {
      form.formType = f.values.empty() ? std::string() : f.values.front();
    } else {
      form.fields.push_back(std::move(f));
    }
  }
  return form;
}

Expected<NodeConfig, ConfigProblem> applyForm(NodeConfig config, const SubmittedForm& form,
                                              std::string_view formType) {
  if (!form.formType.empty() && form.formType != formType) {
    return unexpected(ConfigProblem{"FORM_TYPE", "expected " + std::string(formType)});
  }
  for (const auto& f : form.fields) {
    // Every option here takes exactly one value.
    if (f.values.size() != 1) return unexpected(badValue(f));
    std::string_view value = f.values.front();
    if (f.var == "pubsub#access_model") {
      auto model = parseAccessModel(value);
      if (!model) return unexpected(badValue(f));
      config.accessModel = *model;
    } else if (f.var == "pubsub#max_items") {
      auto n = parseMaxItems(value);
      if (!n) return unexpected(badValue(f));
      config.maxItems = *n;
    } else if (f.var == "pubsub#persist_items") {
      auto b = parseBoolean(value);
      if (!b) return unexpected(badValue(f));
      config.persistItems = *b;
    } else if (f.var == "pubsub#send_last_published_item") {
      auto when = parseSendLastPublished(value);
      if (!when) return unexpected(badValue(f));
      config.sendLastPublished = *when;
    } else if (f.var == "pubsub#notify_retract") {
      auto b = parseBoolean(value);
      if (!b) return unexpected(badValue(f));
      config.notifyRetract = *b;
    } else if (f.var == "pubsub#deliver_payloads" || f.var == "pubsub#deliver_notifications" ||
               f.var == "pubsub#notify_delete") {
      // Always on here; a client asking for exactly that must not be refused.
      if (parseBoolean(value) != true) return unexpected(badValue(f));
    } else if (f.var == "pubsub#publish_model") {
      // Only the owner ever publishes to a PEP node.
      if (value != "publishers") return unexpected(badValue(f));
    } else {
      return unexpected(ConfigProblem{f.var, "unsupported option"});
    }
  }
  return config;
}

bool preconditionsMet(const NodeConfig& config, const SubmittedForm& options) {
  auto applied = applyForm(config, options, kPublishOptionsFormType);
  return applied && *applied == config;
}

xml::Element configForm(const NodeConfig& config) {
  xml::Element x("x", std::string(kDataFormsNs));
  x.setAttr("type", "form");
  auto formType = field("FORM_TYPE", "hidden", "");
  addValue(formType, kNodeConfigFormType);
  x.addChild(std::move(formType));

  auto access = field("pubsub#access_model", "list-single", "Who may subscribe and retrieve items");
  for (AccessModel m : {AccessModel::Open, AccessModel::Presence, AccessModel::Whitelist}) {
    addOption(access, accessModelName(m));
  }
  addValue(access, accessModelName(config.accessModel));
  x.addChild(std::move(access));

  auto maxItems = field("pubsub#max_items", "text-single", "Maximum number of items to keep");
  addValue(maxItems, std::to_string(config.maxItems));
  x.addChild(std::move(maxItems));

  auto persist = field("pubsub#persist_items", "boolean", "Keep items in storage");
  addValue(persist, config.persistItems ? "1" : "0");
  x.addChild(std::move(persist));

  auto sendLast = field("pubsub#send_last_published_item", "list-single", "When to send the last published item");
  for (auto when : {SendLastPublished::Never, SendLastPublished::OnSub, SendLastPublished::OnSubAndPresence}) {
    addOption(sendLast, sendLastPublishedName(when));
  }
  addValue(sendLast, sendLastPublishedName(config.sendLastPublished));
  x.addChild(std::move(sendLast));

  auto retract = field("pubsub#notify_retract", "boolean", "Notify subscribers when items are removed");
  addValue(retract, config.notifyRetract ? "1" : "0");
  x.addChild(std::move(retract));
  return x;
}

}  // namespace telex::modules::pep
