// Upload slot encoding, tokens and request checks.
#include "modules/upload/slot.hpp"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdexcept>

#include "util/base64.hpp"
#include "util/crypto.hpp"

namespace telex::modules::upload {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string encodeSlot(const Slot& slot) {
  nlohmann::json j = {{"owner", slot.owner},     {"filename", slot.filename}, {"size", slot.size},
                      {"type", slot.contentType}, {"created", slot.created},   {"complete", slot.complete}};
  return j.dump();
}

std::optional<Slot> decodeSlot(std::string_view id, std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  try {
    Slot slot;
    slot.id = std::string(id);
    slot.owner = j.at("owner").get<std::string>();
    slot.filename = j.at("filename").get<std::string>();
    slot.size = j.at("size").get<std::uint64_t>();
    slot.contentType = j.at("type").get<std::string>();
    slot.created = j.at("created").get<std::int64_t>();
    slot.complete = j.at("complete").get<bool>();
    return slot;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::string slotToken(std::string_view secret, const Slot& slot) {
  std::string message = slot.id + "\n" + std::to_string(slot.size) + "\n" + slot.contentType;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  static const char kEmpty = 0;
  if (HMAC(EVP_sha256(), secret.empty() ? &kEmpty : secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  std::string token = util::base64Encode(std::string_view(reinterpret_cast<const char*>(mac), length));
  // base64url without padding: safe in a query string without escaping.
  for (char& c : token) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!token.empty() && token.back() == '=') token.pop_back();
  return token;
}

bool checkSlotToken(std::string_view secret, const Slot& slot, std::string_view token) {
  return util::constantTimeEquals(slotToken(secret, slot), token);
}

bool isSlotId(std::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string sanitizeFilename(std::string_view name) {
  if (auto slash = name.find_last_of("/\\"); slash != std::string_view::npos) name = name.substr(slash + 1);
  std::string out;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) continue;
    out += c;
  }
  std::string_view trimmed = trim(out);
  out = std::string(trimmed);
  constexpr std::size_t kMax = 200;
  if (out.size() > kMax) {
    std::size_t cut = kMax;
    // Back up over UTF-8 continuation bytes so no character is split.
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80) --cut;
    out.resize(cut);
  }
  if (out.empty() || out == "." || out == "..") return "file";
  return out;
}

bool validContentType(std::string_view type) {
  if (type.empty() || type.size() > 255) return false;
  for (char c : type) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  auto slash = type.find('/');
  if (slash == 0 || slash == std::string_view::npos) return false;
  std::string_view subtype = type.substr(slash + 1);
  return !subtype.empty() && subtype.front() != ';' && subtype.front() != ' ';
}

bool sameContentType(std::string_view a, std::string_view b) {
  a = trim(a);
  b = trim(b);
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool servedInline(std::string_view contentType) {
  std::string type;
  for (char c : contentType) {
    if (c == ';' || c == ' ') break;
    type += lower(c);
  }
  if (type == "image/svg+xml") return false;  // may carry scripts
  return type.starts_with("image/") || type.starts_with("audio/") || type.starts_with("video/") ||
         type == "text/plain";
}

}  // namespace telex::modules::upload
