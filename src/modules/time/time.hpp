// Registration of the time module (see time.cpp).
#pragma once

#include <chrono>
#include <string>

#include "modules/module.hpp"
#include "util/timestamp.hpp"

namespace telex::modules::time {
void setup(ModuleContext& context);
// ISO 8601 UTC with milliseconds, as XEP-0082 profiles it (kept here for modules' convenience).
inline std::string utcTimestamp(std::chrono::system_clock::time_point when) { return util::utcTimestamp(when); }
}  // namespace telex::modules::time
