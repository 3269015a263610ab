// Alert severities and the delivery filter: users may mute alerts below a level they choose,
// but never an administrator's announcement.
#pragma once

#include <optional>
#include <string_view>

namespace telex::modules::announce {

enum class Severity { Info = 0, Warning = 1, Critical = 2 };

// "info", "warning", "critical" (case-insensitive; "warn" and "crit" too); nullopt otherwise.
std::optional<Severity> parseSeverity(std::string_view text);
std::string_view severityName(Severity severity);

enum class NoticeKind {
  Announcement,  // from an administrator or announcer (XEP-0133, MOTD): always delivered
  Alert,         // from monitoring through the alert API: subject to the user's threshold
};

// Whether a notice reaches a user who mutes alerts below `userMinimum` (Severity::Info when the
// user set nothing: everything is delivered).
bool shouldDeliver(NoticeKind kind, Severity severity, Severity userMinimum);

}  // namespace telex::modules::announce
