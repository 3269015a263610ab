// UTF-8 codec and control-character scrubbing.
#include "apps/telex/chat/text.hpp"

#include "util/utf8.hpp"

namespace telex::chat {

namespace {
constexpr char32_t kReplacement = 0xFFFD;

bool isControl(char32_t c) { return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f); }
}  // namespace

std::u32string decodeUtf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    if (auto c = util::decodeUtf8At(s, i)) {
      out.push_back(c->codePoint);
      i += c->length;
    } else {
      out.push_back(kReplacement);  // and resynchronize at the next byte
      ++i;
    }
  }
  return out;
}

std::string encodeUtf8(char32_t c) {
  std::string out;
  if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) c = kReplacement;
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
  }
  return out;
}

std::string encodeUtf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) out += encodeUtf8(c);
  return out;
}

std::vector<std::string> safeLines(std::string_view text) {
  std::vector<std::string> lines(1);
  const std::u32string decoded = decodeUtf8(text);
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    const char32_t c = decoded[i];
    if (c == '\r' && i + 1 < decoded.size() && decoded[i + 1] == '\n') continue;
    if (c == '\n' || c == '\r') {
      lines.emplace_back();
    } else if (c == '\t') {
      lines.back() += "    ";
    } else if (isControl(c)) {
      lines.back() += encodeUtf8(kReplacement);
    } else {
      lines.back() += encodeUtf8(c);
    }
  }
  return lines;
}

std::string safeLine(std::string_view text) {
  std::string out;
  for (const auto& line : safeLines(text)) {
    if (!out.empty()) out.push_back(' ');
    out += line;
  }
  return out;
}

}  // namespace telex::chat
