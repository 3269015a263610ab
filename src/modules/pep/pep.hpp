// Registration of the pep module: XEP-0163 Personal Eventing Protocol (a pubsub service on each
// account's bare JID), notifications filtered by XEP-0115 +notify interests, which also carries
// XEP-0084 avatars and XEP-0402 bookmarks.
//
// Not done: XEP-0398 conversion. Publishing avatar metadata leaves the vCard (and the PHOTO hash
// clients put in their presence, XEP-0153) alone, and a vCard photo is not published as a PEP
// avatar; XEP-0411 bookmark conversion to and from private XML is not done either.
#pragma once

#include "modules/module.hpp"

namespace telex::modules::pep {
void setup(ModuleContext& context);
}  // namespace telex::modules::pep
