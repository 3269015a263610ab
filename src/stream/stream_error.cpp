// Name table for stream error conditions; one table serves both directions.
#include "stream/stream_error.hpp"

#include <array>
#include <utility>

namespace telex::stream {

namespace {

using Entry = std::pair<StreamErrorCondition, std::string_view>;
using C = StreamErrorCondition;

constexpr std::array kNames = {
    Entry{C::BadFormat, "bad-format"},
    Entry{C::BadNamespacePrefix, "bad-namespace-prefix"},
    Entry{C::Conflict, "conflict"},
    Entry{C::ConnectionTimeout, "connection-timeout"},
    Entry{C::HostGone, "host-gone"},
    Entry{C::HostUnknown, "host-unknown"},
    Entry{C::ImproperAddressing, "improper-addressing"},
    Entry{C::InternalServerError, "internal-server-error"},
    Entry{C::InvalidFrom, "invalid-from"},
    Entry{C::InvalidNamespace, "invalid-namespace"},
    Entry{C::InvalidXml, "invalid-xml"},
    Entry{C::NotAuthorized, "not-authorized"},
    Entry{C::NotWellFormed, "not-well-formed"},
    Entry{C::PolicyViolation, "policy-violation"},
    Entry{C::RemoteConnectionFailed, "remote-connection-failed"},
    Entry{C::Reset, "reset"},
    Entry{C::ResourceConstraint, "resource-constraint"},
    Entry{C::RestrictedXml, "restricted-xml"},
    Entry{C::SeeOtherHost, "see-other-host"},
    Entry{C::SystemShutdown, "system-shutdown"},
    Entry{C::UndefinedCondition, "undefined-condition"},
    Entry{C::UnsupportedEncoding, "unsupported-encoding"},
    Entry{C::UnsupportedFeature, "unsupported-feature"},
    Entry{C::UnsupportedStanzaType, "unsupported-stanza-type"},
    Entry{C::UnsupportedVersion, "unsupported-version"},
};

// The table is indexed by the enum value; keep it in declaration order.
constexpr bool tableInOrder() {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (static_cast<std::size_t>(kNames[i].first) != i) return false;
  }
  return true;
}
static_assert(tableInOrder());
static_assert(kNames.size() == static_cast<std::size_t>(C::UnsupportedVersion) + 1);

}  // namespace

std::string_view streamErrorName(StreamErrorCondition condition) {
  const auto index = static_cast<std::size_t>(condition);
  return index < kNames.size() ? kNames[index].second : std::string_view("undefined-condition");
}

std::optional<StreamErrorCondition> streamErrorFromName(std::string_view name) {
  for (const auto& [condition, text] : kNames) {
    if (text == name) return condition;
  }
  return std::nullopt;
}

}  // namespace telex::stream
