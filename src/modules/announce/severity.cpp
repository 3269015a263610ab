// Severity names and the mute rule.
#include "modules/announce/severity.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace telex::modules::announce {

std::optional<Severity> parseSeverity(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "info") return Severity::Info;
  if (lower == "warning" || lower == "warn") return Severity::Warning;
  if (lower == "critical" || lower == "crit") return Severity::Critical;
  return std::nullopt;
}

std::string_view severityName(Severity severity) {
  switch (severity) {
    case Severity::Info: return "info";
    case Severity::Warning: return "warning";
    case Severity::Critical: return "critical";
  }
  return "info";
}

bool shouldDeliver(NoticeKind kind, Severity severity, Severity userMinimum) {
  if (kind == NoticeKind::Announcement) return true;
  return static_cast<int>(severity) >= static_cast<int>(userMinimum);
}

}  // namespace telex::modules::announce
