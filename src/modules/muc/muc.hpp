// Registration of the muc module: XEP-0045 Multi-User Chat on conference.<domain>, with XEP-0249
// and mediated invitations, XEP-0410 self-ping and XEP-0313 archives on rooms.
#pragma once

#include "modules/module.hpp"

namespace telex::modules::muc {
void setup(ModuleContext& context);
}  // namespace telex::modules::muc
