// Registration of the carbons module: XEP-0280 Message Carbons, copies of a user's
// conversations for every one of the user's clients that asked for them.
#pragma once

#include "modules/module.hpp"

namespace telex::modules::carbons {

inline constexpr std::string_view kCarbonsNs = "urn:xmpp:carbons:2";

void setup(ModuleContext& context);

// XEP-0280 §6: chat messages, and normal ones with a body, unless the sender asked for no
// copies (<private/>, XEP-0334 <no-copy/>) or the message is a MUC private message.
bool eligible(const xml::Element& message);

// The copy for `to` (one of `user`'s resources): <message from=user to=to type=..> around
// `payload`, a <received/> or <sent/> element already serialized (once for all resources).
std::string wrapCopy(const Jid& user, const Jid& to, std::string_view type, std::string_view payload);

}  // namespace telex::modules::carbons
