// Unit tests for SCRAM (RFC 5802 / RFC 7677 vectors), PLAIN parsing and the credentials codec.
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sasl/credentials_codec.hpp"
#include "sasl/plain.hpp"
#include "sasl/scram.hpp"
#include "util/base64.hpp"

namespace telex::sasl {
namespace {

const EVP_MD* md(HashAlgo algo) { return algo == HashAlgo::Sha1 ? EVP_sha1() : EVP_sha256(); }

std::string testHmac(HashAlgo algo, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md(algo), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

// An independent client-side proof computation (RFC 5802 §3) for exchanges without vectors.
std::string clientProof(HashAlgo algo, std::string_view password, std::string_view salt,
                        int iterations, std::string_view authMessage) {
  std::string salted(digestSize(algo), '\0');
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<int>(salt.size()), iterations, md(algo),
                    static_cast<int>(salted.size()), reinterpret_cast<unsigned char*>(salted.data()));
  const std::string clientKey = testHmac(algo, salted, "Client Key");
  unsigned char stored[EVP_MAX_MD_SIZE];
  unsigned int storedLen = 0;
  EVP_Digest(clientKey.data(), clientKey.size(), stored, &storedLen, md(algo), nullptr);
  const std::string signature =
      testHmac(algo, std::string_view(reinterpret_cast<const char*>(stored), storedLen), authMessage);
  std::string proof = clientKey;
  for (std::size_t i = 0; i < proof.size(); ++i) proof[i] ^= signature[i];
  return util::base64Encode(proof);
}

// Runs a full exchange: returns the result of receiveClientFinal.
struct Exchange {
  Exchange(HashAlgo a, ScramCredentials c) : algo(a), credentials(std::move(c)) {}

  HashAlgo algo;
  ScramCredentials credentials;
  std::string gs2Header = "n,,";
  std::string username = "user";
  std::string password = "pencil";
  std::string channelBinding;  // defaults to base64(gs2Header)

  Expected<std::string, SaslError> run() {
    ScramServer server(algo);
    const std::string bare = "n=" + username + ",r=clientnonce123";
    if (!server.receiveClientFirst(gs2Header + bare)) return unexpected(SaslError{"client-first", ""});
    const std::string serverFirst = server.serverFirst(credentials);
    const std::string nonce = serverFirst.substr(2, serverFirst.find(',') - 2);
    const std::string cb = channelBinding.empty() ? util::base64Encode(gs2Header) : channelBinding;
    const std::string withoutProof = "c=" + cb + ",r=" + nonce;
    const std::string authMessage = bare + "," + serverFirst + "," + withoutProof;
    return server.receiveClientFinal(
        withoutProof + ",p=" +
        clientProof(algo, password, credentials.salt, static_cast<int>(credentials.iterations),
                    authMessage));
  }
};

TEST(ScramTest, MechanismNames) {
  EXPECT_EQ(mechanismName(HashAlgo::Sha1), "SCRAM-SHA-1");
  EXPECT_EQ(mechanismName(HashAlgo::Sha256), "SCRAM-SHA-256");
}

TEST(ScramTest, Rfc5802Sha1Example) {
  const auto salt = util::base64Decode("QSXCR+Q6sek8bf92");
  ASSERT_TRUE(salt.has_value());
  const auto credentials = deriveScramCredentials(HashAlgo::Sha1, "pencil", *salt, 4096);

  ScramServer server(HashAlgo::Sha1);
  server.setServerNonceForTesting("3rfcNHYJY1ZVvWVs7j");
  const auto first = server.receiveClientFirst("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
  ASSERT_TRUE(first.has_value()) << first.error().text;
  EXPECT_EQ(first->username, "user");
  EXPECT_EQ(first->authzid, "");
  EXPECT_EQ(server.serverFirst(credentials),
            "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
  const auto final = server.receiveClientFinal(
      "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
  ASSERT_TRUE(final.has_value()) << final.error().text;
  EXPECT_EQ(*final, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
}

TEST(ScramTest, Rfc7677Sha256Example) {
  const auto salt = util::base64Decode("W22ZaJ0SNY7soEsUEjb6gQ==");
  ASSERT_TRUE(salt.has_value());
  const auto credentials = deriveScramCredentials(HashAlgo::Sha256, "pencil", *salt, 4096);

  ScramServer server(HashAlgo::Sha256);
  server.setServerNonceForTesting("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
  ASSERT_TRUE(server.receiveClientFirst("n,,n=user,r=rOprNGfwEbeRWgbNEkqO").has_value());
  EXPECT_EQ(server.serverFirst(credentials),
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,"
            "i=4096");
  const auto final = server.receiveClientFinal(
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
      "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  ASSERT_TRUE(final.has_value()) << final.error().text;
  EXPECT_EQ(*final, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
}

TEST(ScramTest, WrongProofIsRejected) {
  const auto salt = *util::base64Decode("W22ZaJ0SNY7soEsUEjb6gQ==");
  const auto credentials = deriveScramCredentials(HashAlgo::Sha256, "pencil", salt, 4096);
  ScramServer server(HashAlgo::Sha256);
  server.setServerNonceForTesting("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
  ASSERT_TRUE(server.receiveClientFirst("n,,n=user,r=rOprNGfwEbeRWgbNEkqO").has_value());
  server.serverFirst(credentials);
  // Last proof byte changed.
  const auto final = server.receiveClientFinal(
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
      "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVU=");
  ASSERT_FALSE(final.has_value());
  EXPECT_EQ(final.error().condition, "not-authorized");
  // The exchange is over: a retry with the right proof is refused.
  EXPECT_FALSE(server
                   .receiveClientFinal("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                                       "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
                   .has_value());
}

TEST(ScramTest, WrongPasswordIsRejected) {
  Exchange ex{HashAlgo::Sha1, makeScramCredentials(HashAlgo::Sha1, "pencil", 64)};
  EXPECT_TRUE(ex.run().has_value());
  ex.password = "pencil2";
  const auto result = ex.run();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().condition, "not-authorized");
}

TEST(ScramTest, RandomServerNonceExtendsClientNonce) {
  const auto credentials = makeScramCredentials(HashAlgo::Sha256, "pencil", 64);
  EXPECT_EQ(credentials.salt.size(), 16u);
  EXPECT_EQ(credentials.iterations, 64u);
  ScramServer a(HashAlgo::Sha256);
  ScramServer b(HashAlgo::Sha256);
  ASSERT_TRUE(a.receiveClientFirst("n,,n=user,r=abc").has_value());
  ASSERT_TRUE(b.receiveClientFirst("n,,n=user,r=abc").has_value());
  const std::string firstA = a.serverFirst(credentials);
  const std::string firstB = b.serverFirst(credentials);
  EXPECT_TRUE(firstA.starts_with("r=abc"));
  EXPECT_GT(firstA.find(','), 5u + 16u);
  EXPECT_NE(firstA, firstB);
}

TEST(ScramTest, AuthzidAndYFlag) {
  ScramServer server(HashAlgo::Sha256);
  const auto first = server.receiveClientFirst("y,a=admin=2Cx=3Dy,n=us=3Der=2C,r=nonce");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->authzid, "admin,x=y");
  EXPECT_EQ(first->username, "us=er,");

  Exchange ex{HashAlgo::Sha256, makeScramCredentials(HashAlgo::Sha256, "pencil", 64)};
  ex.gs2Header = "y,,";
  EXPECT_TRUE(ex.run().has_value());
  ex.gs2Header = "n,a=someone,";
  EXPECT_TRUE(ex.run().has_value());
}

TEST(ScramTest, ChannelBindingMismatchIsRejected) {
  Exchange ex{HashAlgo::Sha256, makeScramCredentials(HashAlgo::Sha256, "pencil", 64)};
  ex.channelBinding = "eSws";  // claims 'y' after sending 'n'
  auto result = ex.run();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().condition, "not-authorized");
  ex.gs2Header = "n,a=other,";
  ex.channelBinding = "biws";  // drops the authzid
  EXPECT_FALSE(ex.run().has_value());
}

TEST(ScramTest, MalformedClientFirstIsRejected) {
  for (const char* bad : {"", "n", "n,", "n,,", "x,,n=user,r=abc", "p=tls-unique,,n=user,r=abc",
                          "n,,r=abc", "n,,n=user", "n,,n=user,r=", "n,,n=,r=abc",
                          "n,,n=us=er,r=abc", "n,,n=us=2c,r=abc", "n,,m=ext,n=user,r=abc",
                          "n,b=x,n=user,r=abc", "n,a=,n=user,r=abc", "n,,n=user,r=a b",
                          "n,,n=user,r=abc,1=bad", "n,,n=user,r=abc,", "n,,n=user,,r=abc"}) {
    ScramServer server(HashAlgo::Sha1);
    const auto result = server.receiveClientFirst(bad);
    ASSERT_FALSE(result.has_value()) << bad;
    EXPECT_EQ(result.error().condition, "malformed-request") << bad;
  }
  EXPECT_FALSE(ScramServer(HashAlgo::Sha1)
                   .receiveClientFirst(std::string_view("n,,n=us\0r,r=abc", 15))
                   .has_value());
  // Unknown trailing extensions are ignored.
  EXPECT_TRUE(ScramServer(HashAlgo::Sha1).receiveClientFirst("n,,n=user,r=abc,x=yz").has_value());
}

TEST(ScramTest, MalformedClientFinalIsRejected) {
  const auto credentials = makeScramCredentials(HashAlgo::Sha1, "pencil", 16);
  for (const char* bad : {"", "c=biws,r=abcXYZ", "c=biws,r=abcXYZ,p=", "c=biws,r=abcXYZ,p=!!!!",
                          "c=biws,r=abcXYZ,p=AAAA", "r=abcXYZ,p=AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                          "c=biws,p=AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                          "c=b,r=abcXYZ,p=AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                          "c=biws,r=abcXYZ,p=AAAAAAAAAAAAAAAAAAAAAAAAAAA=,x=y"}) {
    ScramServer server(HashAlgo::Sha1);
    server.setServerNonceForTesting("XYZ");
    ASSERT_TRUE(server.receiveClientFirst("n,,n=user,r=abc").has_value());
    server.serverFirst(credentials);
    const auto result = server.receiveClientFinal(bad);
    ASSERT_FALSE(result.has_value()) << bad;
    EXPECT_EQ(result.error().condition, "malformed-request") << bad;
  }
  // Wrong nonce: well-formed, but not this exchange.
  ScramServer server(HashAlgo::Sha1);
  server.setServerNonceForTesting("XYZ");
  ASSERT_TRUE(server.receiveClientFirst("n,,n=user,r=abc").has_value());
  server.serverFirst(credentials);
  const auto result = server.receiveClientFinal("c=biws,r=abcXYW,p=AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().condition, "not-authorized");
}

TEST(ScramTest, OutOfOrderCallsFail) {
  const auto credentials = makeScramCredentials(HashAlgo::Sha1, "pencil", 16);
  ScramServer server(HashAlgo::Sha1);
  EXPECT_FALSE(server.receiveClientFinal("c=biws,r=abc,p=AAAAAAAAAAAAAAAAAAAAAAAAAAA=").has_value());
  ScramServer twice(HashAlgo::Sha1);
  ASSERT_TRUE(twice.receiveClientFirst("n,,n=user,r=abc").has_value());
  EXPECT_FALSE(twice.receiveClientFirst("n,,n=user,r=abc").has_value());
  ScramServer early(HashAlgo::Sha1);
  EXPECT_EQ(early.serverFirst(credentials), "");
}

TEST(ScramTest, DecoyCredentialsAlwaysFail) {
  const auto decoy = ScramServer::decoyCredentials(HashAlgo::Sha256, "ghost", "secret", 4096);
  EXPECT_EQ(decoy.salt.size(), 16u);
  EXPECT_EQ(decoy.iterations, 4096u);
  EXPECT_EQ(decoy.storedKey.size(), 32u);
  // Stable per user and secret, so repeated probes see the same salt; different otherwise.
  EXPECT_EQ(decoy, ScramServer::decoyCredentials(HashAlgo::Sha256, "ghost", "secret", 4096));
  EXPECT_NE(decoy.salt,
            ScramServer::decoyCredentials(HashAlgo::Sha256, "ghost2", "secret", 4096).salt);
  EXPECT_NE(decoy.salt,
            ScramServer::decoyCredentials(HashAlgo::Sha256, "ghost", "secret2", 4096).salt);
  EXPECT_EQ(ScramServer::decoyCredentials(HashAlgo::Sha1, "ghost", "secret", 4096).storedKey.size(),
            20u);

  for (const char* password : {"pencil", "", "secret", "ghost"}) {
    Exchange ex{HashAlgo::Sha256, ScramServer::decoyCredentials(HashAlgo::Sha256, "ghost", "secret", 16)};
    ex.username = "ghost";
    ex.password = password;
    const auto result = ex.run();
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().condition, "not-authorized");
  }
}

TEST(ScramTest, VerifyPassword) {
  const auto credentials = makeScramCredentials(HashAlgo::Sha256, "correct horse", 32);
  EXPECT_TRUE(verifyPassword(credentials, "correct horse"));
  EXPECT_FALSE(verifyPassword(credentials, "correct horse "));
  EXPECT_FALSE(verifyPassword(credentials, ""));
  const auto sha1 = deriveScramCredentials(HashAlgo::Sha1, "pencil",
                                           *util::base64Decode("QSXCR+Q6sek8bf92"), 4096);
  EXPECT_TRUE(verifyPassword(sha1, "pencil"));
  EXPECT_FALSE(verifyPassword(sha1, "Pencil"));
}

TEST(ScramTest, PasswordIsSaslPrepped) {
  // SASLprep maps non-ASCII spaces to U+0020 and removes soft hyphens.
  const auto credentials = makeScramCredentials(HashAlgo::Sha256, "a b", 8);
  EXPECT_TRUE(verifyPassword(credentials, "a\xC2\xA0" "b"));
  EXPECT_TRUE(verifyPassword(credentials, "a \xC2\xAD" "b"));
}

TEST(PlainTest, ParsesValidMessages) {
  using namespace std::string_view_literals;
  auto plain = parsePlain("\0user\0pencil"sv);
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->authzid, "");
  EXPECT_EQ(plain->authcid, "user");
  EXPECT_EQ(plain->password, "pencil");

  plain = parsePlain("admin@example.com\0user\0pass word"sv);
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->authzid, "admin@example.com");
  EXPECT_EQ(plain->authcid, "user");
  EXPECT_EQ(plain->password, "pass word");
}

TEST(PlainTest, RejectsInvalidMessages) {
  using namespace std::string_view_literals;
  for (const auto bad : {""sv, "user"sv, "\0user"sv, "\0\0pencil"sv, "\0user\0"sv, "\0\0"sv,
                         "\0user\0pen\0cil"sv, "a\0user\0pencil\0"sv}) {
    EXPECT_FALSE(parsePlain(bad).has_value());
  }
}

TEST(CredentialsCodecTest, RoundTrips) {
  const std::vector<ScramCredentials> list{
      makeScramCredentials(HashAlgo::Sha1, "pencil", 16),
      makeScramCredentials(HashAlgo::Sha256, "pencil", 4096)};
  const std::string text = encodeCredentials(list);
  EXPECT_NE(text.find("\"v\":1"), std::string::npos);
  EXPECT_NE(text.find("\"sha-256\""), std::string::npos);
  const auto decoded = decodeCredentials(text);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, list);
  EXPECT_TRUE(verifyPassword((*decoded)[1], "pencil"));

  const auto empty = decodeCredentials(encodeCredentials({}));
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

TEST(CredentialsCodecTest, DecodesHandWrittenForm) {
  const auto credentials = deriveScramCredentials(HashAlgo::Sha1, "pencil",
                                                  *util::base64Decode("QSXCR+Q6sek8bf92"), 4096);
  const std::string text = R"({"v":1,"scram":[{"hash":"sha-1","salt":"QSXCR+Q6sek8bf92","i":4096,"stored":")" +
                           util::base64Encode(credentials.storedKey) + R"(","server":")" +
                           util::base64Encode(credentials.serverKey) + R"("}]})";
  const auto decoded = decodeCredentials(text);
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->size(), 1u);
  EXPECT_EQ((*decoded)[0], credentials);
}

TEST(CredentialsCodecTest, RejectsBadInput) {
  const std::string good = encodeCredentials({makeScramCredentials(HashAlgo::Sha256, "x", 8)});
  ASSERT_TRUE(decodeCredentials(good).has_value());
  const auto replaced = [&](std::string_view from, std::string_view to) {
    std::string s = good;
    const auto pos = s.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    if (pos != std::string::npos) s.replace(pos, from.size(), to);
    return s;
  };
  for (const std::string& bad :
       {std::string(), std::string("not json"), std::string("[]"), std::string("{}"),
        std::string(R"({"v":2,"scram":[]})"), std::string(R"({"v":"1","scram":[]})"),
        std::string(R"({"v":1,"scram":{}})"), std::string(R"({"v":1,"scram":[1]})"),
        std::string(R"({"v":1})"), good.substr(0, good.size() - 1), replaced("sha-256", "sha-512"),
        replaced("sha-256", "sha-1"), replaced("\"i\":8", "\"i\":0"),
        replaced("\"i\":8", "\"i\":-8"), replaced("\"i\":8", "\"i\":8.5"),
        replaced("\"i\":8", "\"i\":99999999999"), replaced("\"salt\":\"", "\"salt\":\"!"),
        replaced("\"stored\":\"", "\"stored\":\"AAAA"), replaced("\"server\"", "\"serve\"")}) {
    EXPECT_FALSE(decodeCredentials(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace telex::sasl
