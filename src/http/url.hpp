// Percent-encoding of URL path segments and query strings (RFC 3986), for the HTTP listener's routes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace telex::http {

// Encodes everything outside RFC 3986's unreserved set, so the result is one safe path segment.
std::string percentEncode(std::string_view text);
// Strict: a '%' must be followed by two hex digits, and %00 is refused (no NUL in names).
// '+' stays '+' (it means a space only in forms, not in paths).
std::optional<std::string> percentDecode(std::string_view text);

// The decoded value of `name` in a query string "a=1&b=2", or nullopt when absent or malformed.
std::optional<std::string> queryParam(std::string_view query, std::string_view name);

// Splits a request target into path and query ("/a/b?x=1" → "/a/b", "x=1"); the fragment, which
// clients must not send, is dropped.
struct Target {
  std::string_view path;
  std::string_view query;
};
Target splitTarget(std::string_view target);

}  // namespace telex::http
