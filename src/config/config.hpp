// telexd's configuration: one TOML file, every option typed with a default and bounds.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "util/expected.hpp"

namespace telex::config {

struct ServerOptions {
  std::string domain = "localhost";
  std::string dataDir = "data";
  std::int64_t workers = 0;  // 0 = one per two cores, at least one
  std::string logLevel = "info";
  // Roles (bare JIDs): admins run every admin command; announcers may only announce.
  std::vector<std::string> admins;
  std::vector<std::string> announcers;
};

struct StorageOptions {
  std::string driver = "sqlite";
};

struct TlsOptions {
  std::string certificate;  // empty: <data_dir>/tls/cert.pem, generated when missing
  std::string key;
};

struct C2sOptions {
  std::vector<std::string> interfaces = {"127.0.0.1"};
  std::int64_t port = 5222;
  std::int64_t tlsPort = 5223;
  bool requireTls = true;
  std::int64_t maxResources = 10;
  std::int64_t authTimeout = 60;
  std::int64_t maxStanzaBytes = 256 * 1024;
  std::int64_t maxStanzaBytesUnauthenticated = 8 * 1024;
  std::int64_t maxDepth = 48;
  std::int64_t rateBytesPerSecond = 0;
  std::int64_t rateBurstBytes = 0;
  std::int64_t resumeTimeout = 300;
};

struct AuthOptions {
  std::int64_t scramIterations = 10000;
  std::int64_t failureLimit = 5;
  std::int64_t failureWindow = 60;
  std::int64_t failureDelay = 5;
};

struct DirectoryOptions {
  std::string visibility = "contacts";
};

struct RegistrationOptions {
  bool enabled = false;
  bool requireInvite = true;
  std::int64_t maxPerAddress = 5;  // per hour
};

struct OfflineOptions {
  std::int64_t maxMessages = 1000;
};

struct MamOptions {
  std::string defaultPolicy = "always";  // always | roster | never
  std::int64_t retentionDays = 0;        // 0 = keep forever
  std::int64_t maxPageSize = 250;
};

struct MucOptions {
  std::string domain;  // empty: conference.<server.domain>
  std::int64_t maxHistory = 50;
  std::int64_t maxRoomsPerUser = 100;  // 0 = unlimited
  bool restrictRoomCreation = false;
  std::vector<std::string> roomCreators;
};

struct AnnounceOptions {
  std::int64_t ratePerMinute = 5;  // announcements and MOTD changes per sender; 0 = unlimited
};

// Alerts over HTTP (POST /api/v1/alerts and the Alertmanager/Grafana webhooks).
struct AlertsOptions {
  std::int64_t ratePerMinute = 30;  // alerts per token per minute; 0 = unlimited
};

// Where alerts (and, if a user wants, direct messages) go for users who are offline.
struct PagerOptions {
  std::string smtpHost;  // empty: no e-mail pager
  std::int64_t smtpPort = 25;
  std::string smtpFrom;  // empty: telex@<server.domain>
  bool webhooks = true;  // users may page themselves through an HTTP webhook (ntfy, Gotify, ...)
  std::int64_t timeout = 15;  // seconds for one pager delivery
};

// The WinPopup (`smbclient -M`, NET SEND) gateway: off by default, because the protocol has
// no authentication.
struct WinPopupOptions {
  bool enabled = false;
  std::vector<std::string> interfaces = {"127.0.0.1"};
  std::int64_t port = 139;
  std::vector<std::string> allow = {"127.0.0.1/32"};  // source networks (CIDR)
  std::int64_t ratePerMinute = 10;                    // messages per source address
  std::map<std::string, std::string> names;           // NetBIOS name -> user or full JID
};

struct HttpOptions {
  std::vector<std::string> interfaces = {"127.0.0.1"};
  std::int64_t port = 5280;     // plain HTTP, answered for loopback peers only; 0 = off
  std::int64_t tlsPort = 5281;  // HTTPS with the server certificate; 0 = off
  std::string externalUrl;      // base of the URLs handed out; empty = derived from domain and ports
};

struct UploadOptions {
  std::int64_t maxFileSize = 100 * 1024 * 1024;
  std::int64_t quotaPerUser = 1024 * 1024 * 1024;  // 0 = unlimited
  std::int64_t expireDays = 30;                    // 0 = keep files forever
};

struct Proxy65Options {
  std::vector<std::string> interfaces = {"127.0.0.1"};
  std::int64_t port = 7777;  // 0 = no SOCKS5 proxy
  std::string host;          // address handed to clients; empty = first interface
};

struct TurnOptions {
  std::string host;  // empty: no STUN/TURN service is announced
  std::int64_t port = 3478;
  std::string secret;
  std::int64_t ttl = 86400;
};

struct ModulesOptions {
  std::vector<std::string> disabled;
};

struct Config {
  ServerOptions server;
  StorageOptions storage;
  TlsOptions tls;
  C2sOptions c2s;
  AuthOptions auth;
  RegistrationOptions registration;
  DirectoryOptions directory;
  OfflineOptions offline;
  MamOptions mam;
  HttpOptions http;
  UploadOptions upload;
  Proxy65Options proxy65;
  TurnOptions turn;
  MucOptions muc;
  AnnounceOptions announce;
  AlertsOptions alerts;
  PagerOptions pager;
  WinPopupOptions winpopup;
  ModulesOptions modules;

  std::filesystem::path dataDirPath() const { return server.dataDir; }
  // The group chat service's domain: muc.domain, or conference.<server.domain> when empty.
  std::string mucDomain() const { return muc.domain.empty() ? "conference." + server.domain : muc.domain; }
  // Where WinPopup messages come from: winpopup.<server.domain>.
  std::string winpopupDomain() const { return "winpopup." + server.domain; }
  std::filesystem::path certificatePath() const;
  std::filesystem::path keyPath() const;
};

using FieldRef =
    std::variant<std::int64_t*, std::string*, bool*, std::vector<std::string>*,
                 std::map<std::string, std::string>*>;  // the map: a TOML table of strings

struct OptionSpec {
  std::string_view key;  // "section.name"
  std::string_view description;
  std::int64_t min = 0;  // bounds, for integers
  std::int64_t max = 0;
  FieldRef (*field)(Config&);
  std::span<const std::string_view> allowed = {};  // for strings with a fixed set of values
};

// Every option telexd understands, in the order the example config lists them.
std::span<const OptionSpec> allOptions();

// Reads a TOML file on top of `config`. Errors name the file and line.
Expected<std::monostate, std::string> loadFile(Config& config, const std::filesystem::path& file);
// Applies "section.key=value" (value in TOML syntax or a bare string), as given to --set.
Expected<std::monostate, std::string> applyOverride(Config& config, std::string_view assignment);
// Checks cross-option rules after all sources are applied.
Expected<std::monostate, std::string> validate(const Config& config);
// The documented example configuration, generated from allOptions() and the defaults.
std::string exampleConfig();

}  // namespace telex::config
