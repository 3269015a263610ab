// Each user's pager: where alerts go while the user is offline (an e-mail address and/or an HTTP
// webhook such as an ntfy or Gotify topic), and whether direct messages go there too. Kept in the
// "pager" key-value store, keyed by username; set with the telex:alerts#pager ad-hoc command or
// `telexd pager set`.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "storage/store.hpp"
#include "util/expected.hpp"

namespace telex::modules::alerts {

struct PagerAddress {
  std::string email;
  std::string webhook;                 // http:// or https:// URL
  std::string format = "ntfy";         // "ntfy" (text body, Title/Priority headers) or "json"
  bool messages = false;               // also page direct messages that arrive while offline

  bool empty() const { return email.empty() && webhook.empty(); }
  std::string encode() const;
  static PagerAddress decode(std::string_view bytes);  // unreadable: empty
  // Checks the fields; the error names the bad one.
  Expected<bool, std::string> validate() const;
};

// Blocking calls: run them on the storage pool or in the CLI.
class PagerSettings {
 public:
  explicit PagerSettings(storage::StorageDriver& storage);
  PagerAddress get(std::string_view user);
  // An empty address removes the entry.
  void set(std::string_view user, const PagerAddress& address);

 private:
  std::shared_ptr<storage::KeyValStore> store_;
};

}  // namespace telex::modules::alerts
