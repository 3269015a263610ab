// The commands modules offer: XEP-0050 ad-hoc commands (name, node, who may run it, a handler
// that answers each submitted form) and lines for the admin socket behind the `telexd` CLI.
// One registry per server, reached from any module's context.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "admin/admin_socket.hpp"
#include "config/config.hpp"
#include "jid/jid.hpp"
#include "modules/adhoc/data_form.hpp"
#include "router/hook_bus.hpp"
#include "router/stanza_error.hpp"
#include "util/expected.hpp"

namespace telex::modules::adhoc {

inline constexpr std::string_view kCommandsNs = "http://jabber.org/protocol/commands";

// Who may run a command. Admins may run everything; announcers also what local users may.
enum class Access { LocalUser, Announcer, Admin };

// The requester and the roles the configuration gives them.
struct Caller {
  Jid jid;  // full JID as stamped by the router
  bool local = false;
  bool admin = false;
  bool announcer = false;  // true for admins too
  bool may(Access access) const;
};

// server.admins and server.announcers, normalized.
class Roles {
 public:
  explicit Roles(const config::Config& config);
  Caller caller(const Jid& jid) const;

 private:
  std::string domain_;
  std::set<std::string> admins_;
  std::set<std::string> announcers_;
};

struct Note {
  std::string type = "info";  // info, warn, error
  std::string text;
};

// What a command answers to one step.
struct StepResult {
  bool completed = true;          // false: status 'executing', waiting for `form` to be filled in
  bool lastStage = true;          // while executing: the next submission completes the command
  std::optional<DataForm> form;   // a form to fill in, or a result form with the answer
  std::vector<Note> notes;

  static StepResult done(std::string info);
  static StepResult ask(DataForm form, bool lastStage = true);
};
using StepOutcome = Expected<StepResult, router::StanzaError>;
using StepDone = std::function<void(StepOutcome outcome)>;

struct StepRequest {
  Caller caller;
  std::size_t stage = 0;  // 0: the first execute, no values yet; 1, 2, ...: submitted forms
  FormValues values;
};

// Called on the requester's worker; must call `done` exactly once, on any worker (after storage
// work with ModuleContext::runBlocking, on the same one).
using CommandHandler = std::function<void(StepRequest request, StepDone done)>;

struct Command {
  std::string node;
  std::string name;
  Access access = Access::Admin;
  CommandHandler handler;
  // Told when someone without the role tries to run it (for the audit log); may be empty.
  std::function<void(const Caller& caller)> refused;
};

class CommandRegistry {
 public:
  // The registry of the server that owns `hooks`: created on first use, it lives exactly as long
  // as that HookBus (module contexts reach the bus, so every module finds the same registry).
  static CommandRegistry& of(router::HookBus& hooks);

  // Setup only: afterwards workers read without locks.
  void add(Command command);
  const Command* find(std::string_view node) const;
  // The commands `caller` may run, by node.
  std::vector<const Command*> visibleTo(const Caller& caller) const;

  // An admin-socket command (one request line in, text out), added to the server's admin
  // socket after setup. Runs on a worker, so it must not block: start storage work with
  // runBlocking and answer at once.
  void addAdminCommand(std::string name, admin::AdminCommand command);
  const std::vector<std::pair<std::string, admin::AdminCommand>>& adminCommands() const { return admin_; }

 private:
  std::map<std::string, Command, std::less<>> commands_;
  std::vector<std::pair<std::string, admin::AdminCommand>> admin_;
};

}  // namespace telex::modules::adhoc
