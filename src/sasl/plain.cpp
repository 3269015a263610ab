// SASL PLAIN (RFC 4616) message parsing.
#include "sasl/plain.hpp"

namespace telex::sasl {

std::optional<PlainCredentials> parsePlain(std::string_view message) {
  const std::size_t first = message.find('\0');
  if (first == std::string_view::npos) return std::nullopt;
  const std::size_t second = message.find('\0', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  // A third NUL would end up inside the password.
  if (message.find('\0', second + 1) != std::string_view::npos) return std::nullopt;
  PlainCredentials out;
  out.authzid = std::string(message.substr(0, first));
  out.authcid = std::string(message.substr(first + 1, second - first - 1));
  out.password = std::string(message.substr(second + 1));
  if (out.authcid.empty() || out.password.empty()) return std::nullopt;
  return out;
}

}  // namespace telex::sasl
