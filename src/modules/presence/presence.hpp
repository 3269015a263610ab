// Registration of the presence module: broadcast to subscribers, probes, directed presence, and
// last activity of offline contacts (RFC 6121 §4, XEP-0012).
#pragma once

#include "modules/module.hpp"

namespace telex::modules::presence {
void setup(ModuleContext& context);
}  // namespace telex::modules::presence
