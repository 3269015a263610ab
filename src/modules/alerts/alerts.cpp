// Wires the alert service: HTTP routes, the receipt and message hooks, the pager ad-hoc command,
// the admin-socket command and the re-arming of pending escalations.
#include "modules/alerts/alerts.hpp"

#include <spdlog/spdlog.h>

#include "http/router.hpp"
#include "modules/adhoc/command_registry.hpp"
#include "modules/alerts/alert_service.hpp"
#include "modules/alerts/http_api.hpp"
#include "modules/alerts/pager_settings.hpp"
#include "net/worker.hpp"

namespace telex::modules::alerts {
namespace {

using adhoc::DataForm;
using adhoc::StepDone;
using adhoc::StepRequest;
using adhoc::StepResult;

DataForm pagerForm(const PagerAddress& current, bool email, bool webhooks) {
  DataForm form;
  form.title = "Pager";
  form.instructions = "Where alerts reach you while you are offline. Leave a field empty to stop using it.";
  auto& mail = form.add("email", "text-single", "E-mail address");
  mail.values = {current.email};
  if (!email) mail.desc = "This server has no mail relay configured, so e-mail is not sent.";
  auto& hook = form.add("webhook", "text-single", "Webhook URL (ntfy topic, Gotify, ...)");
  hook.values = {current.webhook};
  if (!webhooks) hook.desc = "Webhooks are turned off on this server.";
  auto& format = form.add("format", "list-single", "Webhook format");
  format.values = {current.format};
  format.options = {{"ntfy (text body, Title/Priority headers)", "ntfy"}, {"JSON (Gotify)", "json"}};
  form.add("messages", "boolean", "Also page direct messages that arrive while I am offline").values = {
      current.messages ? "1" : "0"};
  return form;
}

adhoc::CommandHandler pagerHandler(ModuleContext& ctx, std::shared_ptr<AlertService> service) {
  auto settings = std::make_shared<PagerSettings>(ctx.storage());
  return [&ctx, settings, service](StepRequest step, StepDone done) {
    std::string user = step.caller.jid.local();
    bool email = service->pager().emailEnabled();
    bool webhooks = ctx.config().pager.webhooks;
    if (step.stage == 0) {
      ctx.runBlocking([settings, user] { return settings->get(user); }, [done, email, webhooks](auto current) {
        if (!current) {
          done(unexpected(router::StanzaError::internalServerError("could not read your pager settings")));
          return;
        }
        done(StepResult::ask(pagerForm(*current, email, webhooks)));
      });
      return;
    }
    PagerAddress address;
    address.email = step.values.single("email");
    address.webhook = step.values.single("webhook");
    address.format = step.values.single("format");
    if (address.format.empty()) address.format = "ntfy";
    std::string messages = step.values.single("messages");
    address.messages = messages == "1" || messages == "true";
    if (auto ok = address.validate(); !ok) {
      done(unexpected(router::StanzaError::badRequest(ok.error())));
      return;
    }
    ctx.runBlocking([settings, user, address] { settings->set(user, address); },
                    [done, address](auto result) {
                      if (!result) {
                        done(unexpected(router::StanzaError::internalServerError("could not store your pager settings")));
                      } else if (address.empty()) {
                        done(StepResult::done("No pager: alerts wait until you sign in."));
                      } else {
                        done(StepResult::done("Pager set."));
                      }
                    });
  };
}

}  // namespace

void setup(ModuleContext& ctx) {
  auto service = std::make_shared<AlertService>(ctx);

  if (ctx.http() && (ctx.config().http.port != 0 || ctx.config().http.tlsPort != 0)) {
    auto api = std::make_shared<HttpApi>(ctx, service);
    auto route = [api](std::shared_ptr<http::Exchange> ex) { api->handle(std::move(ex)); };
    ctx.http()->add(std::string(kApiPath), route);
    ctx.http()->add(std::string(kApiPath) + "/", route);
  } else {
    spdlog::warn("alerts: no HTTP listener (http.port and http.tls_port are 0), so no alert API");
  }

  ctx.hooks().onStanza("message/host", 10, "alerts",
                       [service](router::StanzaEvent& e) { return service->onMessageToHost(e); });
  ctx.hooks().messageIncoming.add(0, "alerts", [service](router::MessageEvent& e) {
    service->onIncoming(e);
    return router::HookResult::Pass;
  });

  auto& registry = adhoc::CommandRegistry::of(ctx.hooks());
  registry.add({std::string(kPagerNode), "Pager (alerts while offline)", adhoc::Access::LocalUser,
                pagerHandler(ctx, service), nullptr});
  // `telexd alert show ID`: answered from the alerts the server holds in memory; the command line
  // reads storage itself for older ones.
  registry.addAdminCommand("alert-show", [service](const std::string& argument) -> std::string {
    auto alert = service->cached(argument);
    if (!alert) return "error: not-cached " + argument + "\n";
    return describeAlert(*alert);
  });

  if (ctx.workers()) {
    // Re-armed once the loops run (the storage queue needs a worker).
    ctx.workers()->at(0).post([service] { service->rearm(); });
  }
  ctx.onShutdown([service] { service->shutdown(); });
}

}  // namespace telex::modules::alerts
