// Registration of the offline module: messages for users who are not online are stored and
// delivered at their next sign-in (XEP-0160, with XEP-0203 delay stamps).
#pragma once

#include "modules/module.hpp"

namespace telex::modules::offline {
void setup(ModuleContext& context);
// Whether a message is worth keeping for later (not a bare chat state, not a headline).
bool worthStoring(const xml::Element& message);
}  // namespace telex::modules::offline
