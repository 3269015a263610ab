// The webhook pager: one HTTP(S) POST, ntfy/Gotify-compatible. "ntfy" sends the text as the body
// with Title, Priority (1-5) and Tags headers; "json" sends {"title", "message", "priority",
// "severity", "alert_id"} (Gotify's message shape). Blocks the calling thread for at most the
// timeout; runs on the pager's own thread only. HTTPS verifies the certificate against the
// system's trust store.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/expected.hpp"

namespace telex::modules::alerts {

struct WebhookUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;  // path and query, at least "/"
};
std::optional<WebhookUrl> parseWebhookUrl(std::string_view url);

struct WebhookMessage {
  std::string format = "ntfy";  // or "json"
  std::string title;
  std::string text;
  int priority = 3;  // ntfy/Gotify scale: 1 (min) .. 5 (max)
  std::string severity;
  std::string alertId;
};

Expected<bool, std::string> postWebhook(std::string_view url, const WebhookMessage& message,
                                        std::chrono::seconds timeout);

}  // namespace telex::modules::alerts
