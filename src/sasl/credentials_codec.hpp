// Versioned text form of stored SCRAM credentials, as kept by the account store.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sasl/scram.hpp"

namespace telex::sasl {

// JSON, e.g. {"v":1,"scram":[{"hash":"sha-256","salt":"<b64>","i":10000,"stored":"<b64>",
// "server":"<b64>"}]}; binary fields are base64.
std::string encodeCredentials(const std::vector<ScramCredentials>& credentials);

// nullopt on anything unexpected: bad JSON, unknown version or hash, bad base64, empty salt,
// zero or out-of-range iterations, or key lengths that do not match the hash.
std::optional<std::vector<ScramCredentials>> decodeCredentials(std::string_view text);

}  // namespace telex::sasl
