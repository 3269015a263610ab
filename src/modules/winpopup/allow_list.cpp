// CIDR parsing and prefix matching.
#include "modules/winpopup/allow_list.hpp"

#include <boost/asio/ip/address.hpp>
#include <charconv>

namespace telex::modules::winpopup {
namespace {

// Parses an address into 16 bytes (IPv4 in the first 4), unmapping ::ffff:a.b.c.d.
bool parseAddress(std::string_view text, bool& v4, std::array<std::uint8_t, 16>& bytes) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) return false;
  bytes.fill(0);
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  if (address.is_v4()) {
    v4 = true;
    auto b = address.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), bytes.begin());
  } else {
    v4 = false;
    auto b = address.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), bytes.begin());
  }
  return true;
}

}  // namespace

Expected<AllowList, std::string> AllowList::parse(const std::vector<std::string>& networks) {
  AllowList out;
  for (const auto& entry : networks) {
    std::string_view text = entry;
    auto slash = text.find('/');
    Network network;
    if (!parseAddress(text.substr(0, slash), network.v4, network.bytes)) {
      return unexpected("winpopup.allow: \"" + entry + "\" is not an address or CIDR network");
    }
    int maxPrefix = network.v4 ? 32 : 128;
    network.prefix = maxPrefix;
    if (slash != std::string_view::npos) {
      auto digits = text.substr(slash + 1);
      int prefix = -1;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
      if (ec != std::errc() || end != digits.data() + digits.size() || prefix < 0 || prefix > maxPrefix) {
        return unexpected("winpopup.allow: \"" + entry + "\" has an invalid prefix length");
      }
      network.prefix = prefix;
    }
    out.networks_.push_back(network);
  }
  return out;
}

bool AllowList::matches(const Network& network, bool v4, const std::array<std::uint8_t, 16>& bytes) {
  if (network.v4 != v4) return false;
  int full = network.prefix / 8;
  for (int i = 0; i < full; ++i) {
    if (network.bytes[static_cast<std::size_t>(i)] != bytes[static_cast<std::size_t>(i)]) return false;
  }
  int rest = network.prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  auto i = static_cast<std::size_t>(full);
  return (network.bytes[i] & mask) == (bytes[i] & mask);
}

bool AllowList::allows(std::string_view address) const {
  bool v4 = true;
  std::array<std::uint8_t, 16> bytes{};
  if (!parseAddress(address, v4, bytes)) return false;
  for (const auto& network : networks_) {
    if (matches(network, v4, bytes)) return true;
  }
  return false;
}

}  // namespace telex::modules::winpopup
