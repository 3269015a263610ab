// Upload slots: tokens, their encoding in the store, and the checks on what clients ask for.
#include <gtest/gtest.h>

#include "modules/upload/slot.hpp"

namespace telex::modules::upload {
namespace {

Slot sample() {
  Slot s;
  s.id = "0123456789abcdef0123456789abcdef";
  s.owner = "alice";
  s.filename = "holiday <&'\"> photo.jpg";
  s.size = 5242880;
  s.contentType = "image/jpeg";
  s.created = 1700000000;
  return s;
}

TEST(UploadSlot, TokenKnownVector) {
  // HMAC-SHA256("kkk…", "<id>\n<size>\n<type>"), base64url without padding, computed with Python.
  EXPECT_EQ(slotToken(std::string(32, 'k'), sample()), "YPeKJcdqclmH-UGNLepc_yQ2x2xJcs5akSd203f-7xw");
}

TEST(UploadSlot, TokenBindsIdSizeTypeAndSecret) {
  std::string secret(32, 'k');
  Slot slot = sample();
  std::string token = slotToken(secret, slot);
  EXPECT_TRUE(checkSlotToken(secret, slot, token));
  EXPECT_FALSE(checkSlotToken(std::string(32, 'x'), slot, token));
  EXPECT_FALSE(checkSlotToken(secret, slot, token.substr(1)));
  EXPECT_FALSE(checkSlotToken(secret, slot, ""));
  Slot other = slot;
  other.size += 1;
  EXPECT_FALSE(checkSlotToken(secret, other, token));
  other = slot;
  other.contentType = "text/html";
  EXPECT_FALSE(checkSlotToken(secret, other, token));
  other = slot;
  other.id[0] = '1';
  EXPECT_FALSE(checkSlotToken(secret, other, token));
  EXPECT_EQ(token.find_first_of("+/="), std::string::npos);
}

TEST(UploadSlot, EncodingRoundTrip) {
  Slot slot = sample();
  slot.complete = true;
  auto back = decodeSlot(slot.id, encodeSlot(slot));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, slot.id);
  EXPECT_EQ(back->owner, "alice");
  EXPECT_EQ(back->filename, slot.filename);
  EXPECT_EQ(back->size, slot.size);
  EXPECT_EQ(back->contentType, "image/jpeg");
  EXPECT_EQ(back->created, 1700000000);
  EXPECT_TRUE(back->complete);
  EXPECT_FALSE(decodeSlot("x", "not json"));
  EXPECT_FALSE(decodeSlot("x", "{\"owner\": 1}"));
}

TEST(UploadSlot, Ids) {
  EXPECT_TRUE(isSlotId("0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(isSlotId("0123456789ABCDEF0123456789abcdef"));
  EXPECT_FALSE(isSlotId("0123456789abcdef"));
  EXPECT_FALSE(isSlotId("../../../../etc/passwd/xxxxxxxxx"));
}

TEST(UploadSlot, FilenamesAreSanitized) {
  EXPECT_EQ(sanitizeFilename("photo.jpg"), "photo.jpg");
  EXPECT_EQ(sanitizeFilename("../../etc/passwd"), "passwd");
  EXPECT_EQ(sanitizeFilename("C:\\Users\\me\\doc.pdf"), "doc.pdf");
  EXPECT_EQ(sanitizeFilename("a\r\nb\tc.txt"), "abc.txt");
  EXPECT_EQ(sanitizeFilename("  spaced  "), "spaced");
  EXPECT_EQ(sanitizeFilename(""), "file");
  EXPECT_EQ(sanitizeFilename(".."), "file");
  EXPECT_EQ(sanitizeFilename("dir/"), "file");
  EXPECT_EQ(sanitizeFilename("<&'\">.txt"), "<&'\">.txt");
  std::string longName;
  for (int i = 0; i < 150; ++i) longName += "é";  // 300 bytes
  std::string cut = sanitizeFilename(longName);
  EXPECT_LE(cut.size(), 200u);
  EXPECT_EQ(cut.size() % 2, 0u);  // no character split
}

TEST(UploadSlot, ContentTypes) {
  EXPECT_TRUE(validContentType("image/jpeg"));
  EXPECT_TRUE(validContentType("text/plain; charset=utf-8"));
  EXPECT_FALSE(validContentType("image"));
  EXPECT_FALSE(validContentType("/jpeg"));
  EXPECT_FALSE(validContentType("image/"));
  EXPECT_FALSE(validContentType("text/plain\r\nX-Injected: 1"));
  EXPECT_FALSE(validContentType(std::string(300, 'a') + "/b"));
  EXPECT_TRUE(sameContentType("Image/JPEG ", "image/jpeg"));
  EXPECT_FALSE(sameContentType("image/png", "image/jpeg"));
  EXPECT_TRUE(servedInline("image/png"));
  EXPECT_TRUE(servedInline("text/plain; charset=utf-8"));
  EXPECT_FALSE(servedInline("text/html"));
  EXPECT_FALSE(servedInline("image/svg+xml"));
  EXPECT_FALSE(servedInline("application/octet-stream"));
}

}  // namespace
}  // namespace telex::modules::upload
