// The XML namespaces of a c2s stream's negotiation (RFC 6120 §4-§7, RFC 3921 session, XEP-0352).
#pragma once

#include <string_view>

namespace telex::stream {

inline constexpr std::string_view kStreamsNs = "http://etherx.jabber.org/streams";
inline constexpr std::string_view kStreamErrorNs = "urn:ietf:params:xml:ns:xmpp-streams";
inline constexpr std::string_view kTlsNs = "urn:ietf:params:xml:ns:xmpp-tls";
inline constexpr std::string_view kSaslNs = "urn:ietf:params:xml:ns:xmpp-sasl";
inline constexpr std::string_view kBindNs = "urn:ietf:params:xml:ns:xmpp-bind";
inline constexpr std::string_view kSessionNs = "urn:ietf:params:xml:ns:xmpp-session";
inline constexpr std::string_view kCsiNs = "urn:xmpp:csi:0";

}  // namespace telex::stream
