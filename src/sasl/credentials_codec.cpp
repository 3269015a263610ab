// JSON (nlohmann) encoding of stored SCRAM credentials; decoding never throws.
#include "sasl/credentials_codec.hpp"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

#include "util/base64.hpp"

namespace telex::sasl {

namespace {

using Json = nlohmann::json;

constexpr int kVersion = 1;

std::string_view hashName(HashAlgo algo) { return algo == HashAlgo::Sha1 ? "sha-1" : "sha-256"; }

std::optional<HashAlgo> hashFromName(std::string_view name) {
  if (name == "sha-1") return HashAlgo::Sha1;
  if (name == "sha-256") return HashAlgo::Sha256;
  return std::nullopt;
}

// Fills ScramCredentials straight from nlohmann's SAX events, without building a DOM. It accepts
// exactly what the former DOM-based decoder accepted: unknown members are skipped whatever their
// structure, and a repeated member replaces the earlier one (as json::parse does), so a member's
// value is only judged once its object has ended.
class CredentialsSax {
 public:
  bool null() { return wrongType(); }
  bool boolean(bool) { return wrongType(); }
  bool number_float(Json::number_float_t, const Json::string_t&) { return wrongType(); }
  bool binary(Json::binary_t&) { return wrongType(); }

  bool number_integer(Json::number_integer_t value) {
    if (skipDepth_ > 0) return true;
    if (slot_ == Slot::Version) {
      versionOk_ = value == kVersion;
      return valueDone();
    }
    return wrongType();  // negative: never valid iterations
  }

  bool number_unsigned(Json::number_unsigned_t value) {
    if (skipDepth_ > 0) return true;
    if (slot_ == Slot::Version) {
      versionOk_ = value == kVersion;
      return valueDone();
    }
    if (slot_ == Slot::Iterations) {
      iterations_ = value;
      iterationsState_ = State::Valid;
      return valueDone();
    }
    return wrongType();
  }

  bool string(Json::string_t& value) {
    if (skipDepth_ > 0) return true;
    switch (slot_) {
      case Slot::Hash:
        hash_ = hashFromName(value);
        hashState_ = hash_ ? State::Valid : State::Invalid;
        return valueDone();
      case Slot::Salt:
        setBase64(entry_.salt, saltState_, value);
        return valueDone();
      case Slot::Stored:
        setBase64(entry_.storedKey, storedState_, value);
        return valueDone();
      case Slot::Server:
        setBase64(entry_.serverKey, serverState_, value);
        return valueDone();
      default:
        return wrongType();
    }
  }

  bool start_object(std::size_t) {
    if (skipDepth_ > 0) {
      ++skipDepth_;
      return true;
    }
    if (slot_ == Slot::Document) {
      level_ = Level::Top;
      slot_ = Slot::Ignored;
      return true;
    }
    if (slot_ == Slot::Entry) {
      startEntry();
      return true;
    }
    return startSkipping();
  }

  bool end_object() {
    if (skipDepth_ > 0) return endSkipped();
    if (level_ == Level::Entry) {
      finishEntry();
      level_ = Level::List;
      slot_ = Slot::Entry;
    } else {
      level_ = Level::Done;
    }
    return true;
  }

  bool start_array(std::size_t) {
    if (skipDepth_ > 0) {
      ++skipDepth_;
      return true;
    }
    if (slot_ == Slot::Scram) {
      list_.clear();
      list_.reserve(2);  // AccountStore keeps SHA-256 and SHA-1
      listState_ = State::Valid;
      level_ = Level::List;
      slot_ = Slot::Entry;
      return true;
    }
    return startSkipping();
  }

  bool end_array() {
    if (skipDepth_ > 0) return endSkipped();
    level_ = Level::Top;  // only the credentials list is tracked
    slot_ = Slot::Ignored;
    return true;
  }

  bool key(Json::string_t& name) {
    if (skipDepth_ > 0) return true;
    if (level_ == Level::Top) {
      slot_ = name == "v" ? Slot::Version : name == "scram" ? Slot::Scram : Slot::Ignored;
    } else if (name == "hash") {
      slot_ = Slot::Hash;
    } else if (name == "salt") {
      slot_ = Slot::Salt;
    } else if (name == "i") {
      slot_ = Slot::Iterations;
    } else if (name == "stored") {
      slot_ = Slot::Stored;
    } else if (name == "server") {
      slot_ = Slot::Server;
    } else {
      slot_ = Slot::Ignored;
    }
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

  std::optional<std::vector<ScramCredentials>> result() && {
    if (level_ != Level::Done || !versionOk_ || listState_ != State::Valid) return std::nullopt;
    return std::move(list_);
  }

 private:
  // Missing: not seen yet; Invalid: last seen value unusable; Valid: last seen value usable.
  enum class State { Missing, Invalid, Valid };
  enum class Level { Document, Top, List, Entry, Done };
  // Where the next value goes.
  enum class Slot {
    Document, Ignored, Version, Scram, Entry, Hash, Salt, Iterations, Stored, Server
  };

  static void setBase64(std::string& field, State& state, const std::string& text) {
    auto decoded = util::base64Decode(text);
    if (decoded) field = std::move(*decoded);
    state = decoded ? State::Valid : State::Invalid;
  }

  // After a complete value: list elements keep coming, object members need a key first.
  bool valueDone() {
    if (level_ != Level::List) slot_ = Slot::Ignored;
    return true;
  }

  // A scalar, or the start of a container, where the slot wants something else.
  bool wrongType() {
    if (skipDepth_ > 0) return true;
    switch (slot_) {
      case Slot::Document: return false;  // not an object: nothing can make this valid
      case Slot::Version: versionOk_ = false; break;
      case Slot::Scram: listState_ = State::Invalid; break;
      case Slot::Entry: listState_ = State::Invalid; break;
      case Slot::Hash: hashState_ = State::Invalid; break;
      case Slot::Salt: saltState_ = State::Invalid; break;
      case Slot::Iterations: iterationsState_ = State::Invalid; break;
      case Slot::Stored: storedState_ = State::Invalid; break;
      case Slot::Server: serverState_ = State::Invalid; break;
      case Slot::Ignored: break;
    }
    return valueDone();
  }

  bool startSkipping() {
    if (!wrongType()) return false;
    skipDepth_ = 1;
    return true;
  }

  bool endSkipped() {
    --skipDepth_;
    return true;
  }

  void startEntry() {
    level_ = Level::Entry;
    slot_ = Slot::Ignored;
    entry_ = ScramCredentials{};
    hashState_ = saltState_ = iterationsState_ = storedState_ = serverState_ = State::Missing;
  }

  void finishEntry() {
    constexpr auto kMaxIterations =
        static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max());
    const bool ok = hashState_ == State::Valid && iterationsState_ == State::Valid &&
                    saltState_ == State::Valid && storedState_ == State::Valid &&
                    serverState_ == State::Valid && iterations_ != 0 &&
                    iterations_ <= kMaxIterations && !entry_.salt.empty() &&
                    entry_.storedKey.size() == digestSize(*hash_) &&
                    entry_.serverKey.size() == digestSize(*hash_);
    if (!ok) {
      listState_ = State::Invalid;
      return;
    }
    entry_.algo = *hash_;
    entry_.iterations = static_cast<std::uint32_t>(iterations_);
    list_.push_back(std::move(entry_));
  }

  Level level_ = Level::Document;
  Slot slot_ = Slot::Document;
  std::size_t skipDepth_ = 0;  // > 0 inside a value that is skipped whole
  bool versionOk_ = false;
  State listState_ = State::Missing;
  std::vector<ScramCredentials> list_;

  ScramCredentials entry_;
  std::optional<HashAlgo> hash_;
  std::uint64_t iterations_ = 0;
  State hashState_ = State::Missing;
  State saltState_ = State::Missing;
  State iterationsState_ = State::Missing;
  State storedState_ = State::Missing;
  State serverState_ = State::Missing;
};

}  // namespace

std::string encodeCredentials(const std::vector<ScramCredentials>& credentials) {
  Json list = Json::array();
  for (const auto& c : credentials) {
    list.push_back({{"hash", std::string(hashName(c.algo))},
                    {"salt", util::base64Encode(c.salt)},
                    {"i", c.iterations},
                    {"stored", util::base64Encode(c.storedKey)},
                    {"server", util::base64Encode(c.serverKey)}});
  }
  const Json doc = {{"v", kVersion}, {"scram", std::move(list)}};
  return doc.dump();
}

std::optional<std::vector<ScramCredentials>> decodeCredentials(std::string_view text) {
  CredentialsSax handler;
  // parse_error returns false, so malformed input ends the parse instead of throwing.
  if (!Json::sax_parse(text.begin(), text.end(), &handler)) return std::nullopt;
  return std::move(handler).result();
}

}  // namespace telex::sasl
