// Alerts in storage: the "alerts" key-value store (alert id -> the alert as JSON) and the
// "alert_escalations" store (alert id -> due time) that a restarted server re-arms its timers from.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "modules/alerts/alert_state.hpp"
#include "storage/store.hpp"

namespace telex::modules::alerts {

// Blocking calls: run them on the storage pool (through the service's serial queue) or in the CLI.
class AlertStore {
 public:
  explicit AlertStore(storage::StorageDriver& storage);

  void save(const Alert& alert);
  std::optional<Alert> load(const std::string& id);
  // {alert id, due unix ms} of every escalation still pending.
  std::vector<std::pair<std::string, std::int64_t>> pendingEscalations();

 private:
  std::shared_ptr<storage::KeyValStore> alerts_;
  std::shared_ptr<storage::KeyValStore> escalations_;
};

// The alert for people (`telexd alert show`): header, then one line per recipient.
std::string describeAlert(const Alert& alert);

}  // namespace telex::modules::alerts
