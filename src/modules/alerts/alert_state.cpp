// The alert state machine and its JSON form.
#include "modules/alerts/alert_state.hpp"

#include <charconv>

namespace telex::modules::alerts {
namespace {

std::optional<RecipientStatus> parseStatus(std::string_view s) {
  for (auto st : {RecipientStatus::Delivered, RecipientStatus::Stored, RecipientStatus::Muted, RecipientStatus::Failed}) {
    if (statusName(st) == s) return st;
  }
  return std::nullopt;
}

std::optional<Escalation::State> parseEscalationState(std::string_view s) {
  for (auto st : {Escalation::State::None, Escalation::State::Pending, Escalation::State::Fired,
                  Escalation::State::Acknowledged}) {
    if (escalationStateName(st) == s) return st;
  }
  return std::nullopt;
}

}  // namespace

std::string_view statusName(RecipientStatus status) {
  switch (status) {
    case RecipientStatus::Delivered: return "delivered";
    case RecipientStatus::Stored: return "stored";
    case RecipientStatus::Muted: return "muted";
    case RecipientStatus::Failed: return "failed";
  }
  return "failed";
}

std::string_view escalationStateName(Escalation::State state) {
  switch (state) {
    case Escalation::State::None: return "none";
    case Escalation::State::Pending: return "pending";
    case Escalation::State::Fired: return "fired";
    case Escalation::State::Acknowledged: return "not-needed";
  }
  return "none";
}

bool Alert::validId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string Alert::messageId(std::string_view alertId, std::size_t index) {
  return "alert-" + std::string(alertId) + "-" + std::to_string(index);
}

std::optional<std::pair<std::string, std::size_t>> Alert::parseMessageId(std::string_view id) {
  if (!id.starts_with("alert-")) return std::nullopt;
  id.remove_prefix(6);
  auto dash = id.rfind('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto alertId = id.substr(0, dash);
  auto number = id.substr(dash + 1);
  if (!validId(alertId) || number.empty() || number.size() > 9) return std::nullopt;
  std::size_t index = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), index);
  if (ec != std::errc() || end != number.data() + number.size()) return std::nullopt;
  return std::make_pair(std::string(alertId), index);
}

bool Alert::acknowledge(std::size_t index, const Jid& from, std::int64_t now) {
  if (index >= recipients.size()) return false;
  auto& r = recipients[index];
  if (r.acknowledgedAt != 0 || r.status == RecipientStatus::Muted || r.status == RecipientStatus::Failed) return false;
  auto target = Jid::parse(r.jid);
  if (!target || target->bare() != from.bare()) return false;
  r.acknowledgedAt = now;
  r.acknowledgedBy = from.full();
  if (escalation.state == Escalation::State::Pending) escalation.state = Escalation::State::Acknowledged;
  return true;
}

bool Alert::acknowledged() const {
  for (const auto& r : recipients) {
    if (r.acknowledgedAt != 0) return true;
  }
  return false;
}

bool Alert::escalationDue(std::int64_t now) const {
  return escalation.state == Escalation::State::Pending && !acknowledged() && now >= escalation.dueAt;
}

bool Alert::fireEscalation(std::int64_t now) {
  if (!escalationDue(now)) return false;
  escalation.state = Escalation::State::Fired;
  escalation.firedAt = now;
  return true;
}

nlohmann::json Alert::toJson() const {
  nlohmann::json rs = nlohmann::json::array();
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    const auto& r = recipients[i];
    nlohmann::json jr = {{"jid", r.jid},
                         {"via", r.via},
                         {"status", statusName(r.status)},
                         {"message_id", messageId(id, i)},
                         {"sent_at", r.sentAt},
                         {"delivered", r.status == RecipientStatus::Delivered || r.acknowledgedAt != 0},
                         {"acknowledged", r.acknowledgedAt != 0},
                         {"acknowledged_at", r.acknowledgedAt},
                         {"acknowledged_by", r.acknowledgedBy},
                         {"escalated", r.escalated},
                         {"pager", r.pager},
                         {"paged_at", r.pagedAt}};
    rs.push_back(std::move(jr));
  }
  return {{"id", id},
          {"created", created},
          {"sender", sender},
          {"source", source},
          {"title", title},
          {"text", text},
          {"severity", announce::severityName(severity)},
          {"acknowledged", acknowledged()},
          {"recipients", std::move(rs)},
          {"escalation",
           {{"state", escalationStateName(escalation.state)},
            {"after_seconds", escalation.afterSeconds},
            {"to", escalation.to},
            {"due_at", escalation.dueAt},
            {"fired_at", escalation.firedAt}}}};
}

std::optional<Alert> Alert::fromJson(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  try {
    Alert a;
    a.id = j.at("id").get<std::string>();
    if (!validId(a.id)) return std::nullopt;
    a.created = j.value("created", std::int64_t{0});
    a.sender = j.value("sender", std::string());
    a.source = j.value("source", std::string());
    a.title = j.value("title", std::string());
    a.text = j.value("text", std::string());
    a.severity = announce::parseSeverity(j.value("severity", std::string("warning"))).value_or(Severity::Warning);
    for (const auto& jr : j.at("recipients")) {
      RecipientState r;
      r.jid = jr.at("jid").get<std::string>();
      r.via = jr.value("via", std::string());
      r.escalated = jr.value("escalated", false);
      auto status = parseStatus(jr.value("status", std::string()));
      if (!status) return std::nullopt;
      r.status = *status;
      r.sentAt = jr.value("sent_at", std::int64_t{0});
      r.acknowledgedAt = jr.value("acknowledged_at", std::int64_t{0});
      r.acknowledgedBy = jr.value("acknowledged_by", std::string());
      r.pager = jr.value("pager", std::string());
      r.pagedAt = jr.value("paged_at", std::int64_t{0});
      a.recipients.push_back(std::move(r));
    }
    if (auto e = j.find("escalation"); e != j.end() && e->is_object()) {
      auto state = parseEscalationState(e->value("state", std::string("none")));
      if (!state) return std::nullopt;
      a.escalation.state = *state;
      a.escalation.afterSeconds = e->value("after_seconds", std::int64_t{0});
      a.escalation.to = e->value("to", std::vector<std::string>{});
      a.escalation.dueAt = e->value("due_at", std::int64_t{0});
      a.escalation.firedAt = e->value("fired_at", std::int64_t{0});
    }
    return a;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace telex::modules::alerts
