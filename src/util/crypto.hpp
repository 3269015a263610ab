// Small cryptographic helpers over OpenSSL: secure randomness and timing-safe comparison.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace telex::util {

// n bytes from OpenSSL's CSPRNG. A failing CSPRNG is unrecoverable, so that aborts the process
// rather than hand out predictable nonces or salts.
std::string randomBytes(std::size_t n);
// `bytes` random bytes as lower-case hex (ids, resource names).
std::string randomHex(std::size_t bytes);

// Compares in time independent of the contents (not of the lengths); different lengths → false.
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace telex::util
