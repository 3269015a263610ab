// The alert API on telexd's HTTP listener:
//   POST /api/v1/alerts               Telex's JSON
//   POST /api/v1/alerts/alertmanager  Prometheus Alertmanager's webhook, unchanged
//   POST /api/v1/alerts/grafana       Grafana's webhook, unchanged
//   GET  /api/v1/alerts/{id}          the alert and, per recipient, delivered/acknowledged
// Every request carries a token with the "alerts" scope ("Authorization: Bearer <token>", or
// HTTP Basic with the token as password, for senders that only do Basic). See docs/alerts.md.
#pragma once

#include <memory>

#include "http/exchange.hpp"
#include "modules/alerts/alert_service.hpp"
#include "modules/alerts/token_store.hpp"
#include "modules/announce/rate_limiter.hpp"

namespace telex::modules::alerts {

inline constexpr std::string_view kApiPath = "/api/v1/alerts";
inline constexpr std::size_t kMaxBodyBytes = 256 * 1024;

class HttpApi : public std::enable_shared_from_this<HttpApi> {
 public:
  HttpApi(ModuleContext& ctx, std::shared_ptr<AlertService> service);
  void handle(std::shared_ptr<http::Exchange> exchange);

  // The token in an Authorization header value (Bearer, or Basic with the token as password).
  static std::optional<std::string> presentedToken(std::string_view header);

 private:
  enum class Kind { Native, Alertmanager, Grafana, Show };
  void authorized(std::shared_ptr<http::Exchange> ex, Kind kind, std::string id, TokenRecord token);
  void accept(std::shared_ptr<http::Exchange> ex, Kind kind, TokenRecord token, std::string body);

  ModuleContext& ctx_;
  std::shared_ptr<AlertService> service_;
  std::shared_ptr<TokenStore> tokens_;
  announce::RateLimiter limiter_;
};

}  // namespace telex::modules::alerts
