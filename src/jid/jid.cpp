// JID parsing and normalization on top of libidn's stringprep profiles.
#include "jid/jid.hpp"

#include <arpa/inet.h>
#include <stringprep.h>

#include <cstdint>
#include <cstdlib>
#include <memory>

#include "util/utf8.hpp"

namespace telex {

namespace {

// Inputs far beyond the output limit are refused before libidn sees them, bounding its work.
constexpr std::size_t kMaxPrepInputBytes = kMaxJidPartBytes * 4;

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};


bool isAsciiLdh(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

enum class Profile { Node, Name, Resource };

bool isNodeProhibitedAscii(char c) {
  // RFC 3920 Appendix A.5 (Nodeprep's own prohibitions) plus C.1.1 (ASCII space).
  return c == ' ' || c == '"' || c == '&' || c == '\'' || c == '/' || c == ':' || c == '<' || c == '>' ||
         c == '@';
}

// On printable ASCII the stringprep profiles reduce to ASCII case folding (Nodeprep, Nameprep)
// or nothing (Resourceprep): NFKC and the map-to-nothing table leave ASCII alone and no ASCII
// character is unassigned or right-to-left. Returns false when the text needs the full profile
// (non-ASCII, controls, or a character a profile prohibits: libidn then refuses it).
bool prepAscii(std::string_view text, Profile profile, std::string& out) {
  out.assign(text);
  for (char& c : out) {
    if (c < 0x20 || c > 0x7E) return false;
    switch (profile) {
      case Profile::Node:
        if (isNodeProhibitedAscii(c)) return false;
        break;
      case Profile::Name:
        if (!isAsciiLdh(c) && c != '.') return false;
        break;
      case Profile::Resource:
        continue;
    }
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return true;
}

const char* profileName(Profile profile) {
  switch (profile) {
    case Profile::Node: return "Nodeprep";
    case Profile::Name: return "Nameprep";
    case Profile::Resource: return "Resourceprep";
  }
  return "Nodeprep";
}

std::optional<std::string> prep(std::string_view text, Profile profile) {
  if (text.empty() || text.size() > kMaxPrepInputBytes) return std::nullopt;
  if (std::string ascii; prepAscii(text, profile, ascii)) {
    if (ascii.size() > kMaxJidPartBytes) return std::nullopt;
    return ascii;
  }
  if (text.find('\0') != std::string_view::npos || !util::isValidUtf8(text)) return std::nullopt;
  const std::string input(text);  // libidn wants a NUL-terminated string
  char* raw = nullptr;
  const int rc = stringprep_profile(input.c_str(), &raw, profileName(profile), Stringprep_profile_flags{});
  const std::unique_ptr<char, FreeDeleter> out(raw);
  if (rc != STRINGPREP_OK || !out) return std::nullopt;
  std::string result(out.get());
  if (result.empty() || result.size() > kMaxJidPartBytes) return std::nullopt;
  return result;
}

// Checks the label structure of a prepared, non-literal domain: no empty labels, ASCII limited to
// letters/digits/hyphen, and pure-ASCII labels within the DNS 63-byte limit.
bool isValidHostname(std::string_view domain) {
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = domain.find('.', start);
    const std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) return false;
    bool ascii = true;
    for (const char c : label) {
      if (static_cast<unsigned char>(c) >= 0x80) {
        ascii = false;
      } else if (!isAsciiLdh(c)) {
        return false;
      }
    }
    if (ascii && label.size() > 63) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// "[v6]" → "[canonical v6]" so that equal addresses compare equal.
std::optional<std::string> prepIpv6Literal(std::string_view text) {
  if (text.size() < 3 || text.front() != '[' || text.back() != ']') return std::nullopt;
  const std::string inner(text.substr(1, text.size() - 2));
  in6_addr addr{};
  if (inet_pton(AF_INET6, inner.c_str(), &addr) != 1) return std::nullopt;
  char buffer[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(AF_INET6, &addr, buffer, sizeof buffer) == nullptr) return std::nullopt;
  return "[" + std::string(buffer) + "]";
}

std::optional<std::string> prepDomain(std::string_view text) {
  if (!text.empty() && text.front() == '[') return prepIpv6Literal(text);
  auto prepared = nameprep(text);
  if (!prepared) return std::nullopt;
  // Nameprep leaves U+3002 IDEOGRAPHIC FULL STOP alone, but IDNA treats it as a label separator.
  constexpr std::string_view kIdeographicStop = "\xE3\x80\x82";
  for (std::size_t pos = prepared->find(kIdeographicStop); pos != std::string::npos;
       pos = prepared->find(kIdeographicStop, pos + 1)) {
    prepared->replace(pos, kIdeographicStop.size(), ".");
  }
  // RFC 7622 §3.2: a final label separator is stripped before any comparison.
  if (!prepared->empty() && prepared->back() == '.') prepared->pop_back();
  if (prepared->empty() || !isValidHostname(*prepared)) return std::nullopt;
  return prepared;
}

}  // namespace

std::optional<std::string> nodeprep(std::string_view text) { return prep(text, Profile::Node); }
std::optional<std::string> nameprep(std::string_view text) { return prep(text, Profile::Name); }
std::optional<std::string> resourceprep(std::string_view text) { return prep(text, Profile::Resource); }

std::optional<Jid> Jid::parse(std::string_view text) {
  std::string_view rest = text;
  std::string_view resource;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    resource = rest.substr(slash + 1);
    if (resource.empty()) return std::nullopt;  // "domain/" has an empty resource
    rest = rest.substr(0, slash);
  }
  std::string_view local;
  if (const auto at = rest.find('@'); at != std::string_view::npos) {
    local = rest.substr(0, at);
    if (local.empty()) return std::nullopt;  // "@domain" has an empty localpart
    rest = rest.substr(at + 1);
  }
  return make(local, rest, resource);
}

std::optional<Jid> Jid::make(std::string_view local, std::string_view domain,
                             std::string_view resource) {
  auto preparedDomain = prepDomain(domain);
  if (!preparedDomain) return std::nullopt;
  std::string preparedLocal;
  if (!local.empty()) {
    auto p = nodeprep(local);
    if (!p) return std::nullopt;
    preparedLocal = std::move(*p);
  }
  std::string preparedResource;
  if (!resource.empty()) {
    auto p = resourceprep(resource);
    if (!p) return std::nullopt;
    preparedResource = std::move(*p);
  }
  return Jid(std::move(preparedLocal), std::move(*preparedDomain), std::move(preparedResource));
}

Jid Jid::bare() const { return Jid(local_, domain_, std::string()); }

std::optional<Jid> Jid::withResource(std::string_view resource) const {
  auto prepared = resourceprep(resource);
  if (!prepared) return std::nullopt;
  return Jid(local_, domain_, std::move(*prepared));
}

namespace {
// "local@domain/resource" without the absent parts, in one allocation.
std::string joinParts(std::string_view local, std::string_view domain, std::string_view resource) {
  std::string out;
  out.reserve(local.size() + 1 + domain.size() + 1 + resource.size());
  if (!local.empty()) {
    out.append(local);
    out.push_back('@');
  }
  out.append(domain);
  if (!resource.empty()) {
    out.push_back('/');
    out.append(resource);
  }
  return out;
}
}  // namespace

std::string Jid::full() const { return joinParts(local_, domain_, resource_); }

bool Jid::spelledAs(std::string_view text) const {
  auto take = [&text](std::string_view part) {
    if (!text.starts_with(part)) return false;
    text.remove_prefix(part.size());
    return true;
  };
  if (!local_.empty() && !(take(local_) && take("@"))) return false;
  if (!take(domain_)) return false;
  if (!resource_.empty() && !(take("/") && take(resource_))) return false;
  return text.empty();
}

std::string Jid::bareString() const { return joinParts(local_, domain_, {}); }

}  // namespace telex

std::size_t std::hash<telex::Jid>::operator()(const telex::Jid& jid) const noexcept {
  // Boost-style combine; the parts cannot contain the separators, so (local, domain, resource)
  // triples map one-to-one onto full() strings and equal JIDs hash equally.
  const std::hash<std::string_view> h;
  std::size_t seed = h(jid.local());
  seed ^= h(jid.domain()) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
  seed ^= h(jid.resource()) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
  return seed;
}
