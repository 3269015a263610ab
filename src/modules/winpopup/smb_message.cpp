// SMB1 messenger parsing and responses.
#include "modules/winpopup/smb_message.hpp"

#include <array>

#include "modules/winpopup/netbios.hpp"

namespace telex::modules::winpopup {
namespace {

// Reads buffer-format fields out of an SMB data section.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  // Format 0x04: a NUL-terminated string (the NUL must be inside the data).
  std::optional<std::string> asciiString(std::size_t maxBytes) {
    if (pos_ >= data_.size() || static_cast<std::uint8_t>(data_[pos_]) != 0x04) return std::nullopt;
    auto end = data_.find('\0', pos_ + 1);
    if (end == std::string_view::npos || end - (pos_ + 1) > maxBytes) return std::nullopt;
    std::string out(data_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return out;
  }

  // Format 0x01: a 16-bit little-endian length, then that many bytes.
  std::optional<std::string> dataBlock(std::size_t maxBytes) {
    if (data_.size() - pos_ < 3 || static_cast<std::uint8_t>(data_[pos_]) != 0x01) return std::nullopt;
    std::size_t length = static_cast<std::uint8_t>(data_[pos_ + 1]) |
                         (static_cast<std::size_t>(static_cast<std::uint8_t>(data_[pos_ + 2])) << 8);
    if (length > maxBytes || data_.size() - pos_ - 3 < length) return std::nullopt;
    std::string out(data_.substr(pos_ + 3, length));
    pos_ += 3 + length;
    return out;
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

constexpr std::size_t kMaxName = 255;
constexpr std::size_t kMaxBlock = 0xFFFF;

// Code page 850, 0x80-0xFF, as Unicode code points.
constexpr std::array<std::uint16_t, 128> kCp850 = {
    0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7, 0x00EA, 0x00EB, 0x00E8, 0x00EF, 0x00EE,
    0x00EC, 0x00C4, 0x00C5, 0x00C9, 0x00E6, 0x00C6, 0x00F4, 0x00F6, 0x00F2, 0x00FB, 0x00F9, 0x00FF, 0x00D6,
    0x00DC, 0x00F8, 0x00A3, 0x00D8, 0x00D7, 0x0192, 0x00E1, 0x00ED, 0x00F3, 0x00FA, 0x00F1, 0x00D1, 0x00AA,
    0x00BA, 0x00BF, 0x00AE, 0x00AC, 0x00BD, 0x00BC, 0x00A1, 0x00AB, 0x00BB, 0x2591, 0x2592, 0x2593, 0x2502,
    0x2524, 0x00C1, 0x00C2, 0x00C0, 0x00A9, 0x2563, 0x2551, 0x2557, 0x255D, 0x00A2, 0x00A5, 0x2510, 0x2514,
    0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x00E3, 0x00C3, 0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550,
    0x256C, 0x00A4, 0x00F0, 0x00D0, 0x00CA, 0x00CB, 0x00C8, 0x0131, 0x00CD, 0x00CE, 0x00CF, 0x2518, 0x250C,
    0x2588, 0x2584, 0x00A6, 0x00CC, 0x2580, 0x00D3, 0x00DF, 0x00D4, 0x00D2, 0x00F5, 0x00D5, 0x00B5, 0x00FE,
    0x00DE, 0x00DA, 0x00DB, 0x00D9, 0x00FD, 0x00DD, 0x00AF, 0x00B4, 0x00AD, 0x00B1, 0x2017, 0x00BE, 0x00B6,
    0x00A7, 0x00F7, 0x00B8, 0x00B0, 0x00A8, 0x00B7, 0x00B9, 0x00B3, 0x00B2, 0x25A0, 0x00A0};

void appendUtf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::uint16_t SmbRequest::word(std::size_t index) const {
  if (words.size() < 2 * index + 2) return 0;
  return static_cast<std::uint16_t>(static_cast<std::uint8_t>(words[2 * index]) |
                                    (static_cast<std::uint8_t>(words[2 * index + 1]) << 8));
}

std::optional<SmbRequest> parseSmb(std::string_view payload) {
  if (payload.size() < kSmbHeaderSize + 3) return std::nullopt;
  if (payload.substr(0, 4) != std::string_view("\xFFSMB", 4)) return std::nullopt;
  // Flags bit 7 set means a response: a client has no business sending one.
  if (static_cast<std::uint8_t>(payload[9]) & 0x80) return std::nullopt;
  SmbRequest request;
  request.command = static_cast<std::uint8_t>(payload[4]);
  request.header = payload.substr(0, kSmbHeaderSize);
  std::size_t wordCount = static_cast<std::uint8_t>(payload[kSmbHeaderSize]);
  std::size_t pos = kSmbHeaderSize + 1;
  if (payload.size() - pos < 2 * wordCount + 2) return std::nullopt;
  request.words = payload.substr(pos, 2 * wordCount);
  pos += 2 * wordCount;
  std::size_t byteCount = static_cast<std::uint8_t>(payload[pos]) |
                          (static_cast<std::size_t>(static_cast<std::uint8_t>(payload[pos + 1])) << 8);
  pos += 2;
  if (payload.size() - pos < byteCount) return std::nullopt;
  request.bytes = payload.substr(pos, byteCount);
  return request;
}

std::string makeSmbResponse(const SmbRequest& request, SmbStatus status, std::string_view words,
                            std::string_view bytes) {
  std::string smb(request.header);
  smb[5] = static_cast<char>(status.errorClass);
  smb[6] = 0;
  smb[7] = static_cast<char>(status.code & 0xFF);
  smb[8] = static_cast<char>(status.code >> 8);
  smb[9] = static_cast<char>(static_cast<std::uint8_t>(smb[9]) | 0x80);  // a reply
  // DOS error codes: clear "NT status" in flags2, as the status field is class/code.
  smb[11] = static_cast<char>(static_cast<std::uint8_t>(smb[11]) & ~0x40);
  smb += static_cast<char>(words.size() / 2);
  smb.append(words.substr(0, words.size() & ~std::size_t{1}));
  smb += static_cast<char>(bytes.size() & 0xFF);
  smb += static_cast<char>((bytes.size() >> 8) & 0xFF);
  smb.append(bytes.substr(0, 0xFFFF));
  return makeFrame(kSessionMessage, smb);
}

std::optional<MessageHeader> parseSendStart(const SmbRequest& request) {
  Reader reader(request.bytes);
  auto originator = reader.asciiString(kMaxName);
  if (!originator) return std::nullopt;
  auto destination = reader.asciiString(kMaxName);
  if (!destination) return std::nullopt;
  return MessageHeader{std::move(*originator), std::move(*destination)};
}

std::optional<SingleMessage> parseSendSingle(const SmbRequest& request) {
  Reader reader(request.bytes);
  auto originator = reader.asciiString(kMaxName);
  if (!originator) return std::nullopt;
  auto destination = reader.asciiString(kMaxName);
  if (!destination) return std::nullopt;
  auto text = reader.dataBlock(kMaxBlock);
  if (!text) return std::nullopt;
  return SingleMessage{{std::move(*originator), std::move(*destination)}, std::move(*text)};
}

std::optional<std::pair<std::uint16_t, std::string>> parseSendText(const SmbRequest& request) {
  if (request.words.size() < 2) return std::nullopt;
  Reader reader(request.bytes);
  auto text = reader.dataBlock(kMaxBlock);
  if (!text) return std::nullopt;
  return std::make_pair(request.word(0), std::move(*text));
}

std::optional<std::uint16_t> parseSendEnd(const SmbRequest& request) {
  if (request.words.size() < 2) return std::nullopt;
  return request.word(0);
}

std::string messageText(std::string_view oem) {
  std::string out;
  out.reserve(oem.size());
  for (std::size_t i = 0; i < oem.size(); ++i) {
    auto c = static_cast<std::uint8_t>(oem[i]);
    if (c == '\r') {
      if (i + 1 < oem.size() && oem[i + 1] == '\n') continue;  // CR LF -> LF
      out += '\n';
    } else if (c == '\n' || c == '\t') {
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7F) {
      continue;  // NUL, bell, escape sequences: nothing a chat client should render
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      appendUtf8(out, kCp850[c - 0x80]);
    }
  }
  return out;
}

std::string cleanName(std::string_view raw) {
  std::string out;
  for (unsigned char c : raw) {
    if (c >= 0x20 && c < 0x7F) out += static_cast<char>(c);
    if (out.size() >= 64) break;
  }
  auto first = out.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  auto last = out.find_last_not_of(' ');
  return out.substr(first, last - first + 1);
}

}  // namespace telex::modules::winpopup
