// Registration of the time module (see time.cpp).
#pragma once

#include <chrono>
#include <string>

#include "modules/module.hpp"

namespace telex::modules::time {
void setup(ModuleContext& context);
// ISO 8601 UTC with milliseconds, as XEP-0082 profiles it.
std::string utcTimestamp(std::chrono::system_clock::time_point when);
}  // namespace telex::modules::time
