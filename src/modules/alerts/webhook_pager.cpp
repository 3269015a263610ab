// A one-shot Beast HTTP client for pager webhooks.
#include "modules/alerts/webhook_pager.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <openssl/ssl.h>

#include "modules/alerts/blocking_io.hpp"
#include "modules/alerts/smtp_pager.hpp"

namespace telex::modules::alerts {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

bhttp::request<bhttp::string_body> makeRequest(const WebhookUrl& url, const WebhookMessage& m) {
  bhttp::request<bhttp::string_body> req(bhttp::verb::post, url.target, 11);
  bool defaultPort = (url.tls && url.port == "443") || (!url.tls && url.port == "80");
  req.set(bhttp::field::host, defaultPort ? url.host : url.host + ":" + url.port);
  req.set(bhttp::field::user_agent, "telexd pager");
  if (m.format == "json") {
    req.set(bhttp::field::content_type, "application/json");
    req.body() = nlohmann::json{{"title", m.title},
                                {"message", m.text},
                                {"priority", m.priority},
                                {"severity", m.severity},
                                {"alert_id", m.alertId}}
                     .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    req.set(bhttp::field::content_type, "text/plain; charset=utf-8");
    req.set("Title", encodeHeader(m.title));
    req.set("Priority", std::to_string(m.priority));
    if (!m.severity.empty()) req.set("Tags", m.severity);
    req.body() = m.text;
  }
  req.prepare_payload();
  return req;
}

template <class Stream>
Expected<bool, std::string> exchange(DeadlineRunner& runner, Stream& stream, tcp::socket& socket,
                                     bhttp::request<bhttp::string_body>& req) {
  auto close = [&] {
    boost::system::error_code ignored;
    socket.close(ignored);
  };
  auto ec = runner.run([&](auto handler) { bhttp::async_write(stream, req, handler); }, close);
  if (ec) return unexpected("webhook: sending failed: " + ec.message());
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024);
  ec = runner.run([&](auto handler) { bhttp::async_read(stream, buffer, parser, handler); }, close);
  if (ec) return unexpected("webhook: no answer: " + ec.message());
  unsigned status = parser.get().result_int();
  close();
  if (status < 200 || status > 299) return unexpected("webhook answered HTTP " + std::to_string(status));
  return true;
}

}  // namespace

std::optional<WebhookUrl> parseWebhookUrl(std::string_view url) {
  WebhookUrl out;
  if (url.starts_with("https://")) {
    out.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  auto slash = url.find_first_of("/?");
  std::string_view authority = url.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (out.target.front() == '?') out.target.insert(0, "/");
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() != ':') return std::nullopt;
    out.port = authority.empty() ? "" : std::string(authority.substr(1));
  } else {
    auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    out.port = colon == std::string_view::npos ? "" : std::string(authority.substr(colon + 1));
  }
  if (out.port.empty()) out.port = out.tls ? "443" : "80";
  if (out.host.empty() || out.port.size() > 5 ||
      out.port.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  for (char c : out.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  }
  return out;
}

Expected<bool, std::string> postWebhook(std::string_view urlText, const WebhookMessage& message,
                                        std::chrono::seconds timeout) {
  auto url = parseWebhookUrl(urlText);
  if (!url) return unexpected(std::string("webhook: not a usable http(s) URL"));
  try {
    DeadlineRunner runner(timeout);
    tcp::resolver resolver(runner.context());
    tcp::resolver::results_type endpoints;
    auto ec = runner.run(
        [&](auto handler) {
          resolver.async_resolve(url->host, url->port,
                                 [&endpoints, handler](const boost::system::error_code& e, tcp::resolver::results_type r) {
                                   endpoints = std::move(r);
                                   handler(e);
                                 });
        },
        [&] { resolver.cancel(); });
    if (ec) return unexpected("webhook: cannot resolve " + url->host + ": " + ec.message());
    auto req = makeRequest(*url, message);
    if (!url->tls) {
      tcp::socket socket(runner.context());
      ec = runner.run([&](auto handler) {
        asio::async_connect(socket, endpoints, [handler](const boost::system::error_code& e, const tcp::endpoint&) { handler(e); });
      }, [&] { boost::system::error_code ignored; socket.close(ignored); });
      if (ec) return unexpected("webhook: cannot connect to " + url->host + ": " + ec.message());
      return exchange(runner, socket, socket, req);
    }
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.set_default_verify_paths();
    tls.set_verify_mode(asio::ssl::verify_peer);
    asio::ssl::stream<tcp::socket> stream(runner.context(), tls);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), url->host.c_str()) ||
        !SSL_set1_host(stream.native_handle(), url->host.c_str())) {
      return unexpected(std::string("webhook: TLS set-up failed"));
    }
    auto& socket = stream.next_layer();
    auto close = [&] { boost::system::error_code ignored; socket.close(ignored); };
    ec = runner.run([&](auto handler) {
      asio::async_connect(socket, endpoints, [handler](const boost::system::error_code& e, const tcp::endpoint&) { handler(e); });
    }, close);
    if (ec) return unexpected("webhook: cannot connect to " + url->host + ": " + ec.message());
    ec = runner.run([&](auto handler) { stream.async_handshake(asio::ssl::stream_base::client, handler); }, close);
    if (ec) return unexpected("webhook: TLS handshake with " + url->host + " failed: " + ec.message());
    return exchange(runner, stream, socket, req);
  } catch (const std::exception& e) {
    return unexpected(std::string("webhook: ") + e.what());
  }
}

}  // namespace telex::modules::alerts
