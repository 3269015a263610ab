// Stanza errors (RFC 6120 §8.3) and the reply stanzas built from them.
#pragma once

#include <string>
#include <string_view>

#include "xml/element.hpp"

namespace telex::router {

inline constexpr std::string_view kClientNs = "jabber:client";
inline constexpr std::string_view kStanzasNs = "urn:ietf:params:xml:ns:xmpp-stanzas";

struct StanzaError {
  std::string_view type;       // auth, cancel, continue, modify, wait
  std::string_view condition;  // e.g. service-unavailable
  std::string text;

  static StanzaError badRequest(std::string text = {}) { return {"modify", "bad-request", std::move(text)}; }
  static StanzaError serviceUnavailable(std::string text = {}) {
    return {"cancel", "service-unavailable", std::move(text)};
  }
  static StanzaError featureNotImplemented(std::string text = {}) {
    return {"cancel", "feature-not-implemented", std::move(text)};
  }
  static StanzaError itemNotFound(std::string text = {}) { return {"cancel", "item-not-found", std::move(text)}; }
  static StanzaError jidMalformed(std::string text = {}) { return {"modify", "jid-malformed", std::move(text)}; }
  static StanzaError notAllowed(std::string text = {}) { return {"cancel", "not-allowed", std::move(text)}; }
  static StanzaError forbidden(std::string text = {}) { return {"auth", "forbidden", std::move(text)}; }
  static StanzaError internalServerError(std::string text = {}) {
    return {"cancel", "internal-server-error", std::move(text)};
  }
  static StanzaError remoteServerNotFound(std::string text = {}) {
    return {"cancel", "remote-server-not-found", std::move(text)};
  }
  static StanzaError resourceConstraint(std::string text = {}) {
    return {"wait", "resource-constraint", std::move(text)};
  }
  static StanzaError conflict(std::string text = {}) { return {"cancel", "conflict", std::move(text)}; }
};

// The <error/> child element.
xml::Element makeErrorElement(const StanzaError& error);
// An error reply to `stanza`: same name and id, from/to swapped, type='error', original payload
// kept for messages and presence (RFC 6120 §8.3.1), dropped for IQs.
xml::Element makeErrorReply(const xml::Element& stanza, const StanzaError& error);
// <iq type='result'/> for an IQ request, from/to swapped.
xml::Element makeIqResult(const xml::Element& iq);

}  // namespace telex::router
