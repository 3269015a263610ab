// The NetBIOS session service framing (RFC 1002 §4.3) and NetBIOS names (RFC 1001 §14), parsed
// from untrusted bytes: every read is bounds-checked, anything unexpected is refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace telex::modules::winpopup {

// Session packet types.
inline constexpr std::uint8_t kSessionMessage = 0x00;
inline constexpr std::uint8_t kSessionRequest = 0x81;
inline constexpr std::uint8_t kPositiveResponse = 0x82;
inline constexpr std::uint8_t kNegativeResponse = 0x83;
inline constexpr std::uint8_t kKeepAlive = 0x85;
// Negative response error codes.
inline constexpr std::uint8_t kCalledNameNotPresent = 0x82;
inline constexpr std::uint8_t kUnspecifiedError = 0x8F;

struct Frame {
  std::uint8_t type = 0;
  std::string_view payload;  // points into the parsed buffer
  std::size_t size = 0;      // header + payload bytes consumed
};

enum class FrameStatus { Complete, NeedMore, Invalid };

// One frame at the start of `buffer`. Invalid when flag bits other than the length extension are
// set or the payload is longer than `maxPayload`.
FrameStatus parseFrame(std::string_view buffer, std::size_t maxPayload, Frame& out);
// A frame of `type` around `payload` (at most 128 KiB - 1).
std::string makeFrame(std::uint8_t type, std::string_view payload);

struct NetbiosName {
  std::string name;  // the 15 name bytes without trailing spaces or NULs
  std::uint8_t suffix = 0;  // 0x00 workstation, 0x03 messenger, 0x20 file server, ...
};

// Decodes the first-level encoded name at the start of `data` (length 32, letters A-P, then
// scope labels up to a zero length), setting `consumed`. nullopt for anything malformed.
std::optional<NetbiosName> decodeName(std::string_view data, std::size_t& consumed);
// Encodes `name` (upper-cased, padded to 15) with `suffix`, no scope: 34 bytes.
std::string encodeName(std::string_view name, std::uint8_t suffix);

struct SessionRequest {
  NetbiosName called;
  NetbiosName calling;
};
// The payload of a session request: called name then calling name, nothing after.
std::optional<SessionRequest> parseSessionRequest(std::string_view payload);

}  // namespace telex::modules::winpopup
