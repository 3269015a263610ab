// SCRAM (RFC 5802 / RFC 7677) server side, without channel binding (-PLUS is not offered).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "util/expected.hpp"

namespace telex::sasl {

enum class HashAlgo { Sha1, Sha256 };

// "SCRAM-SHA-1" / "SCRAM-SHA-256".
std::string_view mechanismName(HashAlgo algo);
// Digest size in bytes (20 / 32): the length of storedKey, serverKey and proofs.
std::size_t digestSize(HashAlgo algo);

// The RFC 5802 primitives, shared by the server and the client library (client/scram_client).
std::string hmac(HashAlgo algo, std::string_view key, std::string_view data);
std::string digest(HashAlgo algo, std::string_view data);
// Normalize(password) with PBKDF2 (Hi): SASLprep as a query, the raw bytes when SASLprep refuses.
std::string saltedPassword(HashAlgo algo, std::string_view password, std::string_view salt,
                           std::uint32_t iterations);

// What the server stores per user and mechanism; all fields are raw bytes.
struct ScramCredentials {
  HashAlgo algo = HashAlgo::Sha256;
  std::string salt;
  std::uint32_t iterations = 0;
  std::string storedKey;
  std::string serverKey;

  friend bool operator==(const ScramCredentials&, const ScramCredentials&) = default;
};

// PBKDF2 + HMAC per RFC 5802. The password is SASLprep'ed first (RFC 5802 "Normalize"); when
// SASLprep refuses it, the raw bytes are used, as common clients do. iterations == 0 counts as 1.
// Slow by design: callers run it off the event loop.
ScramCredentials deriveScramCredentials(HashAlgo algo, std::string_view password,
                                        std::string_view salt, std::uint32_t iterations);
// Same with a fresh 16-byte random salt.
ScramCredentials makeScramCredentials(HashAlgo algo, std::string_view password,
                                      std::uint32_t iterations);
// For PLAIN: derives from the stored salt/iterations and compares in constant time. Slow too.
bool verifyPassword(const ScramCredentials& credentials, std::string_view password);

// RFC 6120 §6.5 condition names: "malformed-request", "not-authorized", "invalid-authzid",
// "encryption-required", "temporary-auth-failure", "aborted", "invalid-mechanism".
struct SaslError {
  std::string condition;
  std::string text;
};

// One SCRAM exchange; use a fresh object per authentication attempt. Call order:
// receiveClientFirst → serverFirst → receiveClientFinal. Out-of-order calls fail.
class ScramServer {
 public:
  explicit ScramServer(HashAlgo algo);

  struct ClientFirst {
    std::string username;  // decoded saslname, not yet normalized (callers nodeprep it)
    std::string authzid;   // empty if absent
  };

  // Parses client-first-message: gs2 header 'n' or 'y' ('p=' is rejected since no -PLUS
  // mechanism is offered; note 'y' would have to be rejected if -PLUS is ever added), optional
  // a=authzid, n=username, r=nonce; saslname =2C/=3D decoding; the reserved 'm=' extension is
  // rejected, other trailing extensions are ignored.
  Expected<ClientFirst, SaslError> receiveClientFirst(std::string_view message);

  // Builds server-first-message: the client's nonce plus a fresh random server nonce, the salt
  // and the iteration count. For unknown users pass decoyCredentials(...).
  std::string serverFirst(const ScramCredentials& credentials);

  // Verifies the channel-binding echo (base64 of the gs2 header: "biws" for "n,,", "eSws" for
  // "y,,"), the combined nonce, and the ClientProof in constant time; returns the
  // server-final-message "v=...".
  Expected<std::string, SaslError> receiveClientFinal(std::string_view message);

  // Credentials for unknown users, derived from a per-server secret so the same username always
  // gets the same salt (user existence does not leak through changing salts). storedKey is an
  // HMAC output rather than H(ClientKey) of any key, so finding a passing proof would need a hash
  // preimage: the exchange always ends in not-authorized.
  static ScramCredentials decoyCredentials(HashAlgo algo, std::string_view username,
                                           std::string_view serverSecret,
                                           std::uint32_t iterations);

  // Tests only: fixes the server nonce (printable ASCII, no ',') used by the next serverFirst().
  void setServerNonceForTesting(std::string nonce) { fixedServerNonce_ = std::move(nonce); }

 private:
  enum class State { ExpectClientFirst, ExpectServerFirst, ExpectClientFinal, Done };

  HashAlgo algo_;
  State state_ = State::ExpectClientFirst;
  std::string gs2Header_;
  std::string clientFirstBare_;
  std::string clientNonce_;
  std::string combinedNonce_;
  std::string serverFirst_;
  ScramCredentials credentials_;
  std::optional<std::string> fixedServerNonce_;
};

}  // namespace telex::sasl
