// Parsed JIDs by their text, for addresses the router sees over and over ('to' of chat
// messages): stringprep (libidn) costs more than the rest of routing a message. Bounded; the
// whole table is dropped when full. Thread-safe (workers share the router).
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "jid/jid.hpp"

namespace telex::router {

class JidCache {
 public:
  explicit JidCache(std::size_t capacity = 8192) : capacity_(capacity) {}

  // Jid::parse(text), remembered when it succeeds.
  std::optional<Jid> parse(std::string_view text);

 private:
  struct Hash {
    using is_transparent = void;
    // Not noexcept: libstdc++ then keeps each node's hash instead of hashing keys again on lookup.
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::size_t capacity_;
  std::mutex mutex_;
  std::unordered_map<std::string, Jid, Hash, std::equal_to<>> parsed_;
};

}  // namespace telex::router
