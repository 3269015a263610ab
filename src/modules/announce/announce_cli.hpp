// telexd's operator commands for announcements: `announce` and `motd` (through the running
// server's admin socket), `group` (server-side groups) and `audit list` (in the store).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace CLI {
class App;
}

namespace telex::modules::announce {

class OperatorCommands {
 public:
  // Adds the subcommands to `app`; parse afterwards.
  explicit OperatorCommands(CLI::App& app);
  ~OperatorCommands();
  // Runs the subcommand that was given; nullopt when none of these was. Returns the exit code.
  std::optional<int> run(const config::Config& config);

 private:
  struct Parsed;
  std::unique_ptr<Parsed> p_;
};

}  // namespace telex::modules::announce
