// Registration of the version module (see version.cpp).
#pragma once

#include "modules/module.hpp"

namespace telex::modules::version {
void setup(ModuleContext& context);
}  // namespace telex::modules::version
