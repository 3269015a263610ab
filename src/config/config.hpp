// telexd's configuration: one TOML file, every option typed with a default and bounds.
#pragma once

#include <cstdint>
#include <filesystem>
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
  std::int64_t workers = 0;  // 0 = one per core
  std::string logLevel = "info";
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
  ModulesOptions modules;

  std::filesystem::path dataDirPath() const { return server.dataDir; }
  std::filesystem::path certificatePath() const;
  std::filesystem::path keyPath() const;
};

using FieldRef =
    std::variant<std::int64_t*, std::string*, bool*, std::vector<std::string>*>;

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
