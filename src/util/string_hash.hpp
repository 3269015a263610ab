// String-keyed containers that are looked up with a string_view, without building a string.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace telex::util {

struct StringHash {
  using is_transparent = void;
  // Not noexcept: libstdc++ then keeps each node's hash instead of hashing keys again on lookup.
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

template <class Value>
using StringMap = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;
using StringSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;

}  // namespace telex::util
