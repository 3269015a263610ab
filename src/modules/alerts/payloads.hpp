// The three request bodies the alert API understands, turned into one AlertRequest: Telex's own
// JSON (POST /api/v1/alerts), Prometheus Alertmanager's webhook (version 4) and Grafana's webhook
// (unified alerting, and the legacy shape with title/message/evalMatches).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modules/announce/severity.hpp"
#include "util/expected.hpp"

namespace telex::modules::alerts {

inline constexpr std::size_t kMaxAlertTextBytes = 32 * 1024;
inline constexpr std::size_t kMaxRecipients = 1000;
inline constexpr std::int64_t kMaxEscalationSeconds = 7 * 86400;

struct EscalationRequest {
  std::int64_t afterSeconds = 0;
  std::vector<std::string> to;
};

struct AlertRequest {
  std::string source;  // "api", "alertmanager", "grafana"
  std::vector<std::string> to;
  std::string title;
  std::string text;
  announce::Severity severity = announce::Severity::Warning;
  std::optional<EscalationRequest> escalate;
};

// Telex's JSON: {"to": [...], "text": "...", "title": "...", "severity": "critical",
// "escalate": {"after_seconds": 60, "to": [...]}}. "to" may also be one string.
Expected<AlertRequest, std::string> parseNative(std::string_view body);
// Recipients are not part of these payloads: the caller fills `to` (query or token defaults).
Expected<AlertRequest, std::string> parseAlertmanager(std::string_view body);
Expected<AlertRequest, std::string> parseGrafana(std::string_view body);

// Splits "a,b , c" into trimmed non-empty parts (recipients in a query string).
std::vector<std::string> splitList(std::string_view text);

}  // namespace telex::modules::alerts
