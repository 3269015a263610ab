// SOCKS 4 / 4a (de-facto specs) and SOCKS 5 (RFC 1928, RFC 1929) client handshakes.
#include "client/socks.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace telex::client {

namespace {

bool parseIpv4(std::string_view text, std::array<std::uint8_t, 4>& out) {
  const std::string s(text);
  in_addr addr{};
  if (inet_pton(AF_INET, s.c_str(), &addr) != 1) return false;
  std::memcpy(out.data(), &addr, 4);
  return true;
}

bool parseIpv6(std::string_view text, std::array<std::uint8_t, 16>& out) {
  const std::string s(text);
  in6_addr addr{};
  if (inet_pton(AF_INET6, s.c_str(), &addr) != 1) return false;
  std::memcpy(out.data(), &addr, 16);
  return true;
}

void appendPort(std::string& out, std::uint16_t port) {
  out.push_back(static_cast<char>(port >> 8));
  out.push_back(static_cast<char>(port & 0xff));
}

std::string socks4Reason(std::uint8_t code) {
  switch (code) {
    case 91: return "request rejected or failed";
    case 92: return "request rejected: the proxy cannot reach our identd";
    case 93: return "request rejected: identd reported a different user id";
    default: return "unknown reply code " + std::to_string(code);
  }
}

std::string socks5Reason(std::uint8_t code) {
  switch (code) {
    case 1: return "general SOCKS server failure";
    case 2: return "connection not allowed by ruleset";
    case 3: return "network unreachable";
    case 4: return "host unreachable";
    case 5: return "connection refused";
    case 6: return "TTL expired";
    case 7: return "command not supported";
    case 8: return "address type not supported";
    default: return "unknown reply code " + std::to_string(code);
  }
}

std::optional<std::string> percentDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    unsigned value = 0;
    const char* first = text.data() + i + 1;
    auto [ptr, ec] = std::from_chars(first, first + 2, value, 16);
    if (ec != std::errc() || ptr != first + 2) return std::nullopt;
    out.push_back(static_cast<char>(value));
    i += 2;
  }
  return out;
}

}  // namespace

std::string_view proxyTypeName(ProxyType type) {
  switch (type) {
    case ProxyType::Socks4: return "socks4";
    case ProxyType::Socks4a: return "socks4a";
    case ProxyType::Socks5: return "socks5";
  }
  return "socks5";
}

std::optional<ProxyType> proxyTypeFromName(std::string_view name) {
  if (name == "socks4") return ProxyType::Socks4;
  if (name == "socks4a") return ProxyType::Socks4a;
  if (name == "socks5" || name == "socks5h") return ProxyType::Socks5;
  return std::nullopt;
}

Expected<ProxyConfig, std::string> parseProxyUrl(std::string_view url) {
  const std::size_t schemeEnd = url.find("://");
  if (schemeEnd == std::string_view::npos) {
    return unexpected(std::string("proxy must look like socks5://host:port"));
  }
  ProxyConfig config;
  const auto type = proxyTypeFromName(url.substr(0, schemeEnd));
  if (!type) {
    return unexpected("unsupported proxy scheme \"" + std::string(url.substr(0, schemeEnd)) +
                      "\" (use socks4, socks4a or socks5)");
  }
  config.type = *type;
  std::string_view rest = url.substr(schemeEnd + 3);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const std::size_t colon = userinfo.find(':');
    auto user = percentDecode(userinfo.substr(0, colon));
    auto pass = percentDecode(colon == std::string_view::npos ? std::string_view{}
                                                              : userinfo.substr(colon + 1));
    if (!user || !pass) {
      return unexpected(std::string("invalid percent-escape in proxy credentials"));
    }
    config.username = std::move(*user);
    config.password = std::move(*pass);
  }
  std::string_view portText;
  if (rest.starts_with('[')) {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      return unexpected(std::string("unterminated [IPv6] proxy host"));
    }
    config.host = std::string(rest.substr(1, close - 1));
    const std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return unexpected(std::string("unexpected text after the proxy host"));
      portText = after.substr(1);
    }
  } else {
    const std::size_t colon = rest.rfind(':');
    config.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) portText = rest.substr(colon + 1);
  }
  if (config.host.empty()) return unexpected(std::string("the proxy URL has no host"));
  if (config.host.find_first_of("/?#") != std::string::npos) {
    return unexpected(std::string("the proxy URL must be scheme://host:port only"));
  }
  if (!portText.empty()) {
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
    if (ec != std::errc() || ptr != portText.data() + portText.size() || port == 0 ||
        port > 65535) {
      return unexpected("invalid proxy port \"" + std::string(portText) + "\"");
    }
    config.port = static_cast<std::uint16_t>(port);
  }
  return config;
}

SocksHandshake::SocksHandshake(ProxyType type, std::string targetHost, std::uint16_t targetPort,
                               std::string username, std::string password,
                               std::optional<std::array<std::uint8_t, 4>> targetIpv4)
    : type_(type),
      targetHost_(std::move(targetHost)),
      targetPort_(targetPort),
      username_(std::move(username)),
      password_(std::move(password)),
      targetIpv4_(targetIpv4) {}

bool SocksHandshake::needsLocalResolution(ProxyType type, std::string_view targetHost) {
  std::array<std::uint8_t, 4> ignored{};
  return type == ProxyType::Socks4 && !parseIpv4(targetHost, ignored);
}

SocksHandshake::Step SocksHandshake::fail(std::string error) {
  phase_ = Phase::Finished;
  status_ = Status::Failed;
  buffer_.clear();
  Step step;
  step.status = Status::Failed;
  step.error = std::move(error);
  return step;
}

std::string SocksHandshake::socks4Request() const {
  // VN=4 CD=1(CONNECT) DSTPORT DSTIP USERID NUL [HOST NUL for 4a]
  std::string out{'\x04', '\x01'};
  appendPort(out, targetPort_);
  std::array<std::uint8_t, 4> ip{};
  const bool literal = parseIpv4(targetHost_, ip);
  const bool sendName = type_ == ProxyType::Socks4a && !literal;
  if (sendName) {
    ip = {0, 0, 0, 1};  // 0.0.0.x with x != 0 tells a 4a proxy a name follows
  } else if (!literal) {
    ip = *targetIpv4_;
  }
  out.append(reinterpret_cast<const char*>(ip.data()), ip.size());
  out.append(username_);
  out.push_back('\0');
  if (sendName) {
    out.append(targetHost_);
    out.push_back('\0');
  }
  return out;
}

SocksHandshake::Step SocksHandshake::start() {
  if (phase_ != Phase::NotStarted) return fail("SOCKS handshake started twice");
  if (targetHost_.empty()) return fail("no target host for the proxy");
  if (type_ == ProxyType::Socks4 || type_ == ProxyType::Socks4a) {
    std::array<std::uint8_t, 4> ip{};
    if (type_ == ProxyType::Socks4 && !parseIpv4(targetHost_, ip) && !targetIpv4_) {
      return fail("SOCKS4 needs an IPv4 address for " + targetHost_);
    }
    if (username_.find('\0') != std::string::npos || targetHost_.find('\0') != std::string::npos) {
      return fail("NUL byte in a SOCKS4 field");
    }
    Step step;
    step.send = socks4Request();
    phase_ = Phase::Socks4Reply;
    return step;
  }
  if (username_.size() > 255 || password_.size() > 255) {
    return fail("SOCKS5 username and password are limited to 255 bytes each");
  }
  std::array<std::uint8_t, 16> ip6{};
  std::array<std::uint8_t, 4> ip4{};
  if (targetHost_.size() > 255 && !parseIpv4(targetHost_, ip4) && !parseIpv6(targetHost_, ip6)) {
    return fail("target host name too long for SOCKS5");
  }
  // VER NMETHODS METHODS: no authentication, plus username/password when we have a username.
  Step step;
  if (username_.empty()) {
    step.send = std::string{'\x05', '\x01', '\x00'};
  } else {
    step.send = std::string{'\x05', '\x02', '\x00', '\x02'};
  }
  phase_ = Phase::Socks5Method;
  return step;
}

SocksHandshake::Step SocksHandshake::socks5Request() {
  // VER CMD=CONNECT RSV ATYP DST.ADDR DST.PORT
  Step step;
  std::string& out = step.send;
  out = std::string{'\x05', '\x01', '\x00'};
  std::array<std::uint8_t, 4> ip4{};
  std::array<std::uint8_t, 16> ip6{};
  if (parseIpv4(targetHost_, ip4)) {
    out.push_back('\x01');
    out.append(reinterpret_cast<const char*>(ip4.data()), ip4.size());
  } else if (parseIpv6(targetHost_, ip6)) {
    out.push_back('\x04');
    out.append(reinterpret_cast<const char*>(ip6.data()), ip6.size());
  } else {
    out.push_back('\x03');
    out.push_back(static_cast<char>(targetHost_.size()));
    out.append(targetHost_);
  }
  appendPort(out, targetPort_);
  phase_ = Phase::Socks5ReplyHead;
  return step;
}

SocksHandshake::Step SocksHandshake::receive(std::string_view bytes) {
  if (phase_ == Phase::Finished) return fail("SOCKS handshake already finished");
  if (phase_ == Phase::NotStarted) return fail("SOCKS handshake not started");
  buffer_.append(bytes);

  // Each phase consumes only its own reply and then waits for the proxy's next answer, since
  // every reply depends on what we sent in between.
  {
    const auto byte = [this](std::size_t i) { return static_cast<std::uint8_t>(buffer_[i]); };
    switch (phase_) {
      case Phase::Socks4Reply: {
        if (buffer_.size() < 8) return {};
        if (byte(0) != 0) return fail("the proxy did not answer as a SOCKS4 server");
        if (byte(1) != 90) return fail("SOCKS4 proxy: " + socks4Reason(byte(1)));
        Step step;
        step.status = Status::Done;
        step.leftover = buffer_.substr(8);
        buffer_.clear();
        phase_ = Phase::Finished;
        status_ = Status::Done;
        return step;
      }
      case Phase::Socks5Method: {
        if (buffer_.size() < 2) return {};
        if (byte(0) != 5) return fail("the proxy did not answer as a SOCKS5 server");
        const std::uint8_t method = byte(1);
        buffer_.erase(0, 2);
        if (method == 0x00) return socks5Request();
        if (method == 0x02 && !username_.empty()) {
          // RFC 1929: VER=1 ULEN UNAME PLEN PASSWD
          Step step;
          step.send.push_back('\x01');
          step.send.push_back(static_cast<char>(username_.size()));
          step.send.append(username_);
          step.send.push_back(static_cast<char>(password_.size()));
          step.send.append(password_);
          phase_ = Phase::Socks5Auth;
          return step;
        }
        if (method == 0xff) {
          return fail(username_.empty()
                          ? "SOCKS5 proxy requires authentication (give a username and password)"
                          : "SOCKS5 proxy accepts none of our authentication methods");
        }
        return fail("SOCKS5 proxy chose an authentication method we did not offer");
      }
      case Phase::Socks5Auth: {
        if (buffer_.size() < 2) return {};
        if (byte(1) != 0) return fail("SOCKS5 proxy rejected the username or password");
        buffer_.erase(0, 2);
        return socks5Request();
      }
      case Phase::Socks5ReplyHead: {
        if (buffer_.size() < 2) return {};
        if (byte(0) != 5) return fail("the proxy did not answer as a SOCKS5 server");
        if (byte(1) != 0) return fail("SOCKS5 proxy: " + socks5Reason(byte(1)));
        if (buffer_.size() < 5) return {};
        std::size_t total = 0;
        switch (byte(3)) {
          case 1: total = 4 + 4 + 2; break;
          case 4: total = 4 + 16 + 2; break;
          case 3: total = 4 + 1 + byte(4) + 2; break;
          default: return fail("SOCKS5 proxy replied with an unknown address type");
        }
        if (buffer_.size() < total) return {};
        Step step;
        step.status = Status::Done;
        step.leftover = buffer_.substr(total);
        buffer_.clear();
        phase_ = Phase::Finished;
        status_ = Status::Done;
        return step;
      }
      case Phase::NotStarted:
      case Phase::Finished: break;
    }
  }
  return fail("SOCKS handshake in an invalid state");
}

}  // namespace telex::client
