// Serialized output as immutable, reference-counted buffers. A stanza fanned out to many
// recipients (a room message) is one StanzaBytes per recipient whose big pieces are the same
// buffers for everyone; only a small piece (that recipient's 'to') is its own. The connection
// queues the pieces as they are and writes them back to back, so nothing is joined or copied.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace telex::net {

using SharedBytes = std::shared_ptr<const std::string>;

class StanzaBytes {
 public:
  static constexpr std::size_t kMaxPieces = 3;

  StanzaBytes() = default;
  explicit StanzaBytes(SharedBytes whole) { add(std::move(whole)); }
  // Null or empty pieces are skipped.
  StanzaBytes(SharedBytes head, SharedBytes middle, SharedBytes tail) {
    add(std::move(head));
    add(std::move(middle));
    add(std::move(tail));
  }

  std::span<const SharedBytes> pieces() const { return {pieces_.data(), count_}; }
  bool empty() const { return count_ == 0; }
  std::size_t size() const {
    std::size_t n = 0;
    for (const auto& p : pieces()) n += p->size();
    return n;
  }
  // Whether the stanza begins with `prefix` (which must lie within the first piece).
  bool startsWith(std::string_view prefix) const { return count_ > 0 && pieces_[0]->starts_with(prefix); }
  // The bytes in one string: for the rare paths that need to read the stanza (rerouting what a
  // client never acknowledged, comparing senders of held-back presence).
  std::string flatten() const {
    std::string out;
    out.reserve(size());
    for (const auto& p : pieces()) out += *p;
    return out;
  }

 private:
  void add(SharedBytes piece) {
    if (piece && !piece->empty()) pieces_[count_++] = std::move(piece);
  }

  std::array<SharedBytes, kMaxPieces> pieces_;
  std::uint8_t count_ = 0;
};

}  // namespace telex::net
