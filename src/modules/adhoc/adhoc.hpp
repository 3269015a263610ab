// Registration of the ad-hoc commands module (XEP-0050): lists the commands each requester may
// run under the server's "http://jabber.org/protocol/commands" disco node and runs them
// (execute / next / complete / cancel, sessions, XEP-0004 forms). Modules add the commands
// through CommandRegistry::of(context.hooks()).
#pragma once

#include "modules/module.hpp"

namespace telex::modules::adhoc {
void setup(ModuleContext& context);
}  // namespace telex::modules::adhoc
