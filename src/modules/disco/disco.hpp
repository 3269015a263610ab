// Registration of the disco module (see disco.cpp).
#pragma once

#include "modules/module.hpp"

namespace telex::modules::disco {
void setup(ModuleContext& context);
}  // namespace telex::modules::disco
