// Pubsub error replies.
#include "modules/pep/pubsub_error.hpp"

namespace telex::modules::pep {

xml::Element makePubsubErrorReply(const xml::Element& request, const PubsubError& error) {
  xml::Element reply = router::makeErrorReply(request, error.stanza);
  if (error.condition.empty()) return reply;
  if (auto* e = reply.child("error", router::kClientNs)) {
    // Last: RFC 6120 §8.3.2 puts the application-specific condition after <text/>.
    xml::Element specific(std::string(error.condition), std::string(kPubsubErrorsNs));
    if (!error.feature.empty()) specific.setAttr("feature", error.feature);
    e->addChild(std::move(specific));
  }
  return reply;
}

void replyToPubsubIq(router::StanzaRouter& router, const xml::Element& request, const Jid& from,
                     const PubsubReply& reply) {
  if (reply) {
    replyToIq(router, request, from, IqReply(*reply));
    return;
  }
  if (request.attrOr("type", "") == "error" || request.attrOr("type", "") == "result") return;
  xml::Element out = makePubsubErrorReply(request, reply.error());
  if (!request.attr("to")) out.setAttr("from", from.bareString());
  if (auto session = router.sessions().find(from)) {
    router.deliver(session, out);
  } else {
    router.route(std::move(out));
  }
}

}  // namespace telex::modules::pep
