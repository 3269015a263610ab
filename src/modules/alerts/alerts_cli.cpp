// The token / alert / pager subcommands of telexd.
#include "modules/alerts/alerts_cli.hpp"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "admin/admin_socket.hpp"
#include "admin/cli_support.hpp"
#include "jid/jid.hpp"
#include "modules/alerts/alert_store.hpp"
#include "modules/alerts/pager_settings.hpp"
#include "modules/alerts/token_store.hpp"
#include "util/crypto.hpp"
#include "util/timestamp.hpp"

namespace telex::modules::alerts {

struct AlertCommands::Parsed {
  CLI::App* token = nullptr;
  CLI::App* tokenCreate = nullptr;
  CLI::App* tokenList = nullptr;
  CLI::App* tokenRevoke = nullptr;
  std::string tokenName;
  std::vector<std::string> scopes;
  std::vector<std::string> defaultTo;

  CLI::App* alert = nullptr;
  CLI::App* alertShow = nullptr;
  std::string alertId;
  bool json = false;

  CLI::App* pager = nullptr;
  CLI::App* pagerSet = nullptr;
  CLI::App* pagerShow = nullptr;
  CLI::App* pagerClear = nullptr;
  std::string user, email, webhook, format = "ntfy";
  bool messages = false;
};

namespace {

using admin::cliFail;

std::string when(std::int64_t ms) {
  return util::utcTimestamp(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

}  // namespace

AlertCommands::AlertCommands(CLI::App& app) : p_(std::make_unique<Parsed>()) {
  auto& p = *p_;
  p.token = app.add_subcommand("token", "API tokens for the alert endpoints (see docs/alerts.md)");
  p.token->require_subcommand(1);
  p.tokenCreate = p.token->add_subcommand("create", "create a token and print it (once: only its hash is kept)");
  p.tokenCreate->add_option("name", p.tokenName, "a name for the token (A-Z a-z 0-9 . _ -), shown in the audit log");
  p.tokenCreate->add_option("--scope", p.scopes, "what the token may do: alerts")->required()->check(CLI::IsMember({"alerts"}));
  p.tokenCreate->add_option("--to", p.defaultTo,
                            "default recipients for webhooks that name none (Alertmanager, Grafana)");
  p.tokenList = p.token->add_subcommand("list", "list tokens (names, scopes, default recipients)");
  p.tokenRevoke = p.token->add_subcommand("revoke", "revoke a token");
  p.tokenRevoke->add_option("name", p.tokenName, "token name")->required();

  p.alert = app.add_subcommand("alert", "alerts sent through the alert API");
  p.alert->require_subcommand(1);
  p.alertShow = p.alert->add_subcommand("show", "an alert and, per recipient, delivered/acknowledged");
  p.alertShow->add_option("id", p.alertId, "alert id (as returned by POST /api/v1/alerts)")->required();
  p.alertShow->add_flag("--json", p.json, "print the JSON the HTTP API returns");

  p.pager = app.add_subcommand("pager", "users' pagers: where alerts go while they are offline");
  p.pager->require_subcommand(1);
  p.pagerSet = p.pager->add_subcommand("set", "set a user's pager");
  p.pagerSet->add_option("user", p.user, "user@domain")->required();
  p.pagerSet->add_option("--email", p.email, "e-mail address (sent through pager.smtp_host)");
  p.pagerSet->add_option("--webhook", p.webhook, "http(s) URL, e.g. an ntfy topic");
  p.pagerSet->add_option("--format", p.format, "webhook format: ntfy or json")->check(CLI::IsMember({"ntfy", "json"}));
  p.pagerSet->add_flag("--messages", p.messages, "also page direct messages that arrive while offline");
  p.pagerShow = p.pager->add_subcommand("show", "print a user's pager");
  p.pagerShow->add_option("user", p.user, "user@domain")->required();
  p.pagerClear = p.pager->add_subcommand("clear", "remove a user's pager");
  p.pagerClear->add_option("user", p.user, "user@domain")->required();
}

AlertCommands::~AlertCommands() = default;

std::optional<int> AlertCommands::run(const config::Config& config) {
  auto& p = *p_;
  if (!p.token->parsed() && !p.alert->parsed() && !p.pager->parsed()) return std::nullopt;

  if (p.alertShow->parsed()) {
    if (!Alert::validId(p.alertId)) return cliFail("\"" + p.alertId + "\" is not an alert id");
    // The running server knows the newest state (receipts may still be on their way to storage).
    if (!p.json) {
      auto reply = admin::askServer(config.dataDirPath() / "telexd.sock", "alert-show " + p.alertId);
      if (reply && !reply->starts_with("error: ")) {
        std::cout << *reply;
        return 0;
      }
    }
  }

  std::string error;
  auto driver = admin::openStoreForCli(config, error);
  if (!driver) return cliFail(error);
  try {
    if (p.alertShow->parsed()) {
      auto alert = AlertStore(*driver).load(p.alertId);
      if (!alert) return cliFail("no such alert: " + p.alertId);
      std::cout << (p.json ? alert->toJson().dump(2) + "\n" : describeAlert(*alert));
      return 0;
    }
    if (p.token->parsed()) {
      TokenStore tokens(*driver);
      if (p.tokenCreate->parsed()) {
        if (p.tokenName.empty()) p.tokenName = "token-" + util::randomHex(4);
        if (!TokenStore::validName(p.tokenName)) return cliFail("\"" + p.tokenName + "\" is not a token name");
        auto token = tokens.create(p.tokenName, p.scopes, p.defaultTo);
        if (!token) return cliFail("a token named " + p.tokenName + " exists (revoke it first)");
        std::cout << *token << "\n";
        std::fprintf(stderr, "telexd: token %s created; it is shown only now, so keep it\n", p.tokenName.c_str());
        return 0;
      }
      if (p.tokenList->parsed()) {
        for (const auto& t : tokens.list()) {
          std::cout << t.name << "\tscopes=" << joined(t.scopes) << "\tdefault_to=" << joined(t.defaultTo)
                    << "\tcreated=" << when(t.created) << "\n";
        }
        return 0;
      }
      if (!tokens.revoke(p.tokenName)) return cliFail("no such token: " + p.tokenName);
      std::cout << "revoked " << p.tokenName << "\n";
      return 0;
    }
    auto jid = admin::localUser(p.user, config, error);
    if (!jid) return cliFail(error);
    const std::string user = jid->local();
    PagerSettings pagers(*driver);
    if (p.pagerShow->parsed()) {
      auto a = pagers.get(user);
      std::cout << "email=" << a.email << "\nwebhook=" << a.webhook << "\nformat=" << a.format
                << "\nmessages=" << (a.messages ? "yes" : "no") << "\n";
      return 0;
    }
    if (p.pagerClear->parsed()) {
      pagers.set(user, PagerAddress{});
      std::cout << "pager cleared for " << jid->bareString() << "\n";
      return 0;
    }
    PagerAddress a{p.email, p.webhook, p.format, p.messages};
    if (auto ok = a.validate(); !ok) return cliFail(ok.error());
    if (!a.email.empty() && config.pager.smtpHost.empty()) {
      std::fprintf(stderr, "telexd: note: pager.smtp_host is empty, so e-mail pages are not sent\n");
    }
    pagers.set(user, a);
    std::cout << "pager set for " << jid->bareString() << "\n";
    return 0;
  } catch (const std::exception& e) {
    return cliFail(std::string("storage error: ") + e.what());
  }
}

}  // namespace telex::modules::alerts
