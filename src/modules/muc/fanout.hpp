// One stanza for many occupants: serialized once without 'to', each recipient's copy is the
// shared start tag, that recipient's 'to' and the shared rest. Only the short 'to' attribute is
// escaped per recipient; the payload is never serialized again.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "jid/jid.hpp"
#include "net/connection.hpp"
#include "xml/element.hpp"

namespace telex::modules::muc {

class FanoutStanza {
 public:
  // `stanza` is serialized for a jabber:client stream; its 'to' attribute, if any, is left out.
  explicit FanoutStanza(const xml::Element& stanza);
  // From serializer output that declares its own namespace (e.g. standalone() of an archived
  // message), kept as it is.
  static FanoutStanza fromSerialized(std::string bytes);

  // The copy for `to`. RFC 6120 §8.1.1.1 wants a 'to' on what the server sends to a client, so
  // each copy costs one allocation and a copy of the shared bytes, no serialization.
  net::SharedBytes forRecipient(const Jid& to) const;
  // The stanza with `child` (complete serializer output) appended as its last child, e.g. a
  // <delay/> for the history copy.
  FanoutStanza withChild(std::string_view child) const;
  // The stanza as a self-contained fragment declaring xmlns='jabber:client' (for the archive).
  std::string standalone() const;
  std::size_t size() const { return head_.size() + rest_.size(); }

 private:
  FanoutStanza() = default;
  void split(std::string bytes);

  std::string head_;  // "<message from='…' type='…'" — the start tag up to its end
  std::string rest_;  // "/>" or ">…</message>"
  std::string name_;
  bool declaresXmlns_ = false;  // the start tag carries an xmlns attribute
};

}  // namespace telex::modules::muc
