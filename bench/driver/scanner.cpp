#include "scanner.hpp"

#include <cstring>

namespace telex::bench {

namespace {

// Position of `c` in `s` from `from`, or npos; memchr skips bodies and attribute values fast.
std::size_t findChar(std::string_view s, char c, std::size_t from) {
  if (from >= s.size()) return std::string_view::npos;
  const void* hit = std::memchr(s.data() + from, c, s.size() - from);
  return hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - s.data()) : std::string_view::npos;
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The end of a name at `from`: XML names stop at whitespace, '=', '/' or '>'.
std::size_t nameEnd(std::string_view s, std::size_t from) {
  while (from < s.size() && !isSpace(s[from]) && s[from] != '=' && s[from] != '/' && s[from] != '>') ++from;
  return from;
}

// One start tag: its name, and the attributes the driver looks at, as raw (undecoded) values.
struct StartTag {
  std::string_view name;
  std::optional<std::string_view> id, type, xmlns;
  bool empty = false;   // <x/>
  std::size_t end = 0;  // one past its '>'
};

// Reads the start tag whose '<' is at `at`; nullopt if it isn't one or is cut short.
std::optional<StartTag> readStartTag(std::string_view s, std::size_t at) {
  StartTag tag;
  std::size_t p = nameEnd(s, at + 1);
  tag.name = s.substr(at + 1, p - at - 1);
  if (tag.name.empty()) return std::nullopt;
  while (true) {
    while (p < s.size() && isSpace(s[p])) ++p;
    if (p >= s.size()) return std::nullopt;
    if (s[p] == '>' || (s[p] == '/' && p + 1 < s.size() && s[p + 1] == '>')) {
      tag.empty = s[p] == '/';
      tag.end = p + (tag.empty ? 2 : 1);
      return tag;
    }
    const std::size_t nameStart = p;
    p = nameEnd(s, p);
    std::string_view attr = s.substr(nameStart, p - nameStart);
    while (p < s.size() && isSpace(s[p])) ++p;
    if (attr.empty() || p >= s.size() || s[p] != '=') return std::nullopt;
    ++p;
    while (p < s.size() && isSpace(s[p])) ++p;
    if (p >= s.size() || (s[p] != '\'' && s[p] != '"')) return std::nullopt;
    const std::size_t close = findChar(s, s[p], p + 1);
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view value = s.substr(p + 1, close - p - 1);
    if (attr == "id") tag.id = value;
    if (attr == "type") tag.type = value;
    if (attr == "xmlns") tag.xmlns = value;
    p = close + 1;
  }
}

// The text of the first direct child <body> of the element whose content starts at `from`, when
// that body holds text only; nullopt when there is none, or when the first child element named
// body might not be (a prefixed name) or anything else looks unusual.
std::optional<std::string_view> firstBodyText(std::string_view s, std::size_t from) {
  std::size_t depth = 0;  // below the message
  for (std::size_t p = findChar(s, '<', from); p != std::string_view::npos; p = findChar(s, '<', p)) {
    if (p + 1 >= s.size() || s[p + 1] == '!' || s[p + 1] == '?') return std::nullopt;  // CDATA, comments...
    if (s[p + 1] == '/') {
      if (depth == 0) return std::nullopt;  // the message ends without a body
      --depth;
      p = findChar(s, '>', p);  // end tags hold no quotes
      if (p == std::string_view::npos) return std::nullopt;
      continue;
    }
    auto tag = readStartTag(s, p);
    if (!tag || tag->name.find(':') != std::string_view::npos) return std::nullopt;
    if (depth == 0 && tag->name == "body") {
      if (tag->empty) return std::nullopt;
      const std::size_t close = findChar(s, '<', tag->end);
      if (close == std::string_view::npos || s.substr(close, 7) != "</body>") return std::nullopt;
      return s.substr(tag->end, close - tag->end);
    }
    if (!tag->empty) ++depth;
    p = tag->end;
  }
  return std::nullopt;
}

}  // namespace

void StanzaScanner::push(std::string_view data) {
  input_ = data;
  pos_ = 0;
  captureFrom_ = 0;
}

void StanzaScanner::restart() {
  lex_ = Lex::Text;
  depth_ = 0;
  capturing_ = gaveUp_ = false;
}

StanzaScanner::Piece StanzaScanner::complete(std::string_view tail, bool stanza) {
  if (held_.empty()) return {tail, stanza};
  joined_.swap(held_);  // keeps both buffers' capacity for the next split stanza
  held_.clear();
  joined_.append(tail);
  return {joined_, stanza};
}

std::optional<StanzaScanner::Piece> StanzaScanner::next() {
  joined_.clear();
  if (pos_ >= input_.size()) return std::nullopt;
  if (!gaveUp_ && !capturing_) {
    const std::size_t from = pos_;
    const Event event = lex();
    if (event == Event::GaveUp) pos_ = from;  // hand these bytes over with the rest, below
    else if (pos_ > from) return Piece{input_.substr(from, pos_ - from), false};
    else if (event == Event::More) return std::nullopt;
  }
  switch (gaveUp_ ? Event::GaveUp : lex()) {
    case Event::CaptureEnd:
      return complete(input_.substr(captureFrom_, pos_ - captureFrom_), depth_ == 1);  // else the root's end tag
    case Event::More:  // the input ended inside the capture
      held_.append(input_.substr(captureFrom_));
      return std::nullopt;
    default: {  // gave up: everything left, any capture included, as non-stanza bytes
      std::string_view rest = input_.substr(capturing_ ? captureFrom_ : pos_);
      capturing_ = false;
      pos_ = input_.size();
      return complete(rest, false);
    }
  }
}

// Runs the lexer from pos_ until a tag opens at depth 1 outside a capture (pos_ on its '<', which
// starts the capture), the capture ends (pos_ past its last '>'), the scanner gives up, or the
// input ends.
StanzaScanner::Event StanzaScanner::lex() {
  const std::string_view s = input_;
  while (pos_ < s.size()) {
    switch (lex_) {
      case Lex::Text: {
        const std::size_t lt = findChar(s, '<', pos_);
        if (lt == std::string_view::npos) {
          pos_ = s.size();
          return Event::More;
        }
        if (!capturing_ && depth_ == 1) {
          pos_ = captureFrom_ = lt;
          capturing_ = true;
          return Event::CaptureStart;
        }
        pos_ = lt + 1;
        lex_ = Lex::Open;
        break;
      }
      case Lex::Open: {
        const char c = s[pos_];
        endTag_ = c == '/';
        emptyTag_ = false;
        if (c == '?' && depth_ == 0) {
          lex_ = Lex::Pi;  // the XML declaration
        } else if (c == '?' || c == '!') {
          gaveUp_ = true;
          return Event::GaveUp;
        } else {
          lex_ = Lex::Tag;
        }
        if (c == '/' || c == '?') ++pos_;
        break;
      }
      case Lex::Tag: {
        const char c = s[pos_++];
        if (c == '\'' || c == '"') {
          quote_ = c;
          lex_ = Lex::Quote;
        } else if (c == '/') {
          emptyTag_ = true;  // outside quotes, only <x .../> has a '/' after the name
        } else if (c == '>') {
          lex_ = Lex::Text;
          if (endTag_) {
            if (depth_ == 0) {
              gaveUp_ = true;
              return Event::GaveUp;
            }
            --depth_;
          } else if (!emptyTag_) {
            ++depth_;
          }
          if (capturing_ && depth_ <= 1) {
            capturing_ = false;
            return Event::CaptureEnd;
          }
        }
        break;
      }
      case Lex::Quote: {
        const std::size_t close = findChar(s, quote_, pos_);
        pos_ = close == std::string_view::npos ? s.size() : close + 1;
        if (close != std::string_view::npos) lex_ = Lex::Tag;
        break;
      }
      case Lex::Pi: {
        const std::size_t q = findChar(s, '?', pos_);
        pos_ = q == std::string_view::npos ? s.size() : q + 1;
        if (q != std::string_view::npos) lex_ = Lex::PiEnd;
        break;
      }
      case Lex::PiEnd: {
        const char c = s[pos_++];
        lex_ = c == '>' ? Lex::Text : c == '?' ? Lex::PiEnd : Lex::Pi;
        break;
      }
    }
  }
  return Event::More;
}

std::optional<OurMessage> readOurMessage(std::string_view stanza) {
  if (!stanza.starts_with("<message")) return std::nullopt;
  auto tag = readStartTag(stanza, 0);
  if (!tag || tag->name != "message" || tag->empty || !tag->id || !tag->type) return std::nullopt;
  if (tag->xmlns && *tag->xmlns != "jabber:client") return std::nullopt;
  // Raw values: an id that parses, or a type equal to a plain word, holds no entity reference,
  // so comparing them undecoded gives the decoded answer.
  auto id = parseMessageId(*tag->id);
  if (!id || !isDelivery(id->kind, *tag->type)) return std::nullopt;
  auto body = firstBodyText(stanza, tag->end);
  if (!body) return std::nullopt;
  // The stamp is followed by a space or the end of the body, so a body whose raw text passes here
  // decodes to one that passes too.
  auto sent = parseSentNs(*body);
  if (!sent) return std::nullopt;
  return OurMessage{*id, *sent};
}

std::optional<OurMessage> ourMessage(const xml::Element& message) {
  auto id = parseMessageId(message.attrOr("id", ""));
  if (!id || !isDelivery(id->kind, message.attrOr("type", "normal"))) return std::nullopt;
  auto sent = parseSentNs(message.childText("body"));
  if (!sent) return std::nullopt;
  return OurMessage{*id, *sent};
}

}  // namespace telex::bench
