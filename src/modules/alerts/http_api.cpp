// Alert API requests: authenticate, rate-limit, read and parse the body, hand over to the service.
#include "modules/alerts/http_api.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "http/router.hpp"
#include "http/url.hpp"
#include "util/base64.hpp"

namespace telex::modules::alerts {
namespace {

using http::Status;

http::Response json(Status status, const nlohmann::json& body) {
  http::Response r;
  r.status = status;
  r.headers.set(boost::beast::http::field::content_type, "application/json");
  r.headers.set(boost::beast::http::field::cache_control, "no-store");
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return r;
}

http::Response error(Status status, std::string_view message) {
  auto r = json(status, {{"error", message}});
  if (status == Status::unauthorized) r.headers.set(boost::beast::http::field::www_authenticate, "Bearer realm=\"telex\"");
  return r;
}

bool startsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) return false;
  }
  return true;
}

std::string trim(std::string_view s) {
  auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  auto last = s.find_last_not_of(" \t");
  return std::string(s.substr(first, last - first + 1));
}

}  // namespace

HttpApi::HttpApi(ModuleContext& ctx, std::shared_ptr<AlertService> service)
    : ctx_(ctx),
      service_(std::move(service)),
      tokens_(std::make_shared<TokenStore>(ctx.storage())),
      limiter_(static_cast<std::size_t>(ctx.config().alerts.ratePerMinute), std::chrono::seconds(60)) {}

std::optional<std::string> HttpApi::presentedToken(std::string_view header) {
  if (startsWithIgnoreCase(header, "Bearer ")) {
    std::string token = trim(header.substr(7));
    if (!token.empty()) return token;
    return std::nullopt;
  }
  if (startsWithIgnoreCase(header, "Basic ")) {
    auto decoded = util::base64Decode(trim(header.substr(6)));
    if (!decoded) return std::nullopt;
    auto colon = decoded->find(':');
    if (colon == std::string::npos || colon + 1 >= decoded->size()) return std::nullopt;
    return decoded->substr(colon + 1);
  }
  return std::nullopt;
}

void HttpApi::handle(std::shared_ptr<http::Exchange> ex) {
  std::string_view path = ex->path();
  Kind kind;
  std::string id;
  if (path == kApiPath) {
    kind = Kind::Native;
  } else if (path == std::string(kApiPath) + "/alertmanager") {
    kind = Kind::Alertmanager;
  } else if (path == std::string(kApiPath) + "/grafana") {
    kind = Kind::Grafana;
  } else {
    kind = Kind::Show;
    id = std::string(path.substr(kApiPath.size() + 1));
    if (!Alert::validId(id)) return ex->respond(error(Status::not_found, "no such alert"));
  }
  bool post = ex->method() == http::Verb::post;
  bool get = ex->method() == http::Verb::get || ex->method() == http::Verb::head;
  if ((kind == Kind::Show && !get) || (kind != Kind::Show && !post)) {
    auto r = error(Status::method_not_allowed, "method not allowed");
    r.headers.set(boost::beast::http::field::allow, kind == Kind::Show ? "GET, HEAD" : "POST");
    return ex->respond(std::move(r));
  }
  auto header = ex->header("Authorization");
  auto token = header ? presentedToken(*header) : std::nullopt;
  if (!token) return ex->respond(error(Status::unauthorized, "an API token is required (Authorization: Bearer ...)"));
  ctx_.runBlocking([tokens = tokens_, token = *token] { return tokens->authenticate(token); },
                   [self = shared_from_this(), ex, kind, id](auto record) mutable {
                     if (!record) {
                       spdlog::error("alerts: token look-up failed: {}", record.error());
                       return ex->respond(error(Status::internal_server_error, "storage error"));
                     }
                     if (!*record) {
                       spdlog::info("alerts: refused a request from {} with an unknown token", ex->remoteAddress());
                       return ex->respond(error(Status::unauthorized, "unknown or revoked API token"));
                     }
                     self->authorized(std::move(ex), kind, std::move(id), std::move(**record));
                   });
}

void HttpApi::authorized(std::shared_ptr<http::Exchange> ex, Kind kind, std::string id, TokenRecord token) {
  if (!token.hasScope("alerts")) {
    service_->audit({0, "token:" + token.name, "alert", "", "refused: token lacks the alerts scope", ""});
    return ex->respond(error(Status::forbidden, "this token lacks the \"alerts\" scope"));
  }
  if (kind == Kind::Show) {
    service_->find(id, [ex](std::optional<Alert> alert) {
      if (!alert) return ex->respond(error(Status::not_found, "no such alert"));
      ex->respond(json(Status::ok, alert->toJson()));
    });
    return;
  }
  if (!limiter_.allow(token.name)) {
    service_->audit({0, "token:" + token.name, "alert", "", "refused: rate limit (alerts.rate_per_minute)", ""});
    auto r = error(Status::too_many_requests, "too many alerts from this token; try again in a minute");
    r.headers.set(boost::beast::http::field::retry_after, "60");
    return ex->respond(std::move(r));
  }
  if (auto length = ex->contentLength(); length && *length > kMaxBodyBytes) {
    return ex->respond(error(Status::payload_too_large, "the body is larger than 256 KiB"));
  }
  auto body = std::make_shared<std::string>();
  ex->readBody(
      kMaxBodyBytes,
      [body](std::string_view bytes) {
        body->append(bytes);
        return true;
      },
      [self = shared_from_this(), ex, kind, token = std::move(token), body](http::BodyEnd end) mutable {
        if (end == http::BodyEnd::TooLarge) return ex->respond(error(Status::payload_too_large, "the body is larger than 256 KiB"));
        if (end != http::BodyEnd::Complete) return ex->respond(error(Status::bad_request, "the body could not be read"));
        self->accept(std::move(ex), kind, std::move(token), std::move(*body));
      });
}

void HttpApi::accept(std::shared_ptr<http::Exchange> ex, Kind kind, TokenRecord token, std::string body) {
  Expected<AlertRequest, std::string> request =
      kind == Kind::Native ? parseNative(body) : kind == Kind::Alertmanager ? parseAlertmanager(body) : parseGrafana(body);
  if (!request) return ex->respond(error(Status::bad_request, request.error()));
  if (kind != Kind::Native) {
    // Monitoring payloads name no recipients: ?to=a,b (and optionally ?severity=, ?escalate_after=
    // with ?escalate_to=) in the webhook URL, else the token's defaults.
    auto query = ex->query();
    if (auto to = http::queryParam(query, "to")) {
      request->to = splitList(*to);
    } else {
      request->to = token.defaultTo;
    }
    if (request->to.empty()) {
      return ex->respond(error(Status::bad_request, "no recipients: add ?to=user@domain,group:NAME to the webhook URL "
                                                    "or create the token with --to"));
    }
    if (request->to.size() > kMaxRecipients) return ex->respond(error(Status::bad_request, "too many recipients"));
    if (auto severity = http::queryParam(query, "severity")) {
      auto s = announce::parseSeverity(*severity);
      if (!s) return ex->respond(error(Status::bad_request, "severity must be info, warning or critical"));
      request->severity = *s;
    }
    auto after = http::queryParam(query, "escalate_after");
    auto escalateTo = http::queryParam(query, "escalate_to");
    if (after || escalateTo) {
      EscalationRequest esc;
      try {
        esc.afterSeconds = after ? std::stoll(*after) : 0;
      } catch (const std::exception&) {
        esc.afterSeconds = 0;
      }
      esc.to = escalateTo ? splitList(*escalateTo) : std::vector<std::string>{};
      if (esc.afterSeconds < 1 || esc.afterSeconds > kMaxEscalationSeconds || esc.to.empty()) {
        return ex->respond(error(Status::bad_request, "escalation needs escalate_after (seconds) and escalate_to"));
      }
      request->escalate = std::move(esc);
    }
  }
  service_->submit(token.name, std::move(*request), [ex](Expected<Alert, SubmitError> result) {
    if (!result) {
      nlohmann::json body = {{"error", result.error().message}};
      if (!result.error().unknown.empty()) body["unknown"] = result.error().unknown;
      return ex->respond(json(result.error().status == 422 ? Status::unprocessable_entity : Status::internal_server_error, body));
    }
    ex->respond(json(Status::accepted, {{"id", result->id},
                                        {"status_url", std::string(kApiPath) + "/" + result->id},
                                        {"recipients", result->recipients.size()}}));
  });
}

}  // namespace telex::modules::alerts
