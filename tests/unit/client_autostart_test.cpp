// `telex autostart`: the files that start `telex watch` with the session, and their removal.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "apps/telex/autostart.hpp"

namespace telex::autostart {
namespace {

std::string read(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Autostart, CommandLinesQuoteOddPaths) {
  auto entry = desktopEntry("/opt/my telex/telex", "/home/a \"b\"/$x.toml");
  EXPECT_NE(entry.find("Exec=\"/opt/my telex/telex\" watch --config \"/home/a \\\"b\\\"/\\$x.toml\"\n"),
            std::string::npos)
      << entry;
  auto unit = userUnit("/usr/bin/telex", "");
  EXPECT_NE(unit.find("ExecStart=\"/usr/bin/telex\" watch\n"), std::string::npos) << unit;
  EXPECT_NE(unit.find("WantedBy=default.target"), std::string::npos);
}

TEST(Autostart, EnableWritesBothFilesAndDisableRemovesThem) {
  auto dir = std::filesystem::temp_directory_path() / ("telex-autostart-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  Paths where{dir / "autostart" / "telex-watch.desktop", dir / "systemd" / "user" / "telex-watch.service"};

  auto on = apply(true, where, "/usr/bin/telex", "");
  ASSERT_TRUE(on) << on.error();
  EXPECT_NE(read(where.desktopEntry).find("Exec=\"/usr/bin/telex\" watch"), std::string::npos);
  EXPECT_NE(read(where.userUnit).find("ExecStart=\"/usr/bin/telex\" watch"), std::string::npos);

  auto off = apply(false, where, "/usr/bin/telex", "");
  ASSERT_TRUE(off) << off.error();
  EXPECT_FALSE(std::filesystem::exists(where.desktopEntry));
  EXPECT_FALSE(std::filesystem::exists(where.userUnit));
  auto again = apply(false, where, "/usr/bin/telex", "");
  ASSERT_TRUE(again);
  EXPECT_NE(again->find("nothing to remove"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace telex::autostart
