// Source networks allowed to reach the WinPopup gateway: CIDR prefixes, IPv4 and IPv6.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.hpp"

namespace telex::modules::winpopup {

class AllowList {
 public:
  // "10.0.0.0/8", "192.168.1.5" (one host), "::1/128", "fd00::/8". An IPv4-mapped IPv6 source
  // (::ffff:a.b.c.d, from a dual-stack listener) is matched as the IPv4 address it carries.
  static Expected<AllowList, std::string> parse(const std::vector<std::string>& networks);

  // `address` as text ("127.0.0.1", "::1"); false for anything unparsable.
  bool allows(std::string_view address) const;
  bool empty() const { return networks_.empty(); }

 private:
  struct Network {
    bool v4 = true;
    std::array<std::uint8_t, 16> bytes{};
    int prefix = 0;
  };
  static bool matches(const Network& network, bool v4, const std::array<std::uint8_t, 16>& bytes);
  std::vector<Network> networks_;
};

}  // namespace telex::modules::winpopup
