// XEP-0215 External Service Discovery: the STUN/TURN servers clients use for calls.
#pragma once

#include "modules/module.hpp"

namespace telex::modules::extdisco {

inline constexpr std::string_view kExtdiscoNs = "urn:xmpp:extdisco:2";

void setup(ModuleContext& context);

}  // namespace telex::modules::extdisco
