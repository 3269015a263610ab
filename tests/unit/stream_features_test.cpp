// The stream features a c2s stream offers before and after authentication (RFC 6120 §4.3.2).
#include <gtest/gtest.h>

#include "stream/stream_features.hpp"

namespace telex::stream {
namespace {

bool has(const net::SharedBytes& bytes, std::string_view needle) {
  return bytes->find(needle) != std::string::npos;
}

TEST(StreamFeatures, BeforeAuthOffersSignInOnlyWhereItIsAllowed) {
  StreamFeatures features(true, {});
  const auto& plainRequired = features.beforeAuth(false, false);
  EXPECT_EQ(*plainRequired,
            "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
            "</stream:features>");

  const auto& loopback = features.beforeAuth(false, true);
  EXPECT_TRUE(has(loopback, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"));
  EXPECT_TRUE(has(loopback, "<mechanism>SCRAM-SHA-1</mechanism>"));
  EXPECT_TRUE(has(loopback, "<register xmlns='http://jabber.org/features/iq-register'/>"));

  for (bool plaintextAllowed : {false, true}) {
    const auto& tls = features.beforeAuth(true, plaintextAllowed);
    EXPECT_FALSE(has(tls, "starttls"));
    EXPECT_TRUE(has(tls, "<mechanism>SCRAM-SHA-256</mechanism><mechanism>SCRAM-SHA-1</mechanism>"
                         "<mechanism>PLAIN</mechanism>"));
    EXPECT_TRUE(has(tls, "iq-register"));
  }
}

TEST(StreamFeatures, RegistrationOffIsNotOffered) {
  StreamFeatures features(false, {});
  EXPECT_FALSE(has(features.beforeAuth(true, false), "iq-register"));
  EXPECT_FALSE(has(features.beforeAuth(false, true), "iq-register"));
}

TEST(StreamFeatures, AfterAuthOffersBindAndTheModulesFeatures) {
  StreamFeatures features(true, {xml::Element("ver", "urn:xmpp:features:rosterver")});
  const auto& bound = features.afterAuth();
  EXPECT_TRUE(has(bound, "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"));
  EXPECT_TRUE(has(bound, "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session>"));
  EXPECT_TRUE(has(bound, "<sm xmlns='urn:xmpp:sm:3'/>"));
  EXPECT_TRUE(has(bound, "<csi xmlns='urn:xmpp:csi:0'/>"));
  EXPECT_TRUE(has(bound, "<ver xmlns='urn:xmpp:features:rosterver'/>"));
  EXPECT_FALSE(has(bound, "mechanisms"));
}

}  // namespace
}  // namespace telex::stream
