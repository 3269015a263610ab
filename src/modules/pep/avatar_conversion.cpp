// XEP-0398 conversions between XEP-0084 avatars and vCard photos, and presence stamping.
#include "modules/pep/avatar_conversion.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <spdlog/spdlog.h>
#include <stdexcept>
#include <utility>

#include "modules/private_xml/stored_xml.hpp"
#include "modules/vcard/vcard.hpp"
#include "util/base64.hpp"

namespace telex::modules::pep::avatar {
namespace {

std::string withoutWhitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

bool isElement(const xml::Element& c, std::string_view name, std::string_view ns) {
  return !c.isText() && c.name() == name && c.xmlns() == ns;
}

// Builds an Avatar from base64 text; nullopt when it is not base64 or is empty.
std::optional<Avatar> fromBase64(std::string_view text, std::string type) {
  std::string clean = withoutWhitespace(text);
  auto bytes = util::base64Decode(clean);
  if (!bytes || bytes->empty()) return std::nullopt;
  return Avatar{sha1Hex(*bytes), std::move(type), std::move(clean), bytes->size()};
}

}  // namespace

std::string sha1Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha1(), nullptr) != 1) {
    throw std::runtime_error("SHA-1 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

std::optional<Avatar> avatarOfVcard(const xml::Element& vcard) {
  const xml::Element* photo = vcard.child("PHOTO", kVcardNs);
  if (!photo || photo->child("EXTVAL", kVcardNs)) return std::nullopt;
  const xml::Element* binval = photo->child("BINVAL", kVcardNs);
  if (!binval) return std::nullopt;
  std::string type = withoutWhitespace(photo->childText("TYPE", kVcardNs));
  // XEP-0153 §3.1 makes TYPE required; an image without one is most likely a PNG.
  if (type.empty()) type = "image/png";
  return fromBase64(binval->textContent(), std::move(type));
}

std::optional<AvatarInfo> pickInfo(const xml::Element& metadata, bool* disabled) {
  bool any = false;
  std::optional<AvatarInfo> out;
  for (const auto& c : metadata.children()) {
    if (!isElement(c, "info", kMetadataNode)) continue;
    any = true;
    if (c.attr("url") || out) continue;
    std::string_view id = c.attrOr("id", "");
    if (id.empty()) continue;
    out = AvatarInfo{std::string(id), std::string(c.attrOr("type", "image/png"))};
  }
  if (disabled) *disabled = !any;
  return out;
}

std::optional<Avatar> avatarOfData(const xml::Element& data, const AvatarInfo& info) {
  auto avatar = fromBase64(data.textContent(), info.type);
  if (!avatar) return std::nullopt;
  // XEP-0084 ids are hex SHA-1; compare case-insensitively.
  std::string claimed = info.id;
  std::transform(claimed.begin(), claimed.end(), claimed.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (claimed != avatar->id) return std::nullopt;
  return avatar;
}

xml::Element vcardWithPhoto(const xml::Element& vcard, const Avatar* avatar) {
  xml::Element out = vcard;
  out.setName("vCard");
  out.setXmlns(std::string(kVcardNs));
  auto& children = out.children();
  auto at = std::find_if(children.begin(), children.end(),
                         [](const xml::Element& c) { return isElement(c, "PHOTO", kVcardNs); });
  std::size_t position = at == children.end() ? children.size() : static_cast<std::size_t>(at - children.begin());
  std::erase_if(children, [](const xml::Element& c) { return isElement(c, "PHOTO", kVcardNs); });
  if (!avatar) return out;
  xml::Element photo("PHOTO", std::string(kVcardNs));
  photo.addChild(xml::Element("TYPE", std::string(kVcardNs))).addText(avatar->type);
  photo.addChild(xml::Element("BINVAL", std::string(kVcardNs))).addText(avatar->base64);
  position = std::min(position, children.size());
  children.insert(children.begin() + static_cast<std::ptrdiff_t>(position), std::move(photo));
  return out;
}

xml::Element dataItem(const Avatar& avatar) {
  xml::Element item("item", std::string(kPubsubNs));
  item.setAttr("id", avatar.id);
  item.addChild(xml::Element("data", std::string(kDataNode))).addText(avatar.base64);
  return item;
}

xml::Element metadataItem(const Avatar& avatar) {
  xml::Element item("item", std::string(kPubsubNs));
  item.setAttr("id", avatar.id);
  // Width and height are left out: the server does not decode images (XEP-0398 §3.2 allows it).
  auto& info = item.addChild(xml::Element("metadata", std::string(kMetadataNode)))
                   .addChild(xml::Element("info", std::string(kMetadataNode)));
  info.setAttr("bytes", std::to_string(avatar.bytes));
  info.setAttr("id", avatar.id);
  info.setAttr("type", avatar.type);
  return item;
}

std::string idOfMetadataItem(const xml::Element& item) {
  const xml::Element* metadata = item.child("metadata", kMetadataNode);
  if (!metadata) return {};
  auto info = pickInfo(*metadata);
  return info ? info->id : std::string();
}

bool stampPresence(xml::Element& presence, std::string_view hash) {
  auto& children = presence.children();
  auto isUpdate = [](const xml::Element& c) { return isElement(c, "x", kVcardUpdateNs); };
  auto first = std::find_if(children.begin(), children.end(), isUpdate);
  if (first != children.end() && std::count_if(children.begin(), children.end(), isUpdate) == 1) {
    const auto& kids = first->children();
    if (kids.size() == 1 && isElement(kids[0], "photo", kVcardUpdateNs) && kids[0].textContent() == hash) return false;
  }
  std::erase_if(children, isUpdate);
  xml::Element x("x", std::string(kVcardUpdateNs));
  x.addChild(xml::Element("photo", std::string(kVcardUpdateNs))).addText(hash);
  presence.addChild(std::move(x));
  return true;
}

std::optional<std::string> pepToVcard(PepStore& pep, storage::KeyValStore& vcards, std::string_view user,
                                      const xml::Element& metadata) {
  bool disabled = false;
  auto info = pickInfo(metadata, &disabled);
  std::optional<Avatar> avatar;
  if (!disabled) {
    if (!info) return std::nullopt;  // only external URLs: nothing to put in a vCard
    auto items = pep.items(user, kDataNode, {info->id});
    const xml::Element* data = items.empty() ? nullptr : items.front().child("data", kDataNode);
    if (!data) return std::nullopt;
    avatar = avatarOfData(*data, *info);
    if (!avatar) {
      spdlog::debug("pep: avatar {} of {} does not match its data; vCard left alone", info->id, user);
      return std::nullopt;
    }
  }
  xml::Element current("vCard", std::string(kVcardNs));
  if (auto stored = vcards.get(user)) {
    if (auto parsed = private_xml::fromStoredXml(*stored)) current = std::move(*parsed);
  }
  auto had = avatarOfVcard(current);
  std::string id = avatar ? avatar->id : std::string();
  if ((had ? had->id : std::string()) == id && (avatar || !current.child("PHOTO", kVcardNs))) return id;
  auto updated = vcard::vcardForStorage(vcardWithPhoto(current, avatar ? &*avatar : nullptr));
  if (!updated) {
    spdlog::debug("pep: avatar of {} too large for the vCard", user);
    return std::nullopt;
  }
  if (updated->empty()) {
    vcards.remove(user);
  } else {
    vcards.set(user, *updated);
  }
  return id;
}

std::vector<Publication> vcardToPep(PepStore& pep, std::string_view user, const Avatar& avatar) {
  std::vector<Publication> out;
  if (currentAvatarId(pep, user) == avatar.id) return out;
  // Data first, so the metadata never names an image that is not there (XEP-0084 §4.1).
  std::pair<std::string_view, xml::Element> steps[] = {{kDataNode, dataItem(avatar)},
                                                       {kMetadataNode, metadataItem(avatar)}};
  for (auto& [node, item] : steps) {
    auto published = pep.publish(user, node, item, std::nullopt);
    if (!published) {
      spdlog::warn("pep: could not publish the vCard avatar of {} to {}: {}", user, node, published.error().text);
      return out;
    }
    out.push_back({std::move(*published), std::move(item)});
  }
  return out;
}

std::string currentAvatarId(PepStore& pep, std::string_view user) {
  auto node = pep.node(user, kMetadataNode);
  if (!node || node->itemIds.empty()) return {};
  auto items = pep.items(user, kMetadataNode, {node->itemIds.back()});
  return items.empty() ? std::string() : idOfMetadataItem(items.front());
}

std::optional<std::string> AvatarHashes::get(const std::string& user) const {
  std::lock_guard lock(mutex_);
  auto it = hashes_.find(user);
  if (it == hashes_.end()) return std::nullopt;
  return it->second;
}

void AvatarHashes::set(const std::string& user, std::string hash) {
  std::lock_guard lock(mutex_);
  if (!hash.empty()) owners_.insert(user);
  hashes_[user] = std::move(hash);
}

void AvatarHashes::setIfUnknown(const std::string& user, std::string hash) {
  std::lock_guard lock(mutex_);
  hashes_.emplace(user, std::move(hash));
}

void AvatarHashes::forget(const std::string& user) {
  std::lock_guard lock(mutex_);
  hashes_.erase(user);
}

void AvatarHashes::loadOwners(const std::vector<std::string>& users) {
  std::lock_guard lock(mutex_);
  owners_.insert(users.begin(), users.end());
}

bool AvatarHashes::mayHaveAvatar(const std::string& user) const {
  std::lock_guard lock(mutex_);
  return owners_.contains(user);
}

}  // namespace telex::modules::pep::avatar
