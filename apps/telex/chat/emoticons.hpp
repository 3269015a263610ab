// Text emoticons shown as emoji (":)" → 🙂), the Messenger's "show graphics in messages".
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace telex::chat {

class Emoticons {
 public:
  using Table = std::vector<std::pair<std::string, std::string>>;  // text → emoji (UTF-8)

  // The built-in table (":)", ":-)", ":(", ":D", ";)", ":P", ":O", ":'(", "<3", "(y)"...).
  static const Table& defaultTable();
  Emoticons() : Emoticons(defaultTable()) {}
  explicit Emoticons(Table table);

  // Replaces each emoticon that stands alone — after the start, a space or an opening bracket,
  // and before the end, a space or punctuation — so "http://x" or "f(x):D" stay untouched.
  // The longest match wins (":-)" before ":-").
  std::string apply(std::string_view text) const;

 private:
  Table table_;  // sorted longest text first
};

}  // namespace telex::chat
