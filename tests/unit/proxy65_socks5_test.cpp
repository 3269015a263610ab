// XEP-0065 stream hashes and the SOCKS5 messages the proxy reads and writes.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "modules/proxy65/socks5.hpp"

namespace telex::modules::proxy65 {
namespace {

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(Proxy65Socks5, StreamHashMatchesXep0065Example) {
  // XEP-0065 §5.3.2's SID and JIDs; the digest was computed with Python's hashlib.
  EXPECT_EQ(streamHash("vxf9n471bn46", "requester@example.com/foo", "target@example.org/bar"),
            "98b8d688d0f5d895fd41c5e7309a2e9e33ba32ff");
}

TEST(Proxy65Socks5, Greeting) {
  std::array<std::uint8_t, 2> noAuth = {0x02, 0x00};
  std::array<std::uint8_t, 2> passwordOnly = {0x02, 0x01};
  EXPECT_TRUE(greetingOffersNoAuth(noAuth));
  EXPECT_FALSE(greetingOffersNoAuth(passwordOnly));
  EXPECT_FALSE(greetingOffersNoAuth({}));
}

TEST(Proxy65Socks5, ConnectRequest) {
  std::array<std::uint8_t, 5> head = {0x05, 0x01, 0x00, 0x03, 40};
  auto rest = connectRequestRest(head);
  ASSERT_TRUE(rest);
  EXPECT_EQ(*rest, 42u);
  auto hash = connectRequestHash(bytes(std::string("98B8D688D0F5D895FD41C5E7309A2E9E33BA32FF") + '\0' + '\0'));
  ASSERT_TRUE(hash);
  EXPECT_EQ(*hash, "98b8d688d0f5d895fd41c5e7309a2e9e33ba32ff");
}

TEST(Proxy65Socks5, RefusedRequests) {
  std::array<std::uint8_t, 5> bind = {0x05, 0x02, 0x00, 0x03, 40};
  EXPECT_EQ(connectRequestRest(bind).error(), SocksReply::CommandNotSupported);
  std::array<std::uint8_t, 5> ipv4 = {0x05, 0x01, 0x00, 0x01, 40};
  EXPECT_EQ(connectRequestRest(ipv4).error(), SocksReply::AddressTypeNotSupported);
  std::array<std::uint8_t, 5> socks4 = {0x04, 0x01, 0x00, 0x03, 40};
  EXPECT_EQ(connectRequestRest(socks4).error(), SocksReply::GeneralFailure);
  EXPECT_EQ(connectRequestHash(bytes(std::string("example.org") + '\0' + 'P')).error(), SocksReply::NotAllowed);
  EXPECT_EQ(connectRequestHash(bytes(std::string(40, 'g') + '\0' + '\0')).error(), SocksReply::NotAllowed);
}

TEST(Proxy65Socks5, Reply) {
  std::string hash(40, 'a');
  std::string reply = socksReply(SocksReply::Succeeded, hash);
  ASSERT_EQ(reply.size(), 47u);
  EXPECT_EQ(reply.substr(0, 5), std::string("\x05\x00\x00\x03\x28", 5));
  EXPECT_EQ(reply.substr(5, 40), hash);
  EXPECT_EQ(reply.substr(45), std::string("\0\0", 2));
  EXPECT_EQ(socksReply(SocksReply::NotAllowed, "")[1], 0x02);
}

}  // namespace
}  // namespace telex::modules::proxy65
