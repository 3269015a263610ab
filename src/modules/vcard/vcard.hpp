// Registration of the vcard module: XEP-0054 vcard-temp, each user's vCard, readable by anyone.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "modules/module.hpp"

namespace telex::modules::vcard {
void setup(ModuleContext& context);

// The keyval store of vCards (by localpart); PEP's avatar conversion writes photos into it too.
inline constexpr std::string_view kStoreName = "vcard";

// Largest vCard kept, serialized; photos are the usual reason to come near it.
inline constexpr std::size_t kMaxVcardBytes = 64 * 1024;

// What a vCard set stores: the serialized vCard, an empty string for a vCard with no fields (the
// stored one is removed), or not-acceptable when it is larger than kMaxVcardBytes.
Expected<std::string, router::StanzaError> vcardForStorage(const xml::Element& vcard);
}  // namespace telex::modules::vcard
