// The `telex` user configuration file (~/.config/telex/config.toml), strict about unknown keys.
// Account, the Messenger client settings from the seeds with their defaults, and the proxy.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "client/socks.hpp"
#include "util/expected.hpp"

namespace telex::client {

struct AccountSettings {
  std::string jid;           // user@domain
  std::string server;        // host[:port] when it differs from the JID's domain
  std::string resource;      // empty: server-assigned for `send`, the host name for `watch`
  std::string passwordFile;  // first line is the password ("~/" allowed)
  bool directTls = false;    // XEP-0368 direct TLS (port 5223) instead of STARTTLS
  std::string caFile;        // trust this PEM certificate (e.g. a self-signed server's)
  bool insecure = false;     // skip certificate verification (test servers only)
};

// The Windows Messenger options page, as Telex client settings.
struct MessengerSettings {
  bool runAtStartup = true;
  bool runInBackground = true;
  bool awayAfterIdle = true;
  int awayMinutes = 5;  // 1..1440
  int awaySeconds = 0;  // 0..86400; when set, replaces awayMinutes (tests, fine tuning)
  bool alertContactOnline = true;
  bool alertMessage = true;
  bool sound = true;
  bool emoticons = true;
};

struct ProxySettings {
  bool enabled = false;
  ProxyType type = ProxyType::Socks4;
  std::string host;
  std::uint16_t port = kDefaultProxyPort;
  std::string username;
  std::string password;

  // The proxy to use, when enabled and a host is set.
  std::optional<ProxyConfig> toProxyConfig() const;
};

struct Settings {
  AccountSettings account;
  MessengerSettings client;
  ProxySettings proxy;
};

// Parses TOML text. Errors name the place: "<sourceName>:<line>: <what>".
Expected<Settings, std::string> parseSettings(std::string_view text, std::string_view sourceName);
// Reads a file; a missing file gives the defaults (an unreadable one is an error).
Expected<Settings, std::string> loadSettings(const std::filesystem::path& file);
// $XDG_CONFIG_HOME/telex/config.toml, else $HOME/.config/telex/config.toml.
std::filesystem::path defaultSettingsPath();
// A commented example with every key at its default (docs/client.md shows the same).
std::string exampleSettings();

// "host", "host:port", "[v6]:port" → host and port (0 when absent).
Expected<std::pair<std::string, std::uint16_t>, std::string> parseHostPort(std::string_view text);

}  // namespace telex::client
