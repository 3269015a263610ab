// One stanza for many occupants: serialized once without 'to' into two immutable shared
// buffers — the start tag up to where 'to' goes, and the rest. Each recipient's copy is those two
// buffers with its own small ' to='…'' piece between them; the connection writes the three
// pieces back to back, so the payload is neither serialized nor copied per recipient.
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

  // " to='<escaped full JID>'": the one piece that differs per recipient (RFC 6120 §8.1.1.1
  // wants a 'to' on what the server sends to a client). Occupants keep theirs from joining.
  static net::SharedBytes toAttribute(const Jid& to);
  // The copy for one recipient: the shared head and rest around its 'to' piece. No bytes of
  // the stanza are copied.
  net::StanzaBytes piecesFor(const net::SharedBytes& toAttribute) const {
    return net::StanzaBytes(head_, toAttribute, rest_);
  }
  net::StanzaBytes piecesFor(const Jid& to) const { return piecesFor(toAttribute(to)); }
  // The copy for `to` joined into one buffer (a single recipient, or a transport that needs it).
  net::SharedBytes forRecipient(const Jid& to) const;
  // The stanza with `child` (complete serializer output) appended as its last child, e.g. a
  // <delay/> for the history copy. The start tag stays shared with this stanza.
  FanoutStanza withChild(std::string_view child) const;
  // The stanza as a self-contained fragment declaring xmlns='jabber:client' (for the archive).
  std::string standalone() const;
  std::size_t size() const { return head_->size() + rest_->size(); }
  // The shared buffers themselves (tests and benchmarks check that copies point at them).
  const net::SharedBytes& head() const { return head_; }
  const net::SharedBytes& rest() const { return rest_; }

 private:
  FanoutStanza() = default;
  void split(std::string bytes);

  net::SharedBytes head_;  // "<message from='…' type='…'" — the start tag up to its end
  net::SharedBytes rest_;  // "/>" or ">…</message>"
  std::string name_;
  bool declaresXmlns_ = false;  // the start tag carries an xmlns attribute
};

}  // namespace telex::modules::muc
