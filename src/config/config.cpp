// Loading, overriding and documenting telexd's options (toml++).
#include "config/config.hpp"

#include <array>
#include <sstream>
#include <toml++/toml.h>

#include "jid/jid.hpp"

namespace telex::config {
namespace {

constexpr std::array<std::string_view, 2> kStorageDrivers = {"sqlite", "memory"};
constexpr std::array<std::string_view, 6> kLogLevels = {"trace", "debug", "info",
                                                        "warn",  "error", "off"};
constexpr std::array<std::string_view, 3> kDirectoryVisibility = {"off", "contacts", "all"};
constexpr std::array<std::string_view, 3> kMamPolicies = {"always", "roster", "never"};

// A plain array: its size follows the entries, so adding an option is one edit.
const OptionSpec kOptions[] = {
    {"server.domain", "The XMPP domain this server hosts (users are user@domain).", 0, 0,
     [](Config& c) -> FieldRef { return &c.server.domain; }},
    {"server.data_dir", "Folder for the database, certificates and files.", 0, 0,
     [](Config& c) -> FieldRef { return &c.server.dataDir; }},
    {"server.workers", "Event-loop threads; 0 means one per two CPU cores (at least one).", 0, 256,
     [](Config& c) -> FieldRef { return &c.server.workers; }},
    {"server.log_level", "Log verbosity.", 0, 0,
     [](Config& c) -> FieldRef { return &c.server.logLevel; }, kLogLevels},
    {"server.admins", "Administrators (bare JIDs): they may run every admin command, including "
     "announcements (XEP-0133) and the message of the day.", 0, 0,
     [](Config& c) -> FieldRef { return &c.server.admins; }},
    {"server.announcers", "Bare JIDs that may send announcements and set the message of the day, "
     "but run no other admin command.", 0, 0,
     [](Config& c) -> FieldRef { return &c.server.announcers; }},
    {"storage.driver", "Where data lives: sqlite (data_dir/telex.db) or memory (lost on exit).",
     0, 0, [](Config& c) -> FieldRef { return &c.storage.driver; }, kStorageDrivers},
    {"tls.certificate", "PEM certificate chain; empty = data_dir/tls/cert.pem, self-signed "
     "and generated on first start.", 0, 0,
     [](Config& c) -> FieldRef { return &c.tls.certificate; }},
    {"tls.key", "PEM private key; empty = data_dir/tls/key.pem.", 0, 0,
     [](Config& c) -> FieldRef { return &c.tls.key; }},
    {"c2s.interfaces", "Addresses the client listeners bind to.", 0, 0,
     [](Config& c) -> FieldRef { return &c.c2s.interfaces; }},
    {"c2s.port", "Client port with STARTTLS (RFC 6120).", 1, 65535,
     [](Config& c) -> FieldRef { return &c.c2s.port; }},
    {"c2s.tls_port", "Client port with direct TLS (XEP-0368); 0 disables it.", 0, 65535,
     [](Config& c) -> FieldRef { return &c.c2s.tlsPort; }},
    {"c2s.require_tls", "Refuse authentication before TLS. Turning this off allows PLAIN over "
     "unencrypted connections from loopback addresses only, for benchmarks.", 0, 0,
     [](Config& c) -> FieldRef { return &c.c2s.requireTls; }},
    {"c2s.max_resources", "Simultaneous resources (connections) per account.", 1, 1000,
     [](Config& c) -> FieldRef { return &c.c2s.maxResources; }},
    {"c2s.auth_timeout", "Seconds an unauthenticated connection may stay open.", 1, 3600,
     [](Config& c) -> FieldRef { return &c.c2s.authTimeout; }},
    {"c2s.max_stanza_bytes", "Largest stanza accepted after authentication, in bytes.", 1024,
     16 * 1024 * 1024, [](Config& c) -> FieldRef { return &c.c2s.maxStanzaBytes; }},
    {"c2s.max_stanza_bytes_unauthenticated",
     "Largest stanza (and stream header) accepted before authentication, in bytes.", 512,
     1024 * 1024, [](Config& c) -> FieldRef { return &c.c2s.maxStanzaBytesUnauthenticated; }},
    {"c2s.max_depth", "Deepest element nesting accepted inside a stanza.", 4, 1000,
     [](Config& c) -> FieldRef { return &c.c2s.maxDepth; }},
    {"c2s.rate_bytes_per_second", "Per-connection read rate; reading pauses above it. 0 = "
     "unlimited.", 0, 1024 * 1024 * 1024, [](Config& c) -> FieldRef {
       return &c.c2s.rateBytesPerSecond;
     }},
    {"c2s.rate_burst_bytes", "Bytes a connection may send at once before shaping applies; 0 = "
     "one second's worth.", 0, 1024 * 1024 * 1024,
     [](Config& c) -> FieldRef { return &c.c2s.rateBurstBytes; }},
    {"c2s.resume_timeout", "Seconds a stream-managed session (XEP-0198) waits for its client to "
     "resume after the connection is lost.", 0, 86400,
     [](Config& c) -> FieldRef { return &c.c2s.resumeTimeout; }},
    {"auth.scram_iterations", "PBKDF2 iterations for newly stored SCRAM keys.", 10000,
     10000000, [](Config& c) -> FieldRef { return &c.auth.scramIterations; }},
    {"auth.failure_limit", "Failed authentications from one address, within failure_window, "
     "before further attempts are delayed.", 1, 1000000,
     [](Config& c) -> FieldRef { return &c.auth.failureLimit; }},
    {"auth.failure_window", "Seconds over which failed authentications are counted.", 1, 86400,
     [](Config& c) -> FieldRef { return &c.auth.failureWindow; }},
    {"auth.failure_delay", "Seconds each further attempt from a throttled address waits.", 0,
     600, [](Config& c) -> FieldRef { return &c.auth.failureDelay; }},
    {"registration.enabled", "Allow in-band account registration (XEP-0077). Off by default: "
     "accounts come from `telexd user add` or invitations.", 0, 0,
     [](Config& c) -> FieldRef { return &c.registration.enabled; }},
    {"registration.require_invite", "Registration needs a token from `telexd invite create` "
     "(XEP-0401 preauth).", 0, 0, [](Config& c) -> FieldRef { return &c.registration.requireInvite; }},
    {"registration.max_per_address", "Accounts one address may register per hour.", 1, 100000,
     [](Config& c) -> FieldRef { return &c.registration.maxPerAddress; }},
    {"directory.visibility", "Who the user directory (XEP-0055 search) shows: off; contacts (only "
     "users who share presence with the searcher; strangers find nobody); all (every local user).",
     0, 0, [](Config& c) -> FieldRef { return &c.directory.visibility; }, kDirectoryVisibility},
    {"offline.max_messages", "Messages kept per user while offline; further ones bounce with an "
     "error to the sender.", 0, 1000000, [](Config& c) -> FieldRef { return &c.offline.maxMessages; }},
    {"mam.default", "Which conversations the message archive (XEP-0313) keeps for users who set no "
     "preference: always, roster (only with contacts in the user's roster) or never.", 0, 0,
     [](Config& c) -> FieldRef { return &c.mam.defaultPolicy; }, kMamPolicies},
    {"mam.retention_days", "Days archived messages (users' and group chat rooms' archives) are kept; "
     "older ones are removed. 0 keeps them forever.", 0, 36500,
     [](Config& c) -> FieldRef { return &c.mam.retentionDays; }},
    {"mam.max_page_size", "Most archived messages sent for one query; a larger RSM <max/> is cut to "
     "this.", 1, 10000, [](Config& c) -> FieldRef { return &c.mam.maxPageSize; }},
    {"muc.domain", "Domain of the group chat service (XEP-0045); empty means conference.<server.domain>.",
     0, 0, [](Config& c) -> FieldRef { return &c.muc.domain; }},
    {"muc.max_history", "Most messages a room may replay to a joining occupant (the highest "
     "history length an owner can configure).", 0, 1000,
     [](Config& c) -> FieldRef { return &c.muc.maxHistory; }},
    {"muc.max_rooms_per_user", "Rooms one user may have created at a time; 0 = unlimited.", 0, 1000000,
     [](Config& c) -> FieldRef { return &c.muc.maxRoomsPerUser; }},
    {"muc.restrict_room_creation", "Only the users in muc.room_creators may create rooms.", 0, 0,
     [](Config& c) -> FieldRef { return &c.muc.restrictRoomCreation; }},
    {"muc.room_creators", "Bare JIDs allowed to create rooms when muc.restrict_room_creation is on.", 0, 0,
     [](Config& c) -> FieldRef { return &c.muc.roomCreators; }},
    {"announce.rate_per_minute", "Announcements and message-of-the-day changes one sender may make "
     "per minute; 0 = unlimited. Refused attempts are audited.", 0, 10000,
     [](Config& c) -> FieldRef { return &c.announce.ratePerMinute; }},
    {"alerts.rate_per_minute", "Alerts one API token may send per minute (POST /api/v1/alerts and the "
     "Alertmanager/Grafana webhooks); 0 = unlimited. Refused attempts are audited.", 0, 100000,
     [](Config& c) -> FieldRef { return &c.alerts.ratePerMinute; }},
    {"pager.smtp_host", "SMTP relay that e-mails alerts to offline users who set a pager e-mail address; "
     "empty = no e-mail pager. Plain SMTP, no authentication: use a relay that trusts this host.", 0, 0,
     [](Config& c) -> FieldRef { return &c.pager.smtpHost; }},
    {"pager.smtp_port", "Port of the SMTP relay.", 1, 65535, [](Config& c) -> FieldRef { return &c.pager.smtpPort; }},
    {"pager.smtp_from", "Sender address of pager e-mails; empty = telex@<server.domain>.", 0, 0,
     [](Config& c) -> FieldRef { return &c.pager.smtpFrom; }},
    {"pager.webhooks", "Let users page themselves through an HTTP(S) webhook (ntfy, Gotify, or JSON). The "
     "server then POSTs to addresses users choose: turn off where that is not wanted.", 0, 0,
     [](Config& c) -> FieldRef { return &c.pager.webhooks; }},
    {"pager.timeout", "Seconds one pager delivery (e-mail or webhook) may take.", 1, 300,
     [](Config& c) -> FieldRef { return &c.pager.timeout; }},
    {"winpopup.enabled", "Accept WinPopup messages (`smbclient -M`, NET SEND) and deliver them to the "
     "users named in winpopup.names. The protocol has no authentication: keep it to trusted networks.",
     0, 0, [](Config& c) -> FieldRef { return &c.winpopup.enabled; }},
    {"winpopup.interfaces", "Addresses the WinPopup listener binds to (e.g. [\"0.0.0.0\"] for the LAN).",
     0, 0, [](Config& c) -> FieldRef { return &c.winpopup.interfaces; }},
    {"winpopup.port", "TCP port of the NetBIOS session service; 139 needs root or "
     "CAP_NET_BIND_SERVICE.", 1, 65535, [](Config& c) -> FieldRef { return &c.winpopup.port; }},
    {"winpopup.allow", "Source networks (CIDR, IPv4 or IPv6) allowed to send; other connections are "
     "closed at once.", 0, 0, [](Config& c) -> FieldRef { return &c.winpopup.allow; }},
    {"winpopup.rate_per_minute", "Messages accepted per source address per minute.", 1, 100000,
     [](Config& c) -> FieldRef { return &c.winpopup.ratePerMinute; }},
    {"winpopup.names", "NetBIOS names and who receives their messages: a user (\"alice@domain\") or one "
     "of a user's machines (a full JID, \"bob@domain/desk\"), e.g. { ALICE = \"alice@localhost\" }.",
     0, 0, [](Config& c) -> FieldRef { return &c.winpopup.names; }},
    {"http.interfaces", "Addresses the HTTP listeners (file upload, later the admin API) bind to.", 0, 0,
     [](Config& c) -> FieldRef { return &c.http.interfaces; }},
    {"http.port", "Plain-HTTP port, answered only for loopback peers (a local reverse proxy, tests); 0 "
     "disables it.", 0, 65535, [](Config& c) -> FieldRef { return &c.http.port; }},
    {"http.tls_port", "HTTPS port, with the server's certificate; 0 disables it.", 0, 65535,
     [](Config& c) -> FieldRef { return &c.http.tlsPort; }},
    {"http.external_url", "Base URL clients reach the HTTP listener at, as in upload slots (e.g. "
     "\"https://files.example.org\"); empty = https://<domain>:<tls_port> (http://<domain>:<port> "
     "when tls_port is 0).", 0, 0, [](Config& c) -> FieldRef { return &c.http.externalUrl; }},
    {"upload.max_file_size", "Largest file, in bytes, a user may upload (XEP-0363).", 1,
     std::int64_t{1} << 40, [](Config& c) -> FieldRef { return &c.upload.maxFileSize; }},
    {"upload.quota_per_user", "Bytes of uploaded, unexpired files each user may have; 0 = unlimited.", 0,
     std::int64_t{1} << 50, [](Config& c) -> FieldRef { return &c.upload.quotaPerUser; }},
    {"upload.expire_days", "Days an uploaded file is kept; 0 keeps files forever.", 0, 36500,
     [](Config& c) -> FieldRef { return &c.upload.expireDays; }},
    {"proxy65.interfaces", "Addresses the SOCKS5 bytestream proxy (XEP-0065) listens on.", 0, 0,
     [](Config& c) -> FieldRef { return &c.proxy65.interfaces; }},
    {"proxy65.port", "SOCKS5 bytestream proxy port; 0 turns the proxy off.", 0, 65535,
     [](Config& c) -> FieldRef { return &c.proxy65.port; }},
    {"proxy65.host", "Address of the proxy handed to clients; empty = the first of proxy65.interfaces "
     "(or the domain when that is a wildcard).", 0, 0, [](Config& c) -> FieldRef { return &c.proxy65.host; }},
    {"turn.host", "STUN/TURN server (coturn) announced to signed-in users through XEP-0215; empty "
     "announces none.", 0, 0, [](Config& c) -> FieldRef { return &c.turn.host; }},
    {"turn.port", "STUN/TURN port (UDP and TCP).", 1, 65535, [](Config& c) -> FieldRef { return &c.turn.port; }},
    {"turn.secret", "Shared secret of the TURN REST API (coturn's static-auth-secret); empty: STUN only, "
     "no TURN credentials.", 0, 0, [](Config& c) -> FieldRef { return &c.turn.secret; }},
    {"turn.ttl", "Seconds the TURN credentials handed out stay valid.", 60, 30 * 86400,
     [](Config& c) -> FieldRef { return &c.turn.ttl; }},
    {"modules.disabled", "Feature modules to leave off (see docs/xep-coverage.md).", 0, 0,
     [](Config& c) -> FieldRef { return &c.modules.disabled; }},
};

const OptionSpec* findOption(std::string_view key) {
  for (const auto& spec : kOptions) {
    if (spec.key == key) return &spec;
  }
  return nullptr;
}

std::string where(const toml::node& node) {
  const auto& src = node.source();
  std::string out;
  if (src.path) out += *src.path + ":";
  out += std::to_string(src.begin.line);
  return out;
}

// Assigns a TOML value to the option's field, checking type and bounds.
Expected<std::monostate, std::string> assign(Config& config, const OptionSpec& spec,
                                             const toml::node& value) {
  FieldRef field = spec.field(config);
  auto fail = [&](std::string why) -> Expected<std::monostate, std::string> {
    return unexpected(std::string(spec.key) + ": " + why);
  };
  if (auto* i = std::get_if<std::int64_t*>(&field)) {
    auto v = value.value<std::int64_t>();
    if (!value.is_integer() || !v) return fail("expected an integer");
    if (*v < spec.min || *v > spec.max) {
      return fail("must be between " + std::to_string(spec.min) + " and " +
                  std::to_string(spec.max) + ", got " + std::to_string(*v));
    }
    **i = *v;
  } else if (auto* s = std::get_if<std::string*>(&field)) {
    if (!value.is_string()) return fail("expected a string");
    std::string v = *value.value<std::string>();
    if (!spec.allowed.empty()) {
      bool ok = false;
      std::string choices;
      for (auto a : spec.allowed) {
        ok = ok || a == v;
        choices += (choices.empty() ? "" : ", ") + std::string(a);
      }
      if (!ok) return fail("must be one of " + choices + ", got \"" + v + "\"");
    }
    **s = std::move(v);
  } else if (auto* b = std::get_if<bool*>(&field)) {
    if (!value.is_boolean()) return fail("expected true or false");
    **b = *value.value<bool>();
  } else if (auto* l = std::get_if<std::vector<std::string>*>(&field)) {
    const auto* arr = value.as_array();
    if (!arr) return fail("expected an array of strings");
    std::vector<std::string> out;
    for (const auto& item : *arr) {
      if (!item.is_string()) return fail("expected an array of strings");
      out.push_back(*item.value<std::string>());
    }
    **l = std::move(out);
  } else if (auto* m = std::get_if<std::map<std::string, std::string>*>(&field)) {
    const auto* table = value.as_table();
    if (!table) return fail("expected a table of strings, like { NAME = \"value\" }");
    std::map<std::string, std::string> out;
    for (const auto& [key, item] : *table) {
      if (!item.is_string()) return fail("expected a table of strings, like { NAME = \"value\" }");
      out[std::string(key.str())] = *item.value<std::string>();
    }
    **m = std::move(out);
  }
  return std::monostate{};
}

Expected<std::monostate, std::string> applyTable(Config& config, const toml::table& root) {
  for (const auto& [sectionKey, sectionNode] : root) {
    const auto* section = sectionNode.as_table();
    if (!section) {
      return unexpected(where(sectionNode) + ": \"" + std::string(sectionKey.str()) +
                        "\" is not a known section");
    }
    for (const auto& [key, value] : *section) {
      std::string full = std::string(sectionKey.str()) + "." + std::string(key.str());
      const OptionSpec* spec = findOption(full);
      if (!spec) return unexpected(where(value) + ": unknown option \"" + full + "\"");
      auto r = assign(config, *spec, value);
      if (!r) return unexpected(where(value) + ": " + r.error());
    }
  }
  return std::monostate{};
}

std::string tomlLiteral(const FieldRef& field) {
  std::ostringstream out;
  std::visit(
      [&](auto* p) {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, std::int64_t>) {
          out << *p;
        } else if constexpr (std::is_same_v<T, bool>) {
          out << (*p ? "true" : "false");
        } else if constexpr (std::is_same_v<T, std::string>) {
          out << toml::value<std::string>(*p);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          toml::array arr;
          for (const auto& s : *p) arr.push_back(s);
          out << arr;
        } else {
          // An inline table, so the option stays on one line under its section.
          out << "{";
          const char* separator = " ";
          for (const auto& [key, value] : *p) {
            out << separator << toml::value<std::string>(key) << " = " << toml::value<std::string>(value);
            separator = ", ";
          }
          out << (p->empty() ? "}" : " }");
        }
      },
      field);
  return out.str();
}

}  // namespace

std::filesystem::path Config::certificatePath() const {
  return tls.certificate.empty() ? dataDirPath() / "tls" / "cert.pem"
                                 : std::filesystem::path(tls.certificate);
}

std::filesystem::path Config::keyPath() const {
  return tls.key.empty() ? dataDirPath() / "tls" / "key.pem" : std::filesystem::path(tls.key);
}

std::span<const OptionSpec> allOptions() { return kOptions; }

Expected<std::monostate, std::string> loadFile(Config& config, const std::filesystem::path& file) {
  // Debian's toml++ is built with exceptions; they stop here and become messages.
  try {
    toml::table parsed = toml::parse_file(file.string());
    return applyTable(config, parsed);
  } catch (const toml::parse_error& err) {
    return unexpected(file.string() + ":" + std::to_string(err.source().begin.line) + ": " +
                      std::string(err.description()));
  }
}

Expected<std::monostate, std::string> applyOverride(Config& config, std::string_view assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string_view::npos) {
    return unexpected("--set expects section.key=value, got \"" + std::string(assignment) + "\"");
  }
  std::string key(assignment.substr(0, eq));
  std::string value(assignment.substr(eq + 1));
  const OptionSpec* spec = findOption(key);
  if (!spec) return unexpected("--set: unknown option \"" + key + "\"");
  // Accept TOML literals (42, true, ["a"], "x") and, for string options, bare words.
  auto parseValue = [](const std::string& text) -> std::optional<toml::table> {
    try {
      return toml::parse("v = " + text);
    } catch (const toml::parse_error&) {
      return std::nullopt;
    }
  };
  std::optional<toml::table> parsed = parseValue(value);
  if (!parsed || (std::holds_alternative<std::string*>(spec->field(config)) && !(*parsed)["v"].is_string())) {
    std::ostringstream quoted;
    quoted << toml::value<std::string>(value);
    parsed = parseValue(quoted.str());
  }
  if (!parsed) return unexpected("--set " + key + ": cannot read value \"" + value + "\"");
  auto r = assign(config, *spec, *parsed->get("v"));
  if (!r) return unexpected("--set " + r.error());
  return std::monostate{};
}

Expected<std::monostate, std::string> validate(const Config& config) {
  if (config.server.domain.empty()) return unexpected("server.domain must not be empty");
  if (config.server.dataDir.empty()) return unexpected("server.data_dir must not be empty");
  if (config.c2s.interfaces.empty()) return unexpected("c2s.interfaces must not be empty");
  if (config.mucDomain() == config.server.domain) return unexpected("muc.domain must differ from server.domain");
  if (!Jid::make("", config.mucDomain())) return unexpected("muc.domain is not a valid domain");
  for (const auto* list : {&config.server.admins, &config.server.announcers}) {
    for (const auto& entry : *list) {
      auto jid = Jid::parse(entry);
      if (!jid || !jid->hasLocal() || jid->hasResource()) {
        return unexpected("server.admins and server.announcers take bare JIDs (user@domain), got \"" + entry + "\"");
      }
    }
  }
  if (config.c2s.tlsPort != 0 && config.c2s.tlsPort == config.c2s.port) {
    return unexpected("c2s.port and c2s.tls_port must differ");
  }
  if (config.c2s.maxStanzaBytesUnauthenticated > config.c2s.maxStanzaBytes) {
    return unexpected("c2s.max_stanza_bytes_unauthenticated must not exceed c2s.max_stanza_bytes");
  }
  if (config.http.port != 0 && config.http.port == config.http.tlsPort) {
    return unexpected("http.port and http.tls_port must differ");
  }
  return std::monostate{};
}

std::string exampleConfig() {
  Config defaults;
  std::ostringstream out;
  out << "# telexd example configuration: every option, with its default and bounds.\n"
         "# Generated by `telexd config example`; a value left out keeps its default.\n";
  std::string section;
  for (const auto& spec : kOptions) {
    auto dot = spec.key.find('.');
    std::string sec(spec.key.substr(0, dot));
    if (sec != section) {
      out << "\n[" << sec << "]\n";
      section = sec;
    }
    FieldRef field = spec.field(defaults);
    out << "# " << spec.description;
    if (std::holds_alternative<std::int64_t*>(field)) {
      out << " (" << spec.min << " to " << spec.max << ")";
    }
    if (!spec.allowed.empty()) {
      out << " One of:";
      for (auto a : spec.allowed) out << " " << a;
      out << ".";
    }
    out << "\n" << spec.key.substr(dot + 1) << " = " << tomlLiteral(field) << "\n";
  }
  return out.str();
}

}  // namespace telex::config
