#include "apps/telex/autostart.hpp"

#include <cstdlib>
#include <fstream>
#include <system_error>

namespace telex::autostart {
namespace {

// Exec= and ExecStart= both split on spaces and treat quotes and backslashes specially; a path
// quoted with every '"', '\\', '`' and '$' escaped is read back as itself by both.
std::string quoted(const std::string& arg) {
  std::string out = "\"";
  for (char c : arg) {
    if (c == '"' || c == '\\' || c == '`' || c == '$') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string command(const std::filesystem::path& telexBinary, const std::filesystem::path& configFile) {
  std::string cmd = quoted(telexBinary.string()) + " watch";
  if (!configFile.empty()) cmd += " --config " + quoted(configFile.string());
  return cmd;
}

Expected<bool, std::string> writeFile(const std::filesystem::path& file, const std::string& text) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) return unexpected("cannot create " + file.parent_path().string() + ": " + ec.message());
  std::ofstream out(file, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return unexpected("cannot write " + file.string());
  return true;
}

}  // namespace

Expected<Paths, std::string> paths() {
  std::filesystem::path base;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
    base = xdg;
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    base = std::filesystem::path(home) / ".config";
  } else {
    return unexpected(std::string("neither XDG_CONFIG_HOME nor HOME is set"));
  }
  return Paths{base / "autostart" / "telex-watch.desktop", base / "systemd" / "user" / "telex-watch.service"};
}

std::string desktopEntry(const std::filesystem::path& telexBinary, const std::filesystem::path& configFile) {
  return "[Desktop Entry]\n"
         "Type=Application\n"
         "Name=Telex\n"
         "Comment=Receive Telex messages and alerts on this machine\n"
         "Exec=" + command(telexBinary, configFile) + "\n"
         "Terminal=false\n"
         "X-GNOME-Autostart-enabled=true\n";
}

std::string userUnit(const std::filesystem::path& telexBinary, const std::filesystem::path& configFile) {
  return "[Unit]\n"
         "Description=Telex: receive messages and alerts on this machine\n"
         "After=network-online.target\n\n"
         "[Service]\n"
         "ExecStart=" + command(telexBinary, configFile) + "\n"
         "Restart=on-failure\n"
         "RestartSec=10\n\n"
         "[Install]\n"
         "WantedBy=default.target\n";
}

Expected<std::string, std::string> apply(bool enabled, const Paths& where, const std::filesystem::path& telexBinary,
                                         const std::filesystem::path& configFile) {
  std::string report;
  if (enabled) {
    for (const auto& [file, text] : {std::pair{where.desktopEntry, desktopEntry(telexBinary, configFile)},
                                     std::pair{where.userUnit, userUnit(telexBinary, configFile)}}) {
      auto written = writeFile(file, text);
      if (!written) return unexpected(written.error());
      report += "wrote " + file.string() + "\n";
    }
    report += "desktop sessions start `telex watch` at sign-in; elsewhere: systemctl --user enable --now telex-watch\n";
    return report;
  }
  for (const auto& file : {where.desktopEntry, where.userUnit}) {
    std::error_code ec;
    if (std::filesystem::remove(file, ec)) report += "removed " + file.string() + "\n";
    if (ec) return unexpected("cannot remove " + file.string() + ": " + ec.message());
  }
  if (report.empty()) report = "nothing to remove: telex does not start with the session\n";
  return report;
}

}  // namespace telex::autostart
