// The SMB1 messenger commands WinPopup and `smbclient -M` use ([MS-SMB] 2.2.4.x: send single
// block 0xD0, start 0xD5, end 0xD6, text 0xD7) and the responses they expect. Parsed from
// untrusted bytes with every read bounds-checked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace telex::modules::winpopup {

inline constexpr std::uint8_t kSmbSendSingle = 0xD0;
inline constexpr std::uint8_t kSmbSendStart = 0xD5;
inline constexpr std::uint8_t kSmbSendEnd = 0xD6;
inline constexpr std::uint8_t kSmbSendText = 0xD7;
inline constexpr std::size_t kSmbHeaderSize = 32;

// DOS error classes and codes (flags2 without NT status), as messenger servers answered.
struct SmbStatus {
  std::uint8_t errorClass = 0;
  std::uint16_t code = 0;
};
inline constexpr SmbStatus kSmbOk{};
inline constexpr SmbStatus kErrGeneral{0x02, 1};        // ERRSRV/ERRerror
inline constexpr SmbStatus kErrUnknownCommand{0x02, 64};  // ERRSRV/ERRsmbcmd
inline constexpr SmbStatus kErrNotReceiving{0x02, 82};   // ERRSRV/ERRmsgoff: no such recipient
inline constexpr SmbStatus kErrNoResources{0x02, 89};    // ERRSRV/ERRnoresource: rate limited

struct SmbRequest {
  std::uint8_t command = 0;
  std::string_view header;  // the 32 header bytes, echoed in the response
  std::string_view words;   // 2 * WordCount bytes of parameters
  std::string_view bytes;   // ByteCount bytes of data
  std::uint16_t word(std::size_t index) const;  // 0 when out of range
};

// An SMB1 request: "\xFFSMB" header, word count and words, byte count and bytes, all inside the
// payload. nullopt for anything else (SMB2, a response, truncation).
std::optional<SmbRequest> parseSmb(std::string_view payload);
// The NetBIOS session message carrying the response to `request`.
std::string makeSmbResponse(const SmbRequest& request, SmbStatus status, std::string_view words = {},
                            std::string_view bytes = {});

struct MessageHeader {
  std::string originator;   // who sent it (the sending user or machine)
  std::string destination;  // the NetBIOS name it is for
};
struct SingleMessage {
  MessageHeader header;
  std::string text;  // raw OEM bytes
};

// SMB_COM_SEND_START_MB_MESSAGE bytes: two ASCII strings (format 0x04).
std::optional<MessageHeader> parseSendStart(const SmbRequest& request);
// SMB_COM_SEND_MESSAGE bytes: two ASCII strings and a data block (format 0x01).
std::optional<SingleMessage> parseSendSingle(const SmbRequest& request);
// SMB_COM_SEND_TEXT_MB_MESSAGE: the message group in word 0, one data block.
std::optional<std::pair<std::uint16_t, std::string>> parseSendText(const SmbRequest& request);
// SMB_COM_SEND_END_MB_MESSAGE: the message group in word 0.
std::optional<std::uint16_t> parseSendEnd(const SmbRequest& request);

// Message text as people read it: OEM code page 850 (what smbclient and DOS clients send) to
// UTF-8, CR LF to LF, other control characters dropped.
std::string messageText(std::string_view oem);
// A name field for display: printable ASCII only, trimmed, at most 64 characters.
std::string cleanName(std::string_view raw);

}  // namespace telex::modules::winpopup
