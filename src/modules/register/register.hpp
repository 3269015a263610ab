// Registration of the register module: in-band password change and account removal for
// signed-in users (XEP-0077 §3.2, §3.3). Registration itself happens before sign-in, in stream/.
#pragma once

#include "modules/module.hpp"

namespace telex::modules::reg {
void setup(ModuleContext& context);
}  // namespace telex::modules::reg
