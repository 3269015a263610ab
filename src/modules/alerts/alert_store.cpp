// Alert persistence and the text form of an alert.
#include "modules/alerts/alert_store.hpp"

#include <chrono>

#include "util/timestamp.hpp"

namespace telex::modules::alerts {
namespace {

std::string when(std::int64_t ms) {
  if (ms == 0) return "-";
  return util::utcTimestamp(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
}

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

}  // namespace

AlertStore::AlertStore(storage::StorageDriver& storage)
    : alerts_(storage.keyval("alerts")), escalations_(storage.keyval("alert_escalations")) {}

void AlertStore::save(const Alert& alert) {
  alerts_->set(alert.id, alert.toJson().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (alert.escalation.state == Escalation::State::Pending) {
    escalations_->set(alert.id, std::to_string(alert.escalation.dueAt));
  } else {
    escalations_->remove(alert.id);
  }
}

std::optional<Alert> AlertStore::load(const std::string& id) {
  if (!Alert::validId(id)) return std::nullopt;
  auto bytes = alerts_->get(id);
  if (!bytes) return std::nullopt;
  auto j = nlohmann::json::parse(*bytes, nullptr, false);
  return Alert::fromJson(j);
}

std::vector<std::pair<std::string, std::int64_t>> AlertStore::pendingEscalations() {
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (const auto& id : escalations_->users()) {
    auto due = escalations_->get(id);
    if (!due) continue;
    try {
      out.emplace_back(id, std::stoll(*due));
    } catch (const std::exception&) {
      out.emplace_back(id, 0);  // unreadable: check it at once
    }
  }
  return out;
}

std::string describeAlert(const Alert& a) {
  std::string out = "alert " + a.id + "  severity=" + std::string(announce::severityName(a.severity)) +
                    "  source=" + a.source + "  sender=" + a.sender + "  created=" + when(a.created) + "\n";
  if (!a.title.empty()) out += "title: " + a.title + "\n";
  out += "text: " + a.text + "\n";
  out += "acknowledged: " + std::string(a.acknowledged() ? "yes" : "no") + "\n";
  if (a.escalation.state != Escalation::State::None) {
    out += "escalation: " + std::string(escalationStateName(a.escalation.state)) + " after " +
           std::to_string(a.escalation.afterSeconds) + " s";
    if (a.escalation.firedAt != 0) out += ", fired " + when(a.escalation.firedAt);
    out += "\n";
  }
  out += pad("RECIPIENT", 32) + " " + pad("STATUS", 10) + " " + pad("DELIVERED", 9) + " " + pad("ACKNOWLEDGED", 26) +
         " PAGER\n";
  for (const auto& r : a.recipients) {
    bool delivered = r.status == RecipientStatus::Delivered || r.acknowledgedAt != 0;
    std::string ack = r.acknowledgedAt != 0 ? when(r.acknowledgedAt) + " by " + r.acknowledgedBy : "no";
    out += pad(r.jid + (r.escalated ? " (escalated)" : ""), 32) + " " + pad(std::string(statusName(r.status)), 10) +
           " " + pad(delivered ? "yes" : "no", 9) + " " + pad(ack, 26) + " " + (r.pager.empty() ? "-" : r.pager) + "\n";
  }
  return out;
}

}  // namespace telex::modules::alerts
