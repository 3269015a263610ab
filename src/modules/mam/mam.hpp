// Registration of the mam module: XEP-0313 Message Archive Management for users' archives,
// with XEP-0059 paging and XEP-0441 preferences.
#pragma once

#include "modules/module.hpp"

namespace telex::modules::mam {
void setup(ModuleContext& context);
// Whether a message belongs in a user archive (XEP-0313 §5.1.1): chat or normal with a body,
// and the sender did not ask for it not to be stored (XEP-0334 <no-store/>, <no-permanent-store/>).
bool archivable(const xml::Element& message);
}  // namespace telex::modules::mam
