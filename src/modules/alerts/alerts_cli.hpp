// telexd's operator commands for alerts: `token create/list/revoke` (API tokens, in the store),
// `alert show ID` (through the running server's admin socket, else the store) and
// `pager set/show/clear USER` (users' pager addresses, in the store).
#pragma once

#include <memory>
#include <optional>

#include "config/config.hpp"

namespace CLI {
class App;
}

namespace telex::modules::alerts {

class AlertCommands {
 public:
  // Adds the subcommands to `app`; parse afterwards.
  explicit AlertCommands(CLI::App& app);
  ~AlertCommands();
  // Runs the subcommand that was given; nullopt when none of these was. Returns the exit code.
  std::optional<int> run(const config::Config& config);

 private:
  struct Parsed;
  std::unique_ptr<Parsed> p_;
};

}  // namespace telex::modules::alerts
