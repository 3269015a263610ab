// Unit tests for the `telex` configuration file: defaults, every key, and errors naming the line.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "client/settings.hpp"

namespace telex::client {
namespace {

TEST(Settings, DefaultsAreTheSeeds) {
  auto s = parseSettings("", "config.toml");
  ASSERT_TRUE(s) << s.error();
  EXPECT_TRUE(s->client.runAtStartup);
  EXPECT_TRUE(s->client.runInBackground);
  EXPECT_TRUE(s->client.awayAfterIdle);
  EXPECT_EQ(s->client.awayMinutes, 5);
  EXPECT_TRUE(s->client.alertContactOnline);
  EXPECT_TRUE(s->client.alertMessage);
  EXPECT_TRUE(s->client.sound);
  EXPECT_TRUE(s->client.emoticons);
  EXPECT_FALSE(s->proxy.enabled);
  EXPECT_EQ(s->proxy.type, ProxyType::Socks4);
  EXPECT_EQ(s->proxy.host, "");
  EXPECT_EQ(s->proxy.port, 1080);
  EXPECT_FALSE(s->proxy.toProxyConfig());
  EXPECT_EQ(s->account.jid, "");
  EXPECT_FALSE(s->account.insecure);
}

TEST(Settings, TheExampleParsesToTheDefaults) {
  auto s = parseSettings(exampleSettings(), "example");
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->client.awayMinutes, 5);
  EXPECT_EQ(s->proxy.type, ProxyType::Socks4);
  EXPECT_EQ(s->proxy.port, 1080);
  EXPECT_FALSE(s->proxy.enabled);
  EXPECT_EQ(s->account.jid, "alice@example.org");
}

TEST(Settings, EveryKey) {
  auto s = parseSettings(R"(
[account]
jid = "alice@example.org"
server = "xmpp.example.org:5299"
resource = "desk"
password_file = "~/.config/telex/password"
direct_tls = true
ca_file = "/etc/telex/ca.pem"
insecure = true

[client]
run_at_startup = false
run_in_background = false
away_after_idle = false
away_minutes = 15
alert_contact_online = false
alert_message = false
sound = false
emoticons = false

[proxy]
enabled = true
type = "socks5"
host = "proxy.lan"
port = 9050
username = "u"
password = "p"
)",
                         "config.toml");
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->account.jid, "alice@example.org");
  EXPECT_EQ(s->account.server, "xmpp.example.org:5299");
  EXPECT_EQ(s->account.resource, "desk");
  EXPECT_EQ(s->account.passwordFile, "~/.config/telex/password");
  EXPECT_TRUE(s->account.directTls);
  EXPECT_EQ(s->account.caFile, "/etc/telex/ca.pem");
  EXPECT_TRUE(s->account.insecure);
  EXPECT_FALSE(s->client.runAtStartup);
  EXPECT_FALSE(s->client.runInBackground);
  EXPECT_FALSE(s->client.awayAfterIdle);
  EXPECT_EQ(s->client.awayMinutes, 15);
  EXPECT_FALSE(s->client.alertContactOnline);
  EXPECT_FALSE(s->client.alertMessage);
  EXPECT_FALSE(s->client.sound);
  EXPECT_FALSE(s->client.emoticons);
  auto proxy = s->proxy.toProxyConfig();
  ASSERT_TRUE(proxy);
  EXPECT_EQ(proxy->type, ProxyType::Socks5);
  EXPECT_EQ(proxy->host, "proxy.lan");
  EXPECT_EQ(proxy->port, 9050);
  EXPECT_EQ(proxy->username, "u");
  EXPECT_EQ(proxy->password, "p");
}

TEST(Settings, ErrorsNameTheLine) {
  auto unknownKey = parseSettings("[client]\nsound = true\nsond = false\n", "cfg.toml");
  ASSERT_FALSE(unknownKey);
  EXPECT_EQ(unknownKey.error(), "cfg.toml:3: unknown key \"client.sond\"");

  auto unknownSection = parseSettings("\n[chat]\nx = 1\n", "cfg.toml");
  ASSERT_FALSE(unknownSection);
  EXPECT_NE(unknownSection.error().find("cfg.toml:2: unknown section or key \"chat\""),
            std::string::npos)
      << unknownSection.error();

  auto topLevel = parseSettings("sound = true\n", "cfg.toml");
  ASSERT_FALSE(topLevel);
  EXPECT_NE(topLevel.error().find("cfg.toml:1:"), std::string::npos);

  auto wrongType = parseSettings("[client]\n\naway_minutes = \"five\"\n", "cfg.toml");
  ASSERT_FALSE(wrongType);
  EXPECT_EQ(wrongType.error(), "cfg.toml:3: client.away_minutes must be an integer");

  auto range = parseSettings("[client]\naway_minutes = 0\n", "cfg.toml");
  ASSERT_FALSE(range);
  EXPECT_EQ(range.error(), "cfg.toml:2: client.away_minutes must be between 1 and 1440, got 0");

  auto port = parseSettings("[proxy]\nport = 70000\n", "cfg.toml");
  ASSERT_FALSE(port);
  EXPECT_EQ(port.error(), "cfg.toml:2: proxy.port must be between 1 and 65535, got 70000");

  auto type = parseSettings("[proxy]\ntype = \"http\"\n", "cfg.toml");
  ASSERT_FALSE(type);
  EXPECT_EQ(type.error(),
            "cfg.toml:2: proxy.type must be \"socks4\", \"socks4a\" or \"socks5\", got \"http\"");

  auto boolean = parseSettings("[account]\ninsecure = \"yes\"\n", "cfg.toml");
  ASSERT_FALSE(boolean);
  EXPECT_EQ(boolean.error(), "cfg.toml:2: account.insecure must be true or false");

  auto syntax = parseSettings("[client]\nsound = \n", "cfg.toml");
  ASSERT_FALSE(syntax);
  EXPECT_EQ(syntax.error().rfind("cfg.toml:2: ", 0), 0u) << syntax.error();
}

TEST(Settings, ProxyNeedsEnabledAndHost) {
  auto noHost = parseSettings("[proxy]\nenabled = true\n", "c");
  ASSERT_TRUE(noHost);
  EXPECT_FALSE(noHost->proxy.toProxyConfig());
  auto disabled = parseSettings("[proxy]\nhost = \"p\"\n", "c");
  ASSERT_TRUE(disabled);
  EXPECT_FALSE(disabled->proxy.toProxyConfig());
  auto socks4 = parseSettings("[proxy]\nenabled = true\nhost = \"p\"\n", "c");
  ASSERT_TRUE(socks4);
  ASSERT_TRUE(socks4->proxy.toProxyConfig());
  EXPECT_EQ(socks4->proxy.toProxyConfig()->type, ProxyType::Socks4);
  EXPECT_EQ(socks4->proxy.toProxyConfig()->port, 1080);
}

TEST(Settings, FilesAndPaths) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("telex-settings-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "telex");
  const auto file = dir / "telex" / "config.toml";

  auto missing = loadSettings(file);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->client.awayMinutes, 5);

  {
    std::ofstream out(file);
    out << "[client]\naway_minutes = 9\nbogus = 1\n";
  }
  auto bad = loadSettings(file);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), file.string() + ":3: unknown key \"client.bogus\"");
  {
    std::ofstream out(file);
    out << "[client]\naway_minutes = 9\n";
  }
  auto good = loadSettings(file);
  ASSERT_TRUE(good) << good.error();
  EXPECT_EQ(good->client.awayMinutes, 9);

  const char* oldXdg = std::getenv("XDG_CONFIG_HOME");
  const std::string saved = oldXdg ? oldXdg : "";
  ::setenv("XDG_CONFIG_HOME", dir.c_str(), 1);
  EXPECT_EQ(defaultSettingsPath(), file);
  ::setenv("XDG_CONFIG_HOME", "relative/ignored", 1);
  EXPECT_EQ(defaultSettingsPath().filename(), "config.toml");
  EXPECT_NE(defaultSettingsPath().string().find("/.config/telex/"), std::string::npos);
  if (oldXdg) {
    ::setenv("XDG_CONFIG_HOME", saved.c_str(), 1);
  } else {
    ::unsetenv("XDG_CONFIG_HOME");
  }
  std::filesystem::remove_all(dir);
}

TEST(HostPort, Parses) {
  auto a = parseHostPort("xmpp.example.org:5299");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->first, "xmpp.example.org");
  EXPECT_EQ(a->second, 5299);
  auto b = parseHostPort("127.0.0.1");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->second, 0);
  auto c = parseHostPort("[::1]:5222");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->first, "::1");
  EXPECT_EQ(c->second, 5222);
  for (const char* bad : {"", ":5222", "h:0", "h:99999", "h:x", "::1", "[::1", "[::1]x"}) {
    EXPECT_FALSE(parseHostPort(bad)) << bad;
  }
}

}  // namespace
}  // namespace telex::client
