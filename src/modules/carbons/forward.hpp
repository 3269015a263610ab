// XEP-0297 Stanza Forwarding: wrapping stanzas that are already serialized, without parsing or
// serializing them again (carbons wrap one copy for several resources, MAM wraps stored bytes).
#pragma once

#include <string>
#include <string_view>

#include "xml/element.hpp"

namespace telex::modules::forward {

inline constexpr std::string_view kForwardNs = "urn:xmpp:forward:0";

// `wrapper` serialized by xml::serialize (against `parentXmlns`, as there), with `inner` appended
// as its last child. `inner` must be complete XML from xml::serialize that declares its own
// namespace (a stanza serialized with an empty parent namespace, or another serializeAround
// result), so all escaping still happens in the one serializer.
std::string serializeAround(const xml::Element& wrapper, std::string_view parentXmlns, std::string_view inner);

// A stanza as a self-contained fragment: `<message xmlns='jabber:client' ...>`, fit to be
// placed inside <forwarded/> or stored and wrapped later.
std::string serializeStandalone(const xml::Element& stanza);

}  // namespace telex::modules::forward
