// Text helpers for the terminal: UTF-8 ↔ code points (locale-independent) and making untrusted
// text safe to draw (a sender must not be able to drive the terminal).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace telex::chat {

// Decodes UTF-8; invalid bytes become U+FFFD.
std::u32string decodeUtf8(std::string_view text);
std::string encodeUtf8(std::u32string_view text);
std::string encodeUtf8(char32_t c);

// Splits on newlines and replaces other control characters (C0, DEL, C1) with U+FFFD; tabs
// become spaces. Every returned line is safe to print.
std::vector<std::string> safeLines(std::string_view text);
// One line: newlines shown as " ", controls as U+FFFD (names, status texts).
std::string safeLine(std::string_view text);

}  // namespace telex::chat
