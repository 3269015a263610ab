// Unit tests for the stored-credentials codec beyond scram_test.cpp: the exact stored form, and
// every way decodeCredentials must refuse a document.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sasl/credentials_codec.hpp"
#include "sasl/scram.hpp"
#include "util/base64.hpp"

namespace telex::sasl {
namespace {

// The RFC 7677 and RFC 5802 example users, as AccountStore stores them (SHA-256 first).
std::vector<ScramCredentials> exampleCredentials() {
  return {deriveScramCredentials(HashAlgo::Sha256, "pencil",
                                 *util::base64Decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096),
          deriveScramCredentials(HashAlgo::Sha1, "pencil", *util::base64Decode("QSXCR+Q6sek8bf92"),
                                 4096)};
}

// Already stored data: must keep decoding, and encoding must keep producing it byte for byte.
constexpr std::string_view kStoredExample =
    R"({"scram":[{"hash":"sha-256","i":4096,"salt":"W22ZaJ0SNY7soEsUEjb6gQ==",)"
    R"("server":"wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",)"
    R"("stored":"WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="},)"
    R"({"hash":"sha-1","i":4096,"salt":"QSXCR+Q6sek8bf92","server":"D+CSWLOshSulAsxiupA+qs2/fTE=",)"
    R"("stored":"6dlGYMOdZcOPutkcNY8U2g7vK9Y="}],"v":1})";

// The members of one entry, as JSON text; the defaults make the valid RFC 5802 SHA-1 entry and
// "" leaves a member out.
struct Entry {
  std::string hash = R"("sha-1")";
  std::string salt = R"("QSXCR+Q6sek8bf92")";
  std::string iterations = "4096";
  std::string stored = R"("6dlGYMOdZcOPutkcNY8U2g7vK9Y=")";
  std::string server = R"("D+CSWLOshSulAsxiupA+qs2/fTE=")";
};

std::string entry(const Entry& e = {}) {
  std::string out = "{";
  const auto add = [&](const char* name, const std::string& value) {
    if (value.empty()) return;
    if (out.size() > 1) out += ',';
    out += '"';
    out += name;
    out += "\":";
    out += value;
  };
  add("hash", e.hash);
  add("salt", e.salt);
  add("i", e.iterations);
  add("stored", e.stored);
  add("server", e.server);
  return out + "}";
}

std::string document(const std::string& entries) { return R"({"v":1,"scram":[)" + entries + "]}"; }

TEST(CredentialsCodecTest, EncodesTheStoredFormExactly) {
  EXPECT_EQ(encodeCredentials(exampleCredentials()), kStoredExample);
}

TEST(CredentialsCodecTest, DecodesTheStoredForm) {
  const auto decoded = decodeCredentials(kStoredExample);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, exampleCredentials());
  EXPECT_TRUE(verifyPassword((*decoded)[0], "pencil"));
}

TEST(CredentialsCodecTest, RoundTripsEveryByteAndIterationBounds) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  std::vector<ScramCredentials> list;
  for (std::size_t saltLength : {1u, 2u, 3u, 16u, 64u, 256u}) {
    ScramCredentials c;
    c.algo = saltLength % 2 == 0 ? HashAlgo::Sha256 : HashAlgo::Sha1;
    c.salt = bytes.substr(256 - saltLength);
    c.iterations = saltLength == 1 ? 1u : 2147483647u;
    c.storedKey = bytes.substr(saltLength % 7, digestSize(c.algo));
    c.serverKey = std::string(digestSize(c.algo), '\0');
    list.push_back(c);
  }
  const std::string text = encodeCredentials(list);
  const auto decoded = decodeCredentials(text);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, list);
  EXPECT_EQ(encodeCredentials(*decoded), text);
}

TEST(CredentialsCodecTest, AcceptsWhitespaceAndMemberOrder) {
  const std::string text =
      "\n { \"scram\" : [ " + entry() + " ] ,\t\"v\" : 1 } \n";
  const auto decoded = decodeCredentials(text);
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->size(), 1u);
  EXPECT_EQ((*decoded)[0], exampleCredentials()[1]);
}

// As with json::parse before: unknown members are ignored whatever they hold, and a repeated
// member replaces the earlier one.
TEST(CredentialsCodecTest, IgnoresUnknownMembersAndKeepsTheLastDuplicate) {
  const std::string withExtras =
      R"({"x":{"v":2,"scram":5,"y":[[{}],null]},"v":1,"scram":[)" +
      entry().insert(1, R"("note":{"hash":"sha-512","i":0},"more":[1,"a",[true]],)") +
      R"(],"z":[{"hash":1}]})";
  auto decoded = decodeCredentials(withExtras);
  ASSERT_TRUE(decoded.has_value()) << withExtras;
  ASSERT_EQ(decoded->size(), 1u);
  EXPECT_EQ((*decoded)[0], exampleCredentials()[1]);

  const std::string duplicates =
      R"({"v":2,"scram":[1],"v":1,"scram":[)" +
      entry().insert(1, R"("i":0,"salt":"!!!!","hash":"md5",)") + "]}";
  decoded = decodeCredentials(duplicates);
  ASSERT_TRUE(decoded.has_value()) << duplicates;
  EXPECT_EQ((*decoded)[0], exampleCredentials()[1]);

  EXPECT_FALSE(decodeCredentials(R"({"v":1,"v":2,"scram":[]})").has_value());
  EXPECT_FALSE(decodeCredentials(R"({"v":1,"scram":[],"scram":{}})").has_value());
  std::string zeroIterationsLast = entry();
  zeroIterationsLast.insert(zeroIterationsLast.size() - 1, R"(,"i":0)");
  EXPECT_FALSE(decodeCredentials(document(zeroIterationsLast)).has_value());
}

// Complements CredentialsCodecTest.RejectsBadInput in scram_test.cpp.
TEST(CredentialsCodecTest, RejectsEveryKindOfBadDocument) {
  ASSERT_TRUE(decodeCredentials(document(entry())).has_value());
  ASSERT_TRUE(decodeCredentials(document(entry() + "," + entry())).has_value());
  for (const std::string& bad : {
           // Not JSON, or not only one JSON document.
           std::string("{"), std::string("   "), document(entry()) + "x", document(entry()) + "{}",
           std::string(R"({"v":1,"scram":[]} // comment)"), std::string(R"({"v":1,"scram":[],})"),
           std::string("{\"v\":1,\"scram\":[],\"\xff\":1}"),
           // Not an object at the top.
           std::string("null"), std::string("1"), std::string(R"("v")"),
           std::string(R"([{"v":1,"scram":[]}])"),
           // Version missing, of the wrong type, or unknown.
           std::string(R"({"scram":[]})"), std::string(R"({"v":1.0,"scram":[]})"),
           std::string(R"({"v":true,"scram":[]})"), std::string(R"({"v":null,"scram":[]})"),
           std::string(R"({"v":[1],"scram":[]})"), std::string(R"({"v":0,"scram":[]})"),
           std::string(R"({"v":-1,"scram":[]})"),
           // The list missing or not an array.
           std::string(R"({"v":1,"scram":null})"), std::string(R"({"v":1,"scram":"[]"})"),
           // An entry that is not an object; one bad entry spoils the whole list.
           document("null"), document("[]"), document(R"("x")"), document(entry() + ",1"),
           document(entry() + "," + entry({.hash = "", .salt = "", .iterations = "", .stored = "", .server = ""})),
           // Hash missing, not a string, or unknown.
           document(entry({.hash = ""})), document(entry({.hash = "1"})), document(entry({.hash = "null"})),
           document(entry({.hash = R"(["sha-1"])"})), document(entry({.hash = R"("SHA-1")"})),
           document(entry({.hash = R"("sha1")"})),
           // Iterations missing, not an unsigned integer, or out of range.
           document(entry({.iterations = ""})), document(entry({.iterations = R"("4096")"})),
           document(entry({.iterations = "4096.0"})), document(entry({.iterations = "4e3"})),
           document(entry({.iterations = "-0"})), document(entry({.iterations = "true"})),
           document(entry({.iterations = "2147483648"})), document(entry({.iterations = "18446744073709551615"})),
           document(entry({.iterations = "18446744073709551616"})),
           // Salt missing, empty, not a string, or not strict base64.
           document(entry({.salt = ""})), document(entry({.salt = R"("")"})), document(entry({.salt = "16"})),
           document(entry({.salt = R"("QSXCR+Q6sek8bf9")"})), document(entry({.salt = R"("QSXCR-Q6sek8bf92")"})),
           document(entry({.salt = R"("QSXCR+Q6 sek8bf92")"})), document(entry({.salt = R"("Zh==")"})),
           // Keys missing, not strings, not base64, or of the other hash's length.
           document(entry({.stored = ""})), document(entry({.server = ""})),
           document(entry({.stored = "null"})), document(entry({.server = "[]"})),
           document(entry({.stored = R"("6dlGYMOdZcOPutkcNY8U2g7vK9Z=")"})),
           document(entry({.server = R"("D+CSWLOshSulAsxiupA+qs2/fTE")"})),
           document(entry({.stored = R"("6dlGYMOdZcOPutkcNY8U2g7vK9Y6dlGY")"})),
           document(entry({.server = R"("D+CSWLOshSulAsxiupA+qs2/fQ==")"})),
           document(entry({.hash = R"("sha-256")"})),
       }) {
    EXPECT_FALSE(decodeCredentials(bad).has_value()) << bad;
  }
  EXPECT_FALSE(decodeCredentials(std::string_view("{\"v\":1,\0\"scram\":[]}", 19)).has_value());
}

}  // namespace
}  // namespace telex::sasl
