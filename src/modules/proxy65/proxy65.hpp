// XEP-0065 SOCKS5 Bytestreams proxy on proxy.<domain>: streamhost discovery, a SOCKS5 listener that
// pairs the two parties of a stream by its hash, activation by the initiator, relaying.
#pragma once

#include "modules/module.hpp"

namespace telex::modules::proxy65 {

inline constexpr std::string_view kBytestreamsNs = "http://jabber.org/protocol/bytestreams";

void setup(ModuleContext& context);

}  // namespace telex::modules::proxy65
