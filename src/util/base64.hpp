// Standard (RFC 4648 §4) base64 with padding, strict on decode; used by SASL and credential storage.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace telex::util {

std::string base64Encode(std::string_view bytes);

// Strict: the length must be a multiple of four, only the standard alphabet is accepted, '=' may
// appear only as one or two final padding characters, and unused bits must be zero (so each byte
// string has exactly one accepted encoding). No whitespace is skipped. Empty input decodes to "".
std::optional<std::string> base64Decode(std::string_view text);

}  // namespace telex::util
