// The XML element tree: accessors, child lookup, and the one place where escaping is done.
#include "xml/element.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

namespace telex::xml {

namespace {

// Single-quoted attributes are the XMPP convention; every attribute value is written with these.
constexpr char kQuote = '\'';

// Text escapes & < > (and CR, which a parser would otherwise turn into LF); attribute values
// also escape both quote kinds and TAB/LF/CR, which attribute-value normalization would
// otherwise turn into spaces, so values survive a round trip exactly.
std::string_view entityFor(char c, bool attribute) {
  switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '\r': return "&#13;";
    case '\'': return attribute ? "&apos;" : "";
    case '"': return attribute ? "&quot;" : "";
    case '\t': return attribute ? "&#9;" : "";
    case '\n': return attribute ? "&#10;" : "";
    default: return "";
  }
}

// Whether any of the eight bytes in `word` is `c`: the classic has-zero-byte test on word ^ c…c.
constexpr bool hasByte(std::uint64_t word, unsigned char c) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  const std::uint64_t x = word ^ (kOnes * c);
  return ((x - kOnes) & ~x & (kOnes << 7)) != 0;
}

// Whether the eight bytes at `p` may hold a character that needs escaping (no false negatives).
bool mayNeedEscape(const char* p, bool attribute) {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);
  if (hasByte(word, '&') || hasByte(word, '<') || hasByte(word, '>') || hasByte(word, '\r')) return true;
  return attribute && (hasByte(word, '\'') || hasByte(word, '"') || hasByte(word, '\t') || hasByte(word, '\n'));
}

// The only escaping routine.
void appendEscaped(std::string& out, std::string_view in, bool attribute) {
  out.reserve(out.size() + in.size());
  // Runs of characters that need no escaping (nearly all of them) are appended in one go, and
  // found eight bytes at a time: bodies are mostly long clean runs.
  std::size_t clean = 0;
  std::size_t i = 0;
  while (i < in.size()) {
    if (in.size() - i >= 8 && !mayNeedEscape(in.data() + i, attribute)) {
      i += 8;
      continue;
    }
    const std::size_t stop = std::min(in.size(), i + 8);
    for (; i < stop; ++i) {
      std::string_view entity = entityFor(in[i], attribute);
      if (entity.empty()) continue;
      out.append(in.data() + clean, i - clean);
      out += entity;
      clean = i + 1;
    }
  }
  out.append(in.data() + clean, in.size() - clean);
}

void appendAttribute(std::string& out, std::string_view prefix, std::string_view name,
                     std::string_view value) {
  out += ' ';
  if (!prefix.empty()) {
    out += prefix;
    out += ':';
  }
  out += name;
  out += '=';
  out += kQuote;
  appendEscaped(out, value, true);
  out += kQuote;
}

// Namespace declarations are generated from xmlns(); stray xmlns attributes would duplicate them.
bool isNamespaceDeclaration(const Attribute& a) {
  return a.ns.empty() && (a.name == "xmlns" || a.name.starts_with("xmlns:"));
}

}  // namespace

Element::Element(std::string name, std::string xmlns)
    : name_(std::move(name)), xmlns_(std::move(xmlns)) {}

Element Element::text(std::string content) {
  Element e;
  e.isText_ = true;
  e.text_ = std::move(content);
  return e;
}

// Lookups by plain name only see attributes in no namespace, so a foreign-namespaced attribute
// can never be mistaken for e.g. the stanza's own 'to'.
std::optional<std::string_view> Element::attr(std::string_view name) const {
  for (const auto& a : attrs_) {
    if (a.ns.empty() && a.name == name) return std::string_view(a.value);
  }
  return std::nullopt;
}

std::string_view Element::attrOr(std::string_view name, std::string_view fallback) const {
  return attr(name).value_or(fallback);
}

Element& Element::setAttr(std::string_view name, std::string_view value) {
  for (auto& a : attrs_) {
    if (a.ns.empty() && a.name == name) {
      a.value.assign(value);
      return *this;
    }
  }
  attrs_.push_back(Attribute{std::string(name), std::string(value), {}});
  return *this;
}

void Element::removeAttr(std::string_view name) {
  std::erase_if(attrs_, [name](const Attribute& a) { return a.ns.empty() && a.name == name; });
}

Element& Element::addChild(Element child) {
  children_.push_back(std::move(child));
  return children_.back();
}

Element& Element::addText(std::string_view content) {
  if (!children_.empty() && children_.back().isText_) {
    children_.back().text_.append(content);
    return children_.back();
  }
  return addChild(text(std::string(content)));
}

const Element* Element::child(std::string_view name, std::string_view xmlns) const {
  for (const auto& c : children_) {
    if (!c.isText_ && c.name_ == name && (xmlns.empty() || c.xmlns_ == xmlns)) return &c;
  }
  return nullptr;
}

Element* Element::child(std::string_view name, std::string_view xmlns) {
  return const_cast<Element*>(std::as_const(*this).child(name, xmlns));
}

const Element* Element::firstChildNs(std::string_view xmlns) const {
  for (const auto& c : children_) {
    if (!c.isText_ && c.xmlns_ == xmlns) return &c;
  }
  return nullptr;
}

const Element* Element::firstElement() const {
  for (const auto& c : children_) {
    if (!c.isText_) return &c;
  }
  return nullptr;
}

std::string Element::textContent() const {
  if (isText_) return text_;
  std::string out;
  for (const auto& c : children_) {
    if (c.isText_) out += c.text_;
  }
  return out;
}

std::string Element::childText(std::string_view name, std::string_view xmlns) const {
  const Element* c = child(name, xmlns);
  return c ? c->textContent() : std::string();
}

std::string escapeText(std::string_view text) {
  std::string out;
  appendEscaped(out, text, false);
  return out;
}

std::string escapeAttribute(std::string_view value) {
  std::string out;
  appendEscaped(out, value, true);
  return out;
}

namespace {
// Bytes the serialized form takes before escaping: one allocation for the whole stanza.
std::size_t unescapedSize(const Element& e) {
  if (e.isText()) return e.textValue().size();
  std::size_t n = 2 * e.name().size() + e.xmlns().size() + 16;
  for (const auto& a : e.attrs()) n += a.name.size() + a.value.size() + 4;
  for (const auto& c : e.children()) n += unescapedSize(c);
  return n;
}
}  // namespace

std::string serialize(const Element& element, std::string_view parentXmlns) {
  std::string out;
  out.reserve(unescapedSize(element) + 32);
  serializeTo(out, element, parentXmlns);
  return out;
}

void serializeTo(std::string& out, const Element& element, std::string_view parentXmlns) {
  if (element.isText()) {
    appendEscaped(out, element.textValue(), false);
    return;
  }
  out += '<';
  out += element.name();
  // An element built without a namespace inherits its parent's, so code can write
  // Element("body") inside a message without repeating "jabber:client".
  std::string_view ownXmlns = parentXmlns;
  if (!element.xmlns().empty()) {
    ownXmlns = element.xmlns();
    if (ownXmlns != parentXmlns) appendAttribute(out, {}, "xmlns", ownXmlns);
  }

  // Foreign-namespaced attributes get prefixes a0, a1... declared on this element. Elements
  // themselves always use the default namespace, so these prefixes cannot clash with them.
  std::vector<std::string_view> foreign;
  for (const auto& a : element.attrs()) {
    if (a.ns.empty() || a.ns == kXmlNamespace) continue;
    if (std::find(foreign.begin(), foreign.end(), a.ns) == foreign.end()) {
      appendAttribute(out, "xmlns", "a" + std::to_string(foreign.size()), a.ns);
      foreign.push_back(a.ns);
    }
  }
  for (const auto& a : element.attrs()) {
    if (a.ns.empty()) {
      if (!isNamespaceDeclaration(a)) appendAttribute(out, {}, a.name, a.value);
    } else if (a.ns == kXmlNamespace) {
      const bool hasPrefix = a.name.starts_with("xml:");
      appendAttribute(out, hasPrefix ? std::string_view() : "xml", a.name, a.value);
    } else {
      const auto index = std::find(foreign.begin(), foreign.end(), a.ns) - foreign.begin();
      appendAttribute(out, "a" + std::to_string(index), a.name, a.value);
    }
  }

  if (element.children().empty()) {
    out += "/>";
    return;
  }
  out += '>';
  for (const auto& c : element.children()) serializeTo(out, c, ownXmlns);
  out += "</";
  out += element.name();
  out += '>';
}

}  // namespace telex::xml
