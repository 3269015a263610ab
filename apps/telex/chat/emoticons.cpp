// Emoticon replacement with word boundaries.
#include "apps/telex/chat/emoticons.hpp"

#include <algorithm>

namespace telex::chat {

namespace {

bool isBoundaryBefore(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '(' || c == '[' || c == '"';
}

bool isBoundaryAfter(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '.' || c == ',' || c == '!' || c == '?' ||
         c == ';' || c == ')' || c == ']' || c == '"';
}

}  // namespace

const Emoticons::Table& Emoticons::defaultTable() {
  static const Table table = {
      {":)", "🙂"}, {":-)", "🙂"}, {":(", "🙁"}, {":-(", "🙁"},   {":D", "😃"},
      {":-D", "😃"},   {";)", "😉"},     {";-)", "😉"},   {":P", "😛"},       {":-P", "😛"},
      {":p", "😛"},    {":-p", "😛"},    {":O", "😮"},    {":-O", "😮"},      {":o", "😮"},
      {":'(", "😢"},   {":|", "😐"},     {":-|", "😐"},   {"8)", "😎"},       {"8-)", "😎"},
      {":@", "😠"},    {":$", "😳"},     {":S", "😕"},    {":s", "😕"},       {"<3", "❤"},
      {"</3", "💔"},   {"(y)", "👍"},    {"(Y)", "👍"},   {"(n)", "👎"},      {"(N)", "👎"},
      {"(*)", "⭐"},   {"(L)", "❤"},    {"(l)", "❤"},   {"(coffee)", "☕"}, {"^_^", "😊"},
  };
  return table;
}

Emoticons::Emoticons(Table table) : table_(std::move(table)) {
  std::stable_sort(table_.begin(), table_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  std::erase_if(table_, [](const auto& entry) { return entry.first.empty(); });
}

std::string Emoticons::apply(std::string_view text) const {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const bool startOk = i == 0 || isBoundaryBefore(text[i - 1]);
    bool replaced = false;
    if (startOk) {
      for (const auto& [from, to] : table_) {
        if (text.compare(i, from.size(), from) != 0) continue;
        const std::size_t end = i + from.size();
        if (end < text.size() && !isBoundaryAfter(text[end])) continue;
        out += to;
        i = end;
        replaced = true;
        break;
      }
    }
    if (!replaced) out.push_back(text[i++]);
  }
  return out;
}

}  // namespace telex::chat
