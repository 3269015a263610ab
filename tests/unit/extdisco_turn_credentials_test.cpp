// TURN REST API credentials (coturn's use-auth-secret) against a vector computed independently
// (Python's hmac and `openssl dgst -sha1 -hmac`).
#include <gtest/gtest.h>

#include "modules/extdisco/turn_credentials.hpp"

namespace telex::modules::extdisco {
namespace {

TEST(ExtdiscoTurnCredentials, KnownVector) {
  auto c = turnCredentials("north", "alice@example.org", 1700000000, 86400);
  EXPECT_EQ(c.expires, 1700086400);
  EXPECT_EQ(c.username, "1700086400:alice@example.org");
  EXPECT_EQ(c.password, "plPZYuF9WYw8ProirmfsL1geV6s=");
}

TEST(ExtdiscoTurnCredentials, DependOnSecretUserAndTime) {
  auto base = turnCredentials("north", "alice@example.org", 1700000000, 86400);
  EXPECT_NE(turnCredentials("south", "alice@example.org", 1700000000, 86400).password, base.password);
  EXPECT_NE(turnCredentials("north", "bob@example.org", 1700000000, 86400).password, base.password);
  EXPECT_NE(turnCredentials("north", "alice@example.org", 1700000001, 86400).password, base.password);
  EXPECT_EQ(turnCredentials("", "a@b", 0, 60).username, "60:a@b");
}

}  // namespace
}  // namespace telex::modules::extdisco
