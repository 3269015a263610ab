// What the router needs from a signed-in client session, whatever transport carries it.
#pragma once

#include <memory>
#include <string_view>

#include "jid/jid.hpp"
#include "net/connection.hpp"
#include "stream/stream_error.hpp"

namespace telex::router {

// Router::Session — every method runs on the session's own worker thread.
class Session {
 public:
  virtual ~Session() = default;
  virtual const Jid& jid() const = 0;  // full JID once bound
  virtual net::Worker& worker() = 0;
  // Queues an already-serialized stanza for this session's client.
  virtual void deliver(const net::SharedBytes& stanza) = 0;
  // Queues a stanza made of shared pieces (one recipient's copy of a fan-out) without joining
  // them; a transport that cannot keep pieces gets them joined.
  virtual void deliverPieces(const net::StanzaBytes& stanza) {
    deliver(std::make_shared<const std::string>(stanza.flatten()));
  }
  // Ends the stream with this error (e.g. <conflict/> when a newer login takes the resource).
  virtual void closeWithError(stream::StreamErrorCondition condition, std::string_view text) = 0;
};

}  // namespace telex::router
