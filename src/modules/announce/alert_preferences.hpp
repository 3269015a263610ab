// Each user's alert threshold: alerts below it are muted (announcements never are).
#pragma once

#include <memory>
#include <string_view>

#include "modules/announce/severity.hpp"
#include "storage/store.hpp"

namespace telex::modules::announce {

// Blocking calls, keyed by username (the localpart), in the "alert_prefs" key-value store.
class AlertPreferences {
 public:
  explicit AlertPreferences(storage::StorageDriver& storage);

  // Severity::Info (nothing muted) when the user chose nothing or the stored value is unreadable.
  Severity minimum(std::string_view user);
  void setMinimum(std::string_view user, Severity severity);

 private:
  std::shared_ptr<storage::KeyValStore> store_;
};

}  // namespace telex::modules::announce
