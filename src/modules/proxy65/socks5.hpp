// The SOCKS5 subset XEP-0065 uses (RFC 1928: no authentication, CONNECT to a "domain name" that is
// the stream's SHA-1 hash, port 0), and that hash.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "util/expected.hpp"

namespace telex::modules::proxy65 {

// hex(SHA-1(sid + requester full JID + target full JID)), lower case (XEP-0065 §5.3.2).
std::string streamHash(std::string_view sid, std::string_view requester, std::string_view target);

inline constexpr std::uint8_t kSocksVersion = 5;
inline constexpr std::uint8_t kNoAuth = 0x00;
inline constexpr std::uint8_t kNoAcceptableMethod = 0xff;

// RFC 1928 §6 reply codes used here.
enum class SocksReply : std::uint8_t {
  Succeeded = 0x00,
  GeneralFailure = 0x01,
  NotAllowed = 0x02,
  CommandNotSupported = 0x07,
  AddressTypeNotSupported = 0x08,
};

// The methods of a method-selection message "05 n m1..mn": true when "no authentication" is one.
bool greetingOffersNoAuth(std::span<const std::uint8_t> methods);

// The fixed start of a request, "05 01 00 03 len": the number of bytes still to read (address and
// port), or the reply code that refuses it.
Expected<std::size_t, SocksReply> connectRequestRest(std::span<const std::uint8_t, 5> head);
// The hash a CONNECT names, from the rest (len bytes of address, 2 of port): 40 hex digits,
// returned in lower case.
Expected<std::string, SocksReply> connectRequestHash(std::span<const std::uint8_t> rest);

// "05 code 00 03 len hash 00 00": the reply to a CONNECT, naming the same address.
std::string socksReply(SocksReply code, std::string_view hash);

}  // namespace telex::modules::proxy65
