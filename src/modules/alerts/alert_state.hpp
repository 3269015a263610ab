// One alert and what became of it for each recipient: delivered (online), stored (offline, given
// at next sign-in), muted (below the user's threshold), paged, acknowledged (XEP-0184 receipt),
// and its optional escalation. Pure data and rules, encoded as JSON for the "alerts" store.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jid/jid.hpp"
#include "modules/announce/severity.hpp"

namespace telex::modules::alerts {

using announce::Severity;

enum class RecipientStatus { Delivered, Stored, Muted, Failed };
std::string_view statusName(RecipientStatus status);

struct RecipientState {
  std::string jid;  // the bare or full JID the alert went to
  std::string via;  // the recipient as the request named it ("group:ops", "everyone", a JID)
  bool escalated = false;  // added when the alert escalated
  RecipientStatus status = RecipientStatus::Delivered;
  std::int64_t sentAt = 0;          // unix ms
  std::int64_t acknowledgedAt = 0;  // 0: not (yet)
  std::string acknowledgedBy;       // full JID that sent the receipt
  std::string pager;                // "", "sent: email", "failed: email: ...", ...
  std::int64_t pagedAt = 0;
};

struct Escalation {
  enum class State { None, Pending, Fired, Acknowledged };
  State state = State::None;
  std::int64_t afterSeconds = 0;
  std::vector<std::string> to;  // recipient specs, resolved when it fires
  std::int64_t dueAt = 0;       // unix ms
  std::int64_t firedAt = 0;
};
std::string_view escalationStateName(Escalation::State state);

struct Alert {
  std::string id;
  std::int64_t created = 0;  // unix ms
  std::string sender;        // token name
  std::string source;        // "api", "alertmanager", "grafana"
  std::string title;
  std::string text;
  Severity severity = Severity::Warning;
  std::vector<RecipientState> recipients;
  Escalation escalation;

  // The id of the headline sent to recipient `index`; the receipt names it.
  static std::string messageId(std::string_view alertId, std::size_t index);
  // {alert id, recipient index} of a message id made by messageId(); nullopt for any other id.
  static std::optional<std::pair<std::string, std::size_t>> parseMessageId(std::string_view id);
  static bool validId(std::string_view id);

  // A receipt for recipient `index` from `from`. Only that recipient's account may acknowledge it
  // (another user echoing the id changes nothing). The first receipt counts; returns whether the
  // state changed. An acknowledged alert no longer escalates.
  bool acknowledge(std::size_t index, const Jid& from, std::int64_t now);
  bool acknowledged() const;
  bool escalationDue(std::int64_t now) const;
  // Marks the escalation fired (the caller then sends to escalation.to); false when not due.
  bool fireEscalation(std::int64_t now);

  nlohmann::json toJson() const;
  static std::optional<Alert> fromJson(const nlohmann::json& j);
};

}  // namespace telex::modules::alerts
