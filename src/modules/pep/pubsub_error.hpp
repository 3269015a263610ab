// XEP-0060 errors: a stanza error plus the pubsub-specific condition clients act on
// (precondition-not-met, nodeid-required, ...), and sending IQ replies that carry them.
#pragma once

#include <optional>
#include <string_view>

#include "modules/module.hpp"
#include "router/stanza_error.hpp"
#include "util/expected.hpp"

namespace telex::modules::pep {

inline constexpr std::string_view kPubsubErrorsNs = "http://jabber.org/protocol/pubsub#errors";

struct PubsubError {
  router::StanzaError stanza;
  std::string_view condition = {};  // element in kPubsubErrorsNs; empty for none
  std::string_view feature = {};    // the 'feature' of <unsupported/>

  static PubsubError plain(router::StanzaError error) { return {std::move(error)}; }
  static PubsubError nodeidRequired() { return {router::StanzaError::badRequest(), "nodeid-required"}; }
  static PubsubError itemRequired() { return {router::StanzaError::badRequest(), "item-required"}; }
  static PubsubError payloadRequired() { return {router::StanzaError::badRequest(), "payload-required"}; }
  static PubsubError invalidPayload(std::string text = {}) {
    return {router::StanzaError::badRequest(std::move(text)), "invalid-payload"};
  }
  static PubsubError invalidOptions(std::string text = {}) {
    return {router::StanzaError::badRequest(std::move(text)), "invalid-options"};
  }
  static PubsubError preconditionNotMet(std::string text = {}) {
    return {router::StanzaError::conflict(std::move(text)), "precondition-not-met"};
  }
  static PubsubError presenceSubscriptionRequired() {
    return {router::StanzaError{"auth", "not-authorized", {}}, "presence-subscription-required"};
  }
  static PubsubError closedNode() { return {router::StanzaError::notAllowed(), "closed-node"}; }
  static PubsubError maxNodesExceeded() { return {router::StanzaError::notAllowed(), "max-nodes-exceeded"}; }
  static PubsubError unsupported(std::string_view feature) {
    return {router::StanzaError::featureNotImplemented(), "unsupported", feature};
  }
};

using PubsubReply = Expected<std::optional<xml::Element>, PubsubError>;

// The error reply to an IQ request, with the pubsub condition inside <error/>.
xml::Element makePubsubErrorReply(const xml::Element& request, const PubsubError& error);

// Sends the result or error for `request`, which `from` sent (as replyToIq does for plain errors).
void replyToPubsubIq(router::StanzaRouter& router, const xml::Element& request, const Jid& from,
                     const PubsubReply& reply);

}  // namespace telex::modules::pep
