// Registration of the ping module (see ping.cpp).
#pragma once

#include "modules/module.hpp"

namespace telex::modules::ping {
void setup(ModuleContext& context);
}  // namespace telex::modules::ping
