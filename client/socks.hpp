// SOCKS 4 / 4a / 5 client handshakes as a byte-level state machine, and proxy URL parsing.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/expected.hpp"

namespace telex::client {

enum class ProxyType { Socks4, Socks4a, Socks5 };

inline constexpr std::uint16_t kDefaultProxyPort = 1080;

// "socks4" / "socks4a" / "socks5".
std::string_view proxyTypeName(ProxyType type);
std::optional<ProxyType> proxyTypeFromName(std::string_view name);

struct ProxyConfig {
  ProxyType type = ProxyType::Socks5;
  std::string host;
  std::uint16_t port = kDefaultProxyPort;
  // SOCKS5: username/password authentication (RFC 1929) when username is non-empty.
  // SOCKS4/4a: the username is sent as USERID; the password is unused.
  std::string username;
  std::string password;
};

// Parses "socks5://[user[:password]@]host[:port]" (also socks4://, socks4a://, socks5h:// as an
// alias of socks5://, which always lets the proxy resolve names). IPv6 hosts go in brackets.
// Percent-escapes in user and password are decoded. The port defaults to 1080.
Expected<ProxyConfig, std::string> parseProxyUrl(std::string_view url);

// One proxy handshake asking the proxy to CONNECT to targetHost:targetPort. Feed it every byte
// the proxy sends until it reports Done or Failed; it never reads past the end of the proxy's
// reply, so bytes after it (already the tunnelled stream) are returned in Step::leftover.
//
// Names are resolved by the proxy (SOCKS4a, SOCKS5 ATYP=domain), except for SOCKS4, which only
// carries an IPv4 address: pass it as targetIpv4 (the caller resolves the name first). A target
// that is an IP literal is always sent as an address.
class SocksHandshake {
 public:
  enum class Status { NeedMore, Done, Failed };
  struct Step {
    Status status = Status::NeedMore;
    std::string send;      // bytes to write to the proxy now (may be empty)
    std::string error;     // when Failed: a one-line reason
    std::string leftover;  // when Done: bytes past the handshake
  };

  SocksHandshake(ProxyType type, std::string targetHost, std::uint16_t targetPort,
                 std::string username = {}, std::string password = {},
                 std::optional<std::array<std::uint8_t, 4>> targetIpv4 = std::nullopt);

  // The first bytes to send, or Failed when the request cannot be expressed (e.g. SOCKS4 without
  // an IPv4 address, a name or credential longer than 255 bytes).
  Step start();
  // Consumes bytes from the proxy. After Done or Failed, further calls return Failed.
  Step receive(std::string_view bytes);

  Status status() const { return status_; }
  // Whether a plain SOCKS4 request needs the caller to resolve the target to IPv4 first.
  static bool needsLocalResolution(ProxyType type, std::string_view targetHost);

 private:
  enum class Phase {
    NotStarted,
    Socks4Reply,      // waiting for the 8-byte SOCKS4 reply
    Socks5Method,     // waiting for VER METHOD
    Socks5Auth,       // waiting for the RFC 1929 VER STATUS
    Socks5ReplyHead,  // waiting for VER REP RSV ATYP (+ first byte of a domain)
    Finished,
  };

  Step fail(std::string error);
  Step socks5Request();
  std::string socks4Request() const;

  ProxyType type_;
  std::string targetHost_;
  std::uint16_t targetPort_;
  std::string username_;
  std::string password_;
  std::optional<std::array<std::uint8_t, 4>> targetIpv4_;
  Phase phase_ = Phase::NotStarted;
  Status status_ = Status::NeedMore;
  std::string buffer_;  // proxy bytes not yet consumed
};

}  // namespace telex::client
