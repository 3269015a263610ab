// NetBIOS session frames and name encoding.
#include "modules/winpopup/netbios.hpp"

#include <cctype>

namespace telex::modules::winpopup {

FrameStatus parseFrame(std::string_view buffer, std::size_t maxPayload, Frame& out) {
  if (buffer.size() < 4) return FrameStatus::NeedMore;
  auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(buffer[i]); };
  std::uint8_t flags = byte(1);
  if ((flags & 0xFE) != 0) return FrameStatus::Invalid;
  std::size_t length = (static_cast<std::size_t>(flags & 0x01) << 16) | (static_cast<std::size_t>(byte(2)) << 8) |
                       static_cast<std::size_t>(byte(3));
  if (length > maxPayload) return FrameStatus::Invalid;
  if (buffer.size() - 4 < length) return FrameStatus::NeedMore;
  out.type = byte(0);
  out.payload = buffer.substr(4, length);
  out.size = 4 + length;
  return FrameStatus::Complete;
}

std::string makeFrame(std::uint8_t type, std::string_view payload) {
  std::size_t length = payload.size() & 0x1FFFF;
  std::string out;
  out.reserve(4 + length);
  out += static_cast<char>(type);
  out += static_cast<char>((length >> 16) & 0x01);
  out += static_cast<char>((length >> 8) & 0xFF);
  out += static_cast<char>(length & 0xFF);
  out.append(payload.substr(0, length));
  return out;
}

std::optional<NetbiosName> decodeName(std::string_view data, std::size_t& consumed) {
  // A name is at most 255 bytes with its scope (RFC 1002 §4.1).
  constexpr std::size_t kMaxEncoded = 255;
  if (data.size() < 34 || static_cast<std::uint8_t>(data[0]) != 32) return std::nullopt;
  std::string raw;
  for (std::size_t i = 0; i < 16; ++i) {
    char hi = data[1 + 2 * i];
    char lo = data[2 + 2 * i];
    if (hi < 'A' || hi > 'P' || lo < 'A' || lo > 'P') return std::nullopt;
    raw += static_cast<char>(((hi - 'A') << 4) | (lo - 'A'));
  }
  std::size_t pos = 33;
  // Scope labels: skipped (a messenger name is the same in every scope we serve).
  for (;;) {
    if (pos >= data.size() || pos >= kMaxEncoded) return std::nullopt;
    auto label = static_cast<std::uint8_t>(data[pos]);
    ++pos;
    if (label == 0) break;
    if (label > 63) return std::nullopt;  // no compression pointers in a session request
    pos += label;
  }
  if (pos > data.size() || pos > kMaxEncoded) return std::nullopt;
  consumed = pos;
  NetbiosName name;
  name.suffix = static_cast<std::uint8_t>(raw[15]);
  std::string_view text(raw.data(), 15);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.remove_suffix(1);
  name.name = std::string(text);
  return name;
}

std::string encodeName(std::string_view name, std::uint8_t suffix) {
  std::string raw(15, ' ');
  for (std::size_t i = 0; i < name.size() && i < 15; ++i) {
    raw[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[i])));
  }
  raw += static_cast<char>(suffix);
  std::string out(1, static_cast<char>(32));
  for (unsigned char c : raw) {
    out += static_cast<char>('A' + (c >> 4));
    out += static_cast<char>('A' + (c & 0x0F));
  }
  out += '\0';
  return out;
}

std::optional<SessionRequest> parseSessionRequest(std::string_view payload) {
  std::size_t used = 0;
  auto called = decodeName(payload, used);
  if (!called) return std::nullopt;
  payload.remove_prefix(used);
  auto calling = decodeName(payload, used);
  if (!calling || used != payload.size()) return std::nullopt;
  return SessionRequest{std::move(*called), std::move(*calling)};
}

}  // namespace telex::modules::winpopup
