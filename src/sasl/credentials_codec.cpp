// JSON (nlohmann) encoding of stored SCRAM credentials; decoding never throws.
#include "sasl/credentials_codec.hpp"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

#include "util/base64.hpp"

namespace telex::sasl {

namespace {

constexpr int kVersion = 1;

std::string_view hashName(HashAlgo algo) { return algo == HashAlgo::Sha1 ? "sha-1" : "sha-256"; }

std::optional<HashAlgo> hashFromName(std::string_view name) {
  if (name == "sha-1") return HashAlgo::Sha1;
  if (name == "sha-256") return HashAlgo::Sha256;
  return std::nullopt;
}

// Reads a base64 string member; nullopt when missing, not a string, or not valid base64.
std::optional<std::string> base64Member(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return util::base64Decode(it->get_ref<const std::string&>());
}

std::optional<ScramCredentials> decodeEntry(const nlohmann::json& entry) {
  if (!entry.is_object()) return std::nullopt;
  const auto hash = entry.find("hash");
  if (hash == entry.end() || !hash->is_string()) return std::nullopt;
  const auto algo = hashFromName(hash->get_ref<const std::string&>());
  if (!algo) return std::nullopt;

  const auto iterations = entry.find("i");
  if (iterations == entry.end() || !iterations->is_number_unsigned()) return std::nullopt;
  const auto rounds = iterations->get<std::uint64_t>();
  if (rounds == 0 || rounds > std::numeric_limits<std::int32_t>::max()) return std::nullopt;

  auto salt = base64Member(entry, "salt");
  auto stored = base64Member(entry, "stored");
  auto server = base64Member(entry, "server");
  if (!salt || !stored || !server || salt->empty()) return std::nullopt;
  if (stored->size() != digestSize(*algo) || server->size() != digestSize(*algo)) {
    return std::nullopt;
  }
  return ScramCredentials{*algo, std::move(*salt), static_cast<std::uint32_t>(rounds),
                          std::move(*stored), std::move(*server)};
}

}  // namespace

std::string encodeCredentials(const std::vector<ScramCredentials>& credentials) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : credentials) {
    list.push_back({{"hash", std::string(hashName(c.algo))},
                    {"salt", util::base64Encode(c.salt)},
                    {"i", c.iterations},
                    {"stored", util::base64Encode(c.storedKey)},
                    {"server", util::base64Encode(c.serverKey)}});
  }
  const nlohmann::json doc = {{"v", kVersion}, {"scram", std::move(list)}};
  return doc.dump();
}

std::optional<std::vector<ScramCredentials>> decodeCredentials(std::string_view text) {
  // allow_exceptions = false: malformed input yields a "discarded" value instead of throwing.
  const nlohmann::json doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  const auto version = doc.find("v");
  if (version == doc.end() || !version->is_number_integer() || version->get<std::int64_t>() != kVersion) {
    return std::nullopt;
  }
  const auto list = doc.find("scram");
  if (list == doc.end() || !list->is_array()) return std::nullopt;
  std::vector<ScramCredentials> out;
  out.reserve(list->size());
  for (const auto& entry : *list) {
    auto decoded = decodeEntry(entry);
    if (!decoded) return std::nullopt;
    out.push_back(std::move(*decoded));
  }
  return out;
}

}  // namespace telex::sasl
