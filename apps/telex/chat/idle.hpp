// The user's own status (Online, Away, Busy, Appear offline) and "Away after N idle minutes":
// a keyboard-idle timer that never overrides a status the user chose by hand.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "client/settings.hpp"
#include "client/stanzas.hpp"

namespace telex::chat {

enum class Status { Online, Away, Busy, Offline };  // Offline = "appear offline"

std::string_view statusName(Status status);   // "online", "away", "busy", "offline"
std::string_view statusLabel(Status status);  // "Online", "Away", "Busy", "Appear offline"
std::optional<Status> statusFromName(std::string_view name);
// The presence announcing `status` with `text` (Offline: unavailable).
client::Presence presenceFor(Status status, const std::string& text);

// The idle time before Away from the [client] settings: away_seconds when set, else away_minutes.
std::chrono::seconds idleTimeoutOf(const client::MessengerSettings& settings);

class IdleTracker {
 public:
  using Clock = std::chrono::steady_clock;

  // enabled = the "away after idle" setting; timeout = how long without keys until Away.
  IdleTracker(bool enabled, Clock::duration timeout, Clock::time_point now);

  // A key was pressed: back from automatic Away (returns the status to announce), else nothing.
  std::optional<Status> activity(Clock::time_point now);
  // Time passes: returns Away once when the idle time is reached while the user is Online.
  std::optional<Status> tick(Clock::time_point now);
  // The user chose a status: it sticks (no automatic Away unless it is Online).
  Status setManual(Status status, Clock::time_point now);

  Status effective() const { return autoAway_ ? Status::Away : manual_; }
  Status manual() const { return manual_; }
  bool autoAway() const { return autoAway_; }
  bool enabled() const { return enabled_; }
  Clock::duration idleTimeout() const { return timeout_; }
  // When tick() should next be called to notice idleness (nullopt: nothing to wait for).
  std::optional<Clock::time_point> nextDeadline() const;

 private:
  bool enabled_;
  Clock::duration timeout_;
  Clock::time_point lastActivity_;
  Status manual_ = Status::Online;
  bool autoAway_ = false;
};

}  // namespace telex::chat
