// Paging offline users: e-mail through the configured relay and/or their webhook, on the pager's
// own threads (never a worker loop); the outcome comes back on the worker that asked.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <string>

#include "config/config.hpp"
#include "modules/alerts/pager_settings.hpp"
#include "modules/alerts/smtp_pager.hpp"
#include "modules/alerts/webhook_pager.hpp"
#include "net/worker.hpp"

namespace telex::modules::alerts {

class Pager {
 public:
  explicit Pager(const config::Config& config);
  ~Pager();

  bool emailEnabled() const { return !smtp_.host.empty(); }
  // Whether `address` has a channel this server will use.
  bool reachable(const PagerAddress& address) const;

  // Sends `message` to every usable channel of `address`; then `done(outcome)` runs on `worker`,
  // with outcome like "sent: email, webhook" or "failed: email: ...".
  void page(net::Worker& worker, const PagerAddress& address, WebhookMessage message,
            std::function<void(std::string outcome)> done);
  // Waits for pages in flight (each bounded by pager.timeout). Shutdown only.
  void stop();

 private:
  SmtpSettings smtp_;
  bool webhooks_;
  std::chrono::seconds timeout_;
  boost::asio::thread_pool pool_{2};
};

}  // namespace telex::modules::alerts
