// The pure parts of the private_xml and vcard modules that ship with blocking: request checks,
// storage keys, the vCard size cap and the stored-XML round trip.
#include <gtest/gtest.h>

#include "modules/private_xml/private_xml.hpp"
#include "modules/private_xml/stored_xml.hpp"
#include "modules/vcard/vcard.hpp"

namespace telex::modules {
namespace {

constexpr std::string_view kTricky = "<&'\"> and ]]> too";

xml::Element query(std::initializer_list<xml::Element> children) {
  xml::Element q("query", "jabber:iq:private");
  for (const auto& c : children) q.addChild(c);
  return q;
}

TEST(PrivateXmlTest, StorageKeyIsNameAndNamespace) {
  EXPECT_EQ(private_xml::storageKey(xml::Element("storage", "storage:bookmarks")), "storage storage:bookmarks");
}

TEST(PrivateXmlTest, RequestChecks) {
  auto none = private_xml::requestedElements(query({}), true);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().condition, "not-acceptable");

  auto reserved = private_xml::requestedElements(query({xml::Element("query", "jabber:iq:roster")}), false);
  ASSERT_FALSE(reserved);
  EXPECT_EQ(reserved.error().condition, "not-acceptable");

  // A child without a namespace of its own inherits jabber:iq:private, reserved as well.
  auto inherited = private_xml::requestedElements(query({xml::Element("prefs", "jabber:iq:private")}), true);
  ASSERT_FALSE(inherited);
  EXPECT_EQ(inherited.error().condition, "not-acceptable");

  auto two = query({xml::Element("a", "urn:example:a"), xml::Element("b", "urn:example:b")});
  auto twoGet = private_xml::requestedElements(two, true);
  ASSERT_FALSE(twoGet);
  EXPECT_EQ(twoGet.error().condition, "bad-request");
  auto twoSet = private_xml::requestedElements(two, false);
  ASSERT_TRUE(twoSet);
  EXPECT_EQ(twoSet->size(), 2u);

  auto bookmarksQuery = query({xml::Element("storage", "storage:bookmarks")});
  auto bookmarks = private_xml::requestedElements(bookmarksQuery, true);
  ASSERT_TRUE(bookmarks);
  EXPECT_EQ((*bookmarks)[0]->xmlns(), "storage:bookmarks");
}

TEST(StoredXmlTest, RoundTripKeepsTextAttributesAndNamespaces) {
  xml::Element storage("storage", "storage:bookmarks");
  auto& conference = storage.addChild(xml::Element("conference", "storage:bookmarks"));
  conference.setAttr("name", kTricky);
  conference.setAttr("jid", "room@conference.example.org");
  conference.addChild(xml::Element("nick", "storage:bookmarks")).addText(kTricky);
  conference.addChild(xml::Element("extra", "urn:example:other")).setAttr("x", "1");

  std::string text = private_xml::toStoredXml(storage);
  auto back = private_xml::fromStoredXml(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(xml::serialize(*back), text);
  const xml::Element* c = back->child("conference", "storage:bookmarks");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->attrOr("name", ""), kTricky);
  EXPECT_EQ(c->childText("nick", "storage:bookmarks"), kTricky);
  EXPECT_NE(c->child("extra", "urn:example:other"), nullptr);
}

TEST(StoredXmlTest, DamagedDataIsRejected) {
  EXPECT_FALSE(private_xml::fromStoredXml("<unclosed xmlns='urn:x'>"));
  EXPECT_FALSE(private_xml::fromStoredXml("not xml at all <"));
  EXPECT_FALSE(private_xml::fromStoredXml(""));
}

TEST(VcardTest, SizeCapAndEmptyVcard) {
  xml::Element empty("vCard", "vcard-temp");
  auto emptyText = vcard::vcardForStorage(empty);
  ASSERT_TRUE(emptyText);
  EXPECT_EQ(*emptyText, "");

  xml::Element small("vCard", "vcard-temp");
  small.addChild(xml::Element("FN", "vcard-temp")).addText(kTricky);
  auto smallText = vcard::vcardForStorage(small);
  ASSERT_TRUE(smallText);
  EXPECT_NE(smallText->find("&lt;&amp;"), std::string::npos);

  xml::Element big("vCard", "vcard-temp");
  auto& photo = big.addChild(xml::Element("PHOTO", "vcard-temp"));
  photo.addChild(xml::Element("BINVAL", "vcard-temp")).addText(std::string(vcard::kMaxVcardBytes, 'A'));
  auto bigText = vcard::vcardForStorage(big);
  ASSERT_FALSE(bigText);
  EXPECT_EQ(bigText.error().condition, "not-acceptable");
}

}  // namespace
}  // namespace telex::modules
