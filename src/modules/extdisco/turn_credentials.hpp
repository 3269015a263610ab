// Time-limited TURN credentials by the TURN REST API scheme (coturn's use-auth-secret): the server
// and the TURN server share a secret, so the TURN server checks credentials without a user list.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace telex::modules::extdisco {

struct TurnCredentials {
  std::string username;  // "<expiry unix time>:<user>"
  std::string password;  // base64(HMAC-SHA1(secret, username))
  std::int64_t expires = 0;  // unix time
};

// Credentials for `user` (a bare JID) valid until now + ttl seconds.
TurnCredentials turnCredentials(std::string_view secret, std::string_view user, std::int64_t nowUnix,
                                std::int64_t ttlSeconds);

}  // namespace telex::modules::extdisco
