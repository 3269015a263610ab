// SOCKS5 message parsing and the XEP-0065 stream hash.
#include "modules/proxy65/socks5.hpp"

#include <algorithm>
#include <openssl/evp.h>
#include <stdexcept>

namespace telex::modules::proxy65 {

std::string streamHash(std::string_view sid, std::string_view requester, std::string_view target) {
  std::string input = std::string(sid) + std::string(requester) + std::string(target);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha1(), nullptr) != 1) {
    throw std::runtime_error("SHA-1 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

bool greetingOffersNoAuth(std::span<const std::uint8_t> methods) {
  return std::find(methods.begin(), methods.end(), kNoAuth) != methods.end();
}

Expected<std::size_t, SocksReply> connectRequestRest(std::span<const std::uint8_t, 5> head) {
  if (head[0] != kSocksVersion || head[2] != 0) return unexpected(SocksReply::GeneralFailure);
  if (head[1] != 0x01) return unexpected(SocksReply::CommandNotSupported);  // only CONNECT
  if (head[3] != 0x03) return unexpected(SocksReply::AddressTypeNotSupported);  // only "domain name"
  if (head[4] == 0) return unexpected(SocksReply::GeneralFailure);
  return static_cast<std::size_t>(head[4]) + 2;
}

Expected<std::string, SocksReply> connectRequestHash(std::span<const std::uint8_t> rest) {
  if (rest.size() != 40 + 2) return unexpected(SocksReply::NotAllowed);
  std::string hash;
  for (std::size_t i = 0; i < 40; ++i) {
    char c = static_cast<char>(rest[i]);
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return unexpected(SocksReply::NotAllowed);
    hash += c;
  }
  return hash;  // the port (last two bytes) is 0 by XEP-0065 and means nothing here
}

std::string socksReply(SocksReply code, std::string_view hash) {
  std::string out;
  out += static_cast<char>(kSocksVersion);
  out += static_cast<char>(code);
  out += '\0';
  out += static_cast<char>(0x03);
  out += static_cast<char>(hash.size());
  out += hash;
  out += '\0';
  out += '\0';
  return out;
}

}  // namespace telex::modules::proxy65
