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
  rest_ = bytes.substr(cut);
  bytes.resize(cut);
  head_ = std::move(bytes);
  auto nameEnd = head_.find_first_of(" \t\r\n/", 1);
  name_ = head_.substr(1, nameEnd == std::string::npos ? std::string::npos : nameEnd - 1);
}

net::SharedBytes FanoutStanza::forRecipient(const Jid& to) const {
  std::string escapedTo = xml::escapeAttribute(to.full());
  std::string out;
  out.reserve(head_.size() + rest_.size() + escapedTo.size() + 6);
  out += head_;
  out += " to='";
  out += escapedTo;
  out += '\'';
  out += rest_;
  return std::make_shared<const std::string>(std::move(out));
}

FanoutStanza FanoutStanza::withChild(std::string_view child) const {
  FanoutStanza f = *this;
  if (f.rest_.starts_with("/>")) {
    f.rest_ = ">" + std::string(child) + "</" + name_ + ">";
  } else {
    f.rest_.insert(f.rest_.size() - name_.size() - 3, child);
  }
  return f;
}

std::string FanoutStanza::standalone() const {
  if (declaresXmlns_) return head_ + rest_;
  return head_ + " xmlns='" + xml::escapeAttribute(router::kClientNs) + "'" + rest_;
}

}  // namespace telex::modules::muc
