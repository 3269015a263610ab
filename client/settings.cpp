// Loading and validating the `telex` user configuration file.
#include "client/settings.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <variant>
#include <vector>

namespace telex::client {

namespace {

// One accepted key: where it goes and what it accepts.
struct IntField {
  int* target;
  int min;
  int max;
};
struct PortField {
  std::uint16_t* target;
};
struct ProxyTypeField {
  ProxyType* target;
};
using Field = std::variant<bool*, std::string*, IntField, PortField, ProxyTypeField>;

struct Key {
  std::string_view name;  // "section.key"
  Field field;
};

std::vector<Key> keysOf(Settings& s) {
  return {
      {"account.jid", &s.account.jid},
      {"account.server", &s.account.server},
      {"account.resource", &s.account.resource},
      {"account.password_file", &s.account.passwordFile},
      {"account.direct_tls", &s.account.directTls},
      {"account.ca_file", &s.account.caFile},
      {"account.insecure", &s.account.insecure},
      {"client.run_at_startup", &s.client.runAtStartup},
      {"client.run_in_background", &s.client.runInBackground},
      {"client.away_after_idle", &s.client.awayAfterIdle},
      {"client.away_minutes", IntField{&s.client.awayMinutes, 1, 1440}},
      {"client.away_seconds", IntField{&s.client.awaySeconds, 0, 86400}},
      {"client.alert_contact_online", &s.client.alertContactOnline},
      {"client.alert_message", &s.client.alertMessage},
      {"client.sound", &s.client.sound},
      {"client.emoticons", &s.client.emoticons},
      {"proxy.enabled", &s.proxy.enabled},
      {"proxy.type", ProxyTypeField{&s.proxy.type}},
      {"proxy.host", &s.proxy.host},
      {"proxy.port", PortField{&s.proxy.port}},
      {"proxy.username", &s.proxy.username},
      {"proxy.password", &s.proxy.password},
  };
}

std::string lineOf(std::string_view source, const toml::node& node) {
  return std::string(source) + ":" + std::to_string(node.source().begin.line);
}

Expected<std::monostate, std::string> assign(const Key& key, const toml::node& value) {
  const auto fail = [&](const std::string& why) -> Expected<std::monostate, std::string> {
    return unexpected(std::string(key.name) + " " + why);
  };
  if (auto* b = std::get_if<bool*>(&key.field)) {
    if (!value.is_boolean()) return fail("must be true or false");
    **b = *value.value<bool>();
  } else if (auto* s = std::get_if<std::string*>(&key.field)) {
    if (!value.is_string()) return fail("must be a string (in quotes)");
    **s = *value.value<std::string>();
  } else if (auto* i = std::get_if<IntField>(&key.field)) {
    if (!value.is_integer()) return fail("must be an integer");
    const std::int64_t v = *value.value<std::int64_t>();
    if (v < i->min || v > i->max) {
      return fail("must be between " + std::to_string(i->min) + " and " + std::to_string(i->max) +
                  ", got " + std::to_string(v));
    }
    *i->target = static_cast<int>(v);
  } else if (auto* p = std::get_if<PortField>(&key.field)) {
    if (!value.is_integer()) return fail("must be an integer");
    const std::int64_t v = *value.value<std::int64_t>();
    if (v < 1 || v > 65535) return fail("must be between 1 and 65535, got " + std::to_string(v));
    *p->target = static_cast<std::uint16_t>(v);
  } else if (auto* t = std::get_if<ProxyTypeField>(&key.field)) {
    if (!value.is_string()) return fail("must be \"socks4\", \"socks4a\" or \"socks5\"");
    const auto type = proxyTypeFromName(*value.value<std::string>());
    if (!type) {
      return fail("must be \"socks4\", \"socks4a\" or \"socks5\", got \"" +
                  *value.value<std::string>() + "\"");
    }
    *t->target = *type;
  }
  return std::monostate{};
}

}  // namespace

std::optional<ProxyConfig> ProxySettings::toProxyConfig() const {
  if (!enabled || host.empty()) return std::nullopt;
  ProxyConfig config;
  config.type = type;
  config.host = host;
  config.port = port;
  config.username = username;
  config.password = password;
  return config;
}

Expected<Settings, std::string> parseSettings(std::string_view text, std::string_view sourceName) {
  toml::table root;
  // Debian's toml++ reports syntax errors as exceptions; they stop here and become messages.
  try {
    root = toml::parse(text, sourceName);
  } catch (const toml::parse_error& err) {
    return unexpected(std::string(sourceName) + ":" + std::to_string(err.source().begin.line) +
                      ": " + std::string(err.description()));
  }
  Settings settings;
  const auto keys = keysOf(settings);
  for (const auto& [sectionKey, sectionNode] : root) {
    const std::string section(sectionKey.str());
    const auto* table = sectionNode.as_table();
    const bool known = section == "account" || section == "client" || section == "proxy";
    if (!known) {
      return unexpected(lineOf(sourceName, sectionNode) + ": unknown section or key \"" + section +
                        "\" (known sections: account, client, proxy)");
    }
    if (table == nullptr) {
      return unexpected(lineOf(sourceName, sectionNode) + ": \"" + section +
                        "\" must be a [section]");
    }
    for (const auto& [key, value] : *table) {
      const std::string full = section + "." + std::string(key.str());
      const auto it =
          std::find_if(keys.begin(), keys.end(), [&](const Key& k) { return k.name == full; });
      if (it == keys.end()) {
        return unexpected(lineOf(sourceName, value) + ": unknown key \"" + full + "\"");
      }
      auto assigned = assign(*it, value);
      if (!assigned) return unexpected(lineOf(sourceName, value) + ": " + assigned.error());
    }
  }
  return settings;
}

Expected<Settings, std::string> loadSettings(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return Settings{};
  std::ifstream in(file, std::ios::binary);
  if (!in) return unexpected("cannot read " + file.string());
  std::ostringstream content;
  content << in.rdbuf();
  return parseSettings(content.str(), file.string());
}

std::filesystem::path defaultSettingsPath() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::filesystem::path(xdg) / "telex" / "config.toml";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr ? home : ".") / ".config" / "telex" / "config.toml";
}

std::string exampleSettings() {
  return R"(# ~/.config/telex/config.toml — settings of the `telex` client (every key is optional).

[account]
jid = "alice@example.org"      # your address (also: TELEX_JID, --jid)
server = ""                    # host:port if not the JID's domain (also: TELEX_SERVER, --server)
resource = ""                  # "" = server-assigned for `send`, this machine's name for `watch`
password_file = ""             # first line is the password (also: TELEX_PASSWORD, --password-file)
direct_tls = false             # TLS from the first byte (XEP-0368, port 5223) instead of STARTTLS
ca_file = ""                   # trust this PEM certificate, e.g. a self-signed server's
insecure = false               # skip certificate verification: test servers only

[client]                       # the Messenger options (used by `telex chat`)
run_at_startup = true          # run this program when the session starts
run_in_background = true       # allow this program to run in the background
away_after_idle = true         # show me as Away when I'm inactive...
away_minutes = 5               # ...for this many minutes (1-1440)
away_seconds = 0               # in seconds instead, when not 0 (0-86400)
alert_contact_online = true    # display alerts when contacts come online
alert_message = true           # display alerts when an instant message is received
sound = true                   # play a sound when contacts sign in or send a message
emoticons = true               # show graphics (emoticons) in instant messages

[proxy]                        # use a proxy server (also: --proxy socks5://host:port)
enabled = false
type = "socks4"                # socks4, socks4a or socks5
host = ""
port = 1080
username = ""                  # SOCKS5 username/password authentication; SOCKS4 user id
password = ""
)";
}

Expected<std::pair<std::string, std::uint16_t>, std::string> parseHostPort(std::string_view text) {
  std::string host;
  std::string_view portText;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return unexpected("unterminated [IPv6] in \"" + std::string(text) + "\"");
    }
    host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') {
        return unexpected("expected host:port, got \"" + std::string(text) + "\"");
      }
      portText = rest.substr(1);
    }
  } else {
    const std::size_t colon = text.find(':');
    if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
      return unexpected("write IPv6 addresses as [address]:port, got \"" + std::string(text) +
                        "\"");
    }
    host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) portText = text.substr(colon + 1);
  }
  if (host.empty()) return unexpected("no host in \"" + std::string(text) + "\"");
  std::uint16_t port = 0;
  if (!portText.empty()) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), value);
    if (ec != std::errc() || ptr != portText.data() + portText.size() || value == 0 ||
        value > 65535) {
      return unexpected("invalid port in \"" + std::string(text) + "\"");
    }
    port = static_cast<std::uint16_t>(value);
  }
  return std::make_pair(host, port);
}

}  // namespace telex::client
