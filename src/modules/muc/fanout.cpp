// Splitting a serialized stanza around the place its 'to' attribute goes.
#include "modules/muc/fanout.hpp"

#include <cassert>

#include "router/stanza_error.hpp"

namespace telex::modules::muc {

FanoutStanza::FanoutStanza(const xml::Element& stanza)
    : declaresXmlns_(!stanza.xmlns().empty() && stanza.xmlns() != router::kClientNs) {
  if (!stanza.attr("to")) {
    split(xml::serialize(stanza, router::kClientNs));
    return;
  }
  xml::Element copy = stanza;
  copy.removeAttr("to");
  split(xml::serialize(copy, router::kClientNs));
}

FanoutStanza FanoutStanza::fromSerialized(std::string bytes) {
  FanoutStanza f;
  f.declaresXmlns_ = true;
  f.split(std::move(bytes));
  return f;
}

void FanoutStanza::split(std::string bytes) {
  // The serializer escapes '>' in attribute values, so the first '>' closes the start tag.
  auto end = bytes.find('>');
  assert(end != std::string::npos && end > 0);
  if (end == std::string::npos || end == 0) end = bytes.size();
  std::size_t cut = bytes[end - 1] == '/' ? end - 1 : end;
  rest_ = std::make_shared<const std::string>(bytes.substr(cut));
  bytes.resize(cut);
  auto nameEnd = bytes.find_first_of(" \t\r\n/", 1);
  name_ = bytes.substr(1, nameEnd == std::string::npos ? std::string::npos : nameEnd - 1);
  head_ = std::make_shared<const std::string>(std::move(bytes));
}

net::SharedBytes FanoutStanza::toAttribute(const Jid& to) {
  return std::make_shared<const std::string>(" to='" + xml::escapeAttribute(to.full()) + "'");
}

net::SharedBytes FanoutStanza::forRecipient(const Jid& to) const {
  std::string escapedTo = xml::escapeAttribute(to.full());
  std::string out;
  out.reserve(size() + escapedTo.size() + 6);
  out += *head_;
  out += " to='";
  out += escapedTo;
  out += '\'';
  out += *rest_;
  return std::make_shared<const std::string>(std::move(out));
}

FanoutStanza FanoutStanza::withChild(std::string_view child) const {
  FanoutStanza f = *this;
  std::string rest = *rest_;
  if (rest.starts_with("/>")) {
    rest = ">" + std::string(child) + "</" + name_ + ">";
  } else {
    rest.insert(rest.size() - name_.size() - 3, child);
  }
  f.rest_ = std::make_shared<const std::string>(std::move(rest));
  return f;
}

std::string FanoutStanza::standalone() const {
  if (declaresXmlns_) return *head_ + *rest_;
  return *head_ + " xmlns='" + xml::escapeAttribute(router::kClientNs) + "'" + *rest_;
}

}  // namespace telex::modules::muc
