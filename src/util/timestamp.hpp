// XEP-0082 date-time strings.
#pragma once

#include <chrono>
#include <string>

namespace telex::util {
// ISO 8601 UTC with milliseconds, e.g. 2026-11-21T07:13:19.335Z.
std::string utcTimestamp(std::chrono::system_clock::time_point when = std::chrono::system_clock::now());
}  // namespace telex::util
