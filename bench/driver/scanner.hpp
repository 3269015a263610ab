// telex-bench's lean receive path. Building an Element tree for every stanza made the driver
// about as expensive as the server it measures, while nearly everything it receives is its own
// chat and groupchat messages coming back. StanzaScanner cuts the server's output into top-level
// stanzas without parsing them, and readOurMessage takes what delivery accounting needs from one
// of our messages with string searches. Whatever either is unsure of goes to the full parser, so
// they only have to be right on the hot path, not complete.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "stanzas.hpp"
#include "xml/element.hpp"

namespace telex::bench {

// Cuts a stream into pieces, in order; concatenated they are exactly the input. A piece is either
// one complete top-level stanza (an element directly under the stream root) or other bytes: the
// XML declaration, the root's start and end tags, whitespace between stanzas. Assumes well-formed
// XML with quoted attribute values. Comments, CDATA sections, DOCTYPE and processing instructions
// past the prolog make it give up on the rest of the stream, which then comes out as non-stanza
// bytes (no framing needed by the full parser, which gets them all in order).
class StanzaScanner {
 public:
  struct Piece {
    std::string_view bytes;
    bool stanza = false;
  };

  // Makes `data` the input to cut. It must stay valid until next() returns nullopt; a stanza left
  // incomplete at the end of the previous input continues in it.
  void push(std::string_view data);
  // The next piece, valid until the following next() or push(); nullopt once the input is used up
  // (the start of an incomplete stanza is then kept for the next push).
  std::optional<Piece> next();
  // A new stream begins with the next unread byte (XMPP restarts it after SASL success). Call
  // between pieces.
  void restart();
  bool gaveUp() const { return gaveUp_; }

 private:
  enum class Lex : std::uint8_t { Text, Open, Tag, Quote, Pi, PiEnd };
  enum class Event : std::uint8_t { More, CaptureStart, CaptureEnd, GaveUp };
  Event lex();
  Piece complete(std::string_view tail, bool stanza);  // prefixed with held_

  std::string_view input_;
  std::size_t pos_ = 0;          // next unread byte of input_
  std::size_t captureFrom_ = 0;  // where the capture began in input_ (0 if in an earlier input)
  std::string held_;             // start of an incomplete capture, from earlier inputs
  std::string joined_;           // held_ + the rest of a capture completed in this input
  Lex lex_ = Lex::Text;
  char quote_ = 0;
  bool endTag_ = false;
  bool emptyTag_ = false;
  bool capturing_ = false;  // inside markup that began at depth 1: a stanza or the root's end tag
  bool gaveUp_ = false;
  std::size_t depth_ = 0;   // open elements, stream root included
};

// What delivery accounting needs from a message the driver sent (see chatMessage).
struct OurMessage {
  MessageId id;
  std::uint64_t sentNs = 0;
};

// Reads a complete top-level stanza as one of our deliveries: an unprefixed <message> (namespace
// jabber:client or inherited), id parsing as MessageId, type matching its kind (isDelivery), and a
// first direct-child <body> holding only text that starts with the stamp. nullopt for anything
// else, including values that would need entity decoding to compare: the caller then hands the
// stanza to the full parser, whose verdict is the reference.
std::optional<OurMessage> readOurMessage(std::string_view stanza);
// The same reading from a parsed <message> (the full path): the reference for readOurMessage.
std::optional<OurMessage> ourMessage(const xml::Element& message);

}  // namespace telex::bench
