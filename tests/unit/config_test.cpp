// Configuration: defaults, file loading with line-numbered errors, bounds, --set, generated docs.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "auth/auth_throttle.hpp"
#include "config/config.hpp"
#include "modules/module.hpp"

namespace telex::config {
namespace {

std::filesystem::path writeTemp(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / ("telex-config-test-" + name + ".toml");
  std::ofstream(path) << text;
  return path;
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ConfigTest, ExampleConfigLoadsToDefaults) {
  Config loaded;
  loaded.server.domain = "changed";
  auto path = writeTemp("example", exampleConfig());
  ASSERT_TRUE(loadFile(loaded, path)) << loadFile(loaded, path).error();
  Config defaults;
  EXPECT_EQ(loaded.server.domain, defaults.server.domain);
  EXPECT_EQ(loaded.c2s.port, defaults.c2s.port);
  EXPECT_EQ(loaded.c2s.interfaces, defaults.c2s.interfaces);
}

TEST(ConfigTest, UnknownOptionNamesTheLine) {
  Config c;
  auto path = writeTemp("unknown", "[server]\ndomain = 'a.example'\n\n[c2s]\nportt = 5\n");
  auto r = loadFile(c, path);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find(":5:"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("c2s.portt"), std::string::npos) << r.error();
}

TEST(ConfigTest, OutOfBoundsAndWrongTypesAreRefused) {
  Config c;
  auto r = loadFile(c, writeTemp("bounds", "[c2s]\nport = 70000\n"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("between 1 and 65535"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find(":2:"), std::string::npos) << r.error();
  EXPECT_FALSE(loadFile(c, writeTemp("type", "[c2s]\nport = 'x'\n")));
  EXPECT_FALSE(loadFile(c, writeTemp("choice", "[storage]\ndriver = 'oracle'\n")));
  EXPECT_FALSE(loadFile(c, writeTemp("iterations", "[auth]\nscram_iterations = 4096\n")));
}

TEST(ConfigTest, SyntaxErrorNamesTheLine) {
  Config c;
  auto r = loadFile(c, writeTemp("syntax", "[server]\n\ndomain = \n"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find(":3:"), std::string::npos) << r.error();
}

TEST(ConfigTest, OverridesTakeLiteralsAndBareWords) {
  Config c;
  ASSERT_TRUE(applyOverride(c, "c2s.auth_timeout=2"));
  EXPECT_EQ(c.c2s.authTimeout, 2);
  ASSERT_TRUE(applyOverride(c, "server.domain=chat.example"));
  EXPECT_EQ(c.server.domain, "chat.example");
  ASSERT_TRUE(applyOverride(c, "c2s.require_tls=false"));
  EXPECT_FALSE(c.c2s.requireTls);
  ASSERT_TRUE(applyOverride(c, "c2s.interfaces=[\"127.0.0.1\", \"::1\"]"));
  EXPECT_EQ(c.c2s.interfaces.size(), 2u);
  EXPECT_FALSE(applyOverride(c, "c2s.nope=1"));
  EXPECT_FALSE(applyOverride(c, "c2s.port=0"));
  EXPECT_FALSE(applyOverride(c, "novalue"));
}

TEST(ConfigTest, ValidateCatchesCrossOptionMistakes) {
  Config c;
  EXPECT_TRUE(validate(c));
  c.c2s.tlsPort = c.c2s.port;
  EXPECT_FALSE(validate(c));
}

TEST(GeneratedDocsTest, ExampleConfigAndXepCoverageAreCurrent) {
  std::filesystem::path root = TELEX_SOURCE_DIR;
  EXPECT_EQ(readFile(root / "config" / "telexd.example.toml"), exampleConfig())
      << "regenerate with: telexd config example > config/telexd.example.toml";
  EXPECT_EQ(readFile(root / "docs" / "xep-coverage.md"), modules::xepCoverageMarkdown())
      << "regenerate with: telexd docs xep-coverage > docs/xep-coverage.md";
}

TEST(AuthThrottleTest, DelaysAfterLimitWithinWindowOnly) {
  auth::AuthThrottle throttle(5, std::chrono::seconds(60), std::chrono::seconds(5));
  auto t0 = auth::AuthThrottle::Clock::now();
  for (int i = 0; i < 4; ++i) throttle.recordFailure("192.0.2.1", t0);
  EXPECT_EQ(throttle.delayFor("192.0.2.1", t0).count(), 0);
  throttle.recordFailure("192.0.2.1", t0);
  EXPECT_EQ(throttle.delayFor("192.0.2.1", t0).count(), 5);
  EXPECT_EQ(throttle.delayFor("192.0.2.2", t0).count(), 0);
  EXPECT_EQ(throttle.delayFor("192.0.2.1", t0 + std::chrono::seconds(61)).count(), 0);
}

}  // namespace
}  // namespace telex::config
