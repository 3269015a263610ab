// XEP-0297 wrappers around pre-serialized stanzas.
#include "modules/carbons/forward.hpp"

#include "router/stanza_error.hpp"

namespace telex::modules::forward {

std::string serializeAround(const xml::Element& wrapper, std::string_view parentXmlns, std::string_view inner) {
  std::string out = xml::serialize(wrapper, parentXmlns);
  const std::string& name = wrapper.name();
  // The serializer ends an element either with "/>" (no children) or with "</name>".
  if (out.ends_with("/>")) {
    out.resize(out.size() - 2);
    out += '>';
  } else {
    out.resize(out.size() - name.size() - 3);
  }
  out.reserve(out.size() + inner.size() + name.size() + 3);
  out += inner;
  out += "</";
  out += name;
  out += '>';
  return out;
}

std::string serializeStandalone(const xml::Element& stanza) {
  if (!stanza.xmlns().empty()) return xml::serialize(stanza);
  // Built in code without a namespace: inside <forwarded/> it must still say jabber:client.
  xml::Element copy = stanza;
  copy.setXmlns(std::string(router::kClientNs));
  return xml::serialize(copy);
}

}  // namespace telex::modules::forward
