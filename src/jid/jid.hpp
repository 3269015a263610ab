// XMPP addresses (RFC 7622 split rules, stringprep-based normalization via libidn).
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace telex {

// Longest allowed part, in bytes after preparation (RFC 7622 §3.2-3.4).
inline constexpr std::size_t kMaxJidPartBytes = 1023;

// Stringprep wrappers (RFC 3920 profiles, unassigned code points allowed as libidn's default).
// Each returns nullopt for invalid UTF-8, embedded NUL, prohibited characters, bidi violations,
// or a result that is empty or longer than kMaxJidPartBytes.
std::optional<std::string> nodeprep(std::string_view text);
std::optional<std::string> nameprep(std::string_view text);
std::optional<std::string> resourceprep(std::string_view text);

// An immutable, always-normalized JID. A default-constructed Jid is empty (no domain) and is only
// a placeholder; parse() and make() never produce one.
class Jid {
 public:
  Jid() = default;

  // Parses and normalizes "local@domain/resource". The resource is everything after the first
  // '/', the localpart is what precedes the first '@' before that '/'. The domain is name-prepped
  // (lower-cased), loses one trailing dot, and may be an IPv4 literal or a bracketed IPv6 literal.
  static std::optional<Jid> parse(std::string_view text);
  // Builds from separate parts; an empty local or resource means "absent".
  static std::optional<Jid> make(std::string_view local, std::string_view domain,
                                 std::string_view resource = {});

  const std::string& local() const { return local_; }
  const std::string& domain() const { return domain_; }
  const std::string& resource() const { return resource_; }

  bool hasLocal() const { return !local_.empty(); }
  bool hasResource() const { return !resource_.empty(); }
  bool isBare() const { return resource_.empty(); }
  bool isDomainOnly() const { return local_.empty() && resource_.empty(); }

  Jid bare() const;
  // Same account (localpart and domain), whatever the resources: bare() == other.bare() without copies.
  bool sameBare(const Jid& other) const { return local_ == other.local_ && domain_ == other.domain_; }
  // nullopt if the resource does not survive resourceprep (an empty resource is invalid too).
  std::optional<Jid> withResource(std::string_view resource) const;

  std::string full() const;
  // Whether full() would be exactly `text` (so an already-normalized address needs no rewrite).
  bool spelledAs(std::string_view text) const;
  std::string bareString() const;

  friend bool operator==(const Jid&, const Jid&) = default;
  friend std::strong_ordering operator<=>(const Jid&, const Jid&) = default;

 private:
  Jid(std::string local, std::string domain, std::string resource)
      : local_(std::move(local)), domain_(std::move(domain)), resource_(std::move(resource)) {}

  std::string local_;
  std::string domain_;
  std::string resource_;
};

}  // namespace telex

template <>
struct std::hash<telex::Jid> {
  std::size_t operator()(const telex::Jid& jid) const noexcept;
};
