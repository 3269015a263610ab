// NetBIOS session framing, NetBIOS names, the SMB messenger commands and the allow list, fed
// with what smbclient really sends and with hostile bytes (truncations, lies about lengths,
// random garbage): nothing may read out of bounds, everything malformed is refused.
#include <gtest/gtest.h>

#include <random>

#include "modules/winpopup/allow_list.hpp"
#include "modules/winpopup/netbios.hpp"
#include "modules/winpopup/smb_message.hpp"

namespace telex::modules::winpopup {
namespace {
using namespace std::string_literals;

std::string hex(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16));
  }
  return out;
}

// Captured from `smbclient -M alice -I 127.0.0.1 -p 139 -U bob -n MYPC` (Samba 4.17).
const std::string kSessionRequest = hex(
    "204542454d454a45444546434143414341434143414341434143414341434141440020454e464a46414544434143"
    "41434143414341434143414341434143414341414100");
const std::string kSendStart = hex(
    "ff534d42d5000000000000000000000000000000000000000000820a00000000000c0004626f620004616c69636500");
const std::string kSendText = hex(
    "ff534d42d7000000000000000000000000000000000000000000820a000000000100001c000119006c696e65206f6e"
    "650d0a6c696e652074776f20816d6c617574");
const std::string kSendEnd = hex("ff534d42d6000000000000000000000000000000000000000000820a000000000100000000");

TEST(NetbiosFrameTest, CompleteIncompleteAndInvalid) {
  std::string frame = makeFrame(kSessionMessage, "abc");
  Frame f;
  ASSERT_EQ(parseFrame(frame, 100, f), FrameStatus::Complete);
  EXPECT_EQ(f.type, kSessionMessage);
  EXPECT_EQ(f.payload, "abc");
  EXPECT_EQ(f.size, 7u);
  for (std::size_t n = 0; n < frame.size(); ++n) {
    EXPECT_EQ(parseFrame(std::string_view(frame).substr(0, n), 100, f), FrameStatus::NeedMore) << n;
  }
  EXPECT_EQ(parseFrame(frame, 2, f), FrameStatus::Invalid);  // longer than allowed
  std::string flags = frame;
  flags[1] = 0x02;
  EXPECT_EQ(parseFrame(flags, 100, f), FrameStatus::Invalid);
  // The length extension bit: 65536 + 1 bytes announced.
  std::string big = std::string("\x00\x01\x00\x01", 4);
  EXPECT_EQ(parseFrame(big, 70000, f), FrameStatus::NeedMore);
  EXPECT_EQ(parseFrame(big, 4096, f), FrameStatus::Invalid);
  EXPECT_EQ(makeFrame(kPositiveResponse, {}), std::string("\x82\x00\x00\x00", 4));
}

TEST(NetbiosNameTest, DecodesWhatSmbclientSends) {
  auto request = parseSessionRequest(kSessionRequest);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->called.name, "ALICE");
  EXPECT_EQ(request->called.suffix, 0x03);
  EXPECT_EQ(request->calling.name, "MYPC");
  EXPECT_EQ(request->calling.suffix, 0x00);
  std::size_t used = 0;
  auto round = decodeName(encodeName("pc-42", 0x20), used);
  ASSERT_TRUE(round);
  EXPECT_EQ(round->name, "PC-42");
  EXPECT_EQ(round->suffix, 0x20);
  EXPECT_EQ(used, 34u);
}

TEST(NetbiosNameTest, RefusesMalformedNames) {
  std::size_t used = 0;
  std::string good = encodeName("ALICE", 3);
  EXPECT_FALSE(decodeName(good.substr(0, 33), used));  // no terminator
  std::string length = good;
  length[0] = 31;
  EXPECT_FALSE(decodeName(length, used));
  std::string letter = good;
  letter[5] = 'Z';  // outside A-P
  EXPECT_FALSE(decodeName(letter, used));
  // A scope label running past the end, and a compression pointer.
  std::string scope = good.substr(0, 33) + "\x05" + "ab";
  EXPECT_FALSE(decodeName(scope, used));
  std::string pointer = good.substr(0, 33) + "\xC0\x0C";
  EXPECT_FALSE(decodeName(pointer, used));
  // A valid scope is skipped.
  std::string scoped = good.substr(0, 33) + "\x03" + "lan" + std::string(1, '\0');
  auto ok = decodeName(scoped, used);
  ASSERT_TRUE(ok);
  EXPECT_EQ(used, scoped.size());
  // Trailing bytes after the calling name make the request invalid.
  EXPECT_FALSE(parseSessionRequest(kSessionRequest + "x"));
  EXPECT_FALSE(parseSessionRequest(kSessionRequest.substr(0, 40)));
}

TEST(SmbMessengerTest, ParsesTheSmbclientExchange) {
  auto start = parseSmb(kSendStart);
  ASSERT_TRUE(start);
  EXPECT_EQ(start->command, kSmbSendStart);
  auto header = parseSendStart(*start);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->originator, "bob");
  EXPECT_EQ(header->destination, "alice");

  auto text = parseSmb(kSendText);
  ASSERT_TRUE(text);
  auto block = parseSendText(*text);
  ASSERT_TRUE(block);
  EXPECT_EQ(block->first, 0);
  EXPECT_EQ(messageText(block->second), "line one\nline two \xc3\xbcmlaut");  // CP850 0x81 = ü

  auto end = parseSmb(kSendEnd);
  ASSERT_TRUE(end);
  EXPECT_EQ(parseSendEnd(*end), 0);

  // The response echoes the header, marks it a reply, and carries the words given.
  std::string response = makeSmbResponse(*start, kSmbOk, std::string("\x07\x00", 2));
  Frame f;
  ASSERT_EQ(parseFrame(response, 1000, f), FrameStatus::Complete);
  EXPECT_EQ(f.payload.substr(0, 5), kSendStart.substr(0, 5));
  EXPECT_EQ(static_cast<std::uint8_t>(f.payload[9]) & 0x80, 0x80);
  EXPECT_EQ(f.payload[32], 1);  // one word: the message group
  EXPECT_EQ(f.payload[33], 7);
  std::string error = makeSmbResponse(*start, kErrNotReceiving);
  ASSERT_EQ(parseFrame(error, 1000, f), FrameStatus::Complete);
  EXPECT_EQ(f.payload[5], 0x02);
  EXPECT_EQ(static_cast<std::uint8_t>(f.payload[7]), 82);
}

TEST(SmbMessengerTest, SingleBlockMessage) {
  std::string smb = kSendStart.substr(0, 32);
  smb[4] = static_cast<char>(kSmbSendSingle);
  std::string bytes = "\x04PRINTER\0\x04" "ALICE\0\x01\x05\0paper"s;
  smb += '\0';
  smb += static_cast<char>(bytes.size());
  smb += '\0';
  smb += bytes;
  auto request = parseSmb(smb);
  ASSERT_TRUE(request);
  auto single = parseSendSingle(*request);
  ASSERT_TRUE(single);
  EXPECT_EQ(single->header.originator, "PRINTER");
  EXPECT_EQ(single->header.destination, "ALICE");
  EXPECT_EQ(single->text, "paper");
  // The data block claims more than there is.
  std::string lying = smb;
  lying[lying.size() - 6] = 0x40;
  auto lyingRequest = parseSmb(lying);
  ASSERT_TRUE(lyingRequest);
  EXPECT_FALSE(parseSendSingle(*lyingRequest));
}

TEST(SmbMessengerTest, RefusesWhatIsNotAMessengerRequest) {
  EXPECT_FALSE(parseSmb(""));
  EXPECT_FALSE(parseSmb(kSendStart.substr(0, 34)));  // cut inside the byte count
  std::string smb2 = kSendStart;
  smb2[0] = static_cast<char>(0xFE);  // SMB2
  EXPECT_FALSE(parseSmb(smb2));
  std::string reply = kSendStart;
  reply[9] = static_cast<char>(0x80);
  EXPECT_FALSE(parseSmb(reply));
  std::string words = kSendStart;
  words[32] = static_cast<char>(200);  // 400 bytes of words that are not there
  EXPECT_FALSE(parseSmb(words));
  std::string count = kSendStart;
  count[33] = static_cast<char>(0xFF);  // byte count past the end
  EXPECT_FALSE(parseSmb(count));
  // Strings without their NUL, or in the wrong buffer format.
  auto start = *parseSmb(kSendStart);
  std::string unterminated = kSendStart.substr(0, kSendStart.size() - 1);
  unterminated[33] = static_cast<char>(unterminated.size() - 35);
  auto cut = parseSmb(unterminated);
  ASSERT_TRUE(cut);
  EXPECT_FALSE(parseSendStart(*cut));
  std::string format = kSendStart;
  format[35] = 0x01;
  EXPECT_FALSE(parseSendStart(*parseSmb(format)));
  // Text and end without the group word.
  auto end = *parseSmb(kSendEnd);
  end.words = {};
  EXPECT_FALSE(parseSendEnd(end));
  EXPECT_FALSE(parseSendText(end));
  (void)start;
}

TEST(SmbMessengerTest, HostileBytesNeverCrash) {
  std::mt19937 random(20240);
  std::vector<std::string> seeds = {kSessionRequest, kSendStart, kSendText, kSendEnd};
  for (int round = 0; round < 20000; ++round) {
    std::string data = seeds[static_cast<std::size_t>(round) % seeds.size()];
    int edits = 1 + static_cast<int>(random() % 8);
    for (int e = 0; e < edits && !data.empty(); ++e) {
      switch (random() % 3) {
        case 0: data[random() % data.size()] = static_cast<char>(random()); break;
        case 1: data.resize(random() % (data.size() + 1)); break;
        default: data.insert(random() % (data.size() + 1), 1, static_cast<char>(random())); break;
      }
    }
    Frame f;
    (void)parseFrame(data, 4096, f);
    (void)parseSessionRequest(data);
    if (auto smb = parseSmb(data)) {
      (void)parseSendStart(*smb);
      (void)parseSendSingle(*smb);
      (void)parseSendEnd(*smb);
      if (auto text = parseSendText(*smb)) (void)messageText(text->second);
      (void)makeSmbResponse(*smb, kErrGeneral);
    }
    (void)messageText(data);
    (void)cleanName(data);
  }
  SUCCEED();
}

TEST(SmbMessengerTest, TextAndNamesAreCleaned) {
  EXPECT_EQ(messageText("a\r\nb\rc\x07\x1b[31m\0z"s), "a\nb\nc[31mz");
  EXPECT_EQ(messageText("\x9c 5"), "\xc2\xa3 5");  // CP850 0x9C = £
  EXPECT_EQ(cleanName("  BOB\x01\xff  "), "BOB");
  EXPECT_EQ(cleanName(std::string(100, 'A')).size(), 64u);
}

TEST(AllowListTest, CidrMatching) {
  auto list = AllowList::parse({"10.0.0.0/8", "192.168.1.5", "127.0.0.1/32", "fd00::/8", "172.16.0.0/12"});
  ASSERT_TRUE(list) << list.error();
  EXPECT_TRUE(list->allows("10.200.3.4"));
  EXPECT_FALSE(list->allows("11.0.0.1"));
  EXPECT_TRUE(list->allows("192.168.1.5"));
  EXPECT_FALSE(list->allows("192.168.1.6"));
  EXPECT_TRUE(list->allows("127.0.0.1"));
  EXPECT_FALSE(list->allows("127.0.0.2"));
  EXPECT_TRUE(list->allows("::ffff:10.1.2.3"));  // from a dual-stack listener
  EXPECT_TRUE(list->allows("fd12::1"));
  EXPECT_FALSE(list->allows("fe80::1"));
  EXPECT_TRUE(list->allows("172.31.255.255"));
  EXPECT_FALSE(list->allows("172.32.0.0"));
  EXPECT_FALSE(list->allows("not an address"));
  EXPECT_FALSE(list->allows(""));
  auto everything = AllowList::parse({"0.0.0.0/0"});
  EXPECT_TRUE(everything->allows("8.8.8.8"));
  EXPECT_FALSE(everything->allows("::1"));
  EXPECT_FALSE(AllowList::parse({"10.0.0.0/33"}));
  EXPECT_FALSE(AllowList::parse({"10.0.0.0/"}));
  EXPECT_FALSE(AllowList::parse({"10.0.0.0/8x"}));
  EXPECT_FALSE(AllowList::parse({"lan"}));
  EXPECT_FALSE(AllowList::parse({"::1/129"}));
  EXPECT_TRUE(AllowList::parse({})->empty());
}

}  // namespace
}  // namespace telex::modules::winpopup
