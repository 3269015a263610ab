// Stream-level error conditions (RFC 6120 §4.9.3) and their wire names.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace telex::stream {

enum class StreamErrorCondition {
  BadFormat,
  BadNamespacePrefix,
  Conflict,
  ConnectionTimeout,
  HostGone,
  HostUnknown,
  ImproperAddressing,
  InternalServerError,
  InvalidFrom,
  InvalidNamespace,
  InvalidXml,
  NotAuthorized,
  NotWellFormed,
  PolicyViolation,
  RemoteConnectionFailed,
  Reset,
  ResourceConstraint,
  RestrictedXml,
  SeeOtherHost,
  SystemShutdown,
  UndefinedCondition,
  UnsupportedEncoding,
  UnsupportedFeature,
  UnsupportedStanzaType,
  UnsupportedVersion,
};

// The element name used on the wire, e.g. "not-well-formed".
std::string_view streamErrorName(StreamErrorCondition condition);
// The reverse mapping (for a peer's <stream:error/>); nullopt for an unknown name.
std::optional<StreamErrorCondition> streamErrorFromName(std::string_view name);

struct StreamError {
  StreamErrorCondition condition = StreamErrorCondition::UndefinedCondition;
  std::string text;  // human-readable detail for the <text/> child, may be empty
};

}  // namespace telex::stream
