// The announce / motd / group / audit subcommands of telexd.
#include "modules/announce/announce_cli.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "admin/admin_socket.hpp"
#include "admin/cli_support.hpp"
#include "audit/audit_log.hpp"
#include "jid/jid.hpp"
#include "modules/announce/group_store.hpp"

namespace telex::modules::announce {

struct OperatorCommands::Parsed {
  CLI::App* announce = nullptr;
  bool online = false, all = false;
  std::string group, subject = "Announcement";
  std::vector<std::string> text;

  CLI::App* motd = nullptr;
  CLI::App* motdSet = nullptr;
  CLI::App* motdClear = nullptr;
  CLI::App* motdShow = nullptr;
  std::vector<std::string> motdText;

  CLI::App* groupCmd = nullptr;
  CLI::App* groupAdd = nullptr;
  CLI::App* groupDel = nullptr;
  CLI::App* groupList = nullptr;
  std::string groupName;
  std::vector<std::string> members;

  CLI::App* audit = nullptr;
  CLI::App* auditList = nullptr;
  std::size_t limit = 50;
};

namespace {

using admin::cliFail;

// The text arguments joined by spaces, or stdin when there are none or just "-" (multi-line
// announcements from scripts).
std::string textOrStdin(const std::vector<std::string>& words) {
  if (!words.empty() && !(words.size() == 1 && words[0] == "-")) {
    std::string given;
    for (const auto& w : words) given += (given.empty() ? "" : " ") + w;
    return given;
  }
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// Sends one admin-socket request; prints the answer; exit code 1 for "error: ..." answers.
int ask(const config::Config& config, const std::string& command, const nlohmann::json& argument) {
  auto reply = admin::askServer(config.dataDirPath() / "telexd.sock", command + " " + argument.dump());
  if (!reply) return cliFail(reply.error());
  if (reply->starts_with("error: ")) return cliFail(reply->substr(7, reply->find_last_not_of('\n') - 6));
  std::cout << *reply;
  return 0;
}

}  // namespace

OperatorCommands::OperatorCommands(CLI::App& app) : p_(std::make_unique<Parsed>()) {
  auto& p = *p_;
  p.announce = app.add_subcommand("announce", "send an announcement (a headline) through the running server");
  auto* online = p.announce->add_flag("--online", p.online, "to every user online now");
  auto* all = p.announce->add_flag("--all", p.all, "to every user; offline users get it at their next sign-in");
  auto* group = p.announce->add_option("--group", p.group, "to the members of a group (see `telexd group`)");
  online->excludes(all)->excludes(group);
  all->excludes(group);
  p.announce->add_option("--subject", p.subject, "subject line");
  p.announce->add_option("text", p.text, "the announcement (words are joined); omitted or - reads stdin");

  p.motd = app.add_subcommand("motd", "the message of the day shown at sign-in");
  p.motd->require_subcommand(1);
  p.motdSet = p.motd->add_subcommand("set", "set it (through the running server)");
  p.motdSet->add_option("text", p.motdText, "the message (words are joined); omitted or - reads stdin");
  p.motdClear = p.motd->add_subcommand("clear", "remove it (through the running server)");
  p.motdShow = p.motd->add_subcommand("show", "print it (from the store)");

  p.groupCmd = app.add_subcommand("group", "server-side groups that announcements can address");
  p.groupCmd->require_subcommand(1);
  p.groupAdd = p.groupCmd->add_subcommand("add", "add users to a group (created if needed)");
  p.groupAdd->add_option("name", p.groupName, "group name (A-Z a-z 0-9 . _ -)")->required();
  p.groupAdd->add_option("users", p.members, "user@domain ...")->required();
  p.groupDel = p.groupCmd->add_subcommand("del", "remove users from a group, or the whole group");
  p.groupDel->add_option("name", p.groupName, "group name")->required();
  p.groupDel->add_option("users", p.members, "user@domain ... (none: the whole group)");
  p.groupList = p.groupCmd->add_subcommand("list", "list groups, or one group's members");
  p.groupList->add_option("name", p.groupName, "group name");

  p.audit = app.add_subcommand("audit", "the audit log of announcements, MOTD changes and alerts");
  p.audit->require_subcommand(1);
  p.auditList = p.audit->add_subcommand("list", "print the newest entries, oldest first");
  p.auditList->add_option("--limit", p.limit, "how many entries")->check(CLI::Range(1, 100000));
}

OperatorCommands::~OperatorCommands() = default;

std::optional<int> OperatorCommands::run(const config::Config& config) {
  auto& p = *p_;
  if (p.announce->parsed()) {
    nlohmann::json request = {{"subject", p.subject}};
    if (p.all) {
      request["target"] = "all";
    } else if (!p.group.empty()) {
      if (!GroupStore::validName(p.group)) return cliFail("\"" + p.group + "\" is not a group name");
      // The server would only find out later and write it to the audit log; say it now.
      if (config.storage.driver == "sqlite") {
        std::string error;
        auto driver = admin::openStoreForCli(config, error);
        if (!driver) return cliFail(error);
        try {
          if (!GroupStore(*driver).members(p.group)) return cliFail("no such group: " + p.group);
        } catch (const std::exception& e) {
          return cliFail(std::string("storage error: ") + e.what());
        }
      }
      request["target"] = "group";
      request["group"] = p.group;
    } else if (p.online) {
      request["target"] = "online";
    } else {
      return cliFail("announce needs --online, --all or --group NAME");
    }
    request["text"] = textOrStdin(p.text);
    if (request["text"].get<std::string>().empty()) return cliFail("the announcement is empty");
    return ask(config, "announce", request);
  }
  if (p.motd->parsed() && (p.motdSet->parsed() || p.motdClear->parsed())) {
    if (p.motdClear->parsed()) return ask(config, "motd", {{"action", "clear"}});
    std::string text = textOrStdin(p.motdText);
    if (text.empty()) return cliFail("the message of the day is empty");
    return ask(config, "motd", {{"action", "set"}, {"text", text}});
  }

  bool storeCommand = p.motdShow->parsed() || p.groupCmd->parsed() || p.audit->parsed();
  if (!storeCommand) return std::nullopt;
  std::string error;
  auto driver = admin::openStoreForCli(config, error);
  if (!driver) return cliFail(error);
  try {
    if (p.motdShow->parsed()) {
      if (auto motd = driver->keyval("motd")->get("motd")) {
        std::cout << *motd << "\n";
      } else {
        std::cerr << "telexd: no message of the day is set\n";
      }
      return 0;
    }
    if (p.auditList->parsed()) {
      audit::AuditLog log(*driver);
      for (const auto& entry : log.list(p.limit)) std::cout << audit::AuditLog::format(entry, 200) << "\n";
      return 0;
    }
    GroupStore groups(*driver);
    if (p.groupList->parsed() && p.groupName.empty()) {
      for (const auto& name : groups.names()) {
        auto members = groups.members(name);
        std::cout << name << "\t" << (members ? members->size() : 0) << " member"
                  << (members && members->size() == 1 ? "" : "s") << "\n";
      }
      return 0;
    }
    if (!GroupStore::validName(p.groupName)) {
      return cliFail("\"" + p.groupName + "\" is not a group name (1 to 64 of A-Z a-z 0-9 . _ -)");
    }
    if (p.groupList->parsed()) {
      auto members = groups.members(p.groupName);
      if (!members) return cliFail("no such group: " + p.groupName);
      for (const auto& m : *members) std::cout << m << "\n";
      return 0;
    }
    std::vector<std::string> jids;
    for (const auto& m : p.members) {
      auto jid = admin::localUser(m, config, error);
      if (!jid) return cliFail(error);
      jids.push_back(jid->bareString());
    }
    if (p.groupAdd->parsed()) {
      auto added = groups.add(p.groupName, jids);
      std::cout << "group " << p.groupName << ": added " << added << "\n";
      return 0;
    }
    if (jids.empty()) {
      if (!groups.remove(p.groupName)) return cliFail("no such group: " + p.groupName);
      std::cout << "deleted group " << p.groupName << "\n";
      return 0;
    }
    if (!groups.members(p.groupName)) return cliFail("no such group: " + p.groupName);
    auto removed = groups.removeMembers(p.groupName, jids);
    std::cout << "group " << p.groupName << ": removed " << removed << "\n";
    return 0;
  } catch (const std::exception& e) {
    return cliFail(std::string("storage error: ") + e.what());
  }
}

}  // namespace telex::modules::announce
