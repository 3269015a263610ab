// UTF-8 as XMPP needs it: well-formed, no overlong forms, no surrogates, nothing above U+10FFFF.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace telex::util {

struct Utf8Char {
  char32_t codePoint = 0;
  std::size_t length = 0;  // bytes, 1 to 4
};

// The character starting at `text[at]`, or nullopt when the bytes there are not valid UTF-8.
std::optional<Utf8Char> decodeUtf8At(std::string_view text, std::size_t at);

bool isValidUtf8(std::string_view text);

}  // namespace telex::util
