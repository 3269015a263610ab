// Status names, the presence for each status, and the idle → Away → back state machine.
#include "apps/telex/chat/idle.hpp"

namespace telex::chat {

std::string_view statusName(Status status) {
  switch (status) {
    case Status::Online: return "online";
    case Status::Away: return "away";
    case Status::Busy: return "busy";
    case Status::Offline: return "offline";
  }
  return "online";
}

std::string_view statusLabel(Status status) {
  switch (status) {
    case Status::Online: return "Online";
    case Status::Away: return "Away";
    case Status::Busy: return "Busy";
    case Status::Offline: return "Appear offline";
  }
  return "Online";
}

std::optional<Status> statusFromName(std::string_view name) {
  if (name == "online" || name == "available") return Status::Online;
  if (name == "away") return Status::Away;
  if (name == "busy" || name == "dnd") return Status::Busy;
  if (name == "offline" || name == "invisible") return Status::Offline;
  return std::nullopt;
}

client::Presence presenceFor(Status status, const std::string& text) {
  client::Presence p;
  p.status = text;
  switch (status) {
    case Status::Online: break;
    case Status::Away: p.show = client::PresenceShow::Away; break;
    case Status::Busy: p.show = client::PresenceShow::Dnd; break;
    case Status::Offline: p.type = client::PresenceType::Unavailable; break;
  }
  return p;
}

std::chrono::seconds idleTimeoutOf(const client::MessengerSettings& settings) {
  if (settings.awaySeconds > 0) return std::chrono::seconds(settings.awaySeconds);
  return std::chrono::minutes(settings.awayMinutes);
}

IdleTracker::IdleTracker(bool enabled, Clock::duration timeout, Clock::time_point now)
    : enabled_(enabled && timeout > Clock::duration::zero()),
      timeout_(timeout),
      lastActivity_(now) {}

std::optional<Status> IdleTracker::activity(Clock::time_point now) {
  lastActivity_ = now;
  if (!autoAway_) return std::nullopt;
  autoAway_ = false;
  return manual_;
}

std::optional<Status> IdleTracker::tick(Clock::time_point now) {
  // Only a plain Online goes Away by itself: Busy, a chosen Away or Appear offline stay.
  if (!enabled_ || autoAway_ || manual_ != Status::Online) return std::nullopt;
  if (now - lastActivity_ < timeout_) return std::nullopt;
  autoAway_ = true;
  return Status::Away;
}

Status IdleTracker::setManual(Status status, Clock::time_point now) {
  manual_ = status;
  autoAway_ = false;
  lastActivity_ = now;
  return manual_;
}

std::optional<IdleTracker::Clock::time_point> IdleTracker::nextDeadline() const {
  if (!enabled_ || autoAway_ || manual_ != Status::Online) return std::nullopt;
  return lastActivity_ + timeout_;
}

}  // namespace telex::chat
