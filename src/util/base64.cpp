// Hand-written base64 codec: small, table driven, and strict, so malformed SASL data is rejected.
#include "util/base64.hpp"

#include <array>
#include <cstdint>

namespace telex::util {

namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t kInvalid = 0xFF;

constexpr std::array<std::uint8_t, 256> makeDecodeTable() {
  std::array<std::uint8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}

constexpr std::array<std::uint8_t, 256> kDecodeTable = makeDecodeTable();

std::uint8_t sextet(char c) { return kDecodeTable[static_cast<unsigned char>(c)]; }

}  // namespace

std::string base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                                (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                                std::uint32_t{static_cast<unsigned char>(bytes[i + 2])};
    out.push_back(kAlphabet[(group >> 18) & 0x3F]);
    out.push_back(kAlphabet[(group >> 12) & 0x3F]);
    out.push_back(kAlphabet[(group >> 6) & 0x3F]);
    out.push_back(kAlphabet[group & 0x3F]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t group = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    out.push_back(kAlphabet[(group >> 18) & 0x3F]);
    out.push_back(kAlphabet[(group >> 12) & 0x3F]);
    out.append("==");
  } else if (rest == 2) {
    const std::uint32_t group = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                                (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8);
    out.push_back(kAlphabet[(group >> 18) & 0x3F]);
    out.push_back(kAlphabet[(group >> 12) & 0x3F]);
    out.push_back(kAlphabet[(group >> 6) & 0x3F]);
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  if (text.empty()) return std::string();
  std::size_t padding = 0;
  if (text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  // Sized once and written through a pointer: this runs for every stored key on each sign-in.
  std::string out(text.size() / 4 * 3 - padding, '\0');
  char* dst = out.data();
  const std::size_t fullGroups = text.size() / 4 - (padding != 0 ? 1 : 0);
  const char* src = text.data();
  for (std::size_t g = 0; g < fullGroups; ++g, src += 4, dst += 3) {
    const std::uint32_t a = sextet(src[0]), b = sextet(src[1]), c = sextet(src[2]),
                        d = sextet(src[3]);
    if ((a | b | c | d) > 63) return std::nullopt;  // kInvalid has the high bits set
    const std::uint32_t group = (a << 18) | (b << 12) | (c << 6) | d;
    dst[0] = static_cast<char>(group >> 16);
    dst[1] = static_cast<char>((group >> 8) & 0xFF);
    dst[2] = static_cast<char>(group & 0xFF);
  }
  if (padding == 0) return out;
  // Final group "xx==" or "xxx=": any other '=' is not in the alphabet and fails here.
  const std::uint32_t a = sextet(src[0]), b = sextet(src[1]);
  const std::uint32_t c = padding == 1 ? sextet(src[2]) : 0;
  if ((a | b | c) > 63) return std::nullopt;
  const std::uint32_t group = (a << 18) | (b << 12) | (c << 6);
  dst[0] = static_cast<char>(group >> 16);
  if (padding == 1) dst[1] = static_cast<char>((group >> 8) & 0xFF);
  // Unused bits must be zero, so each byte string has exactly one accepted encoding.
  if ((group & (padding == 2 ? 0xFFFFu : 0xFFu)) != 0) return std::nullopt;
  return out;
}

}  // namespace telex::util
