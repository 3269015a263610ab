// Pager dispatch over the channels a user set.
#include "modules/alerts/pager.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace telex::modules::alerts {

Pager::Pager(const config::Config& config)
    : webhooks_(config.pager.webhooks), timeout_(config.pager.timeout) {
  smtp_.host = config.pager.smtpHost;
  smtp_.port = static_cast<std::uint16_t>(config.pager.smtpPort);
  smtp_.from = config.pager.smtpFrom.empty() ? "telex@" + config.server.domain : config.pager.smtpFrom;
  smtp_.heloName = config.server.domain;
  smtp_.timeout = timeout_;
}

Pager::~Pager() { stop(); }

bool Pager::reachable(const PagerAddress& address) const {
  return (!address.email.empty() && emailEnabled()) || (!address.webhook.empty() && webhooks_);
}

void Pager::page(net::Worker& worker, const PagerAddress& address, WebhookMessage message,
                 std::function<void(std::string outcome)> done) {
  boost::asio::post(pool_, [this, &worker, address, message = std::move(message), done = std::move(done)] {
    std::string sent, failed;
    auto note = [](std::string& list, const std::string& item) { list += (list.empty() ? "" : ", ") + item; };
    if (!address.email.empty() && emailEnabled()) {
      std::string subject = message.title.empty() ? "Telex alert" : message.title;
      auto r = sendMail(smtp_, {address.email, subject, message.text});
      if (r) {
        note(sent, "email");
      } else {
        note(failed, "email: " + r.error());
      }
    }
    if (!address.webhook.empty() && webhooks_) {
      auto r = postWebhook(address.webhook, message, timeout_);
      if (r) {
        note(sent, "webhook");
      } else {
        note(failed, r.error());
      }
    }
    std::string outcome;
    if (!sent.empty()) outcome = "sent: " + sent;
    if (!failed.empty()) {
      outcome += (outcome.empty() ? "" : "; ") + std::string("failed: ") + failed;
      spdlog::warn("pager: {}", failed);
    }
    if (outcome.empty()) outcome = "none: no usable pager";
    worker.post([done, outcome] { done(outcome); });
  });
}

void Pager::stop() { pool_.join(); }

}  // namespace telex::modules::alerts
