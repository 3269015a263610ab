// Alert thresholds stored by severity name.
#include "modules/announce/alert_preferences.hpp"

#include <string>

namespace telex::modules::announce {

AlertPreferences::AlertPreferences(storage::StorageDriver& storage) : store_(storage.keyval("alert_prefs")) {}

Severity AlertPreferences::minimum(std::string_view user) {
  auto value = store_->get(user);
  if (!value) return Severity::Info;
  return parseSeverity(*value).value_or(Severity::Info);
}

void AlertPreferences::setMinimum(std::string_view user, Severity severity) {
  if (severity == Severity::Info) {
    store_->remove(user);  // the default: nothing stored
  } else {
    store_->set(user, std::string(severityName(severity)));
  }
}

}  // namespace telex::modules::announce
