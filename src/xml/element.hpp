// The generic XML element tree used for every stanza inside the server, and its serializer.
// Escaping happens only in the serializer: text and attribute values are stored unescaped.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace telex::xml {

inline constexpr std::string_view kXmlNamespace = "http://www.w3.org/XML/1998/namespace";

struct Attribute {
  std::string name;   // local name; "xml:lang" style names for the xml namespace
  std::string value;  // unescaped
  std::string ns;     // namespace of a prefixed attribute other than xml:, usually empty
};

// An element or a text node. Children keep document order; adjacent text is merged by the parser.
class Element {
 public:
  Element() = default;
  explicit Element(std::string name, std::string xmlns = {});
  static Element text(std::string content);

  bool isText() const { return isText_; }
  const std::string& name() const { return name_; }
  const std::string& xmlns() const { return xmlns_; }  // resolved namespace of this element
  void setName(std::string name) { name_ = std::move(name); }
  void setXmlns(std::string ns) { xmlns_ = std::move(ns); }
  const std::string& textValue() const { return text_; }  // for text nodes

  std::optional<std::string_view> attr(std::string_view name) const;
  std::string_view attrOr(std::string_view name, std::string_view fallback) const;
  Element& setAttr(std::string_view name, std::string_view value);
  void removeAttr(std::string_view name);
  const std::vector<Attribute>& attrs() const { return attrs_; }
  std::vector<Attribute>& attrs() { return attrs_; }

  // Appends and returns a reference to the added child (valid until the next append).
  Element& addChild(Element child);
  Element& addText(std::string_view content);
  const std::vector<Element>& children() const { return children_; }
  std::vector<Element>& children() { return children_; }

  // First element child with this name (and namespace, when given).
  const Element* child(std::string_view name, std::string_view xmlns = {}) const;
  Element* child(std::string_view name, std::string_view xmlns = {});
  // First element child in this namespace, whatever its name (the "payload" of an IQ).
  const Element* firstChildNs(std::string_view xmlns) const;
  // First element child at all.
  const Element* firstElement() const;
  // Concatenated text of the direct text children.
  std::string textContent() const;
  // Text of the first matching child, empty when absent.
  std::string childText(std::string_view name, std::string_view xmlns = {}) const;

 private:
  std::string name_;
  std::string xmlns_;
  std::string text_;
  std::vector<Attribute> attrs_;
  std::vector<Element> children_;
  bool isText_ = false;
};

std::string escapeText(std::string_view text);       // & < >
std::string escapeAttribute(std::string_view value);  // & < > " '

// Serializes `element`; an xmlns attribute is written only where the namespace differs from
// `parentXmlns` (pass the stream's content namespace, "jabber:client", for top-level stanzas).
// An element whose xmlns() is empty inherits its parent's namespace (no xmlns='' is written).
std::string serialize(const Element& element, std::string_view parentXmlns = {});
void serializeTo(std::string& out, const Element& element, std::string_view parentXmlns = {});

}  // namespace telex::xml
