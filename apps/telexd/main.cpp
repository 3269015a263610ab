// telexd: the Telex directory server, and its operator commands (users, config, docs).
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <termios.h>
#include <unistd.h>

#include "admin/admin_socket.hpp"
#include "auth/account_store.hpp"
#include "auth/invite_store.hpp"
#include "config/config.hpp"
#include "jid/jid.hpp"
#include "modules/alerts/alerts_cli.hpp"
#include "modules/announce/announce_cli.hpp"
#include "modules/module.hpp"
#include "server/server.hpp"
#include "storage/storage_factory.hpp"

namespace {

using telex::config::Config;

int fail(const std::string& message) {
  std::fprintf(stderr, "telexd: %s\n", message.c_str());
  return 1;
}

// Reads a password from --password, from stdin when it is not a terminal, or from a prompt.
std::optional<std::string> readPassword(const std::string& given) {
  if (!given.empty()) return given;
  std::string line;
  if (!isatty(STDIN_FILENO)) {
    if (!std::getline(std::cin, line) || line.empty()) return std::nullopt;
    return line;
  }
  auto prompt = [](const char* text) -> std::optional<std::string> {
    std::fprintf(stderr, "%s", text);
    termios old{};
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::string value;
    bool ok = static_cast<bool>(std::getline(std::cin, value));
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::fprintf(stderr, "\n");
    if (!ok) return std::nullopt;
    return value;
  };
  auto first = prompt("Password: ");
  if (!first || first->empty()) return std::nullopt;
  auto second = prompt("Repeat password: ");
  if (!second || *second != *first) {
    std::fprintf(stderr, "telexd: the passwords differ\n");
    return std::nullopt;
  }
  return first;
}

// Turns "alice@domain" or "alice" into the stored username, checking the domain.
std::optional<std::string> usernameOf(const std::string& text, const Config& config, std::string& error) {
  std::string full = text.find('@') == std::string::npos ? text + "@" + config.server.domain : text;
  auto jid = telex::Jid::parse(full);
  if (!jid || !jid->hasLocal() || jid->hasResource()) {
    error = "\"" + text + "\" is not a valid user JID (expected user@" + config.server.domain + ")";
    return std::nullopt;
  }
  if (jid->domain() != config.server.domain) {
    error = "this server hosts " + config.server.domain + ", not " + jid->domain();
    return std::nullopt;
  }
  return jid->local();
}

}  // namespace

int main(int argc, char** argv) {
  // A peer that vanishes mid-write must cost one connection, not the process: OpenSSL writes
  // to the socket with plain write(), which raises SIGPIPE unless it is ignored.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"telexd — the Telex instant-messaging server (XMPP)"};
  app.set_version_flag("--version", std::string("telexd ") + TELEX_VERSION);
  app.require_subcommand(0, 1);

  std::string configFile, domain, dataDir, storage, logLevel;
  std::int64_t c2sPort = -1, c2sTlsPort = -1, workers = -1;
  std::vector<std::string> overrides;
  app.add_option("--config", configFile, "TOML configuration file")->envname("TELEXD_CONFIG");
  app.add_option("--domain", domain, "XMPP domain served (server.domain)");
  app.add_option("--data-dir", dataDir, "data folder (server.data_dir)");
  app.add_option("--c2s-port", c2sPort, "client STARTTLS port (c2s.port)");
  app.add_option("--c2s-tls-port", c2sTlsPort, "client direct-TLS port, 0 = off (c2s.tls_port)");
  app.add_option("--storage", storage, "storage driver: sqlite or memory (storage.driver)");
  app.add_option("--workers", workers, "event-loop threads, 0 = one per core (server.workers)");
  app.add_option("--log-level", logLevel, "trace, debug, info, warn, error (server.log_level)");
  app.add_option("--set", overrides, "override any option: section.key=value")->take_all();

  auto* run = app.add_subcommand("run", "run the server (the default)");
  (void)run;
  auto* user = app.add_subcommand("user", "manage accounts in the configured store");
  user->require_subcommand(1);
  std::string userJid, password;
  auto* userAdd = user->add_subcommand("add", "create an account");
  userAdd->add_option("jid", userJid, "user@domain");
  userAdd->add_option("--password", password, "password (else read from stdin or a prompt)");
  std::string bulkPrefix;
  std::size_t bulkCount = 0;
  userAdd->add_option("--bulk", bulkPrefix, "create PREFIX1 … PREFIXN (load-test accounts)");
  userAdd->add_option("--count", bulkCount, "how many --bulk accounts")->check(CLI::Range(1, 10000000));
  auto* userDel = user->add_subcommand("del", "delete an account");
  userDel->add_option("jid", userJid, "user@domain")->required();
  auto* userPasswd = user->add_subcommand("passwd", "change an account's password");
  userPasswd->add_option("jid", userJid, "user@domain")->required();
  userPasswd->add_option("--password", password, "new password (else read from stdin or a prompt)");
  auto* userList = user->add_subcommand("list", "list accounts");
  bool onlineOnly = false;
  userList->add_flag("--online", onlineOnly, "list signed-in sessions of the running server instead");
  auto* invite = app.add_subcommand("invite", "registration invitations (XEP-0401)");
  invite->require_subcommand(1);
  std::int64_t inviteUses = 1, inviteDays = 7;
  auto* inviteCreate = invite->add_subcommand("create", "create an invitation token");
  inviteCreate->add_option("--uses", inviteUses, "accounts it may create")->check(CLI::Range(1, 100000));
  inviteCreate->add_option("--days", inviteDays, "days it stays valid")->check(CLI::Range(1, 3650));
  auto* inviteList = invite->add_subcommand("list", "list unexpired invitations");
  auto* configCmd = app.add_subcommand("config", "configuration helpers");
  configCmd->require_subcommand(1);
  auto* configExample = configCmd->add_subcommand("example", "print the documented example configuration");
  auto* configCheck = configCmd->add_subcommand("check", "check the configuration and exit");
  auto* docs = app.add_subcommand("docs", "generated documentation");
  docs->require_subcommand(1);
  auto* docsXep = docs->add_subcommand("xep-coverage", "print docs/xep-coverage.md");

  // ---- NET SEND: announce, motd, group, audit (src/modules/announce/announce_cli.cpp) ----
  telex::modules::announce::OperatorCommands netSendCommands(app);
  // ---- end of NET SEND block ----
  // ---- alerts: token, alert, pager (src/modules/alerts/alerts_cli.cpp) ----
  telex::modules::alerts::AlertCommands alertCommands(app);

  CLI11_PARSE(app, argc, argv);

  if (configExample->parsed()) {
    std::cout << telex::config::exampleConfig();
    return 0;
  }
  if (docsXep->parsed()) {
    std::cout << telex::modules::xepCoverageMarkdown();
    return 0;
  }

  Config config;
  if (!configFile.empty()) {
    auto loaded = telex::config::loadFile(config, configFile);
    if (!loaded) return fail(loaded.error());
  }
  if (!domain.empty()) overrides.insert(overrides.begin(), "server.domain=" + domain);
  if (!dataDir.empty()) overrides.insert(overrides.begin(), "server.data_dir=" + dataDir);
  if (!storage.empty()) overrides.insert(overrides.begin(), "storage.driver=" + storage);
  if (!logLevel.empty()) overrides.insert(overrides.begin(), "server.log_level=" + logLevel);
  if (c2sPort >= 0) overrides.insert(overrides.begin(), "c2s.port=" + std::to_string(c2sPort));
  if (c2sTlsPort >= 0) overrides.insert(overrides.begin(), "c2s.tls_port=" + std::to_string(c2sTlsPort));
  if (workers >= 0) overrides.insert(overrides.begin(), "server.workers=" + std::to_string(workers));
  for (const auto& o : overrides) {
    auto applied = telex::config::applyOverride(config, o);
    if (!applied) return fail(applied.error());
  }
  if (auto valid = telex::config::validate(config); !valid) return fail(valid.error());
  if (auto normalized = telex::Jid::parse(config.server.domain); normalized && normalized->isDomainOnly()) {
    config.server.domain = normalized->domain();
  } else {
    return fail("server.domain \"" + config.server.domain + "\" is not a valid domain");
  }

  auto logger = spdlog::stderr_color_mt("telexd");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(config.server.logLevel));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");

  if (configCheck->parsed()) {
    std::cout << "configuration is valid\n";
    return 0;
  }

  // ---- NET SEND: announce, motd, group, audit ----
  if (auto exitCode = netSendCommands.run(config)) return *exitCode;
  // ---- end of NET SEND block ----
  if (auto exitCode = alertCommands.run(config)) return *exitCode;

  if (invite->parsed()) {
    if (config.storage.driver == "memory") return fail("invitations need storage.driver = \"sqlite\"");
    try {
      auto driver = telex::storage::openStorage(config.storage.driver, config.dataDirPath());
      telex::auth::InviteStore invites(*driver);
      if (inviteCreate->parsed()) {
        auto created = invites.create(inviteUses, std::chrono::hours(24 * inviteDays));
        std::cout << created.token << "\n";
        if (!config.registration.enabled) {
          std::fprintf(stderr, "telexd: note: registration.enabled is off; the token works once it is on\n");
        }
      } else if (inviteList->parsed()) {
        for (const auto& i : invites.list()) {
          std::cout << i.token << " uses_left=" << i.usesLeft << " expires=" << i.expiresAt << "\n";
        }
      }
      return 0;
    } catch (const std::exception& e) {
      return fail(std::string("storage error: ") + e.what());
    }
  }

  if (user->parsed() && userList->parsed() && onlineOnly) {
    auto reply = telex::admin::askServer(config.dataDirPath() / "telexd.sock", "sessions");
    if (!reply) return fail(reply.error());
    std::cout << *reply;
    return 0;
  }

  if (user->parsed()) {
    if (config.storage.driver == "memory") {
      return fail("the memory store lives inside a running server; user commands need storage.driver = \"sqlite\"");
    }
    std::unique_ptr<telex::storage::StorageDriver> driver;
    try {
      driver = telex::storage::openStorage(config.storage.driver, config.dataDirPath());
    } catch (const std::exception& e) {
      return fail(std::string("cannot open storage: ") + e.what());
    }
    telex::auth::AccountStore accounts(*driver, static_cast<std::uint32_t>(config.auth.scramIterations));
    try {
      if (userList->parsed()) {
        for (const auto& name : accounts.list()) std::cout << name << "@" << config.server.domain << "\n";
        return 0;
      }
      if (userAdd->parsed() && !bulkPrefix.empty()) {
        std::string error;
        auto prefix = usernameOf(bulkPrefix + "1", config, error);
        if (!prefix || bulkCount == 0) return fail(bulkCount == 0 ? "--bulk needs --count N" : error);
        auto pw = readPassword(password);
        if (!pw) return fail("no password given");
        auto start = std::chrono::steady_clock::now();
        std::size_t created = accounts.createBulk(prefix->substr(0, prefix->size() - 1), bulkCount, *pw);
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::cout << "created " << created << " accounts (" << bulkCount - created << " existed) in "
                  << seconds << " s\n";
        return 0;
      }
      if (userJid.empty()) return fail("user add needs a JID (or --bulk PREFIX --count N)");
      std::string error;
      auto username = usernameOf(userJid, config, error);
      if (!username) return fail(error);
      std::string jid = *username + "@" + config.server.domain;
      if (userDel->parsed()) {
        if (!accounts.exists(*username)) return fail("no such user: " + jid);
        driver->removeUser(*username);
        std::cout << "deleted " << jid << "\n";
        return 0;
      }
      if (userAdd->parsed() && accounts.exists(*username)) return fail("user exists: " + jid);
      if (userPasswd->parsed() && !accounts.exists(*username)) return fail("no such user: " + jid);
      auto pw = readPassword(password);
      if (!pw) return fail("no password given");
      if (userAdd->parsed()) {
        if (!accounts.create(*username, *pw)) return fail("user exists: " + jid);
        std::cout << "created " << jid << "\n";
      } else {
        accounts.setPassword(*username, *pw);
        std::cout << "password changed for " << jid << "\n";
      }
      return 0;
    } catch (const std::exception& e) {
      return fail(std::string("storage error: ") + e.what());
    }
  }

  auto server = telex::server::Server::create(config);
  if (!server) return fail(server.error());
  spdlog::info("telexd {} serving {} with {} storage in {}", TELEX_VERSION, config.server.domain,
               config.storage.driver, config.server.dataDir);
  spdlog::info("add a user: telexd --data-dir {} user add alice@{}", config.server.dataDir,
               config.server.domain);
  (*server)->run();
  return 0;
}
