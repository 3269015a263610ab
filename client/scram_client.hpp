// SASL client mechanisms: SCRAM-SHA-1/-256 (RFC 5802 / RFC 7677, no channel binding) and PLAIN.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sasl/scram.hpp"
#include "util/expected.hpp"

namespace telex::client {

using sasl::HashAlgo;

// One SCRAM exchange from the client's side; a fresh object per attempt. Call order:
// clientFirst → receiveServerFirst (gives client-final) → verifyServerFinal. The exchange counts
// as successful only when verifyServerFinal accepted the server's signature: a server that
// merely says <success/> without proving it knows the password is not trusted.
class ScramClient {
 public:
  // The username is sent as given (for XMPP: the JID's already-prepared localpart); the password
  // is SASLprep'ed (RFC 5802 Normalize) and used verbatim when SASLprep refuses it.
  ScramClient(HashAlgo algo, std::string username, std::string password, std::string authzid = {});

  // "n,,n=user,r=nonce" (gs2 header 'n': we support no channel binding).
  std::string clientFirst();

  // Parses server-first-message (r=, s=, i=), checks that the nonce extends ours, derives the
  // keys and returns client-final-message "c=biws,r=...,p=...". Fails on a server error (e=),
  // a malformed message, a bad nonce, or an iteration count outside [1, maxIterations].
  Expected<std::string, std::string> receiveServerFirst(std::string_view message);

  // Checks server-final-message "v=ServerSignature" (or reports its "e=" error).
  Expected<std::monostate, std::string> verifyServerFinal(std::string_view message);

  bool serverVerified() const { return state_ == State::Verified; }
  HashAlgo algo() const { return algo_; }

  // Guards against a hostile server making us spend minutes in PBKDF2.
  void setMaxIterations(std::uint32_t max) { maxIterations_ = max; }
  // Tests only: the client nonce (printable ASCII, no ',').
  void setClientNonceForTesting(std::string nonce) { clientNonce_ = std::move(nonce); }

 private:
  enum class State { Start, SentFirst, SentFinal, Verified, Failed };

  HashAlgo algo_;
  std::string username_;
  std::string password_;
  std::string authzid_;
  std::string clientNonce_;
  std::string clientFirstBare_;
  std::string expectedServerSignature_;
  std::uint32_t maxIterations_ = 1'000'000;
  State state_ = State::Start;
};

// RFC 5802 saslname: ',' → "=2C", '=' → "=3D".
std::string encodeSaslname(std::string_view name);

// RFC 4616 PLAIN message: authzid NUL authcid NUL password (not base64-encoded).
std::string plainMessage(std::string_view authcid, std::string_view password,
                         std::string_view authzid = {});

// The mechanisms this client implements, strongest first.
enum class Mechanism { ScramSha256, ScramSha1, Plain };
std::string_view mechanismName(Mechanism mechanism);

// Picks the strongest mechanism both sides support. PLAIN only when plainAllowed (the stream is
// encrypted, or the user explicitly allowed plaintext).
std::optional<Mechanism> chooseMechanism(const std::vector<std::string>& offered,
                                         bool plainAllowed);

}  // namespace telex::client
