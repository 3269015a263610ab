// XEP-0363 upload slots: what a slot is, the token that authorizes its PUT, and the checks on what a
// client asks for. Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace telex::modules::upload {

inline constexpr std::string_view kUploadNs = "urn:xmpp:http:upload:0";

struct Slot {
  std::string id;           // 32 hex digits, unguessable; names the file on disk and in the URL
  std::string owner;        // local part of the user who asked for it
  std::string filename;     // sanitized
  std::uint64_t size = 0;
  std::string contentType;  // as asked for; empty when the client named none
  std::int64_t created = 0;  // unix seconds
  bool complete = false;     // the PUT finished
};

std::string encodeSlot(const Slot& slot);  // JSON, for the store
std::optional<Slot> decodeSlot(std::string_view id, std::string_view text);

// HMAC-SHA256 over the slot's id, size and content type, base64url without padding. It goes in the PUT
// URL's query, so only the requester can fill the slot (the GET URL, which is shared, lacks it), and a
// PUT is checked before any storage look-up.
std::string slotToken(std::string_view secret, const Slot& slot);
bool checkSlotToken(std::string_view secret, const Slot& slot, std::string_view token);

bool isSlotId(std::string_view id);

// A file name safe to show in URLs and headers: no directories, no control characters, at most 200
// bytes (cut on a UTF-8 boundary), never empty, "." or "..".
std::string sanitizeFilename(std::string_view name);
// "type/subtype" with optional parameters, printable ASCII only (no header injection), ≤ 255 bytes.
bool validContentType(std::string_view type);
// Media types compared the way clients differ harmlessly: case and surrounding blanks ignored.
bool sameContentType(std::string_view a, std::string_view b);
// Whether browsers may show the file in place; others are served as attachments.
bool servedInline(std::string_view contentType);

}  // namespace telex::modules::upload
