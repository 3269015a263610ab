// The seeds' "Run this program when the session starts" (client.run_at_startup): `telex autostart`
// installs or removes what starts `telex watch` at sign-in — an XDG autostart entry for desktop
// sessions and a systemd user unit for everything else (`systemctl --user enable telex-watch`).
#pragma once

#include <filesystem>
#include <string>

#include "util/expected.hpp"

namespace telex::autostart {

struct Paths {
  std::filesystem::path desktopEntry;  // $XDG_CONFIG_HOME/autostart/telex-watch.desktop
  std::filesystem::path userUnit;      // $XDG_CONFIG_HOME/systemd/user/telex-watch.service
};

// From XDG_CONFIG_HOME, else HOME/.config; an error when neither is set.
Expected<Paths, std::string> paths();

// The file contents, starting `telexBinary watch` (with `--config configFile` when not empty).
std::string desktopEntry(const std::filesystem::path& telexBinary, const std::filesystem::path& configFile);
std::string userUnit(const std::filesystem::path& telexBinary, const std::filesystem::path& configFile);

// Writes both files when `enabled`, removes them otherwise; returns a line per file for the user.
Expected<std::string, std::string> apply(bool enabled, const Paths& where, const std::filesystem::path& telexBinary,
                                         const std::filesystem::path& configFile);

}  // namespace telex::autostart
