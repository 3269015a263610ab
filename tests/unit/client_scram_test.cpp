// Unit tests for the SASL client: SCRAM (RFC 5802/7677 vectors, ScramServer), PLAIN, choice.
#include <gtest/gtest.h>

#include "client/scram_client.hpp"
#include "sasl/scram.hpp"
#include "util/base64.hpp"

namespace telex::client {
namespace {

TEST(ScramClient, Rfc5802Sha1Vector) {
  ScramClient client(HashAlgo::Sha1, "user", "pencil");
  client.setClientNonceForTesting("fyko+d2lbbFgONRv9qkxdawL");
  EXPECT_EQ(client.clientFirst(), "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
  auto final = client.receiveServerFirst(
      "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
  ASSERT_TRUE(final) << final.error();
  EXPECT_EQ(*final,
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
  EXPECT_FALSE(client.serverVerified());
  EXPECT_TRUE(client.verifyServerFinal("v=rmF9pqV8S7suAoZWja4dJRkFsKQ="));
  EXPECT_TRUE(client.serverVerified());
}

TEST(ScramClient, Rfc7677Sha256Vector) {
  ScramClient client(HashAlgo::Sha256, "user", "pencil");
  client.setClientNonceForTesting("rOprNGfwEbeRWgbNEkqO");
  EXPECT_EQ(client.clientFirst(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  auto final = client.receiveServerFirst(
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
  ASSERT_TRUE(final) << final.error();
  EXPECT_EQ(*final,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  EXPECT_TRUE(client.verifyServerFinal("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
}

TEST(ScramClient, WrongServerSignatureIsRejected) {
  ScramClient client(HashAlgo::Sha1, "user", "pencil");
  client.setClientNonceForTesting("fyko+d2lbbFgONRv9qkxdawL");
  client.clientFirst();
  ASSERT_TRUE(client.receiveServerFirst(
      "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"));
  auto verified = client.verifyServerFinal("v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  ASSERT_FALSE(verified);
  EXPECT_NE(verified.error().find("signature"), std::string::npos);
  EXPECT_FALSE(client.serverVerified());
  // One shot: a later correct signature does not rescue the exchange.
  EXPECT_FALSE(client.verifyServerFinal("v=rmF9pqV8S7suAoZWja4dJRkFsKQ="));
}

TEST(ScramClient, ServerErrorsAndMalformedMessages) {
  const auto afterFirst = [](std::string_view serverFirst) {
    ScramClient client(HashAlgo::Sha256, "user", "pencil");
    client.setClientNonceForTesting("abc");
    client.clientFirst();
    return client.receiveServerFirst(serverFirst);
  };
  EXPECT_EQ(afterFirst("e=unknown-user").error(), "server error: unknown-user");
  EXPECT_TRUE(afterFirst("r=abcdef,s=c2FsdA==,i=4096"));   // a valid one, for contrast
  EXPECT_FALSE(afterFirst("r=xyzdef,s=c2FsdA==,i=4096"));  // nonce does not extend ours
  EXPECT_FALSE(afterFirst("r=abc,s=c2FsdA==,i=4096"));     // nonce not extended at all
  EXPECT_FALSE(afterFirst("r=abcdef,s=!!!,i=4096"));       // bad base64 salt
  EXPECT_FALSE(afterFirst("r=abcdef,s=c2FsdA==,i=0"));     // zero iterations
  EXPECT_FALSE(afterFirst("r=abcdef,s=c2FsdA==,i=12x"));
  EXPECT_FALSE(afterFirst("r=abcdef,s=c2FsdA==,i=99999999"));  // above the limit
  EXPECT_FALSE(afterFirst("m=ext,r=abcdef,s=c2FsdA==,i=4096"));
  EXPECT_FALSE(afterFirst("s=c2FsdA==,r=abcdef,i=4096"));  // wrong order
  EXPECT_FALSE(afterFirst("garbage"));
  EXPECT_FALSE(afterFirst(""));

  ScramClient outOfOrder(HashAlgo::Sha1, "user", "pencil");
  EXPECT_FALSE(outOfOrder.receiveServerFirst("r=a,s=c2FsdA==,i=1"));
  ScramClient finalFirst(HashAlgo::Sha1, "user", "pencil");
  finalFirst.clientFirst();
  EXPECT_FALSE(finalFirst.verifyServerFinal("v=abc="));

  ScramClient withError(HashAlgo::Sha1, "user", "pencil");
  withError.setClientNonceForTesting("fyko+d2lbbFgONRv9qkxdawL");
  withError.clientFirst();
  ASSERT_TRUE(withError.receiveServerFirst(
      "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"));
  EXPECT_EQ(withError.verifyServerFinal("e=invalid-proof").error(), "server error: invalid-proof");
}

TEST(ScramClient, SaslnameEscapingAndAuthzid) {
  EXPECT_EQ(encodeSaslname("a,b=c"), "a=2Cb=3Dc");
  ScramClient client(HashAlgo::Sha1, "us,er", "pw", "admin=x");
  client.setClientNonceForTesting("n0nce");
  EXPECT_EQ(client.clientFirst(), "n,a=admin=3Dx,n=us=2Cer,r=n0nce");
}

// Runs the full exchange against the project's own server implementation.
struct ServerRun {
  bool serverAccepted = false;
  bool clientVerified = false;
  std::string serverUser;
  std::string serverAuthzid;
};

ServerRun runAgainstServer(HashAlgo algo, std::string_view storedPassword,
                           std::string_view clientPassword, std::string authzid = {}) {
  ServerRun run;
  const auto credentials = sasl::makeScramCredentials(algo, storedPassword, 4096);
  sasl::ScramServer server(algo);
  ScramClient client(algo, "alice", std::string(clientPassword), std::move(authzid));
  auto first = server.receiveClientFirst(client.clientFirst());
  if (!first) return run;
  run.serverUser = first->username;
  run.serverAuthzid = first->authzid;
  auto clientFinal = client.receiveServerFirst(server.serverFirst(credentials));
  if (!clientFinal) return run;
  auto serverFinal = server.receiveClientFinal(*clientFinal);
  run.serverAccepted = static_cast<bool>(serverFinal);
  if (serverFinal) run.clientVerified = static_cast<bool>(client.verifyServerFinal(*serverFinal));
  return run;
}

TEST(ScramClient, InteroperatesWithScramServer) {
  for (HashAlgo algo : {HashAlgo::Sha1, HashAlgo::Sha256}) {
    auto ok = runAgainstServer(algo, "correct horse", "correct horse", "alice@example.org");
    EXPECT_TRUE(ok.serverAccepted);
    EXPECT_TRUE(ok.clientVerified);
    EXPECT_EQ(ok.serverUser, "alice");
    EXPECT_EQ(ok.serverAuthzid, "alice@example.org");

    auto wrong = runAgainstServer(algo, "correct horse", "battery staple");
    EXPECT_FALSE(wrong.serverAccepted);

    // SASLprep on both sides: U+00A0 (no-break space) maps to a plain space.
    auto prepped = runAgainstServer(algo, "pass word", "pass\xC2\xA0word");
    EXPECT_TRUE(prepped.serverAccepted);
    EXPECT_TRUE(prepped.clientVerified);
  }
}

TEST(ScramClient, ServerKnowingADifferentPasswordCannotProveItself) {
  // A server that accepts anyone (an impostor) still has to send v=; it cannot compute ours.
  ScramClient client(HashAlgo::Sha256, "alice", "secret");
  const std::string first = client.clientFirst();
  const std::string nonce = first.substr(first.find("r=") + 2);
  ASSERT_TRUE(
      client.receiveServerFirst("r=" + nonce + "srv,s=" + util::base64Encode("salt") + ",i=4096"));
  const auto impostor = sasl::deriveScramCredentials(HashAlgo::Sha256, "other", "salt", 4096);
  EXPECT_FALSE(client.verifyServerFinal("v=" + util::base64Encode(impostor.serverKey)));
}

TEST(SaslClient, PlainMessage) {
  EXPECT_EQ(plainMessage("alice", "s3cret"), std::string("\0alice\0s3cret", 13));
  EXPECT_EQ(plainMessage("alice", "pw", "admin@x"), std::string("admin@x\0alice\0pw", 16));
}

TEST(SaslClient, MechanismChoicePrefersScramSha256) {
  EXPECT_EQ(chooseMechanism({"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"}, true),
            Mechanism::ScramSha256);
  EXPECT_EQ(chooseMechanism({"PLAIN", "SCRAM-SHA-1"}, true), Mechanism::ScramSha1);
  EXPECT_EQ(chooseMechanism({"SCRAM-SHA-1-PLUS", "PLAIN"}, true), Mechanism::Plain);
  // PLAIN never without TLS (unless explicitly allowed by the caller).
  EXPECT_EQ(chooseMechanism({"PLAIN"}, false), std::nullopt);
  EXPECT_EQ(chooseMechanism({"DIGEST-MD5", "X-OAUTH2"}, true), std::nullopt);
  EXPECT_EQ(chooseMechanism({}, true), std::nullopt);
  EXPECT_EQ(mechanismName(Mechanism::ScramSha1), "SCRAM-SHA-1");
}

}  // namespace
}  // namespace telex::client
