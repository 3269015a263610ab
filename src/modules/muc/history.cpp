// Choosing the discussion history a joining occupant receives.
#include "modules/muc/history.hpp"

#include <charconv>

#include "modules/mam/mam_query.hpp"

namespace telex::modules::muc {
namespace {

template <class T>
std::optional<T> number(std::optional<std::string_view> text) {
  if (!text || text->empty()) return std::nullopt;
  T value{};
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < 0) return std::nullopt;
  return value;
}

}  // namespace

HistoryRequest parseHistoryRequest(const xml::Element* history) {
  HistoryRequest r;
  if (!history) return r;
  r.maxStanzas = number<std::size_t>(history->attr("maxstanzas"));
  r.maxChars = number<std::size_t>(history->attr("maxchars"));
  r.seconds = number<std::int64_t>(history->attr("seconds"));
  if (auto since = history->attr("since")) r.sinceMs = mam::parseDateTime(*since);
  return r;
}

void History::add(Entry entry, std::size_t limit) {
  entries_.push_back(std::move(entry));
  trim(limit);
}

void History::trim(std::size_t limit) {
  while (entries_.size() > limit) entries_.pop_front();
}

std::size_t History::firstToSend(const HistoryRequest& request, std::int64_t nowMs) const {
  std::size_t first = entries_.size();
  std::size_t chars = 0;
  // Walk back from the newest entry while every limit still admits one more.
  while (first > 0) {
    const Entry& e = entries_[first - 1];
    std::size_t taken = entries_.size() - first;
    if (request.maxStanzas && taken >= *request.maxStanzas) break;
    if (request.seconds && e.whenMs < nowMs - *request.seconds * 1000) break;
    if (request.sinceMs && e.whenMs < *request.sinceMs) break;
    if (request.maxChars) {
      std::size_t size = e.stanza ? e.stanza->size() : 0;
      if (chars + size > *request.maxChars) break;
      chars += size;
    }
    --first;
  }
  return first;
}

}  // namespace telex::modules::muc
