// Registration of the private_xml module: XEP-0049 Private XML Storage, which also holds legacy
// bookmarks (XEP-0048 storage:bookmarks) for the many clients that still keep them there.
#pragma once

#include <string>
#include <vector>

#include "modules/module.hpp"

namespace telex::modules::private_xml {
void setup(ModuleContext& context);

// Key of an element in the "private" map store: "<name> <namespace>".
std::string storageKey(const xml::Element& element);
// The elements a <query xmlns='jabber:iq:private'/> names, or the XEP-0049 error for it:
// not-acceptable without any element or for a reserved jabber:* namespace, bad-request for a get
// naming more than one element.
Expected<std::vector<const xml::Element*>, router::StanzaError> requestedElements(const xml::Element& query,
                                                                                 bool isGet);
}  // namespace telex::modules::private_xml
