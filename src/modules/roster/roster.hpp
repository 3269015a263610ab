// Registration of the roster module: contact lists and subscriptions (RFC 6121 §2, §3; XEP-0237).
#pragma once

#include "modules/module.hpp"
#include "modules/roster/sign_in_rosters.hpp"
#include "modules/roster/subscriptions.hpp"

namespace telex::modules::roster {
void setup(ModuleContext& context);
// The server's rosters just read at sign-in, over the one roster store that roster writes go through.
std::shared_ptr<SignInRosters> signInRosters(ModuleContext& context);
// Sends what a subscription change produced: roster pushes, presence stanzas, shared presence.
void applyOutcome(router::StanzaRouter& router, const SubscriptionOutcome& outcome);
// Sends `owner`'s available presences (or unavailable) to the given sessions.
void sharePresence(router::StanzaRouter& router, const Jid& owner, const Jid& viewerBare, bool available,
                   std::span<const std::shared_ptr<router::Session>> viewers);
}  // namespace telex::modules::roster
