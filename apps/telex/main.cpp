// telex: the command-line client — `send` (the NET SEND of Telex), `watch` and `config`.
// Wiring only: the protocol lives in client/.
#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "apps/telex/chat/chat_app.hpp"
#include "client/client.hpp"
#include "client/settings.hpp"
#include "jid/jid.hpp"
#include "apps/telex/autostart.hpp"
#include "util/utf8.hpp"

namespace {

namespace asio = boost::asio;
using namespace telex::client;
using telex::Jid;

// Exit codes (docs/client.md): 0 success.
constexpr int kExitDeliveryFailed = 1;  // an error came back, or no receipt in time
constexpr int kExitUsage = 2;           // bad arguments or configuration
constexpr int kExitConnection = 3;      // could not connect, secure or sign in

constexpr std::size_t kMaxTextBytes = 200 * 1024;  // below the servers' 256 KiB stanza limit
// After the server answered our ping: how long late bounces may still arrive.
constexpr std::chrono::milliseconds kBounceWindow{500};

// Makes untrusted text safe for one terminal line: newlines become "\n", other control
// characters (which could drive the terminal) become U+FFFD.
std::string oneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (c == '\n' || c == '\r') {
      out += "\\n";
    } else if (c == '\t') {
      out.push_back(' ');
    } else if (c < 0x20 || c == 0x7f) {
      out += "\xEF\xBF\xBD";
    } else if (c == 0xc2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      out += "\xEF\xBF\xBD";  // C1 controls (U+0080..U+009F)
      ++i;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// Messages may quote the server (a SASL or stream error text): kept to one safe line.
int fail(int code, const std::string& message) {
  std::fprintf(stderr, "telex: %s\n", oneLine(message).c_str());
  return code;
}

void warn(const std::string& message) {
  std::fprintf(stderr, "telex: warning: %s\n", message.c_str());
}

// Options every command that signs in shares.
struct AccountFlags {
  std::string configFile;
  std::string jid;
  std::string server;
  std::string resource;
  std::string passwordFile;
  std::string caFile;
  std::string proxy;
  bool insecure = false;
  bool directTls = false;
  bool allowPlaintext = false;
  bool debug = false;
  double connectTimeout = 30;
};

void addAccountOptions(CLI::App* app, AccountFlags& flags) {
  app->add_option("--config", flags.configFile,
                  "configuration file (default ~/.config/telex/config.toml)");
  app->add_option("--jid", flags.jid, "account to sign in with, user@domain (env TELEX_JID)");
  app->add_option(
      "--server", flags.server,
      "host[:port] to connect to when it differs from the JID's domain (env TELEX_SERVER)");
  app->add_option("--resource", flags.resource,
                  "resource to bind (the machine's name in a full JID)");
  app->add_option(
      "--password-file", flags.passwordFile,
      "read the password from this file's first line (env TELEX_PASSWORD; else a prompt)");
  app->add_option("--ca-file", flags.caFile,
                  "trust this PEM certificate (e.g. a self-signed server's)");
  app->add_flag("--insecure", flags.insecure,
                "do not verify the server's certificate (test servers only)");
  app->add_flag("--direct-tls", flags.directTls, "TLS from the first byte (XEP-0368, port 5223)");
  app->add_option(
      "--proxy", flags.proxy,
      "connect through a proxy: socks5://[user:pass@]host[:port], socks4://, socks4a://");
  app->add_flag(
      "--allow-plaintext", flags.allowPlaintext,
      "allow an unencrypted connection when the server offers no TLS (test servers only)");
  app->add_option("--connect-timeout", flags.connectTimeout, "seconds to sign in before giving up")
      ->check(CLI::Range(1.0, 3600.0));
  app->add_flag("--debug", flags.debug, "print the XML exchanged with the server to stderr");
}

std::string expandHome(const std::string& path) {
  if (path.starts_with("~/")) {
    const char* home = std::getenv("HOME");
    if (home != nullptr) return std::string(home) + path.substr(1);
  }
  return path;
}

telex::Expected<std::string, std::string> readPasswordFile(const std::string& path) {
  std::ifstream in(expandHome(path));
  if (!in) return telex::unexpected("cannot read password file " + path);
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return telex::unexpected("password file " + path + " is empty");
  return line;
}

// Prompts on the controlling terminal (not stdin, which may carry the message text).
telex::Expected<std::string, std::string> promptPassword(const std::string& jid) {
  const int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    return telex::unexpected(
        std::string("no password: set TELEX_PASSWORD, use --password-file, or "
                    "account.password_file in the config"));
  }
  const std::string prompt = "Password for " + jid + ": ";
  [[maybe_unused]] auto w = ::write(fd, prompt.data(), prompt.size());
  termios old{};
  const bool isTerminal = tcgetattr(fd, &old) == 0;
  if (isTerminal) {
    termios quiet = old;
    quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
    tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  std::string password;
  char c = 0;
  while (::read(fd, &c, 1) == 1 && c != '\n') password.push_back(c);
  if (isTerminal) tcsetattr(fd, TCSAFLUSH, &old);
  [[maybe_unused]] auto nl = ::write(fd, "\n", 1);
  ::close(fd);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) return telex::unexpected(std::string("no password given"));
  return password;
}

std::string envOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && value[0] != '\0' ? std::string(value) : fallback;
}

// Combines flags > environment > config file into client options. `defaultResource` applies
// when neither flag nor config names one.
telex::Expected<ClientOptions, std::string> accountOptions(const AccountFlags& flags,
                                                           const std::string& defaultResource,
                                                           Settings& settingsOut) {
  const std::filesystem::path configPath =
      flags.configFile.empty() ? defaultSettingsPath() : std::filesystem::path(flags.configFile);
  if (!flags.configFile.empty() && !std::filesystem::exists(configPath)) {
    return telex::unexpected("config file " + flags.configFile + " does not exist");
  }
  auto settings = loadSettings(configPath);
  if (!settings) return telex::unexpected(settings.error());
  settingsOut = *settings;
  const AccountSettings& account = settings->account;

  ClientOptions options;
  const std::string jidText = !flags.jid.empty() ? flags.jid : envOr("TELEX_JID", account.jid);
  if (jidText.empty()) {
    return telex::unexpected("no account: use --jid, set TELEX_JID, or account.jid in " +
                             configPath.string());
  }
  auto jid = Jid::parse(jidText);
  if (!jid || !jid->hasLocal()) {
    return telex::unexpected("\"" + jidText + "\" is not a valid account JID (user@domain)");
  }
  std::string resource = !flags.resource.empty()     ? flags.resource
                         : jid->hasResource()        ? jid->resource()
                         : !account.resource.empty() ? account.resource
                                                     : defaultResource;
  if (!resource.empty()) {
    auto withResource = jid->withResource(resource);
    if (!withResource) return telex::unexpected("\"" + resource + "\" is not a valid resource");
    jid = withResource;
  } else {
    jid = jid->bare();
  }
  options.jid = *jid;

  const std::string server =
      !flags.server.empty() ? flags.server : envOr("TELEX_SERVER", account.server);
  if (!server.empty()) {
    auto hostPort = parseHostPort(server);
    if (!hostPort) return telex::unexpected("server: " + hostPort.error());
    options.host = hostPort->first;
    options.port = hostPort->second;
  }

  options.tls = (flags.directTls || account.directTls) ? TlsMode::DirectTls : TlsMode::StartTls;
  if (flags.allowPlaintext) {
    if (options.tls == TlsMode::DirectTls) {
      return telex::unexpected(
          std::string("--allow-plaintext and --direct-tls exclude each other"));
    }
    options.tls = TlsMode::InsecurePlaintextAllowed;
    warn("--allow-plaintext: the password and messages may cross the network unencrypted");
  }
  options.caFile = !flags.caFile.empty() ? expandHome(flags.caFile) : expandHome(account.caFile);
  options.insecureSkipVerify = flags.insecure || account.insecure;
  if (options.insecureSkipVerify) {
    warn(
        "certificate verification is off (--insecure): anyone on the path can read and change this "
        "session");
  }

  if (!flags.proxy.empty()) {
    auto proxy = parseProxyUrl(flags.proxy);
    if (!proxy) return telex::unexpected("--proxy: " + proxy.error());
    options.proxy = *proxy;
  } else {
    options.proxy = settings->proxy.toProxyConfig();
  }

  // Password: file flag > environment > config's file > prompt on the terminal.
  if (!flags.passwordFile.empty()) {
    auto pw = readPasswordFile(flags.passwordFile);
    if (!pw) return telex::unexpected(pw.error());
    options.password = *pw;
  } else if (const char* env = std::getenv("TELEX_PASSWORD"); env != nullptr && env[0] != '\0') {
    options.password = env;
  } else if (!account.passwordFile.empty()) {
    auto pw = readPasswordFile(account.passwordFile);
    if (!pw) return telex::unexpected(pw.error());
    options.password = *pw;
  } else {
    auto pw = promptPassword(options.jid.bareString());
    if (!pw) return telex::unexpected(pw.error());
    options.password = *pw;
  }
  options.connectTimeout =
      std::chrono::milliseconds(static_cast<long>(flags.connectTimeout * 1000));
  return options;
}

// One line for a failed sign-in or connection, with a hint where the user can act.
std::string describeFailure(const DisconnectInfo& info) {
  std::string line = info.describe();
  if (info.reason == DisconnectReason::CertificateRejected) {
    line +=
        " (use --ca-file FILE to trust the server's certificate, or --insecure for a test server)";
  }
  return line;
}

void installTrace(Client& client) {
  client.onTrace([](bool incoming, std::string_view xml) {
    std::fprintf(stderr, "%s %.*s\n", incoming ? "<<" : ">>", static_cast<int>(xml.size()),
                 xml.data());
  });
}

// ---- send ---------------------------------------------------------------------------------------

// XML 1.0 cannot carry C0 controls other than tab, LF and CR, even escaped.
bool hasForbiddenControl(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return true;
  }
  return false;
}

// A recipient is an address with a user part; anything else at the end is the text.
bool looksLikeRecipient(const std::string& arg) {
  if (arg.find_first_of(" \t\r\n") != std::string::npos) return false;
  auto jid = Jid::parse(arg);
  return jid && jid->hasLocal();
}

struct SendFlags {
  std::vector<std::string> positionals;
  std::string message;
  std::string type = "chat";
  std::string subject;
  std::vector<std::string> rooms;
  std::string nick;          // in the rooms; default: the account's local part
  std::string roomPassword;  // for password-protected rooms
  bool headline = false;
  bool waitReceipt = false;
  double timeout = 30;
};

int runSend(const AccountFlags& accountFlags, const SendFlags& flags) {
  // Recipients and text first: usage errors should not cost a password prompt.
  std::vector<std::string> recipientArgs = flags.positionals;
  std::optional<std::string> text;
  if (!flags.message.empty()) text = flags.message;
  if (!text && !recipientArgs.empty() && !looksLikeRecipient(recipientArgs.back())) {
    text = recipientArgs.back();
    recipientArgs.pop_back();
  }
  std::vector<Jid> rooms;
  for (const auto& arg : flags.rooms) {
    auto jid = Jid::parse(arg);
    if (!jid || !jid->hasLocal() || !jid->isBare()) {
      return fail(kExitUsage, "\"" + arg + "\" is not a valid room (room@conference.example.org)");
    }
    rooms.push_back(*jid);
  }
  if (recipientArgs.empty() && rooms.empty()) {
    return fail(kExitUsage, "no recipient (usage: telex send RECIPIENT... [TEXT])");
  }
  std::vector<Jid> recipients;
  for (const auto& arg : recipientArgs) {
    auto jid = Jid::parse(arg);
    if (!jid || !jid->hasLocal()) {
      return fail(kExitUsage,
                  "\"" + arg + "\" is not a valid recipient (user@domain or user@domain/resource)");
    }
    recipients.push_back(*jid);
  }
  MessageType type = MessageType::Chat;
  if (flags.headline) {
    type = MessageType::Headline;
  } else {
    auto parsed = messageTypeFromName(flags.type);
    if (!parsed || *parsed == MessageType::Error || *parsed == MessageType::Groupchat) {
      return fail(kExitUsage, "--type must be chat, normal or headline");
    }
    type = *parsed;
  }
  if (!text) {
    if (isatty(STDIN_FILENO)) std::fprintf(stderr, "telex: type the message, then Ctrl-D\n");
    std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    while (!input.empty() && (input.back() == '\n' || input.back() == '\r')) input.pop_back();
    text = std::move(input);
  }
  if (text->empty() && flags.subject.empty()) {
    return fail(kExitUsage, "nothing to send: the text is empty");
  }
  if (text->size() > kMaxTextBytes) {
    return fail(kExitUsage, "the text is too long (at most 200 KiB)");
  }
  if (!telex::util::isValidUtf8(*text) || !telex::util::isValidUtf8(flags.subject)) {
    return fail(kExitUsage, "the text is not valid UTF-8");
  }
  if (hasForbiddenControl(*text) || hasForbiddenControl(flags.subject)) {
    return fail(kExitUsage, "the text contains control characters XMPP cannot carry");
  }

  Settings settings;
  auto options = accountOptions(accountFlags, {}, settings);
  if (!options) return fail(kExitUsage, options.error());
  const std::string nick = !flags.nick.empty() ? flags.nick : options->jid.local();
  if (!rooms.empty() && !rooms.front().withResource(nick)) {
    return fail(kExitUsage, "\"" + nick + "\" is not a valid nickname");
  }

  asio::io_context io;
  Client client(io, *options);
  if (accountFlags.debug) installTrace(client);

  struct Outcome {
    std::string recipient;
    bool done = false;
    std::string failure;  // empty when accepted (or, with --wait-receipt, acknowledged)
  };
  std::vector<Outcome> outcomes;            // in the order of the command line
  std::map<std::string, std::size_t> byId;  // message id → outcome
  int exitCode = 0;
  bool closing = false;
  asio::steady_timer timer(io);  // the bounce window, or the wait for receipts
  std::ostringstream timeoutText;
  timeoutText << flags.timeout;

  const auto allDone = [&] {
    return std::all_of(outcomes.begin(), outcomes.end(), [](const Outcome& o) { return o.done; });
  };
  const auto finish = [&] {
    if (closing) return;
    closing = true;
    timer.cancel();
    client.disconnect();  // bounces that still arrive during the closing handshake count too
  };
  const auto outcomeOf = [&](const std::string& id) -> Outcome* {
    auto it = byId.find(id);
    return it == byId.end() ? nullptr : &outcomes[it->second];
  };

  // Rooms: join, send, and count the message delivered when the room echoes it back to us
  // (every occupant got it then); leave before signing off.
  std::size_t roomsPending = rooms.size();
  bool pingAnswered = false;
  std::set<std::size_t> roomOutcomes;
  std::optional<std::string> roomPassword;
  if (!flags.roomPassword.empty()) roomPassword = flags.roomPassword;
  const auto roomDone = [&](std::size_t index, std::string failure) {
    Outcome& o = outcomes[index];
    if (o.done) return;
    o.done = true;
    o.failure = std::move(failure);
    if (auto room = Jid::parse(o.recipient)) client.leaveRoom(*room);
    --roomsPending;
    // Plain recipients' bounces have arrived once the server answered our ping.
    if (roomsPending == 0 && pingAnswered && (!flags.waitReceipt || allDone())) finish();
  };
  client.onRoomMessage([&](const RoomMessage& m) {
    if (!m.fromSelf) return;
    if (Outcome* o = outcomeOf(m.id); o != nullptr && !o->done) roomDone(byId[m.id], {});
  });
  const auto joinRooms = [&] {
    for (const auto& room : rooms) {
      const std::size_t index = outcomes.size();
      outcomes.push_back(Outcome{room.full(), false, {}});
      roomOutcomes.insert(index);
      client.joinRoom(room, nick, roomPassword,
                      [&, index, room](telex::Expected<bool, StanzaErrorInfo> joined) {
                        if (outcomes[index].done) return;
                        if (!joined) {
                          roomDone(index, "cannot join " + room.full() + ": " +
                                              joined.error().describe());
                          return;
                        }
                        Message m;
                        m.to = room;
                        m.type = MessageType::Groupchat;
                        m.body = *text;
                        m.subject = flags.subject;
                        byId[client.sendMessage(std::move(m))] = index;
                      });
    }
  };

  client.onConnected([&](const Jid&) {
    joinRooms();
    for (const auto& to : recipients) {
      Message m;
      m.to = to;
      m.type = type;
      m.body = *text;
      m.subject = flags.subject;
      m.requestReceipt = flags.waitReceipt;
      byId[client.sendMessage(std::move(m))] = outcomes.size();
      outcomes.push_back(Outcome{to.full(), false, {}});
    }
    // A server handles a session's stanzas in order, so once it has answered this ping it has
    // routed the messages above; bounces that need a storage look-up (an unknown user) may
    // trail the answer slightly, hence a short window before signing off.
    auto server = Jid::parse(options->jid.domain());
    client.ping(*server, [&](auto) {
      if (closing) return;
      pingAnswered = true;
      if (allDone() || (!rooms.empty() && roomsPending == 0 && !flags.waitReceipt)) {
        finish();
        return;
      }
      timer.expires_after(flags.waitReceipt || roomsPending > 0
                              ? std::chrono::milliseconds(static_cast<long>(flags.timeout * 1000))
                              : kBounceWindow);
      timer.async_wait([&](const boost::system::error_code& ec) {
        if (ec) return;
        for (std::size_t i : roomOutcomes) {
          if (outcomes[i].done) continue;
          roomDone(i, "no confirmation from room " + outcomes[i].recipient + " within " +
                          timeoutText.str() + " s");
        }
        if (closing) return;
        if (flags.waitReceipt) {
          for (auto& o : outcomes) {
            if (o.done) continue;
            o.done = true;
            o.failure = "no delivery receipt from " + o.recipient + " within " + timeoutText.str() +
                        " s (offline, or its client does not send receipts)";
          }
        }
        finish();
      });
    });
  });
  client.onMessage([&](const Message& m) {
    if (m.type != MessageType::Error) return;
    Outcome* o = outcomeOf(m.id);
    if (o == nullptr || o->done) return;
    if (roomOutcomes.count(byId[m.id]) != 0) {
      roomDone(byId[m.id], "delivery to room " + o->recipient + " failed: " +
                               (m.error ? m.error->describe() : std::string("error")));
      return;
    }
    o->done = true;
    o->failure = "delivery to " + o->recipient +
                 " failed: " + (m.error ? m.error->describe() : std::string("error"));
    if (allDone()) finish();
  });
  client.onReceipt([&](const Jid& from, const std::string& id) {
    Outcome* o = outcomeOf(id);
    if (o == nullptr || o->done || !flags.waitReceipt) return;
    // A receipt for a bare-JID message comes from one of the user's resources.
    auto expected = Jid::parse(o->recipient);
    if (!expected || (expected->isBare() ? from.bare() != *expected : from != *expected)) return;
    o->done = true;
    if (allDone()) finish();
  });
  client.onDisconnected([&](const DisconnectInfo& info) {
    timer.cancel();
    if (info.reason != DisconnectReason::Requested && !closing) {
      closing = true;
      exitCode = info.wasConnected ? kExitDeliveryFailed : kExitConnection;
      fail(exitCode, describeFailure(info));
      return;
    }
    for (const auto& o : outcomes) {
      if (o.failure.empty()) continue;
      exitCode = kExitDeliveryFailed;
      fail(exitCode, o.failure);
    }
  });
  client.connect();
  io.run();
  return exitCode;
}

// ---- upload -------------------------------------------------------------------------------------

struct UploadFlags {
  std::string file;
  std::vector<std::string> to;  // send the link to these (users, or rooms with --room)
  std::vector<std::string> rooms;
  std::string nick;
  double timeout = 120;
};

// Uploads FILE (XEP-0363), prints the URL to GET it, optionally sends the link.
int runUpload(const AccountFlags& accountFlags, const UploadFlags& flags) {
  const std::filesystem::path file = expandHome(flags.file);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return fail(kExitUsage, flags.file + " is not a readable file");
  }
  std::vector<Jid> recipients, rooms;
  for (const auto& arg : flags.to) {
    auto jid = Jid::parse(arg);
    if (!jid || !jid->hasLocal()) return fail(kExitUsage, "\"" + arg + "\" is not a valid recipient");
    recipients.push_back(*jid);
  }
  for (const auto& arg : flags.rooms) {
    auto jid = Jid::parse(arg);
    if (!jid || !jid->hasLocal() || !jid->isBare()) {
      return fail(kExitUsage, "\"" + arg + "\" is not a valid room");
    }
    rooms.push_back(*jid);
  }
  Settings settings;
  auto options = accountOptions(accountFlags, {}, settings);
  if (!options) return fail(kExitUsage, options.error());
  options->uploadTimeout = std::chrono::milliseconds(static_cast<long>(flags.timeout * 1000));
  const std::string nick = !flags.nick.empty() ? flags.nick : options->jid.local();

  asio::io_context io;
  Client client(io, *options);
  if (accountFlags.debug) installTrace(client);
  int exitCode = 0;
  bool closing = false;
  const auto finish = [&](int code, const std::string& error) {
    if (closing) return;
    closing = true;
    if (code != 0) {
      exitCode = code;
      fail(code, error);
    }
    client.disconnect();
  };
  std::size_t roomsLeft = rooms.size();
  std::string url;
  // After the last link went out, the server's answer to a ping proves it routed them all.
  const auto sentAll = [&] {
    for (const auto& room : rooms) client.leaveRoom(room);
    client.ping(*Jid::parse(options->jid.domain()), [&](auto) { finish(0, {}); });
  };
  const auto sendLink = [&](const Jid& to, MessageType type) {
    Message m;
    m.to = to;
    m.type = type;
    m.body = url;
    telex::xml::Element oob{"x", std::string(kNsOob)};
    oob.addChild(telex::xml::Element{"url", std::string(kNsOob)}).addText(url);
    m.extensions.push_back(std::move(oob));
    client.sendMessage(std::move(m));
  };
  client.onConnected([&](const Jid&) {
    client.uploadFile(file, [&](telex::Expected<std::string, std::string> result) {
      if (!result) {
        finish(kExitDeliveryFailed, "upload failed: " + result.error());
        return;
      }
      url = *result;
      std::printf("%s\n", url.c_str());
      std::fflush(stdout);
      for (const auto& to : recipients) sendLink(to, MessageType::Chat);
      if (rooms.empty()) {
        sentAll();
        return;
      }
      for (const auto& room : rooms) {
        client.joinRoom(room, nick, std::nullopt,
                        [&, room](telex::Expected<bool, StanzaErrorInfo> joined) {
                          if (!joined) {
                            finish(kExitDeliveryFailed, "cannot join " + room.full() + ": " +
                                                            joined.error().describe());
                            return;
                          }
                          sendLink(room, MessageType::Groupchat);
                          if (--roomsLeft == 0) sentAll();
                        });
      }
    });
  });
  client.onMessage([&](const Message& m) {
    if (m.type != MessageType::Error || url.empty()) return;
    finish(kExitDeliveryFailed,
           "sending the link to " + (m.from ? m.from->full() : std::string("?")) + " failed: " +
               (m.error ? m.error->describe() : std::string("error")));
  });
  client.onDisconnected([&](const DisconnectInfo& info) {
    if (info.reason != DisconnectReason::Requested && !closing) {
      closing = true;
      exitCode = info.wasConnected ? kExitDeliveryFailed : kExitConnection;
      fail(exitCode, describeFailure(info));
    }
  });
  client.connect();
  io.run();
  return exitCode;
}

// ---- watch --------------------------------------------------------------------------------------

std::string formatTime(std::time_t t) {
  std::tm local{};
  localtime_r(&t, &local);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &local);
  return buf;
}

// XEP-0082 "2024-05-01T12:00:00Z" / "...+02:00" / fractional seconds → time_t.
std::optional<std::time_t> parseStamp(const std::string& stamp) {
  std::tm tm{};
  const char* rest = strptime(stamp.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return std::nullopt;
  if (*rest == '.') {
    ++rest;
    while (*rest >= '0' && *rest <= '9') ++rest;
  }
  long offset = 0;
  if (*rest == '+' || *rest == '-') {
    int hh = 0, mm = 0;
    if (std::sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2) return std::nullopt;
    offset = (hh * 3600L + mm * 60L) * (*rest == '-' ? -1 : 1);
  } else if (*rest != 'Z') {
    return std::nullopt;
  }
  return timegm(&tm) - offset;
}

std::string formatMessageLine(const Message& m) {
  std::time_t when = std::time(nullptr);
  bool delayed = false;
  if (m.delayStamp) {
    if (auto t = parseStamp(*m.delayStamp)) {
      when = *t;
      delayed = true;
    }
  }
  std::string line = "[" + formatTime(when) + "]";
  if (delayed) line += " (delayed)";
  if (m.type == MessageType::Headline) line += " ALERT";
  line += " " + (m.from ? m.from->full() : std::string("(server)")) + ": ";
  if (!m.subject.empty()) line += oneLine(m.subject) + (m.body.empty() ? "" : " — ");
  line += oneLine(m.body);
  return line;
}

std::string hostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return {};
  std::string name(buf);
  if (auto dot = name.find('.'); dot != std::string::npos) name.resize(dot);
  return name;
}

struct WatchFlags {
  bool daemon = false;
  int priority = 0;
  std::string status;
  double keepalive = 60;
};

bool daemonize() {
  const pid_t pid = fork();
  if (pid < 0) return false;
  if (pid > 0) {
    std::fprintf(stderr, "telex: watching in the background (pid %d)\n", static_cast<int>(pid));
    std::fflush(stderr);
    _exit(0);
  }
  setsid();
  if (chdir("/") != 0) return false;
  const int null = ::open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, STDIN_FILENO);
    if (null > STDERR_FILENO) ::close(null);
  }
  return true;
}

int runWatch(const AccountFlags& accountFlags, const WatchFlags& flags) {
  Settings settings;
  auto options = accountOptions(accountFlags, hostName(), settings);
  if (!options) return fail(kExitUsage, options.error());
  options->reconnect = true;
  options->pingInterval = std::chrono::milliseconds(static_cast<long>(flags.keepalive * 1000));
  if (flags.daemon && !settings.client.runInBackground) {
    return fail(kExitUsage, "running in the background is turned off (client.run_in_background = false)");
  }
  if (flags.daemon && !daemonize()) return fail(kExitUsage, "cannot run in the background");

  asio::io_context io;
  Client client(io, *options);
  if (accountFlags.debug) installTrace(client);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  int exitCode = 0;
  bool stopping = false;

  client.onConnected([&](const Jid& bound) {
    Presence presence;
    presence.priority = static_cast<std::int8_t>(flags.priority);
    presence.status = flags.status;
    client.sendPresence(presence);
    std::fprintf(stderr, "telex: watching as %s\n", bound.full().c_str());
    std::fflush(stderr);
  });
  client.onResumed([&](const Jid& bound) {
    // XEP-0198: the same session goes on; what was missed in between is delivered now.
    std::fprintf(stderr, "telex: session resumed as %s\n", bound.full().c_str());
    std::fflush(stderr);
  });
  client.onMessage([&](const Message& m) {
    if (m.type == MessageType::Error) {
      std::fprintf(stderr, "[%s] error from %s: %s\n", formatTime(std::time(nullptr)).c_str(),
                   m.from ? m.from->full().c_str() : "(server)",
                   oneLine(m.error ? m.error->describe() : std::string("error")).c_str());
      return;
    }
    if (!m.hasContent()) return;  // receipts, chat states
    std::fprintf(stdout, "%s\n", formatMessageLine(m).c_str());
    std::fflush(stdout);
  });
  client.onDisconnected([&](const DisconnectInfo& info) {
    if (info.reason == DisconnectReason::Requested) {
      signals.cancel();
      return;
    }
    if (info.willReconnect) {
      std::fprintf(stderr, "telex: %s; reconnecting in %.1f s\n",
                   oneLine(describeFailure(info)).c_str(),
                   static_cast<double>(info.reconnectDelay.count()) / 1000.0);
      std::fflush(stderr);
      return;
    }
    exitCode = kExitConnection;
    fail(exitCode, describeFailure(info));
    signals.cancel();
  });
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec || stopping) return;
    stopping = true;
    client.disconnect();
  });
  client.connect();
  io.run();
  return exitCode;
}

// `telex chat`: the account is resolved here like for the other commands (server-assigned
// resource by default); the rest lives in apps/telex/chat/.
int runChatCommand(const AccountFlags& accountFlags, const telex::chat::ChatFlags& flags) {
  if (!telex::chat::checkTerminal()) return kExitUsage;
  Settings settings;
  auto options = accountOptions(accountFlags, "", settings);
  if (!options) return fail(kExitUsage, options.error());
  return telex::chat::runChat(*options, settings, flags, accountFlags.debug);
}

// `telex autostart`: makes the session start `telex watch`, or not, as client.run_at_startup says.
int runAutostart(const std::string& file, const char* argv0) {
  const std::filesystem::path path = file.empty() ? defaultSettingsPath() : std::filesystem::path(file);
  Settings settings;
  if (std::filesystem::exists(path)) {
    auto loaded = loadSettings(path);
    if (!loaded) return fail(kExitUsage, loaded.error());
    settings = *loaded;
  }
  auto where = telex::autostart::paths();
  if (!where) return fail(kExitUsage, where.error());
  std::error_code ec;
  auto self = std::filesystem::canonical("/proc/self/exe", ec);
  if (ec) self = std::filesystem::absolute(argv0);
  auto done = telex::autostart::apply(settings.client.runAtStartup, *where, self,
                                      file.empty() ? std::filesystem::path() : std::filesystem::absolute(path));
  if (!done) return fail(kExitUsage, done.error());
  std::fputs(done->c_str(), stdout);
  return 0;
}

int runConfig(const std::string& action, const std::string& file) {
  if (action == "example") {
    std::fputs(exampleSettings().c_str(), stdout);
    return 0;
  }
  const std::filesystem::path path =
      file.empty() ? defaultSettingsPath() : std::filesystem::path(file);
  if (action == "path") {
    std::printf("%s\n", path.string().c_str());
    return 0;
  }
  auto settings = loadSettings(path);
  if (!settings) return fail(kExitUsage, settings.error());
  std::printf("%s: ok\n", path.string().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"telex — the Telex client: send alerts and messages, receive them on this machine"};
  app.set_version_flag("--version", std::string("telex ") + TELEX_VERSION);
  app.require_subcommand(1);

  AccountFlags sendAccount, watchAccount;
  SendFlags sendFlags;
  auto* send = app.add_subcommand(
      "send", "send a message or alert to users or machines (the NET SEND of Telex)");
  send->add_option(
      "args", sendFlags.positionals,
      "RECIPIENT... [TEXT]: user@domain (a user) or user@domain/resource (one machine); "
      "the text comes from stdin when not given");
  send->add_option("-m,--message", sendFlags.message,
                   "the text (instead of the last argument or stdin)");
  send->add_option("--type", sendFlags.type, "message type: chat, normal or headline")
      ->check(CLI::IsMember({"chat", "normal", "headline"}));
  send->add_flag("--headline", sendFlags.headline,
                 "send a headline alert (same as --type headline)");
  send->add_option("--subject", sendFlags.subject, "a subject line");
  send->add_flag("--wait-receipt", sendFlags.waitReceipt,
                 "wait for a delivery receipt (XEP-0184) from every recipient");
  send->add_option("--timeout", sendFlags.timeout, "seconds to wait for receipts")
      ->check(CLI::Range(0.1, 86400.0));
  send->add_option("--room", sendFlags.rooms,
                   "send to a group conversation (XEP-0045): joins, sends, leaves; repeatable")
      ->allow_extra_args(false);
  send->add_option("--nick", sendFlags.nick, "nickname in the rooms (default: the account's user)");
  send->add_option("--room-password", sendFlags.roomPassword, "password of the rooms");
  addAccountOptions(send, sendAccount);

  AccountFlags uploadAccount;
  UploadFlags uploadFlags;
  auto* upload = app.add_subcommand(
      "upload", "upload a file to the server (HTTP File Upload) and print its URL");
  upload->add_option("file", uploadFlags.file, "the file to upload")->required();
  upload->add_option("--to", uploadFlags.to, "also send the link to this user (repeatable)");
  upload->add_option("--room", uploadFlags.rooms,
                     "also send the link to this group conversation (repeatable)");
  upload->add_option("--nick", uploadFlags.nick, "nickname in the rooms (default: your user)");
  upload->add_option("--timeout", uploadFlags.timeout, "seconds the HTTP upload may take")
      ->check(CLI::Range(1.0, 86400.0));
  addAccountOptions(upload, uploadAccount);

  WatchFlags watchFlags;
  auto* watch =
      app.add_subcommand("watch", "stay signed in and print incoming messages and alerts");
  watch->add_flag("--daemon", watchFlags.daemon,
                  "run in the background (redirect stdout to keep the output)");
  watch->add_option("--priority", watchFlags.priority, "presence priority")
      ->check(CLI::Range(-128, 127));
  watch->add_option("--status", watchFlags.status, "presence status text");
  watch->add_option("--keepalive", watchFlags.keepalive, "seconds between keepalive pings")
      ->check(CLI::Range(1.0, 3600.0));
  addAccountOptions(watch, watchAccount);

  AccountFlags chatAccount;
  telex::chat::ChatFlags chatFlags;
  auto* chat = app.add_subcommand("chat", "the full-screen Messenger: contacts, conversations, rooms");
  chat->add_option("--log", chatFlags.logFile,
                   "append events (with --debug also the XML) to this file");
  chat->add_option("--keepalive", chatFlags.keepalive, "seconds between keepalive pings")
      ->check(CLI::Range(1.0, 3600.0));
  addAccountOptions(chat, chatAccount);

  std::string configAction = "check", configFile;
  auto* config =
      app.add_subcommand("config", "show the configuration file's path, an example, or check it");
  config->add_option("action", configAction, "path, example or check")
      ->check(CLI::IsMember({"path", "example", "check"}));
  config->add_option("--config", configFile, "configuration file");

  std::string autostartConfig;
  auto* autostart = app.add_subcommand(
      "autostart", "start `telex watch` with the session, or stop doing so, as client.run_at_startup says");
  autostart->add_option("--config", autostartConfig, "configuration file");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  // A vanished receiver must not kill us with SIGPIPE; write errors are handled instead.
  std::signal(SIGPIPE, SIG_IGN);

  if (*send) return runSend(sendAccount, sendFlags);
  if (*upload) return runUpload(uploadAccount, uploadFlags);
  if (*watch) return runWatch(watchAccount, watchFlags);
  if (*chat) return runChatCommand(chatAccount, chatFlags);
  if (*config) return runConfig(configAction, configFile);
  if (*autostart) return runAutostart(autostartConfig, argv[0]);
  return kExitUsage;
}
