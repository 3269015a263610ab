// The per-server command registry, the roles, and step results.
#include "modules/adhoc/command_registry.hpp"

#include <memory>
#include <mutex>

namespace telex::modules::adhoc {

bool Caller::may(Access access) const {
  switch (access) {
    case Access::LocalUser: return local;
    case Access::Announcer: return local && announcer;
    case Access::Admin: return local && admin;
  }
  return false;
}

Roles::Roles(const config::Config& config) : domain_(config.server.domain) {
  for (const auto& a : config.server.admins) {
    if (auto jid = Jid::parse(a)) admins_.insert(jid->bareString());
  }
  for (const auto& a : config.server.announcers) {
    if (auto jid = Jid::parse(a)) announcers_.insert(jid->bareString());
  }
}

Caller Roles::caller(const Jid& jid) const {
  Caller c;
  c.jid = jid;
  c.local = jid.hasLocal() && jid.domain() == domain_;
  std::string bare = jid.bareString();
  c.admin = c.local && admins_.contains(bare);
  c.announcer = c.admin || (c.local && announcers_.contains(bare));
  return c;
}

StepResult StepResult::done(std::string info) {
  StepResult r;
  if (!info.empty()) r.notes.push_back({"info", std::move(info)});
  return r;
}

StepResult StepResult::ask(DataForm form, bool lastStage) {
  StepResult r;
  r.completed = false;
  r.lastStage = lastStage;
  r.form = std::move(form);
  return r;
}

CommandRegistry& CommandRegistry::of(router::HookBus& hooks) {
  // ModuleContext has no slot for services shared between modules, so the registry hangs off the
  // server's HookBus: the bus owns it through a hook that never fires, and this table only
  // remembers where it is. A later server at the same address finds the expired entry.
  static std::mutex mutex;
  static std::map<const router::HookBus*, std::weak_ptr<CommandRegistry>> registries;
  std::lock_guard lock(mutex);
  for (auto it = registries.begin(); it != registries.end();) {
    it = it->second.expired() ? registries.erase(it) : std::next(it);
  }
  if (auto it = registries.find(&hooks); it != registries.end()) return *it->second.lock();
  auto registry = std::make_shared<CommandRegistry>();
  hooks.onStanza("adhoc/registry-owner", 0, "adhoc",
                 [registry](router::StanzaEvent&) { return router::HookResult::Pass; });
  registries[&hooks] = registry;
  return *registry;
}

void CommandRegistry::add(Command command) {
  std::string node = command.node;
  commands_.insert_or_assign(std::move(node), std::move(command));
}

const Command* CommandRegistry::find(std::string_view node) const {
  auto it = commands_.find(node);
  return it == commands_.end() ? nullptr : &it->second;
}

std::vector<const Command*> CommandRegistry::visibleTo(const Caller& caller) const {
  std::vector<const Command*> out;
  for (const auto& [node, command] : commands_) {
    if (caller.may(command.access)) out.push_back(&command);
  }
  return out;
}

void CommandRegistry::addAdminCommand(std::string name, admin::AdminCommand command) {
  admin_.emplace_back(std::move(name), std::move(command));
}

}  // namespace telex::modules::adhoc
