// XEP-0398: vCard photos and XEP-0084 avatars converted both ways over a real (memory) store,
// hash checks, presence stamping.
#include "modules/pep/avatar_conversion.hpp"

#include <gtest/gtest.h>

#include "modules/private_xml/stored_xml.hpp"
#include "storage/memory/memory_driver.hpp"
#include "util/base64.hpp"

namespace telex::modules::pep::avatar {
namespace {

// The bytes of a tiny "image" and their SHA-1 (sha1sum of the same bytes).
const std::string kImage = "\x89PNG\r\n\x1a\n fake image bytes";

xml::Element vcardWith(std::string_view binval, std::string_view type = "image/png") {
  xml::Element vcard("vCard", std::string(kVcardNs));
  vcard.addChild(xml::Element("FN", std::string(kVcardNs))).addText("Alice");
  auto& photo = vcard.addChild(xml::Element("PHOTO", std::string(kVcardNs)));
  if (!type.empty()) photo.addChild(xml::Element("TYPE", std::string(kVcardNs))).addText(type);
  photo.addChild(xml::Element("BINVAL", std::string(kVcardNs))).addText(binval);
  vcard.addChild(xml::Element("NICKNAME", std::string(kVcardNs))).addText("al");
  return vcard;
}

xml::Element metadataWith(std::vector<std::pair<std::string, bool>> infos) {
  xml::Element metadata("metadata", std::string(kMetadataNode));
  for (const auto& [id, external] : infos) {
    auto& info = metadata.addChild(xml::Element("info", std::string(kMetadataNode)));
    info.setAttr("id", id);
    info.setAttr("type", external ? "image/gif" : "image/png");
    info.setAttr("bytes", "1");
    if (external) info.setAttr("url", "https://example.org/a.gif");
  }
  return metadata;
}

TEST(AvatarConversion, Sha1IsLowercaseHex) {
  EXPECT_EQ(sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(AvatarConversion, VcardPhotoWithWrappedBase64) {
  std::string b64 = util::base64Encode(kImage);
  std::string wrapped = b64.substr(0, 8) + "\r\n  " + b64.substr(8);
  auto avatar = avatarOfVcard(vcardWith(wrapped, "image/jpeg"));
  ASSERT_TRUE(avatar);
  EXPECT_EQ(avatar->id, sha1Hex(kImage));
  EXPECT_EQ(avatar->type, "image/jpeg");
  EXPECT_EQ(avatar->base64, b64);
  EXPECT_EQ(avatar->bytes, kImage.size());
  // TYPE is required by XEP-0153, but a missing one is taken as PNG.
  EXPECT_EQ(avatarOfVcard(vcardWith(b64, ""))->type, "image/png");
}

TEST(AvatarConversion, NoUsablePhoto) {
  EXPECT_FALSE(avatarOfVcard(xml::Element("vCard", std::string(kVcardNs))));
  EXPECT_FALSE(avatarOfVcard(vcardWith("not base64!")));
  EXPECT_FALSE(avatarOfVcard(vcardWith("")));
  xml::Element external = vcardWith(util::base64Encode(kImage));
  external.child("PHOTO", kVcardNs)->addChild(xml::Element("EXTVAL", std::string(kVcardNs))).addText("http://x");
  EXPECT_FALSE(avatarOfVcard(external));
}

TEST(AvatarConversion, InfoWithoutUrlIsPicked) {
  bool disabled = true;
  auto info = pickInfo(metadataWith({{"ext", true}, {"abc", false}, {"def", false}}), &disabled);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->id, "abc");
  EXPECT_EQ(info->type, "image/png");
  EXPECT_FALSE(disabled);
  EXPECT_FALSE(pickInfo(metadataWith({{"ext", true}}), &disabled));
  EXPECT_FALSE(disabled);
  EXPECT_FALSE(pickInfo(metadataWith({}), &disabled));
  EXPECT_TRUE(disabled);
}

TEST(AvatarConversion, DataMustMatchItsId) {
  xml::Element data("data", std::string(kDataNode));
  data.addText(util::base64Encode(kImage));
  std::string id = sha1Hex(kImage);
  std::string upper = id;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(avatarOfData(data, {id, "image/png"}));
  EXPECT_TRUE(avatarOfData(data, {upper, "image/png"}));
  EXPECT_FALSE(avatarOfData(data, {sha1Hex("other"), "image/png"}));
}

TEST(AvatarConversion, PhotoReplacedInPlaceOrRemoved) {
  Avatar avatar{"id", "image/webp", "AAAA", 3};
  xml::Element replaced = vcardWithPhoto(vcardWith("QUJD"), &avatar);
  ASSERT_EQ(replaced.children().size(), 3u);
  EXPECT_EQ(replaced.children()[1].name(), "PHOTO");
  EXPECT_EQ(replaced.children()[1].childText("TYPE", kVcardNs), "image/webp");
  EXPECT_EQ(replaced.children()[1].childText("BINVAL", kVcardNs), "AAAA");
  xml::Element removed = vcardWithPhoto(vcardWith("QUJD"), nullptr);
  ASSERT_EQ(removed.children().size(), 2u);
  EXPECT_EQ(removed.child("PHOTO", kVcardNs), nullptr);
  xml::Element added = vcardWithPhoto(xml::Element("vCard", std::string(kVcardNs)), &avatar);
  EXPECT_NE(added.child("PHOTO", kVcardNs), nullptr);
}

TEST(AvatarConversion, PresenceStampReplacesTheClients) {
  xml::Element presence("presence", "jabber:client");
  auto& x = presence.addChild(xml::Element("x", std::string(kVcardUpdateNs)));
  x.addChild(xml::Element("photo", std::string(kVcardUpdateNs))).addText("stale");
  EXPECT_TRUE(stampPresence(presence, "fresh"));
  ASSERT_EQ(presence.children().size(), 1u);
  EXPECT_EQ(presence.children()[0].childText("photo", kVcardUpdateNs), "fresh");
  EXPECT_FALSE(stampPresence(presence, "fresh"));  // already says so
  xml::Element bare("presence", "jabber:client");
  EXPECT_TRUE(stampPresence(bare, "fresh"));
  EXPECT_NE(bare.child("x", kVcardUpdateNs), nullptr);
}

class AvatarStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<storage::StorageDriver> driver_ = storage::makeMemoryDriver();
  PepStore pep_{*driver_};
  std::shared_ptr<storage::KeyValStore> vcards_ = driver_->keyval("vcard");

  std::optional<xml::Element> storedVcard() {
    auto text = vcards_->get("alice");
    if (!text) return std::nullopt;
    return private_xml::fromStoredXml(*text);
  }
};

TEST_F(AvatarStoreTest, VcardPhotoIsPublishedOnceDataFirst) {
  auto avatar = avatarOfVcard(vcardWith(util::base64Encode(kImage)));
  ASSERT_TRUE(avatar);
  auto published = vcardToPep(pep_, "alice", *avatar);
  ASSERT_EQ(published.size(), 2u);
  EXPECT_EQ(published[0].published.node.name, kDataNode);
  EXPECT_EQ(published[1].published.node.name, kMetadataNode);
  EXPECT_EQ(currentAvatarId(pep_, "alice"), avatar->id);
  auto items = pep_.items("alice", kMetadataNode, {avatar->id});
  ASSERT_EQ(items.size(), 1u);
  const xml::Element* info = items[0].child("metadata", kMetadataNode)->child("info", kMetadataNode);
  EXPECT_EQ(info->attrOr("bytes", ""), std::to_string(kImage.size()));
  EXPECT_EQ(info->attrOr("type", ""), "image/png");
  EXPECT_FALSE(info->attr("width"));
  // The same photo again (a client re-saving its vCard) publishes nothing.
  EXPECT_TRUE(vcardToPep(pep_, "alice", *avatar).empty());
}

TEST_F(AvatarStoreTest, MetadataPublishBecomesTheVcardPhoto) {
  std::string id = sha1Hex(kImage);
  xml::Element data("item", std::string(kPubsubNs));
  data.setAttr("id", id);
  data.addChild(xml::Element("data", std::string(kDataNode))).addText(util::base64Encode(kImage));
  ASSERT_TRUE(pep_.publish("alice", kDataNode, data, std::nullopt));
  // An existing vCard keeps its other fields.
  xml::Element vcard("vCard", std::string(kVcardNs));
  vcard.addChild(xml::Element("FN", std::string(kVcardNs))).addText("Alice");
  vcards_->set("alice", private_xml::toStoredXml(vcard));

  EXPECT_EQ(pepToVcard(pep_, *vcards_, "alice", metadataWith({{id, false}})), id);
  auto stored = storedVcard();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->childText("FN", kVcardNs), "Alice");
  auto photo = avatarOfVcard(*stored);
  ASSERT_TRUE(photo);
  EXPECT_EQ(photo->id, id);

  // Data that does not hash to the id, or is missing, leaves the vCard alone.
  EXPECT_FALSE(pepToVcard(pep_, *vcards_, "alice", metadataWith({{sha1Hex("nope"), false}})));
  EXPECT_EQ(avatarOfVcard(*storedVcard())->id, id);

  // Disabling the avatar removes the photo.
  EXPECT_EQ(pepToVcard(pep_, *vcards_, "alice", metadataWith({})), "");
  stored = storedVcard();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->child("PHOTO", kVcardNs), nullptr);
  EXPECT_EQ(stored->childText("FN", kVcardNs), "Alice");
}

TEST_F(AvatarStoreTest, ImageTooLargeForAVcardIsNotConverted) {
  std::string big(70 * 1024, 'x');
  std::string id = sha1Hex(big);
  xml::Element data("item", std::string(kPubsubNs));
  data.setAttr("id", id);
  data.addChild(xml::Element("data", std::string(kDataNode))).addText(util::base64Encode(big));
  ASSERT_TRUE(pep_.publish("alice", kDataNode, data, std::nullopt));
  EXPECT_FALSE(pepToVcard(pep_, *vcards_, "alice", metadataWith({{id, false}})));
  EXPECT_FALSE(vcards_->get("alice"));
}

TEST(AvatarHashes, LoadsDoNotOverrideFresherValues) {
  AvatarHashes hashes;
  EXPECT_FALSE(hashes.get("alice"));
  hashes.set("alice", "new");
  hashes.setIfUnknown("alice", "old");
  EXPECT_EQ(hashes.get("alice"), "new");
  hashes.forget("alice");
  hashes.setIfUnknown("alice", "loaded");
  EXPECT_EQ(hashes.get("alice"), "loaded");
}

TEST(AvatarHashes, KnowsWhoMayHaveAnAvatar) {
  AvatarHashes hashes;
  hashes.loadOwners({"alice"});
  EXPECT_TRUE(hashes.mayHaveAvatar("alice"));
  EXPECT_FALSE(hashes.mayHaveAvatar("bob"));
  hashes.set("bob", "");  // a removed avatar is no reason to read
  EXPECT_FALSE(hashes.mayHaveAvatar("bob"));
  hashes.set("bob", "hash");  // published while the server runs
  hashes.forget("bob");       // signed out: the hash is dropped, not the knowledge
  EXPECT_TRUE(hashes.mayHaveAvatar("bob"));
}

}  // namespace
}  // namespace telex::modules::pep::avatar
