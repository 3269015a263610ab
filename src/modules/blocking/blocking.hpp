// Registration of the blocking module: XEP-0191 Blocking Command (block lists, their pushes, and
// the effect of blocking on messages, presence and IQs in both directions).
#pragma once

#include "modules/module.hpp"

namespace telex::modules::blocking {
void setup(ModuleContext& context);
}  // namespace telex::modules::blocking
