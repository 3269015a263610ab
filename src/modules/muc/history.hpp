// Discussion history (XEP-0045 §7.2.14): the room's last messages, kept in memory with their
// delay stamps, and the choice of which of them a joining occupant asked for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>

#include "modules/muc/fanout.hpp"
#include "xml/element.hpp"

namespace telex::modules::muc {

// What a joining client asked for in <history/>; absent limits do not limit.
struct HistoryRequest {
  std::optional<std::size_t> maxStanzas;
  std::optional<std::size_t> maxChars;  // counts the complete stanzas' characters
  std::optional<std::int64_t> seconds;
  std::optional<std::int64_t> sinceMs;  // unix ms
};

// Reads <history maxchars='' maxstanzas='' seconds='' since=''/> (null: no element). A value
// that is not a non-negative number or an XEP-0082 date-time is ignored, as if not given.
HistoryRequest parseHistoryRequest(const xml::Element* history);

class History {
 public:
  struct Entry {
    std::int64_t whenMs = 0;
    std::shared_ptr<const FanoutStanza> stanza;  // carries its <delay/> already
  };

  // Appends, then drops the oldest entries beyond `limit`.
  void add(Entry entry, std::size_t limit);
  void trim(std::size_t limit);
  void clear() { entries_.clear(); }
  const std::deque<Entry>& entries() const { return entries_; }

  // Index of the first entry to send for `request` at `nowMs`: every limit applies, and what is
  // sent is always the newest entries up to the end.
  std::size_t firstToSend(const HistoryRequest& request, std::int64_t nowMs) const;

 private:
  std::deque<Entry> entries_;
};

}  // namespace telex::modules::muc
