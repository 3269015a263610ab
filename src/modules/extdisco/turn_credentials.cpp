// TURN REST API credentials.
#include "modules/extdisco/turn_credentials.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdexcept>

#include "util/base64.hpp"

namespace telex::modules::extdisco {

TurnCredentials turnCredentials(std::string_view secret, std::string_view user, std::int64_t nowUnix,
                                std::int64_t ttlSeconds) {
  TurnCredentials out;
  out.expires = nowUnix + ttlSeconds;
  out.username = std::to_string(out.expires) + ":" + std::string(user);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int macLength = 0;
  static const char kEmpty = 0;
  if (HMAC(EVP_sha1(), secret.empty() ? &kEmpty : secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(out.username.data()), out.username.size(), mac,
           &macLength) == nullptr) {
    throw std::runtime_error("HMAC-SHA1 failed");
  }
  out.password = util::base64Encode(std::string_view(reinterpret_cast<const char*>(mac), macLength));
  return out;
}

}  // namespace telex::modules::extdisco
