// Parsing and validating alert payloads; nothing is trusted to have the expected types.
#include "modules/alerts/payloads.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

namespace telex::modules::alerts {
namespace {

using nlohmann::json;
using announce::Severity;

std::string str(const json& j, std::string_view key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

const json* object(const json& j, std::string_view key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return nullptr;
  return &*it;
}

// Cuts at `max` bytes without splitting a UTF-8 sequence.
void truncateUtf8(std::string& text, std::size_t max) {
  if (text.size() <= max) return;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
}

bool blank(std::string_view text) { return text.find_first_not_of(" \t\r\n") == std::string_view::npos; }

Expected<std::vector<std::string>, std::string> recipients(const json& j, std::string_view field) {
  std::vector<std::string> out;
  if (j.is_string()) {
    out.push_back(j.get<std::string>());
  } else if (j.is_array()) {
    for (const auto& r : j) {
      if (!r.is_string()) return unexpected("\"" + std::string(field) + "\" must list strings");
      out.push_back(r.get<std::string>());
    }
  } else {
    return unexpected("\"" + std::string(field) + "\" must be a string or a list of strings");
  }
  out.erase(std::remove_if(out.begin(), out.end(), [](const std::string& s) { return blank(s); }), out.end());
  if (out.empty()) return unexpected("\"" + std::string(field) + "\" names no recipient");
  if (out.size() > kMaxRecipients) return unexpected("too many recipients in \"" + std::string(field) + "\"");
  return out;
}

Expected<bool, std::string> checkText(AlertRequest& r) {
  if (blank(r.text)) return unexpected(std::string("\"text\" is missing or empty"));
  if (r.text.size() > kMaxAlertTextBytes) {
    return unexpected("the alert text is longer than " + std::to_string(kMaxAlertTextBytes) + " bytes");
  }
  truncateUtf8(r.title, 1024);
  return true;
}

// Monitoring's severities: Prometheus conventions ("critical", "page", "warning", "info", "none").
std::optional<Severity> monitoringSeverity(std::string_view label) {
  if (auto s = announce::parseSeverity(label)) return s;
  std::string lower(label);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "page" || lower == "error" || lower == "high" || lower == "disaster" || lower == "emergency") {
    return Severity::Critical;
  }
  if (lower == "medium" || lower == "average") return Severity::Warning;
  if (lower == "low" || lower == "none" || lower == "notice") return Severity::Info;
  return std::nullopt;
}

std::string labelText(const json& labels, std::initializer_list<std::string_view> skip) {
  std::string out;
  if (!labels.is_object()) return out;
  for (auto it = labels.begin(); it != labels.end(); ++it) {
    if (!it.value().is_string()) continue;
    if (std::find(skip.begin(), skip.end(), it.key()) != skip.end()) continue;
    out += (out.empty() ? "" : ", ") + it.key() + "=" + it.value().get<std::string>();
  }
  return out;
}

// The Alertmanager / Grafana unified "alerts" list, read the same way: one line per alert.
struct Summary {
  std::size_t firing = 0, resolved = 0;
  std::optional<Severity> highest;
  std::string lines;
};

Summary summarize(const json& alerts, std::string_view valueKey) {
  Summary s;
  if (!alerts.is_array()) return s;
  std::size_t shown = 0;
  for (const auto& a : alerts) {
    if (!a.is_object()) continue;
    std::string status = str(a, "status");
    bool resolved = status == "resolved";
    (resolved ? s.resolved : s.firing)++;
    static const json kEmpty = json::object();
    const json* labels = object(a, "labels");
    const json* annotations = object(a, "annotations");
    const json& l = labels ? *labels : kEmpty;
    const json& n = annotations ? *annotations : kEmpty;
    if (!resolved) {
      if (auto sev = monitoringSeverity(str(l, "severity"))) {
        if (!s.highest || static_cast<int>(*sev) > static_cast<int>(*s.highest)) s.highest = sev;
      }
    }
    if (++shown > 20) continue;  // the count in the title says how many there are
    std::string name = str(n, "summary");
    if (name.empty()) name = str(l, "alertname");
    if (name.empty()) name = "alert";
    std::string line = "[" + std::string(resolved ? "resolved" : "firing") + "] " + name;
    if (std::string d = str(n, "description"); !d.empty()) line += " — " + d;
    if (std::string v = str(a, valueKey); !v.empty()) line += " (" + v + ")";
    if (std::string rest = labelText(l, {"alertname", "severity"}); !rest.empty()) line += "\n  " + rest;
    s.lines += line + "\n";
  }
  if (shown > 20) s.lines += "… and " + std::to_string(shown - 20) + " more\n";
  while (!s.lines.empty() && s.lines.back() == '\n') s.lines.pop_back();
  return s;
}

Severity overall(const Summary& s, const json& common) {
  if (s.firing == 0 && s.resolved > 0) return Severity::Info;  // all clear
  if (const json* labels = object(common, "commonLabels")) {
    if (auto sev = monitoringSeverity(str(*labels, "severity"))) return *sev;
  }
  return s.highest.value_or(Severity::Warning);
}

Expected<json, std::string> parseObject(std::string_view body) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return unexpected(std::string("the body is not valid JSON"));
  if (!j.is_object()) return unexpected(std::string("the body must be a JSON object"));
  return j;
}

}  // namespace

std::vector<std::string> splitList(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto part = text.substr(0, comma);
    auto first = part.find_first_not_of(" \t");
    auto last = part.find_last_not_of(" \t");
    if (first != std::string_view::npos) out.emplace_back(part.substr(first, last - first + 1));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

Expected<AlertRequest, std::string> parseNative(std::string_view body) {
  auto parsed = parseObject(body);
  if (!parsed) return unexpected(parsed.error());
  const json& j = *parsed;
  AlertRequest r;
  r.source = "api";
  auto to = j.find("to");
  if (to == j.end()) return unexpected(std::string("\"to\" is missing"));
  auto list = recipients(*to, "to");
  if (!list) return unexpected(list.error());
  r.to = std::move(*list);
  for (std::string_view key : {"text", "title", "subject", "severity"}) {
    if (j.contains(key) && !j.at(key).is_string()) return unexpected("\"" + std::string(key) + "\" must be a string");
  }
  r.text = str(j, "text");
  r.title = str(j, "title");
  if (r.title.empty()) r.title = str(j, "subject");
  if (j.contains("severity")) {
    auto sev = announce::parseSeverity(str(j, "severity"));
    if (!sev) return unexpected(std::string("\"severity\" must be info, warning or critical"));
    r.severity = *sev;
  }
  if (auto ok = checkText(r); !ok) return unexpected(ok.error());
  if (auto e = j.find("escalate"); e != j.end() && !e->is_null()) {
    if (!e->is_object()) return unexpected(std::string("\"escalate\" must be an object"));
    auto after = e->find("after_seconds");
    if (after == e->end() || !after->is_number_integer()) {
      return unexpected(std::string("\"escalate.after_seconds\" must be an integer"));
    }
    EscalationRequest esc;
    esc.afterSeconds = after->get<std::int64_t>();
    if (esc.afterSeconds < 1 || esc.afterSeconds > kMaxEscalationSeconds) {
      return unexpected("\"escalate.after_seconds\" must be between 1 and " + std::to_string(kMaxEscalationSeconds));
    }
    auto escTo = e->find("to");
    if (escTo == e->end()) return unexpected(std::string("\"escalate.to\" is missing"));
    auto escList = recipients(*escTo, "escalate.to");
    if (!escList) return unexpected(escList.error());
    esc.to = std::move(*escList);
    r.escalate = std::move(esc);
  }
  return r;
}

Expected<AlertRequest, std::string> parseAlertmanager(std::string_view body) {
  auto parsed = parseObject(body);
  if (!parsed) return unexpected(parsed.error());
  const json& j = *parsed;
  auto alerts = j.find("alerts");
  if (alerts == j.end() || !alerts->is_array() || alerts->empty()) {
    return unexpected(std::string("not an Alertmanager payload: \"alerts\" is missing or empty"));
  }
  Summary s = summarize(*alerts, "valueString");
  if (s.firing + s.resolved == 0) return unexpected(std::string("no readable alert in \"alerts\""));
  AlertRequest r;
  r.source = "alertmanager";
  r.severity = overall(s, j);
  std::string name;
  if (const json* labels = object(j, "commonLabels")) name = str(*labels, "alertname");
  if (name.empty()) {
    if (const json* labels = object(j, "groupLabels")) name = labelText(*labels, {});
  }
  if (name.empty()) name = "Alertmanager";
  r.title = s.firing > 0 ? "[FIRING:" + std::to_string(s.firing) + "] " + name
                         : "[RESOLVED] " + name;
  r.text = s.lines;
  if (std::string url = str(j, "externalURL"); !url.empty()) r.text += "\n" + url;
  truncateUtf8(r.text, kMaxAlertTextBytes);
  if (auto ok = checkText(r); !ok) return unexpected(ok.error());
  return r;
}

Expected<AlertRequest, std::string> parseGrafana(std::string_view body) {
  auto parsed = parseObject(body);
  if (!parsed) return unexpected(parsed.error());
  const json& j = *parsed;
  AlertRequest r;
  r.source = "grafana";
  auto alerts = j.find("alerts");
  if (alerts != j.end() && alerts->is_array() && !alerts->empty()) {
    // Unified alerting: Alertmanager's shape plus title/message.
    Summary s = summarize(*alerts, "valueString");
    r.severity = overall(s, j);
    r.title = str(j, "title");
    if (r.title.empty()) r.title = s.firing > 0 ? "[FIRING:" + std::to_string(s.firing) + "] Grafana" : "[RESOLVED] Grafana";
    r.text = s.lines;
    if (blank(r.text)) r.text = str(j, "message");
  } else if (j.contains("ruleName") || j.contains("evalMatches") || j.contains("state")) {
    // Legacy alerting: one rule, its state and the matching series.
    std::string state = str(j, "state");
    r.title = str(j, "title");
    if (r.title.empty()) r.title = "[" + state + "] " + str(j, "ruleName");
    r.text = str(j, "message");
    if (auto m = j.find("evalMatches"); m != j.end() && m->is_array()) {
      for (const auto& match : *m) {
        if (!match.is_object()) continue;
        std::string metric = str(match, "metric");
        auto value = match.find("value");
        std::string v = value != match.end() && value->is_number() ? value->dump() : "";
        if (!metric.empty()) r.text += (r.text.empty() ? "" : "\n") + metric + (v.empty() ? "" : " = " + v);
      }
    }
    if (blank(r.text)) r.text = r.title;
    if (state == "ok") {
      r.severity = announce::Severity::Info;
    } else if (state == "alerting") {
      r.severity = announce::Severity::Critical;
    } else {
      r.severity = announce::Severity::Warning;
    }
  } else {
    return unexpected(std::string("not a Grafana payload: neither \"alerts\" nor \"state\"/\"ruleName\""));
  }
  if (std::string url = str(j, "externalURL"); !url.empty()) r.text += "\n" + url;
  if (std::string url = str(j, "ruleUrl"); !url.empty()) r.text += "\n" + url;
  truncateUtf8(r.text, kMaxAlertTextBytes);
  if (auto ok = checkText(r); !ok) return unexpected(ok.error());
  return r;
}

}  // namespace telex::modules::alerts
