// The muc#roomconfig form: reading an owner's submission, offering the form, storing the result.
#include "modules/muc/room_config.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

namespace telex::modules::muc {
namespace {

constexpr std::string_view kDataNs = "jabber:x:data";

std::optional<bool> parseBool(std::string_view v) {
  if (v == "1" || v == "true") return true;
  if (v == "0" || v == "false") return false;
  return std::nullopt;
}

std::optional<int> parseCount(std::string_view v) {
  int n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || v.empty() || n < 0) return std::nullopt;
  return n;
}

std::optional<Whois> parseWhois(std::string_view v) {
  if (v == "moderators") return Whois::Moderators;
  if (v == "anyone") return Whois::Anyone;
  return std::nullopt;
}

std::optional<AllowPm> parseAllowPm(std::string_view v) {
  for (auto a : {AllowPm::Anyone, AllowPm::Participants, AllowPm::Moderators, AllowPm::None}) {
    if (allowPmName(a) == v) return a;
  }
  return std::nullopt;
}

// All <value/> texts of a field; a field without values counts as one empty value.
std::vector<std::string> valuesOf(const xml::Element& field) {
  std::vector<std::string> out;
  for (const auto& c : field.children()) {
    if (!c.isText() && c.name() == "value") out.push_back(c.textContent());
  }
  if (out.empty()) out.emplace_back();
  return out;
}

class FormWriter {
 public:
  explicit FormWriter(xml::Element& form) : form_(form) {}

  xml::Element& field(std::string_view var, std::string_view type, std::string_view label) {
    auto& f = form_.addChild(xml::Element("field", std::string(kDataNs)));
    f.setAttr("var", var);
    f.setAttr("type", type);
    if (!label.empty()) f.setAttr("label", label);
    return f;
  }
  void value(xml::Element& field, std::string_view v) {
    field.addChild(xml::Element("value", std::string(kDataNs))).addText(v);
  }
  void text(std::string_view var, std::string_view type, std::string_view label, std::string_view v) {
    value(field(var, type, label), v);
  }
  void boolean(std::string_view var, std::string_view label, bool v) { text(var, "boolean", label, v ? "1" : "0"); }
  void list(std::string_view var, std::string_view label, std::string_view v,
            std::initializer_list<std::pair<std::string_view, std::string_view>> options) {
    auto& f = field(var, "list-single", label);
    value(f, v);
    for (auto [optionLabel, optionValue] : options) {
      auto& o = f.addChild(xml::Element("option", std::string(kDataNs)));
      o.setAttr("label", optionLabel);
      o.addChild(xml::Element("value", std::string(kDataNs))).addText(optionValue);
    }
  }

 private:
  xml::Element& form_;
};

}  // namespace

std::string_view whoisName(Whois whois) { return whois == Whois::Anyone ? "anyone" : "moderators"; }

std::string_view allowPmName(AllowPm allowPm) {
  switch (allowPm) {
    case AllowPm::Anyone: return "anyone";
    case AllowPm::Participants: return "participants";
    case AllowPm::Moderators: return "moderators";
    case AllowPm::None: return "none";
  }
  return "anyone";
}

RoomConfig defaultRoomConfig(int maxHistory) {
  RoomConfig config;
  config.historyLength = std::min(config.historyLength, std::max(0, maxHistory));
  return config;
}

Expected<RoomConfig, std::string> applyConfigForm(RoomConfig c, const xml::Element& form, int maxHistory) {
  if (form.name() != "x" || form.xmlns() != kDataNs) return unexpected(std::string("not a data form"));
  if (form.attrOr("type", "") != "submit") return unexpected(std::string("the form must be of type submit"));
  bool secretGiven = false, protectionGiven = false;
  for (const auto& field : form.children()) {
    if (field.isText() || field.name() != "field") continue;
    std::string var(field.attrOr("var", ""));
    std::string v = valuesOf(field).front();
    auto bad = [&var] { return unexpected("field " + var + " has an invalid value"); };
    auto setBool = [&](bool& target) -> bool {
      auto b = parseBool(v);
      if (b) target = *b;
      return b.has_value();
    };
    if (var == "FORM_TYPE") {
      if (v != kRoomConfigFormType) return unexpected("FORM_TYPE must be " + std::string(kRoomConfigFormType));
    } else if (var == "muc#roomconfig_roomname") {
      c.name = v;
    } else if (var == "muc#roomconfig_roomdesc") {
      c.description = v;
    } else if (var == "muc#roomconfig_persistentroom") {
      if (!setBool(c.persistent)) return bad();
    } else if (var == "muc#roomconfig_publicroom") {
      if (!setBool(c.isPublic)) return bad();
    } else if (var == "muc#roomconfig_membersonly") {
      if (!setBool(c.membersOnly)) return bad();
    } else if (var == "muc#roomconfig_moderatedroom") {
      if (!setBool(c.moderated)) return bad();
    } else if (var == "muc#roomconfig_passwordprotectedroom") {
      if (!setBool(c.passwordProtected)) return bad();
      protectionGiven = true;
    } else if (var == "muc#roomconfig_roomsecret") {
      c.password = v;
      secretGiven = true;
    } else if (var == "muc#roomconfig_maxusers") {
      if (v.empty() || v == "none") {
        c.maxUsers = 0;
      } else if (auto n = parseCount(v)) {
        c.maxUsers = *n;
      } else {
        return bad();
      }
    } else if (var == "muc#roomconfig_historylength" || var == "muc#maxhistoryfetch") {
      auto n = parseCount(v);
      if (!n) return bad();
      c.historyLength = std::min(*n, std::max(0, maxHistory));
    } else if (var == "muc#roomconfig_whois") {
      auto w = parseWhois(v);
      if (!w) return bad();
      c.whois = *w;
    } else if (var == "muc#roomconfig_changesubject") {
      if (!setBool(c.changeSubject)) return bad();
    } else if (var == "muc#roomconfig_allowinvites") {
      if (!setBool(c.allowInvites)) return bad();
    } else if (var == "muc#roomconfig_allowpm") {
      auto a = parseAllowPm(v);
      if (!a) return bad();
      c.allowPm = *a;
    } else if (var == "muc#roomconfig_enablearchiving" || var == "muc#roomconfig_enablelogging") {
      if (!setBool(c.archiving)) return bad();
    }
    // Anything else (muc#roomconfig_lang, _roomowners, client extras) is not configurable here.
  }
  // A secret alone asks for protection; switching protection off drops the secret.
  if (secretGiven && !protectionGiven && !c.password.empty()) c.passwordProtected = true;
  if (!c.passwordProtected) c.password.clear();
  if (c.passwordProtected && c.password.empty()) {
    return unexpected(std::string("a password-protected room needs muc#roomconfig_roomsecret"));
  }
  return c;
}

xml::Element configForm(const RoomConfig& c, int maxHistory) {
  xml::Element form("x", std::string(kDataNs));
  form.setAttr("type", "form");
  form.addChild(xml::Element("title", std::string(kDataNs))).addText("Room configuration");
  FormWriter w(form);
  w.text("FORM_TYPE", "hidden", "", kRoomConfigFormType);
  w.text("muc#roomconfig_roomname", "text-single", "Name", c.name);
  w.text("muc#roomconfig_roomdesc", "text-single", "Description", c.description);
  w.boolean("muc#roomconfig_persistentroom", "Keep the room when the last occupant leaves", c.persistent);
  w.boolean("muc#roomconfig_publicroom", "List the room in the room directory", c.isPublic);
  w.boolean("muc#roomconfig_membersonly", "Only members may enter", c.membersOnly);
  w.boolean("muc#roomconfig_moderatedroom", "Only participants with voice may speak", c.moderated);
  w.boolean("muc#roomconfig_passwordprotectedroom", "A password is needed to enter", c.passwordProtected);
  w.text("muc#roomconfig_roomsecret", "text-private", "Password", c.password);
  w.list("muc#roomconfig_maxusers", "Most occupants at once", c.maxUsers == 0 ? "none" : std::to_string(c.maxUsers),
         {{"10", "10"}, {"20", "20"}, {"30", "30"}, {"50", "50"}, {"100", "100"}, {"No limit", "none"}});
  w.text("muc#roomconfig_historylength", "text-single",
         "Messages sent to new occupants (at most " + std::to_string(maxHistory) + ")",
         std::to_string(c.historyLength));
  w.list("muc#roomconfig_whois", "Who may see occupants' real addresses", whoisName(c.whois),
         {{"Moderators only", "moderators"}, {"Anyone", "anyone"}});
  w.boolean("muc#roomconfig_changesubject", "Participants may change the subject", c.changeSubject);
  w.boolean("muc#roomconfig_allowinvites", "Members may invite others", c.allowInvites);
  w.list("muc#roomconfig_allowpm", "Who may send private messages", allowPmName(c.allowPm),
         {{"Anyone", "anyone"}, {"Participants", "participants"}, {"Moderators", "moderators"}, {"Nobody", "none"}});
  w.boolean("muc#roomconfig_enablearchiving", "Archive messages (message archive on the room)", c.archiving);
  return form;
}

std::vector<int> configChangeCodes(const RoomConfig& before, const RoomConfig& after) {
  std::vector<int> codes;
  RoomConfig a = before, b = after;
  // Privacy-related changes have codes of their own.
  a.whois = b.whois;
  a.archiving = b.archiving;
  if (a != b) codes.push_back(104);
  if (before.archiving != after.archiving) codes.push_back(after.archiving ? 170 : 171);
  if (before.whois != after.whois) codes.push_back(after.whois == Whois::Anyone ? 172 : 173);
  return codes;
}

nlohmann::json configToJson(const RoomConfig& c) {
  return {{"name", c.name},
          {"description", c.description},
          {"password_protected", c.passwordProtected},
          {"password", c.password},
          {"members_only", c.membersOnly},
          {"moderated", c.moderated},
          {"persistent", c.persistent},
          {"public", c.isPublic},
          {"max_users", c.maxUsers},
          {"history_length", c.historyLength},
          {"whois", whoisName(c.whois)},
          {"change_subject", c.changeSubject},
          {"allow_invites", c.allowInvites},
          {"allow_pm", allowPmName(c.allowPm)},
          {"archiving", c.archiving}};
}

RoomConfig configFromJson(const nlohmann::json& j, int maxHistory) {
  RoomConfig c = defaultRoomConfig(maxHistory);
  if (!j.is_object()) return c;
  auto get = [&j](const char* key, auto& target) {
    auto it = j.find(key);
    using T = std::decay_t<decltype(target)>;
    if (it == j.end()) return;
    if constexpr (std::is_same_v<T, bool>) {
      if (it->is_boolean()) target = it->template get<bool>();
    } else if constexpr (std::is_same_v<T, int>) {
      if (it->is_number_integer()) target = it->template get<int>();
    } else {
      if (it->is_string()) target = it->template get<std::string>();
    }
  };
  get("name", c.name);
  get("description", c.description);
  get("password_protected", c.passwordProtected);
  get("password", c.password);
  get("members_only", c.membersOnly);
  get("moderated", c.moderated);
  get("persistent", c.persistent);
  get("public", c.isPublic);
  get("max_users", c.maxUsers);
  get("history_length", c.historyLength);
  std::string whois(whoisName(c.whois)), allowPm(allowPmName(c.allowPm));
  get("whois", whois);
  get("allow_pm", allowPm);
  c.whois = parseWhois(whois).value_or(c.whois);
  c.allowPm = parseAllowPm(allowPm).value_or(c.allowPm);
  get("change_subject", c.changeSubject);
  get("allow_invites", c.allowInvites);
  get("archiving", c.archiving);
  c.maxUsers = std::max(0, c.maxUsers);
  c.historyLength = std::clamp(c.historyLength, 0, std::max(0, maxHistory));
  return c;
}

}  // namespace telex::modules::muc
