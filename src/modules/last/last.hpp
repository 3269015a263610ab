// Registration of the last module (see last.cpp).
#pragma once

#include "modules/module.hpp"

namespace telex::modules::last {
void setup(ModuleContext& context);
}  // namespace telex::modules::last
