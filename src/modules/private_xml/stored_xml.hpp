// Elements kept in storage as XML text (private XML, vCards): written by the one serializer, read
// back with the stream parser, so stored data obeys the same restricted XML as the client stream.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "xml/element.hpp"

namespace telex::modules::private_xml {

// The element with its namespace declared on itself, independent of any parent.
std::string toStoredXml(const xml::Element& element);
// nullopt when `text` is not one well-formed element (damaged or foreign data).
std::optional<xml::Element> fromStoredXml(std::string_view text);

}  // namespace telex::modules::private_xml
