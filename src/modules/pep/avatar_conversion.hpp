// XEP-0398: the server keeps a user's XEP-0084 avatar (PEP) and vCard photo (XEP-0153) in step,
// and stamps the avatar's hash into the user's presence (vcard-temp:x:update).
//
// Loops cannot happen: a client's metadata publish updates the stored vCard directly (not through
// a vCard set), and a client's vCard set publishes to the PEP store directly (not through a
// pubsub request), so neither conversion triggers the other.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "modules/pep/pep_store.hpp"
#include "storage/store.hpp"
#include "xml/element.hpp"

namespace telex::modules::pep::avatar {

inline constexpr std::string_view kDataNode = "urn:xmpp:avatar:data";
inline constexpr std::string_view kMetadataNode = "urn:xmpp:avatar:metadata";
inline constexpr std::string_view kConversionFeature = "urn:xmpp:pep-vcard-conversion:0";
inline constexpr std::string_view kVcardUpdateNs = "vcard-temp:x:update";
inline constexpr std::string_view kVcardNs = "vcard-temp";

// One avatar image.
struct Avatar {
  std::string id;      // lowercase hex SHA-1 of the image bytes (XEP-0084's item id)
  std::string type;    // MIME type, e.g. image/png
  std::string base64;  // the bytes, base64 without whitespace
  std::size_t bytes = 0;
};

// SHA-1 of `bytes` in lowercase hex.
std::string sha1Hex(std::string_view bytes);

// The vCard's <PHOTO><TYPE/><BINVAL/></PHOTO>; nullopt without a photo, with an EXTVAL (a URL
// is not an image we have), or when BINVAL is not base64. Whitespace in BINVAL is allowed.
std::optional<Avatar> avatarOfVcard(const xml::Element& vcard);

// The avatar a metadata payload points at (XEP-0398 §3.1: the first <info/> without a 'url').
struct AvatarInfo {
  std::string id;
  std::string type;
};
// nullopt when the metadata has no usable <info/>; `disabled` says whether it has none at all
// (XEP-0084 §4.4: avatar publishing disabled).
std::optional<AvatarInfo> pickInfo(const xml::Element& metadata, bool* disabled = nullptr);

// The image of a data payload, if its SHA-1 matches `info.id` (XEP-0398 §3.1 SHOULD).
std::optional<Avatar> avatarOfData(const xml::Element& data, const AvatarInfo& info);

// `vcard` with its PHOTO replaced by `avatar`, or removed when `avatar` is null. Other fields keep
// their order.
xml::Element vcardWithPhoto(const xml::Element& vcard, const Avatar* avatar);

// The <item/> elements (pubsub namespace) XEP-0084 publishes: data first, then metadata.
xml::Element dataItem(const Avatar& avatar);
xml::Element metadataItem(const Avatar& avatar);

// The avatar id of a stored metadata <item/>: its first <info/>'s id, "" when there is none.
std::string idOfMetadataItem(const xml::Element& item);

// Puts <x xmlns='vcard-temp:x:update'><photo>hash</photo></x> in an available presence,
// replacing what the client wrote there. False when the presence already said exactly that.
bool stampPresence(xml::Element& presence, std::string_view hash);

// Storage pool only. A client published `metadata` (the payload) to its metadata node: the
// stored vCard gets that avatar as its PHOTO, or loses its PHOTO when publishing was disabled.
// Returns the avatar id now in force ("" for none), or nullopt when nothing could be converted
// (no such data item, a hash mismatch, a vCard that would grow too large).
std::optional<std::string> pepToVcard(PepStore& pep, storage::KeyValStore& vcards, std::string_view user,
                                      const xml::Element& metadata);

// Storage pool only. A client set `vcard` with a photo: publishes it to the data and metadata
// nodes unless the metadata node already names it. Returns what was published (data, then
// metadata) for notifications; empty when nothing changed.
struct Publication {
  Published published;
  xml::Element item;
};
std::vector<Publication> vcardToPep(PepStore& pep, std::string_view user, const Avatar& avatar);

// Storage pool only. The avatar id in the user's metadata node, "" for none.
std::string currentAvatarId(PepStore& pep, std::string_view user);

// The avatar hash of each signed-in user, as far as this server knows it, for presence stamping.
// Also the users who ever had an avatar: a sign-in of anyone else needs no storage read to learn
// that there is none. Thread-safe.
class AvatarHashes {
 public:
  std::optional<std::string> get(const std::string& user) const;
  // A non-empty hash also counts the user among those who may have an avatar.
  void set(const std::string& user, std::string hash);
  // Only when nothing is known yet: a load that raced with a fresher set loses.
  void setIfUnknown(const std::string& user, std::string hash);
  void forget(const std::string& user);

  // At start-up: the users with an avatar metadata node in storage.
  void loadOwners(const std::vector<std::string>& users);
  bool mayHaveAvatar(const std::string& user) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::string> hashes_;
  std::unordered_set<std::string> owners_;  // only grows: a removed avatar costs one read
};

}  // namespace telex::modules::pep::avatar
