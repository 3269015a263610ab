// Incremental XMPP stream parser on expat: restricted XML, size/depth limits, stanza trees out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stream/stream_error.hpp"
#include "xml/element.hpp"

struct XML_ParserStruct;  // expat's opaque parser; kept out of this header

namespace telex::stream {

struct ParserLimits {
  std::size_t maxStanzaBytes = 8 * 1024;  // raw bytes of one stanza; also caps the stream header
  std::size_t maxDepth = 48;              // stream root = depth 0, stanza = depth 1
};

class StreamParserHandler {
 public:
  virtual ~StreamParserHandler() = default;
  // The <stream:stream> open tag. `header` has the root's local name and namespace, its attributes,
  // and `contentNamespace` is the default namespace declared on it (e.g. "jabber:client"), empty if none.
  virtual void onStreamOpen(const xml::Element& header, std::string_view contentNamespace) = 0;
  virtual void onStanza(xml::Element stanza) = 0;      // each complete depth-1 child, namespaces resolved
  virtual void onStreamClose() = 0;                     // </stream:stream>
  virtual void onStreamError(StreamError error) = 0;   // parse or policy failure; parser is now failed
};

// Handler callbacks run inside feed(). onStreamOpen and onStanza run inside expat and must not
// destroy the parser (reset() and requestRestart() are fine there); onStreamClose and
// onStreamError come last in their feed() call and may destroy it.
class XmlStreamParser {
 public:
  XmlStreamParser(StreamParserHandler& handler, ParserLimits limits);
  ~XmlStreamParser();
  XmlStreamParser(const XmlStreamParser&) = delete;
  XmlStreamParser& operator=(const XmlStreamParser&) = delete;

  // Feeds bytes. Returns how many bytes were consumed: all of them normally, fewer when a handler
  // called requestRestart() from inside a callback (restartPending() then says so). The caller
  // then either calls reset() and feeds the rest as a new stream, or, to carry on with the same
  // stream (e.g. after a failed SASL attempt), feeds the rest (at least the unconsumed part of
  // that chunk) without reset(). Once failed, returns 0; once the stream is closed, further bytes
  // are ignored (reported as consumed).
  std::size_t feed(std::string_view data);
  // Called from a handler callback: stop right after the current stanza (STARTTLS, SASL success).
  // Has no effect outside a callback.
  void requestRestart();
  // Fresh parser for a new stream; keeps limits and handler. From inside a callback it acts as
  // requestRestart() followed by a reset once feed() returns.
  void reset();
  void setLimits(ParserLimits limits);  // e.g. raise to 256 KiB after authentication
  bool failed() const { return failed_; }
  bool closed() const { return closed_; }  // </stream:stream> seen
  // True after a requestRestart() stopped parsing, until reset() or the next feed(). Check it after
  // every feed(): the stop may fall exactly at the end of the chunk, with everything consumed.
  bool restartPending() const { return restartPending_; }
  // A stream has expat state of its own (about 10 KB: buffers, pools, hash tables) only once a
  // header or stanza arrived in pieces; whole ones go through the thread's shared parsers. This
  // frees that state between stanzas of an idle stream; if the stream needs it again, it is
  // rebuilt by replaying the stream's root tag, so parsing carries on as if nothing happened.
  // Returns false when there is nothing to free, or unless the stream is open, not inside a
  // stanza, and expat holds no unparsed bytes. Not from inside a callback.
  bool releaseIdle();
  bool released() const { return released_; }
  // Whether the stream has expat state of its own now, i.e. whether releaseIdle() has anything
  // to free.
  bool holdsOwnParser() const { return parser_ != nullptr; }

 private:
  struct ExpatDeleter {
    void operator()(XML_ParserStruct* parser) const;
  };
  struct Callbacks;  // expat trampolines, defined in the .cpp

  void createParser();
  bool rebuildParser();
  bool atStanzaBoundary() const;
  bool atStreamStart() const;
  std::optional<std::size_t> parseShared(std::string_view data, std::size_t offset, std::size_t n,
                                         bool& usedShared);
  std::optional<std::size_t> parseOwn(std::string_view bytes, std::uint64_t at, std::size_t fedSize);
  std::optional<std::size_t> afterParse(bool expatError, std::size_t fedSize);
  void fail(StreamErrorCondition condition, std::string text);
  void failFromExpat();
  void checkBufferedSize();
  bool halted() const { return failed_ || closed_; }
  std::uint64_t eventEnd() const;
  bool stanzaTooLarge(std::uint64_t end);
  void afterUserCallback(std::uint64_t end);

  void handleStart(const char* name, const char** atts);
  void handleEnd();
  void handleText(std::string_view text);
  void handleXmlDecl(const char* encoding);
  void handleNamespaceDecl(const char* prefix, const char* uri);
  void handleRestricted(std::string_view what);

  StreamParserHandler& handler_;
  ParserLimits limits_;
  std::unique_ptr<XML_ParserStruct, ExpatDeleter> parser_;  // the stream's own parser
  XML_ParserStruct* current_ = nullptr;  // the parser of the running expat call: own or shared

  std::vector<xml::Element> stack_;  // the open stanza and its open descendants
  std::size_t openElements_ = 0;     // including the stream root
  std::string contentNamespace_;     // default namespace declared on the root
  std::string rootTag_;              // the root's start tag as received, replayed by rebuildParser()
  std::string rootDeclarations_;     // the root's namespace declarations, as attributes
  std::string sharedRoot_;           // key of the thread's shared parser; empty: never shared
  std::uint64_t sharedRegistry_ = 0;  // the thread registry sharedIndex_ belongs to
  int sharedIndex_ = -1;              // the shared parser's entry there (-1: none)
  std::int64_t indexBase_ = 0;       // expat byte index of current_ + this = absolute position
  std::uint64_t ownFed_ = 0;         // bytes given to parser_ since it was created or reset

  // Absolute byte positions since the last reset.
  std::uint64_t totalFed_ = 0;     // bytes handed to expat
  std::uint64_t feedBase_ = 0;     // position of data[0] in the current feed()
  std::uint64_t stanzaStart_ = 0;  // start tag of the open stanza
  std::uint64_t mark_ = 0;         // end of the last event outside any stanza
  std::uint64_t resumeFrom_ = 0;   // first byte not consumed when a restart stopped parsing

  bool inParse_ = false;
  bool failed_ = false;
  bool closed_ = false;
  bool closePending_ = false;      // onStreamClose not yet delivered
  bool restartRequested_ = false;  // set by the handler, acted on when its callback returns
  bool restartPending_ = false;    // parsing stopped at resumeFrom_ for a restart
  bool resumeHeld_ = false;        // ...and parser_ is suspended there, holding the rest
  bool inShared_ = false;          // the running expat call is the thread's shared parser
  bool resetAfterParse_ = false;
  bool released_ = false;   // expat freed by releaseIdle(), rebuilt when next needed
  bool replaying_ = false;  // rebuildParser() is feeding rootTag_: no events
  std::optional<StreamError> pendingError_;  // reported once the expat call has returned
};

}  // namespace telex::stream
