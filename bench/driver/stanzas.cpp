#include "stanzas.hpp"

#include <charconv>

#include "sasl/scram.hpp"
#include "util/base64.hpp"

namespace telex::bench {

namespace {

constexpr std::string_view kSaslNs = "urn:ietf:params:xml:ns:xmpp-sasl";

// The driver speaks SCRAM-SHA-1 with the server's own primitives (sasl/scram).
std::string hmacSha1(std::string_view key, std::string_view data) { return sasl::hmac(sasl::HashAlgo::Sha1, key, data); }
std::string sha1(std::string_view data) { return sasl::digest(sasl::HashAlgo::Sha1, data); }

// Value of "k=" in a SCRAM attribute list, empty view when absent.
std::string_view scramAttr(std::string_view message, char key) {
  std::size_t pos = 0;
  while (pos < message.size()) {
    std::size_t end = message.find(',', pos);
    if (end == std::string_view::npos) end = message.size();
    std::string_view part = message.substr(pos, end - pos);
    if (part.size() >= 2 && part[0] == key && part[1] == '=') return part.substr(2);
    pos = end + 1;
  }
  return {};
}

void appendNumber(std::string& out, std::uint64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  (void)ec;
  out.append(buf, end);
}

}  // namespace

std::string streamHeader(std::string_view domain) {
  std::string out = "<?xml version='1.0'?><stream:stream to='";
  out += domain;
  out += "' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
  return out;
}

std::string authPlain(std::string_view user, std::string_view password) {
  std::string message;
  message += '\0';
  message += user;
  message += '\0';
  message += password;
  return "<auth xmlns='" + std::string(kSaslNs) + "' mechanism='PLAIN'>" + util::base64Encode(message) +
         "</auth>";
}

std::string authScramSha1(std::string_view clientFirst) {
  return "<auth xmlns='" + std::string(kSaslNs) + "' mechanism='SCRAM-SHA-1'>" +
         util::base64Encode(clientFirst) + "</auth>";
}

std::string saslResponse(std::string_view message) {
  return "<response xmlns='" + std::string(kSaslNs) + "'>" + util::base64Encode(message) + "</response>";
}

std::string bindIq(std::string_view id, std::string_view resource) {
  std::string out = "<iq type='set' id='";
  out += id;
  out += "'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>";
  out += resource;
  out += "</resource></bind></iq>";
  return out;
}

std::string rosterGetIq(std::string_view id) {
  std::string out = "<iq type='get' id='";
  out += id;
  out += "'><query xmlns='jabber:iq:roster'/></iq>";
  return out;
}

std::string pingIq(std::string_view id, std::string_view domain) {
  std::string out = "<iq type='get' id='";
  out += id;
  out += "' to='";
  out += domain;
  out += "'><ping xmlns='urn:xmpp:ping'/></iq>";
  return out;
}

std::string chatMessage(std::string_view to, std::string_view type, char kind, std::uint32_t sender,
                        std::uint64_t seq, std::uint64_t sentNs, std::size_t targetBytes) {
  std::string out;
  out.reserve(targetBytes + 16);
  out += "<message to='";
  out += to;
  out += "' type='";
  out += type;
  out += "' id='";
  out += kind;
  appendNumber(out, sender);
  out += '-';
  appendNumber(out, seq);
  out += "'><body>t=";
  appendNumber(out, sentNs);
  out += ' ';
  constexpr std::string_view kTail = "</body></message>";
  if (out.size() + kTail.size() < targetBytes) out.append(targetBytes - out.size() - kTail.size(), 'x');
  out += kTail;
  return out;
}

std::optional<std::uint64_t> parseSentNs(std::string_view body) {
  if (body.size() < 3 || body.substr(0, 2) != "t=") return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(body.data() + 2, body.data() + body.size(), value);
  if (ec != std::errc() || end == body.data() + 2) return std::nullopt;
  if (end != body.data() + body.size() && *end != ' ') return std::nullopt;
  return value;
}

std::optional<MessageId> parseMessageId(std::string_view id) {
  if (id.size() < 4) return std::nullopt;
  MessageId out;
  out.kind = id[0];
  const char* p = id.data() + 1;
  const char* end = id.data() + id.size();
  auto [afterSender, ec1] = std::from_chars(p, end, out.sender);
  if (ec1 != std::errc() || afterSender == p || afterSender == end || *afterSender != '-') return std::nullopt;
  auto [afterSeq, ec2] = std::from_chars(afterSender + 1, end, out.seq);
  if (ec2 != std::errc() || afterSeq == afterSender + 1 || afterSeq != end) return std::nullopt;
  return out;
}

bool isDelivery(char kind, std::string_view type) {
  return (kind == 'c' && type == "chat") || (kind == 'g' && type == "groupchat");
}

std::pair<std::string, std::string> ScramSha1Client::KeyCache::keys(std::string_view password,
                                                                    std::string_view salt,
                                                                    std::uint32_t iterations) {
  std::string key = std::string(password) + '\0' + std::string(salt) + '\0' + std::to_string(iterations);
  if (auto it = keys_.find(key); it != keys_.end()) return it->second;
  const std::string salted = sasl::saltedPassword(sasl::HashAlgo::Sha1, password, salt, iterations);
  std::string_view saltedView(salted);
  ++derivations_;
  auto result = std::make_pair(hmacSha1(saltedView, "Client Key"), hmacSha1(saltedView, "Server Key"));
  keys_.emplace(std::move(key), result);
  return result;
}

ScramSha1Client::ScramSha1Client(std::string user, std::string password, std::string nonce)
    : user_(std::move(user)), password_(std::move(password)), nonce_(std::move(nonce)) {}

std::string ScramSha1Client::clientFirst() const { return "n,,n=" + user_ + ",r=" + nonce_; }

std::optional<std::string> ScramSha1Client::clientFinal(std::string_view serverFirst, KeyCache& cache) {
  std::string_view nonce = scramAttr(serverFirst, 'r');
  std::string_view saltB64 = scramAttr(serverFirst, 's');
  std::string_view iterText = scramAttr(serverFirst, 'i');
  if (nonce.size() <= nonce_.size() || nonce.substr(0, nonce_.size()) != nonce_) return std::nullopt;
  auto salt = util::base64Decode(saltB64);
  std::uint32_t iterations = 0;
  auto [end, ec] = std::from_chars(iterText.data(), iterText.data() + iterText.size(), iterations);
  if (!salt || ec != std::errc() || end != iterText.data() + iterText.size() || iterations == 0 ||
      iterations > 1'000'000) {
    return std::nullopt;
  }
  auto [clientKey, serverKey] = cache.keys(password_, *salt, iterations);
  std::string withoutProof = "c=biws,r=" + std::string(nonce);
  std::string authMessage = "n=" + user_ + ",r=" + nonce_ + "," + std::string(serverFirst) + "," + withoutProof;
  std::string signature = hmacSha1(sha1(clientKey), authMessage);
  std::string proof = clientKey;
  for (std::size_t i = 0; i < proof.size(); ++i) proof[i] = static_cast<char>(proof[i] ^ signature[i]);
  expectedSignature_ = util::base64Encode(hmacSha1(serverKey, authMessage));
  return withoutProof + ",p=" + util::base64Encode(proof);
}

bool ScramSha1Client::verifyServerFinal(std::string_view serverFinal) const {
  return !expectedSignature_.empty() && scramAttr(serverFinal, 'v') == expectedSignature_;
}

}  // namespace telex::bench
