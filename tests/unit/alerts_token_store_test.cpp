// API tokens: only a hash is stored, look-up by the secret, scopes, revocation.
#include <gtest/gtest.h>

#include "modules/alerts/http_api.hpp"
#include "modules/alerts/token_store.hpp"
#include "storage/memory/memory_driver.hpp"
#include "util/base64.hpp"

namespace telex::modules::alerts {
namespace {

TEST(AlertTokenStore, CreateAuthenticateRevoke) {
  auto storage = storage::makeMemoryDriver();
  TokenStore tokens(*storage);
  auto secret = tokens.create("ci", {"alerts"}, {"alice@localhost"});
  ASSERT_TRUE(secret);
  EXPECT_TRUE(secret->starts_with("telex_"));
  EXPECT_GE(secret->size(), 64u);
  // The secret itself is nowhere in storage, only its hash.
  auto stored = storage->keyval("alert_tokens")->get("ci");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->find(*secret), std::string::npos);
  EXPECT_NE(stored->find(TokenStore::hashToken(*secret)), std::string::npos);

  auto record = tokens.authenticate(*secret);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->name, "ci");
  EXPECT_TRUE(record->hasScope("alerts"));
  EXPECT_FALSE(record->hasScope("admin"));
  EXPECT_EQ(record->defaultTo, std::vector<std::string>{"alice@localhost"});

  EXPECT_FALSE(tokens.authenticate(*secret + "x"));
  EXPECT_FALSE(tokens.authenticate(""));
  EXPECT_FALSE(tokens.create("ci", {"alerts"}, {}));  // the name is taken

  auto other = tokens.create("grafana", {}, {});
  ASSERT_TRUE(other);
  ASSERT_TRUE(tokens.authenticate(*other));
  EXPECT_EQ(tokens.authenticate(*other)->name, "grafana");
  EXPECT_FALSE(tokens.authenticate(*other)->hasScope("alerts"));
  EXPECT_EQ(tokens.list().size(), 2u);

  EXPECT_TRUE(tokens.revoke("ci"));
  EXPECT_FALSE(tokens.revoke("ci"));
  EXPECT_FALSE(tokens.authenticate(*secret));
  EXPECT_EQ(tokens.list().size(), 1u);
}

TEST(AlertTokenStore, Names) {
  EXPECT_TRUE(TokenStore::validName("prometheus-1.ops_x"));
  EXPECT_FALSE(TokenStore::validName(""));
  EXPECT_FALSE(TokenStore::validName("a b"));
  EXPECT_FALSE(TokenStore::validName(std::string(65, 'a')));
}

TEST(AlertTokenStore, UnreadableRecordsAreSkipped) {
  auto storage = storage::makeMemoryDriver();
  storage->keyval("alert_tokens")->set("broken", "{not json");
  TokenStore tokens(*storage);
  EXPECT_TRUE(tokens.list().empty());
  EXPECT_FALSE(tokens.authenticate("telex_x"));
}

TEST(AlertTokenStore, AuthorizationHeader) {
  EXPECT_EQ(HttpApi::presentedToken("Bearer abc"), "abc");
  EXPECT_EQ(HttpApi::presentedToken("bearer   abc  "), "abc");
  EXPECT_EQ(HttpApi::presentedToken("Basic " + util::base64Encode("alertmanager:tok")), "tok");
  EXPECT_FALSE(HttpApi::presentedToken("Bearer "));
  EXPECT_FALSE(HttpApi::presentedToken("Basic !!!"));
  EXPECT_FALSE(HttpApi::presentedToken("Basic " + util::base64Encode("nopassword")));
  EXPECT_FALSE(HttpApi::presentedToken("Token abc"));
}

}  // namespace
}  // namespace telex::modules::alerts
