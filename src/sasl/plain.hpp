// SASL PLAIN (RFC 4616) message parsing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace telex::sasl {

struct PlainCredentials {
  std::string authzid;  // empty if absent
  std::string authcid;
  std::string password;
};

// "[authzid] NUL authcid NUL password": exactly two NULs, authcid and password non-empty.
// Returns the raw strings; normalization (nodeprep of authcid) is the caller's job.
std::optional<PlainCredentials> parsePlain(std::string_view message);

}  // namespace telex::sasl
