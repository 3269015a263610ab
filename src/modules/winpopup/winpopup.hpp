// Registration of the WinPopup module: when winpopup.enabled is on, winpopup.<domain> is the
// address WinPopup messages come from, and answers anything sent to it with an error (the
// protocol is one-way). The listener itself is the Gateway, which the server opens.
#pragma once

#include "modules/module.hpp"

namespace telex::modules::winpopup {
void setup(ModuleContext& context);
}  // namespace telex::modules::winpopup
