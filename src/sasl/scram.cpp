// SCRAM-SHA-1 / SCRAM-SHA-256 server: credential derivation and the three-message exchange.
#include "sasl/scram.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stringprep.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "util/base64.hpp"
#include "util/crypto.hpp"

namespace telex::sasl {

namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kServerNonceBytes = 18;  // 24 base64 characters, no padding

// OpenSSL digest/MAC calls only fail on allocation failure or misuse; neither is recoverable.
[[noreturn]] void fatal(const char* what) {
  std::fprintf(stderr, "telex: %s failed\n", what);
  std::abort();
}

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};
struct MdDeleter {
  void operator()(EVP_MD* p) const { EVP_MD_free(p); }
};
struct MacDeleter {
  void operator()(EVP_MAC* p) const { EVP_MAC_free(p); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* p) const { EVP_MAC_CTX_free(p); }
};
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter>;

// OpenSSL 3 looks the algorithms up in its providers on every HMAC() call and on every digest
// through EVP_sha1()/EVP_sha256(); that was a large part of a SCRAM sign-in's CPU. They are
// fetched once here and never modified afterwards, so sharing them between threads is safe.
class Algorithms {
 public:
  static const Algorithms& get() {
    static const Algorithms instance;
    return instance;
  }

  const EVP_MD* md(HashAlgo algo) const {
    return algo == HashAlgo::Sha1 ? sha1_.get() : sha256_.get();
  }

  // A fresh HMAC context with the digest already set; only the key is left to initialise.
  MacCtxPtr newHmac(HashAlgo algo) const {
    MacCtxPtr ctx(EVP_MAC_CTX_dup(algo == HashAlgo::Sha1 ? hmacSha1_.get() : hmacSha256_.get()));
    if (!ctx) fatal("EVP_MAC_CTX_dup");
    return ctx;
  }

 private:
  Algorithms()
      : sha1_(fetchMd("SHA1")),
        sha256_(fetchMd("SHA256")),
        hmacSha1_(hmacTemplate("SHA1")),
        hmacSha256_(hmacTemplate("SHA256")) {}

  static std::unique_ptr<EVP_MD, MdDeleter> fetchMd(const char* name) {
    std::unique_ptr<EVP_MD, MdDeleter> md(EVP_MD_fetch(nullptr, name, nullptr));
    if (!md) fatal("EVP_MD_fetch");
    return md;
  }

  static MacCtxPtr hmacTemplate(const char* digestName) {
    const std::unique_ptr<EVP_MAC, MacDeleter> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    if (!mac) fatal("EVP_MAC_fetch");
    MacCtxPtr ctx(EVP_MAC_CTX_new(mac.get()));  // holds its own reference to the MAC
    if (!ctx) fatal("EVP_MAC_CTX_new");
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digestName), 0),
        OSSL_PARAM_construct_end()};
    if (EVP_MAC_CTX_set_params(ctx.get(), params) != 1) fatal("EVP_MAC_CTX_set_params");
    return ctx;
  }

  std::unique_ptr<EVP_MD, MdDeleter> sha1_;
  std::unique_ptr<EVP_MD, MdDeleter> sha256_;
  MacCtxPtr hmacSha1_;
  MacCtxPtr hmacSha256_;
};

const EVP_MD* evpMd(HashAlgo algo) { return Algorithms::get().md(algo); }

// RFC 5802 Normalize(): SASLprep as a query (unassigned code points allowed). Passwords that
// SASLprep rejects are used verbatim, which is what widespread clients do too.
std::string normalizePassword(std::string_view password) {
  if (password.empty() || password.find('\0') != std::string_view::npos) {
    return std::string(password);
  }
  const std::string input(password);
  char* raw = nullptr;
  const int rc = stringprep_profile(input.c_str(), &raw, "SASLprep", Stringprep_profile_flags{});
  const std::unique_ptr<char, FreeDeleter> out(raw);
  if (rc != STRINGPREP_OK || !out || out.get()[0] == '\0') return input;
  return std::string(out.get());
}

SaslError malformed(std::string text) { return SaslError{"malformed-request", std::move(text)}; }
SaslError notAuthorized(std::string text) { return SaslError{"not-authorized", std::move(text)}; }

// saslname (RFC 5802 §7): non-empty, no NUL or ',', '=' only as "=2C" (',') or "=3D" ('=').
std::optional<std::string> decodeSaslname(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\0' || c == ',') return std::nullopt;
    if (c != '=') {
      out.push_back(c);
      continue;
    }
    const std::string_view escape = text.substr(i + 1, 2);
    if (escape == "2C") {
      out.push_back(',');
    } else if (escape == "3D") {
      out.push_back('=');
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  return out;
}

// c-nonce / nonce: printable ASCII except ','.
bool isValidNonce(std::string_view nonce) {
  if (nonce.empty()) return false;
  return std::all_of(nonce.begin(), nonce.end(),
                     [](char c) { return c >= 0x21 && c <= 0x7E && c != ','; });
}

// An unknown extension "x=value": a letter, '=', then anything but NUL (commas were split off).
bool isAttrVal(std::string_view field) {
  if (field.size() < 2 || field[1] != '=') return false;
  const char a = field[0];
  if (!((a >= 'a' && a <= 'z') || (a >= 'A' && a <= 'Z'))) return false;
  return field.find('\0') == std::string_view::npos;
}

// Splits off the next comma-separated field; returns false when nothing is left.
bool nextField(std::string_view& rest, std::string_view& field, bool& more) {
  if (!more) return false;
  const std::size_t comma = rest.find(',');
  if (comma == std::string_view::npos) {
    field = rest;
    rest = {};
    more = false;
  } else {
    field = rest.substr(0, comma);
    rest = rest.substr(comma + 1);
  }
  return true;
}

}  // namespace

std::string_view mechanismName(HashAlgo algo) {
  return algo == HashAlgo::Sha1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256";
}

std::size_t digestSize(HashAlgo algo) { return algo == HashAlgo::Sha1 ? 20 : 32; }

std::string hmac(HashAlgo algo, std::string_view key, std::string_view data) {
  const MacCtxPtr ctx = Algorithms::get().newHmac(algo);
  // An empty key must still be a valid pointer: OpenSSL treats a null key as "keep the old one".
  static const unsigned char kEmpty = 0;
  const auto* keyBytes = key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  const auto* dataBytes = reinterpret_cast<const unsigned char*>(data.data());
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t outLen = 0;
  if (EVP_MAC_init(ctx.get(), keyBytes, key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx.get(), dataBytes, data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out, &outLen, sizeof out) != 1) {
    fatal("HMAC");
  }
  return std::string(reinterpret_cast<const char*>(out), outLen);
}

std::string digest(HashAlgo algo, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int outLen = 0;
  if (EVP_Digest(data.data(), data.size(), out, &outLen, evpMd(algo), nullptr) != 1) {
    fatal("EVP_Digest");
  }
  return std::string(reinterpret_cast<const char*>(out), outLen);
}

std::string saltedPassword(HashAlgo algo, std::string_view password, std::string_view salt,
                           std::uint32_t iterations) {
  const std::string normalized = normalizePassword(password);
  const std::uint32_t rounds = std::clamp<std::uint32_t>(iterations, 1, INT_MAX);
  std::string salted(digestSize(algo), '\0');
  if (PKCS5_PBKDF2_HMAC(normalized.data(), static_cast<int>(normalized.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), static_cast<int>(rounds), evpMd(algo),
                        static_cast<int>(salted.size()),
                        reinterpret_cast<unsigned char*>(salted.data())) != 1) {
    fatal("PKCS5_PBKDF2_HMAC");
  }
  return salted;
}

ScramCredentials deriveScramCredentials(HashAlgo algo, std::string_view password,
                                        std::string_view salt, std::uint32_t iterations) {
  const std::uint32_t rounds = std::clamp<std::uint32_t>(iterations, 1, INT_MAX);
  std::string salted = saltedPassword(algo, password, salt, rounds);
  const std::string clientKey = hmac(algo, salted, "Client Key");
  ScramCredentials out;
  out.algo = algo;
  out.salt = std::string(salt);
  out.iterations = rounds;
  out.storedKey = digest(algo, clientKey);
  out.serverKey = hmac(algo, salted, "Server Key");
  OPENSSL_cleanse(salted.data(), salted.size());
  return out;
}

ScramCredentials makeScramCredentials(HashAlgo algo, std::string_view password,
                                      std::uint32_t iterations) {
  return deriveScramCredentials(algo, password, util::randomBytes(kSaltBytes), iterations);
}

bool verifyPassword(const ScramCredentials& credentials, std::string_view password) {
  const ScramCredentials derived =
      deriveScramCredentials(credentials.algo, password, credentials.salt, credentials.iterations);
  // Both comparisons always run, so timing does not depend on which one failed.
  const bool storedOk = util::constantTimeEquals(derived.storedKey, credentials.storedKey);
  const bool serverOk = util::constantTimeEquals(derived.serverKey, credentials.serverKey);
  return storedOk & serverOk;
}

ScramServer::ScramServer(HashAlgo algo) : algo_(algo) {}

Expected<ScramServer::ClientFirst, SaslError> ScramServer::receiveClientFirst(
    std::string_view message) {
  if (state_ != State::ExpectClientFirst) {
    state_ = State::Done;
    return unexpected(malformed("unexpected client-first-message"));
  }
  state_ = State::Done;  // any failure below ends the exchange

  // gs2-header: cbind flag, optional authzid, each followed by ','.
  if (message.empty()) return unexpected(malformed("empty client-first-message"));
  if (message[0] == 'p') {
    return unexpected(malformed("channel binding is not supported by this mechanism"));
  }
  if (message.size() < 2 || (message[0] != 'n' && message[0] != 'y') || message[1] != ',') {
    return unexpected(malformed("invalid gs2 header"));
  }
  const std::size_t authzEnd = message.find(',', 2);
  if (authzEnd == std::string_view::npos) return unexpected(malformed("invalid gs2 header"));
  const std::string_view authzField = message.substr(2, authzEnd - 2);
  ClientFirst result;
  if (!authzField.empty()) {
    if (!authzField.starts_with("a=")) return unexpected(malformed("invalid gs2 authzid"));
    auto authzid = decodeSaslname(authzField.substr(2));
    if (!authzid) return unexpected(malformed("invalid gs2 authzid"));
    result.authzid = std::move(*authzid);
  }
  const std::string_view header = message.substr(0, authzEnd + 1);
  const std::string_view bare = message.substr(authzEnd + 1);

  std::string_view rest = bare;
  std::string_view field;
  bool more = true;
  if (!nextField(rest, field, more)) return unexpected(malformed("missing username"));
  if (field.starts_with("m=")) {
    return unexpected(malformed("mandatory extensions are not supported"));
  }
  if (!field.starts_with("n=")) return unexpected(malformed("missing username"));
  auto username = decodeSaslname(field.substr(2));
  if (!username) return unexpected(malformed("invalid username"));
  result.username = std::move(*username);

  if (!nextField(rest, field, more) || !field.starts_with("r=")) {
    return unexpected(malformed("missing nonce"));
  }
  const std::string_view nonce = field.substr(2);
  if (!isValidNonce(nonce)) return unexpected(malformed("invalid nonce"));
  while (nextField(rest, field, more)) {
    if (!isAttrVal(field)) return unexpected(malformed("invalid extension"));
  }

  gs2Header_ = std::string(header);
  clientFirstBare_ = std::string(bare);
  clientNonce_ = std::string(nonce);
  state_ = State::ExpectServerFirst;
  return result;
}

std::string ScramServer::serverFirst(const ScramCredentials& credentials) {
  if (state_ != State::ExpectServerFirst) {
    // Misuse: make sure the exchange cannot succeed afterwards.
    state_ = State::Done;
    return {};
  }
  std::string serverNonce = fixedServerNonce_ ? *fixedServerNonce_
                                              : util::base64Encode(util::randomBytes(kServerNonceBytes));
  combinedNonce_ = clientNonce_ + serverNonce;
  credentials_ = credentials;
  serverFirst_ = "r=" + combinedNonce_ + ",s=" + util::base64Encode(credentials.salt) +
                 ",i=" + std::to_string(credentials.iterations);
  state_ = State::ExpectClientFinal;
  return serverFirst_;
}

Expected<std::string, SaslError> ScramServer::receiveClientFinal(std::string_view message) {
  if (state_ != State::ExpectClientFinal) {
    state_ = State::Done;
    return unexpected(malformed("unexpected client-final-message"));
  }
  state_ = State::Done;  // one attempt per exchange, whatever the outcome

  // The proof is the last attribute; everything before it is client-final-without-proof.
  const std::size_t lastComma = message.rfind(',');
  if (lastComma == std::string_view::npos) return unexpected(malformed("missing proof"));
  const std::string_view withoutProof = message.substr(0, lastComma);
  const std::string_view proofField = message.substr(lastComma + 1);
  if (!proofField.starts_with("p=")) return unexpected(malformed("missing proof"));
  const auto proof = util::base64Decode(proofField.substr(2));
  if (!proof || proof->size() != digestSize(algo_)) {
    return unexpected(malformed("invalid proof encoding"));
  }

  std::string_view rest = withoutProof;
  std::string_view field;
  bool more = true;
  if (!nextField(rest, field, more) || !field.starts_with("c=")) {
    return unexpected(malformed("missing channel binding"));
  }
  const auto binding = util::base64Decode(field.substr(2));
  if (!binding) return unexpected(malformed("invalid channel binding encoding"));
  if (!nextField(rest, field, more) || !field.starts_with("r=")) {
    return unexpected(malformed("missing nonce"));
  }
  const std::string_view nonce = field.substr(2);
  while (nextField(rest, field, more)) {
    if (!isAttrVal(field)) return unexpected(malformed("invalid extension"));
  }
  if (*binding != gs2Header_) return unexpected(notAuthorized("channel binding mismatch"));
  if (nonce != combinedNonce_) return unexpected(notAuthorized("nonce mismatch"));
  if (credentials_.algo != algo_ || credentials_.storedKey.size() != digestSize(algo_)) {
    return unexpected(SaslError{"temporary-auth-failure", "unusable credentials"});
  }

  std::string authMessage;
  authMessage.reserve(clientFirstBare_.size() + serverFirst_.size() + withoutProof.size() + 2);
  authMessage.append(clientFirstBare_).append(",").append(serverFirst_).append(",").append(
      withoutProof);

  const std::string clientSignature = hmac(algo_, credentials_.storedKey, authMessage);
  std::string clientKey(*proof);
  for (std::size_t i = 0; i < clientKey.size(); ++i) clientKey[i] ^= clientSignature[i];
  const bool ok = util::constantTimeEquals(digest(algo_, clientKey), credentials_.storedKey);
  OPENSSL_cleanse(clientKey.data(), clientKey.size());
  if (!ok) return unexpected(notAuthorized("invalid proof"));

  return "v=" + util::base64Encode(hmac(algo_, credentials_.serverKey, authMessage));
}

ScramCredentials ScramServer::decoyCredentials(HashAlgo algo, std::string_view username,
                                               std::string_view serverSecret,
                                               std::uint32_t iterations) {
  // Domain-separated labels keep the three derived values independent of each other.
  const auto label = [&](std::string_view purpose) {
    std::string s("telex-scram-decoy");
    s.push_back('\0');
    s.append(purpose).push_back('\0');
    s.append(mechanismName(algo)).push_back('\0');
    s.append(username);
    return s;
  };
  ScramCredentials out;
  out.algo = algo;
  out.salt = hmac(HashAlgo::Sha256, serverSecret, label("salt")).substr(0, kSaltBytes);
  out.iterations = std::max<std::uint32_t>(iterations, 1);
  out.storedKey = hmac(algo, serverSecret, label("stored"));
  out.serverKey = hmac(algo, serverSecret, label("server"));
  return out;
}

}  // namespace telex::sasl
