// Archiving preferences: parsing, the answer element, storage encoding, the archiving decision.
#include "modules/mam/mam_prefs.hpp"

#include <algorithm>

#include "modules/mam/mam_query.hpp"

namespace telex::modules::mam {
namespace {

using router::StanzaError;

Expected<std::vector<std::string>, StanzaError> readJids(const xml::Element* list) {
  std::vector<std::string> out;
  if (!list) return out;
  for (const auto& c : list->children()) {
    if (c.isText() || c.name() != "jid" || c.xmlns() != kMamNs) continue;
    auto jid = Jid::parse(c.textContent());
    if (!jid) return unexpected(StanzaError::jidMalformed("invalid JID in preferences"));
    out.push_back(jid->full());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool listed(const std::vector<std::string>& list, const Jid& other) {
  if (list.empty()) return false;  // the usual case: no JID strings built per message
  return std::binary_search(list.begin(), list.end(), other.bareString()) ||
         (other.hasResource() && std::binary_search(list.begin(), list.end(), other.full()));
}

}  // namespace

std::optional<DefaultPolicy> parsePolicy(std::string_view name) {
  if (name == "always") return DefaultPolicy::Always;
  if (name == "roster") return DefaultPolicy::Roster;
  if (name == "never") return DefaultPolicy::Never;
  return std::nullopt;
}

std::string_view policyName(DefaultPolicy policy) {
  switch (policy) {
    case DefaultPolicy::Always: return "always";
    case DefaultPolicy::Roster: return "roster";
    case DefaultPolicy::Never: return "never";
  }
  return "always";
}

Expected<Prefs, StanzaError> parsePrefs(const xml::Element& prefs) {
  Prefs out;
  auto policy = parsePolicy(prefs.attrOr("default", ""));
  if (!policy) return unexpected(StanzaError::badRequest("default must be always, roster or never"));
  out.byDefault = *policy;
  auto always = readJids(prefs.child("always", kMamNs));
  if (!always) return unexpected(always.error());
  auto never = readJids(prefs.child("never", kMamNs));
  if (!never) return unexpected(never.error());
  out.always = std::move(*always);
  out.never = std::move(*never);
  return out;
}

xml::Element prefsElement(const Prefs& prefs) {
  xml::Element out("prefs", std::string(kMamNs));
  out.setAttr("default", policyName(prefs.byDefault));
  for (const auto* list : {&prefs.always, &prefs.never}) {
    auto& parent = out.addChild(xml::Element(list == &prefs.always ? "always" : "never", std::string(kMamNs)));
    for (const auto& jid : *list) parent.addChild(xml::Element("jid", std::string(kMamNs))).addText(jid);
  }
  return out;
}

std::string encodePrefs(const Prefs& prefs) {
  std::string out(policyName(prefs.byDefault));
  out += '\n';
  for (const auto& jid : prefs.always) out += "+" + jid + "\n";
  for (const auto& jid : prefs.never) out += "-" + jid + "\n";
  return out;
}

std::optional<Prefs> decodePrefs(std::string_view text) {
  Prefs out;
  bool first = true;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (first) {
      auto policy = parsePolicy(line);
      if (!policy) return std::nullopt;
      out.byDefault = *policy;
      first = false;
    } else if (line.size() > 1 && (line[0] == '+' || line[0] == '-')) {
      (line[0] == '+' ? out.always : out.never).emplace_back(line.substr(1));
    } else if (!line.empty()) {
      return std::nullopt;
    }
  }
  if (first) return std::nullopt;
  std::sort(out.always.begin(), out.always.end());
  std::sort(out.never.begin(), out.never.end());
  return out;
}

Decision decide(const Prefs& prefs, const Jid& other) {
  if (listed(prefs.never, other)) return Decision::Skip;
  if (listed(prefs.always, other)) return Decision::Archive;
  switch (prefs.byDefault) {
    case DefaultPolicy::Always: return Decision::Archive;
    case DefaultPolicy::Roster: return Decision::IfInRoster;
    case DefaultPolicy::Never: return Decision::Skip;
  }
  return Decision::Archive;
}

}  // namespace telex::modules::mam
