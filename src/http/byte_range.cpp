// Range header parsing.
#include "http/byte_range.hpp"

#include <charconv>
#include <optional>

namespace telex::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Digits only (no sign, no spaces); nullopt on overflow or anything else.
std::optional<std::uint64_t> number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

ByteRange parseRange(std::string_view header, std::uint64_t size) {
  ByteRange full;
  header = trim(header);
  constexpr std::string_view kUnit = "bytes=";
  if (header.size() < kUnit.size()) return full;
  for (std::size_t i = 0; i < kUnit.size(); ++i) {
    char c = header[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kUnit[i]) return full;
  }
  std::string_view spec = trim(header.substr(kUnit.size()));
  if (spec.find(',') != std::string_view::npos) return full;
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return full;
  std::string_view a = trim(spec.substr(0, dash));
  std::string_view b = trim(spec.substr(dash + 1));

  ByteRange out;
  out.kind = ByteRange::Kind::Partial;
  if (a.empty()) {
    // Suffix range: the last n bytes.
    auto n = number(b);
    if (!n) return full;
    if (*n == 0 || size == 0) return {ByteRange::Kind::Unsatisfiable};
    out.first = *n >= size ? 0 : size - *n;
    out.last = size - 1;
    return out;
  }
  auto first = number(a);
  if (!first) return full;
  std::optional<std::uint64_t> last;
  if (!b.empty()) {
    last = number(b);
    if (!last || *last < *first) return full;
  }
  if (*first >= size) return {ByteRange::Kind::Unsatisfiable};
  out.first = *first;
  out.last = last && *last < size ? *last : size - 1;
  return out;
}

}  // namespace telex::http
