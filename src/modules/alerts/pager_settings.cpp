// Pager addresses as JSON, and what counts as a usable one.
#include "modules/alerts/pager_settings.hpp"

#include <nlohmann/json.hpp>

namespace telex::modules::alerts {

std::string PagerAddress::encode() const {
  return nlohmann::json{{"email", email}, {"webhook", webhook}, {"format", format}, {"messages", messages}}.dump();
}

PagerAddress PagerAddress::decode(std::string_view bytes) {
  PagerAddress a;
  auto j = nlohmann::json::parse(bytes, nullptr, false);
  if (!j.is_object()) return a;
  try {
    a.email = j.value("email", std::string());
    a.webhook = j.value("webhook", std::string());
    a.format = j.value("format", std::string("ntfy"));
    a.messages = j.value("messages", false);
  } catch (const nlohmann::json::exception&) {
    return PagerAddress{};
  }
  return a;
}

Expected<bool, std::string> PagerAddress::validate() const {
  if (!email.empty()) {
    auto at = email.find('@');
    bool ok = email.size() <= 254 && at != std::string::npos && at > 0 && at + 1 < email.size() &&
              email.find_first_of(" \t\r\n<>,;:\"()[]\\") == std::string::npos && email.find('@', at + 1) == std::string::npos;
    if (!ok) return unexpected("\"" + email + "\" is not an e-mail address");
  }
  if (!webhook.empty()) {
    bool scheme = webhook.starts_with("http://") || webhook.starts_with("https://");
    bool ok = scheme && webhook.size() <= 2048 && webhook.find_first_of(" \t\r\n") == std::string::npos;
    if (!ok) return unexpected("\"" + webhook + "\" is not an http:// or https:// URL");
  }
  if (format != "ntfy" && format != "json") return unexpected(std::string("the webhook format must be ntfy or json"));
  return true;
}

PagerSettings::PagerSettings(storage::StorageDriver& storage) : store_(storage.keyval("pager")) {}

PagerAddress PagerSettings::get(std::string_view user) {
  auto bytes = store_->get(user);
  return bytes ? PagerAddress::decode(*bytes) : PagerAddress{};
}

void PagerSettings::set(std::string_view user, const PagerAddress& address) {
  if (address.empty() && !address.messages) {
    store_->remove(user);
  } else {
    store_->set(user, address.encode());
  }
}

}  // namespace telex::modules::alerts
