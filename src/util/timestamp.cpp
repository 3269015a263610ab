// Formatting of XEP-0082 timestamps.
#include "util/timestamp.hpp"

#include <cstdio>
#include <ctime>

namespace telex::util {

std::string utcTimestamp(std::chrono::system_clock::time_point when) {
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ", static_cast<int>(millis % 1000));
  return buf;
}

}  // namespace telex::util
