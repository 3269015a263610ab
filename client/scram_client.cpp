// SCRAM client exchange and the other SASL client helpers.
#include "client/scram_client.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>

#include "util/base64.hpp"
#include "util/crypto.hpp"

namespace telex::client {

namespace {

constexpr std::size_t kClientNonceBytes = 18;

// Splits "a=1,b=2" into its attributes; values may contain '=' but not ','.
struct Attr {
  char name;
  std::string_view value;
};

std::optional<std::vector<Attr>> splitAttrs(std::string_view message) {
  std::vector<Attr> out;
  while (!message.empty()) {
    const std::size_t comma = message.find(',');
    const std::string_view field = message.substr(0, comma);
    if (field.size() < 2 || field[1] != '=') return std::nullopt;
    out.push_back({field[0], field.substr(2)});
    if (comma == std::string_view::npos) break;
    message = message.substr(comma + 1);
  }
  return out;
}

}  // namespace

std::string encodeSaslname(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

ScramClient::ScramClient(HashAlgo algo, std::string username, std::string password,
                         std::string authzid)
    : algo_(algo),
      username_(std::move(username)),
      password_(std::move(password)),
      authzid_(std::move(authzid)) {}

std::string ScramClient::clientFirst() {
  if (clientNonce_.empty()) clientNonce_ = util::base64Encode(util::randomBytes(kClientNonceBytes));
  clientFirstBare_ = "n=" + encodeSaslname(username_) + ",r=" + clientNonce_;
  state_ = State::SentFirst;
  const std::string gs2 = authzid_.empty() ? "n,," : "n,a=" + encodeSaslname(authzid_) + ",";
  return gs2 + clientFirstBare_;
}

Expected<std::string, std::string> ScramClient::receiveServerFirst(std::string_view message) {
  if (state_ != State::SentFirst) {
    state_ = State::Failed;
    return unexpected(std::string("unexpected SCRAM server-first-message"));
  }
  state_ = State::Failed;  // until everything below checks out
  const auto attrs = splitAttrs(message);
  if (!attrs || attrs->empty()) {
    return unexpected(std::string("malformed SCRAM server-first-message"));
  }
  if ((*attrs)[0].name == 'e') {
    return unexpected("server error: " + std::string((*attrs)[0].value));
  }
  if ((*attrs)[0].name == 'm') {
    return unexpected(std::string("unsupported mandatory SCRAM extension"));
  }
  if (attrs->size() < 3 || (*attrs)[0].name != 'r' || (*attrs)[1].name != 's' ||
      (*attrs)[2].name != 'i') {
    return unexpected(std::string("malformed SCRAM server-first-message"));
  }
  const std::string_view nonce = (*attrs)[0].value;
  if (nonce.size() <= clientNonce_.size() || !nonce.starts_with(clientNonce_)) {
    return unexpected(std::string("the server's SCRAM nonce does not extend ours"));
  }
  if (!std::all_of(nonce.begin(), nonce.end(), [](char c) { return c >= 0x21 && c <= 0x7e; })) {
    return unexpected(std::string("invalid characters in the server's SCRAM nonce"));
  }
  const auto salt = util::base64Decode((*attrs)[1].value);
  if (!salt || salt->empty()) return unexpected(std::string("invalid SCRAM salt"));
  const std::string_view iterText = (*attrs)[2].value;
  std::uint32_t iterations = 0;
  auto [ptr, ec] = std::from_chars(iterText.data(), iterText.data() + iterText.size(), iterations);
  if (ec != std::errc() || ptr != iterText.data() + iterText.size() || iterations == 0) {
    return unexpected(std::string("invalid SCRAM iteration count"));
  }
  if (iterations > maxIterations_) {
    return unexpected("SCRAM iteration count " + std::to_string(iterations) +
                      " is above the limit " + std::to_string(maxIterations_));
  }

  std::string salted = sasl::saltedPassword(algo_, password_, *salt, iterations);
  std::string clientKey = sasl::hmac(algo_, salted, "Client Key");
  const std::string storedKey = sasl::digest(algo_, clientKey);
  const std::string serverKey = sasl::hmac(algo_, salted, "Server Key");
  OPENSSL_cleanse(salted.data(), salted.size());

  const std::string gs2 = authzid_.empty() ? "n,," : "n,a=" + encodeSaslname(authzid_) + ",";
  const std::string withoutProof = "c=" + util::base64Encode(gs2) + ",r=" + std::string(nonce);
  const std::string authMessage =
      clientFirstBare_ + "," + std::string(message) + "," + withoutProof;
  const std::string clientSignature = sasl::hmac(algo_, storedKey, authMessage);
  std::string proof = clientKey;
  for (std::size_t i = 0; i < proof.size(); ++i) proof[i] ^= clientSignature[i];
  OPENSSL_cleanse(clientKey.data(), clientKey.size());
  expectedServerSignature_ = sasl::hmac(algo_, serverKey, authMessage);
  state_ = State::SentFinal;
  return withoutProof + ",p=" + util::base64Encode(proof);
}

Expected<std::monostate, std::string> ScramClient::verifyServerFinal(std::string_view message) {
  if (state_ != State::SentFinal) {
    state_ = State::Failed;
    return unexpected(std::string("unexpected SCRAM server-final-message"));
  }
  state_ = State::Failed;
  const auto attrs = splitAttrs(message);
  if (!attrs || attrs->empty()) {
    return unexpected(std::string("malformed SCRAM server-final-message"));
  }
  if ((*attrs)[0].name == 'e') return unexpected("server error: " + std::string((*attrs)[0].value));
  if ((*attrs)[0].name != 'v') {
    return unexpected(std::string("malformed SCRAM server-final-message"));
  }
  const auto signature = util::base64Decode((*attrs)[0].value);
  if (!signature || !util::constantTimeEquals(*signature, expectedServerSignature_)) {
    return unexpected(
        std::string("the server's SCRAM signature is wrong (is this the real server?)"));
  }
  state_ = State::Verified;
  return std::monostate{};
}

std::string plainMessage(std::string_view authcid, std::string_view password,
                         std::string_view authzid) {
  std::string out(authzid);
  out.push_back('\0');
  out.append(authcid);
  out.push_back('\0');
  out.append(password);
  return out;
}

std::string_view mechanismName(Mechanism mechanism) {
  switch (mechanism) {
    case Mechanism::ScramSha256: return "SCRAM-SHA-256";
    case Mechanism::ScramSha1: return "SCRAM-SHA-1";
    case Mechanism::Plain: return "PLAIN";
  }
  return "PLAIN";
}

std::optional<Mechanism> chooseMechanism(const std::vector<std::string>& offered,
                                         bool plainAllowed) {
  const auto has = [&](std::string_view name) {
    return std::find(offered.begin(), offered.end(), name) != offered.end();
  };
  if (has("SCRAM-SHA-256")) return Mechanism::ScramSha256;
  if (has("SCRAM-SHA-1")) return Mechanism::ScramSha1;
  if (plainAllowed && has("PLAIN")) return Mechanism::Plain;
  return std::nullopt;
}

}  // namespace telex::client
