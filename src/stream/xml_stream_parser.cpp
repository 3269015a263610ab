// Incremental XMPP stream parser on expat: builds stanza trees and enforces restricted XML and limits.
#include "stream/xml_stream_parser.hpp"

#include <expat.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <type_traits>
#include <utility>

#include "util/crypto.hpp"

namespace telex::stream {

static_assert(std::is_same_v<XML_Char, char>, "expat must be built for UTF-8 XML_Char");

namespace {

// Expat joins namespace and local name with this separator. U+0001 cannot occur in XML 1.0
// names or namespace URIs, so the split is unambiguous.
constexpr char kSeparator = '\x01';
constexpr std::string_view kStreamsNamespace = "http://etherx.jabber.org/streams";
// feed() hands expat at most this much at a time, so size limits are checked at this granularity
// even when a caller passes one huge buffer.
constexpr std::size_t kSliceBytes = 4096;
// A shared parser is re-primed after this much input, which bounds what its name tables and
// pools can grow to, whatever names the streams use.
constexpr std::uint64_t kSharedRecycleBytes = 1024 * 1024;

// Expat salts its name hash tables against collision floods. Left to itself it asks the kernel
// (getrandom) each time a parser starts, twice per sign-in. Here each thread draws one secret
// seed and derives every salt from it (splitmix64), with no system call per parser.
void saltHashes(XML_Parser parser) {
  thread_local std::uint64_t state = [] {
    std::uint64_t seed = 0;
    std::string bytes = util::randomBytes(sizeof(seed));
    std::memcpy(&seed, bytes.data(), sizeof(seed));
    return seed;
  }();
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  XML_SetHashSalt(parser, z == 0 ? 1 : static_cast<unsigned long>(z));  // 0 means "pick one yourself"
}

struct ExpandedName {
  std::string_view ns;
  std::string_view local;
};

ExpandedName splitName(std::string_view expanded) {
  const auto pos = expanded.find(kSeparator);
  if (pos == std::string_view::npos) return {{}, expanded};
  return {expanded.substr(0, pos), expanded.substr(pos + 1)};
}

bool isXmlWhitespace(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

bool equalsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

StreamErrorCondition conditionForExpatError(XML_Error code) {
  switch (code) {
    case XML_ERROR_UNBOUND_PREFIX:
    case XML_ERROR_RESERVED_PREFIX_XML:
    case XML_ERROR_RESERVED_PREFIX_XMLNS:
    case XML_ERROR_RESERVED_NAMESPACE_URI:
      return StreamErrorCondition::BadNamespacePrefix;
    // Any entity reference beyond the predefined ones and character references.
    case XML_ERROR_UNDEFINED_ENTITY:
    case XML_ERROR_RECURSIVE_ENTITY_REF:
    case XML_ERROR_BINARY_ENTITY_REF:
    case XML_ERROR_EXTERNAL_ENTITY_HANDLING:
    case XML_ERROR_ENTITY_DECLARED_IN_PE:
      return StreamErrorCondition::RestrictedXml;
    case XML_ERROR_UNKNOWN_ENCODING:
    case XML_ERROR_INCORRECT_ENCODING:
      return StreamErrorCondition::UnsupportedEncoding;
    case XML_ERROR_NO_MEMORY:
      return StreamErrorCondition::InternalServerError;
    default:
      return StreamErrorCondition::NotWellFormed;
  }
}

// The thread's shared stanza parsers (a registry: one per worker thread).
//
// Each stream parsed its stanzas with its own expat parser, and with a thousand busy streams
// every lookup in those parsers' name tables missed the cache. Between stanzas, though, a stream
// is in a state that depends only on its root's namespace declarations, so a stanza that arrives
// whole can be parsed by any parser primed with those declarations. One such parser per distinct
// set of declarations (in practice one: jabber:client plus the stream prefix) serves every stream
// of the thread and stays in cache. A header parser, reset for each stream, starts streams, so a
// stream whose header and stanzas arrive whole never allocates an expat parser of its own. A
// header or stanza that arrives in pieces continues in the stream's own parser
// (XmlStreamParser::parseShared).
class SharedParsers {
 public:
  struct Entry {
    std::string root;  // the synthetic root tag that primed it; the key
    std::unique_ptr<XML_ParserStruct, void (*)(XML_ParserStruct*)> parser{nullptr, &XML_ParserFree};
    std::uint64_t fed = 0;  // bytes parsed since priming: expat's byte index
    bool ready = false;     // primed and between stanzas
    bool busy = false;      // inside its own XML_Parse (a handler may parse another stream)
  };

  using Configure = void (*)(XML_Parser);

  SharedParsers() : id_(nextId_.fetch_add(1, std::memory_order_relaxed) + 1) {}
  // Tells this thread's registry from any other, past or present: a stream keeps the index of
  // its entry, valid only in the registry it came from.
  std::uint64_t id() const { return id_; }

  // The index of the entry for `root`, taken now if need be; -1 when all are held by other roots
  // (an unusual root beyond the first few is simply not shared). An entry keeps its root for good.
  int indexOf(std::string_view root) {
    int free = -1;
    for (int i = 0; i < static_cast<int>(entries_.size()); ++i) {
      if (entries_[i].parser && entries_[i].root == root) return i;
      if (!entries_[i].parser && free < 0) free = i;
    }
    if (free < 0) return -1;
    Entry& entry = entries_[static_cast<std::size_t>(free)];
    entry.parser.reset(XML_ParserCreateNS("UTF-8", kSeparator));
    if (!entry.parser) return -1;
    entry.root.assign(root);
    entry.ready = false;
    return free;
  }

  // The parser for stream starts: reset for each stream, so a stream that opens in one read never
  // needs a parser of its own. nullptr when busy or unavailable.
  Entry* acquireHeader(Configure configure) {
    if (header_.busy) return nullptr;
    if (!header_.parser) header_.parser.reset(XML_ParserCreateNS("UTF-8", kSeparator));
    if (!header_.parser || !prime(header_, configure)) return nullptr;
    header_.ready = false;  // its state is one stream's until the next reset
    return &header_;
  }

  // The entry at `index`, primed and ready, or nullptr when it cannot be had right now (then the
  // stream's own parser is used). `configure` installs the handlers after priming.
  Entry* acquire(int index, Configure configure) {
    if (index < 0) return nullptr;
    Entry* entry = &entries_[static_cast<std::size_t>(index)];
    if (entry->busy) return nullptr;
    if (entry->ready && entry->fed > kSharedRecycleBytes) entry->ready = false;
    if (!entry->ready && !prime(*entry, configure)) return nullptr;
    return entry;
  }

 private:
  static bool prime(Entry& entry, Configure configure) {
    XML_Parser p = entry.parser.get();
    if (XML_ParserReset(p, "UTF-8") != XML_TRUE) return false;
    saltHashes(p);
    // No handlers yet: the root tag itself reports nothing. (The header entry has no root.)
    if (!entry.root.empty() &&
        XML_Parse(p, entry.root.data(), static_cast<int>(entry.root.size()), XML_FALSE) !=
            XML_STATUS_OK) {
      return false;
    }
    configure(p);
    entry.fed = entry.root.size();
    entry.ready = true;
    return true;
  }

  static inline std::atomic<std::uint64_t> nextId_{0};
  std::uint64_t id_;
  std::array<Entry, 4> entries_;
  Entry header_;
};

// Moving a stream that started in a shared parser to a parser of its own replays the root tag,
// which needs expat to keep the input context (XML_CONTEXT_BYTES, on in every packaged build).
bool expatKeepsContext() {
  static const bool keeps = [] {
    for (const XML_Feature* f = XML_GetFeatureList(); f != nullptr && f->feature != XML_FEATURE_END;
         ++f) {
      if (f->feature == XML_FEATURE_CONTEXT_BYTES) return f->value > 0;
    }
    return false;
  }();
  return keeps;
}

thread_local SharedParsers tSharedParsers;

}  // namespace

// Static trampolines from expat's C callbacks to the member handlers.
struct XmlStreamParser::Callbacks {
  static XmlStreamParser& self(void* userData) { return *static_cast<XmlStreamParser*>(userData); }

  static void XMLCALL startElement(void* userData, const XML_Char* name, const XML_Char** atts) {
    self(userData).handleStart(name, atts);
  }
  static void XMLCALL endElement(void* userData, const XML_Char* /*name*/) {
    self(userData).handleEnd();
  }
  static void XMLCALL characterData(void* userData, const XML_Char* s, int len) {
    self(userData).handleText(std::string_view(s, static_cast<std::size_t>(len)));
  }
  static void XMLCALL xmlDecl(void* userData, const XML_Char* /*version*/, const XML_Char* encoding,
                              int /*standalone*/) {
    self(userData).handleXmlDecl(encoding);
  }
  static void XMLCALL startNamespace(void* userData, const XML_Char* prefix, const XML_Char* uri) {
    self(userData).handleNamespaceDecl(prefix, uri);
  }
  static void XMLCALL startDoctype(void* userData, const XML_Char*, const XML_Char*, const XML_Char*,
                                   int) {
    self(userData).handleRestricted("DTD");
  }
  static void XMLCALL entityDecl(void* userData, const XML_Char*, int, const XML_Char*, int,
                                 const XML_Char*, const XML_Char*, const XML_Char*,
                                 const XML_Char*) {
    self(userData).handleRestricted("entity declaration");
  }
  static void XMLCALL comment(void* userData, const XML_Char*) {
    self(userData).handleRestricted("comment");
  }
  static void XMLCALL processingInstruction(void* userData, const XML_Char*, const XML_Char*) {
    self(userData).handleRestricted("processing instruction");
  }
  static void XMLCALL skippedEntity(void* userData, const XML_Char*, int) {
    self(userData).handleRestricted("entity reference");
  }

  static void install(XML_Parser p);
};

void XmlStreamParser::ExpatDeleter::operator()(XML_ParserStruct* parser) const {
  XML_ParserFree(parser);
}

// The stream's own expat parser is made only when a read cannot go through a shared one.
XmlStreamParser::XmlStreamParser(StreamParserHandler& handler, ParserLimits limits)
    : handler_(handler), limits_(limits) {}

XmlStreamParser::~XmlStreamParser() = default;

// Handlers for a fresh or reset parser; the user data is set before each use.
void XmlStreamParser::Callbacks::install(XML_Parser p) {
  XML_SetElementHandler(p, &Callbacks::startElement, &Callbacks::endElement);
  XML_SetCharacterDataHandler(p, &Callbacks::characterData);
  XML_SetXmlDeclHandler(p, &Callbacks::xmlDecl);
  XML_SetStartNamespaceDeclHandler(p, &Callbacks::startNamespace);
  XML_SetStartDoctypeDeclHandler(p, &Callbacks::startDoctype);
  XML_SetEntityDeclHandler(p, &Callbacks::entityDecl);
  XML_SetCommentHandler(p, &Callbacks::comment);
  XML_SetProcessingInstructionHandler(p, &Callbacks::processingInstruction);
  XML_SetSkippedEntityHandler(p, &Callbacks::skippedEntity);
  XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
#if XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 6)
  // Deferral would hold back complete stanzas while waiting for more data; streams are interactive.
  XML_SetReparseDeferralEnabled(p, XML_FALSE);
#endif
}

void XmlStreamParser::createParser() {
  // Forcing UTF-8 means a BOM or encoding declaration cannot switch expat to another encoding;
  // a declared non-UTF-8 encoding is refused in handleXmlDecl.
  // A stream restart (after STARTTLS and SASL) reuses the parser and its buffers; reset keeps
  // namespace processing but clears the handlers, which are set again.
  if (!parser_ || XML_ParserReset(parser_.get(), "UTF-8") != XML_TRUE) {
    parser_.reset(XML_ParserCreateNS("UTF-8", kSeparator));
  }
  ownFed_ = 0;
  if (!parser_) return;  // reported by the next feed()
  saltHashes(parser_.get());
  XML_SetUserData(parser_.get(), this);
  Callbacks::install(parser_.get());
}

std::size_t XmlStreamParser::feed(std::string_view data) {
  if (failed_) return 0;
  if (closed_) return data.size();

  std::size_t offset = 0;
  feedBase_ = totalFed_;
  if (restartPending_) {
    restartPending_ = false;
    // Unless the stream's own parser is suspended, nothing is held: `data` starts at resumeFrom_.
    if (resumeHeld_) {
      // Carrying on with the same stream: the own parser still holds the unconsumed tail of the
      // last slice, which is the start of `data`.
      resumeHeld_ = false;
      const auto held = static_cast<std::size_t>(totalFed_ - resumeFrom_);
      feedBase_ = resumeFrom_;
      if (data.size() < held) {
        fail(StreamErrorCondition::InternalServerError, "stream bytes fed out of order after a pause");
        return afterParse(false, data.size()).value_or(data.size());
      }
      current_ = parser_.get();
      inParse_ = true;
      const XML_Status status = XML_ResumeParser(current_);
      inParse_ = false;
      if (auto result = afterParse(status == XML_STATUS_ERROR, data.size())) return *result;
      offset = held;
    }
  }

  while (offset < data.size()) {
    const std::size_t n = std::min(kSliceBytes, data.size() - offset);
    bool shared = false;
    std::optional<std::size_t> result;
    if (atStanzaBoundary() || atStreamStart()) result = parseShared(data, offset, n, shared);
    if (!shared) result = parseOwn(data.substr(offset, n), totalFed_, data.size());
    offset += n;
    if (result) return *result;
  }
  return data.size();
}

// Between stanzas, with nothing held in any parser: the state a shared parser can take over.
bool XmlStreamParser::atStanzaBoundary() const {
  return !sharedRoot_.empty() && openElements_ == 1 && stack_.empty() && totalFed_ == mark_;
}

// Nothing of this stream parsed yet: the thread's header parser can start it.
bool XmlStreamParser::atStreamStart() const {
  return totalFed_ == 0 && openElements_ == 0 && expatKeepsContext();
}

// Parses data[offset, offset + n) with one of the thread's shared parsers, if one can be had
// (`used`): the header parser at the start of a stream, else the one for the stream's root.
std::optional<std::size_t> XmlStreamParser::parseShared(std::string_view data, std::size_t offset,
                                                        std::size_t n, bool& used) {
  const bool streamStart = openElements_ == 0;
  if (!streamStart && sharedRegistry_ != tSharedParsers.id()) {
    // First stanza on this thread: find the entry once rather than compare roots every time.
    sharedIndex_ = tSharedParsers.indexOf(sharedRoot_);
    sharedRegistry_ = tSharedParsers.id();
  }
  auto* shared = streamStart ? tSharedParsers.acquireHeader(&Callbacks::install)
                             : tSharedParsers.acquire(sharedIndex_, &Callbacks::install);
  if (shared == nullptr) return std::nullopt;
  used = true;
  const std::uint64_t at = totalFed_;
  current_ = shared->parser.get();
  XML_SetUserData(current_, this);
  indexBase_ = static_cast<std::int64_t>(at) - static_cast<std::int64_t>(shared->fed);
  shared->busy = inShared_ = inParse_ = true;
  const XML_Status status =
      XML_Parse(current_, data.data() + offset, static_cast<int>(n), XML_FALSE);
  shared->busy = inShared_ = inParse_ = false;
  shared->fed += n;
  // A restart stops the shared parser for good: the rest of the slice stays unconsumed.
  totalFed_ = restartPending_ ? resumeFrom_ : at + n;

  const bool running = status == XML_STATUS_OK && !halted() && !restartPending_;
  const bool clean = running && atStanzaBoundary();
  // Only a stop between stanzas leaves nothing of this stream in a stanza parser; the header
  // parser is reset for every stream anyway.
  if (!streamStart) shared->ready = clean;
  if (running && !clean) {
    // The slice ended inside the header, a stanza or a tag: parse that part again with the
    // stream's own parser, which keeps it until the rest arrives. Nothing of it reached the
    // handler yet (a header that did not end reported nothing).
    if (openElements_ == 0) return parseOwn(data.substr(0, at + n - feedBase_), 0, data.size());
    const std::uint64_t from = mark_;
    stack_.clear();
    openElements_ = 1;
    return parseOwn(data.substr(from - feedBase_, at + n - from), from, data.size());
  }
  return afterParse(status == XML_STATUS_ERROR, data.size());
}

// Parses `bytes`, which start at stream position `at`, with the stream's own parser.
std::optional<std::size_t> XmlStreamParser::parseOwn(std::string_view bytes, std::uint64_t at,
                                                     std::size_t fedSize) {
  if ((released_ || (!parser_ && openElements_ > 0)) && !rebuildParser()) {
    fail(StreamErrorCondition::InternalServerError, "cannot rebuild XML parser");
    return afterParse(false, fedSize);
  }
  if (!parser_) createParser();  // a stream start that did not come whole
  if (!parser_) {
    fail(StreamErrorCondition::InternalServerError, "cannot allocate XML parser");
    return afterParse(false, fedSize);
  }
  current_ = parser_.get();
  indexBase_ = static_cast<std::int64_t>(at) - static_cast<std::int64_t>(ownFed_);
  inParse_ = true;
  const XML_Status status =
      XML_Parse(current_, bytes.data(), static_cast<int>(bytes.size()), XML_FALSE);
  inParse_ = false;
  ownFed_ += bytes.size();
  totalFed_ = std::max(totalFed_, at + bytes.size());
  return afterParse(status == XML_STATUS_ERROR, fedSize);
}

// Runs after every expat call; returns feed()'s result when parsing of this chunk has to stop.
std::optional<std::size_t> XmlStreamParser::afterParse(bool expatError, std::size_t fedSize) {
  // A restart that stopped the shared parser makes expat report an abort: not an error.
  if (expatError && !halted() && !restartPending_) failFromExpat();
  if (!halted() && !restartPending_) checkBufferedSize();

  // The final callbacks run after expat has returned and touch no member afterwards, so the
  // handler may tear the connection (and this parser) down from them.
  if (pendingError_) {
    StreamError error = std::move(*pendingError_);
    pendingError_.reset();
    handler_.onStreamError(std::move(error));
    return fedSize;
  }
  if (closePending_) {
    closePending_ = false;
    handler_.onStreamClose();
    return fedSize;
  }
  std::optional<std::size_t> result;
  if (restartPending_) result = static_cast<std::size_t>(resumeFrom_ - feedBase_);
  if (resetAfterParse_) reset();
  return result;
}

bool XmlStreamParser::releaseIdle() {
  // Only at a clean boundary: expat's only state worth keeping is then the open root element and
  // its namespace bindings, which replaying the root tag restores.
  if (!parser_ || inParse_ || halted() || restartPending_ || openElements_ != 1 || !stack_.empty() ||
      totalFed_ != mark_ || rootTag_.empty()) {
    return false;
  }
  parser_.reset();
  stack_.shrink_to_fit();  // empty here; its capacity is the deepest stanza so far (~600 B)
  released_ = true;
  return true;
}

bool XmlStreamParser::rebuildParser() {
  released_ = false;
  createParser();
  if (!parser_) return false;
  current_ = parser_.get();
  replaying_ = true;
  inParse_ = true;
  const XML_Status status =
      XML_Parse(current_, rootTag_.data(), static_cast<int>(rootTag_.size()), XML_FALSE);
  inParse_ = false;
  replaying_ = false;
  if (status != XML_STATUS_OK || halted()) {
    parser_.reset();
    return false;
  }
  // The replayed bytes are not part of the stream: parseOwn() maps positions past them.
  ownFed_ = rootTag_.size();
  return true;
}

void XmlStreamParser::requestRestart() {
  if (inParse_ && !halted()) restartRequested_ = true;
}

void XmlStreamParser::reset() {
  if (inParse_) {
    // Freeing expat from inside its own callback is not allowed; finish the call first.
    resetAfterParse_ = true;
    requestRestart();
    return;
  }
  if (parser_) createParser();  // else made on demand
  stack_.clear();
  openElements_ = 0;
  contentNamespace_.clear();
  rootTag_.clear();
  rootDeclarations_.clear();
  sharedRoot_.clear();
  sharedRegistry_ = 0;
  indexBase_ = 0;
  released_ = false;
  totalFed_ = feedBase_ = stanzaStart_ = mark_ = resumeFrom_ = 0;
  failed_ = closed_ = closePending_ = restartRequested_ = restartPending_ = resetAfterParse_ = false;
  resumeHeld_ = false;
  pendingError_.reset();
}

void XmlStreamParser::setLimits(ParserLimits limits) { limits_ = limits; }

void XmlStreamParser::fail(StreamErrorCondition condition, std::string text) {
  if (failed_) return;
  failed_ = true;
  pendingError_ = StreamError{condition, std::move(text)};
  if (inParse_) XML_StopParser(current_, XML_FALSE);
}

void XmlStreamParser::failFromExpat() {
  XML_Parser p = current_;
  const XML_Error code = XML_GetErrorCode(p);
  // A byte position rather than expat's line and column, which count from wherever that parser
  // started (a replayed root tag, or other streams' stanzas in a shared parser).
  std::string text = "XML error at byte " +
                     std::to_string(XML_GetCurrentByteIndex(p) + indexBase_) + " of the stream: ";
  if (const XML_LChar* message = XML_ErrorString(code)) text += message;
  fail(conditionForExpatError(code), std::move(text));
}

// Bytes expat holds without having reported them yet (a partial tag, a long attribute value...)
// still count towards the limit of the stanza or stream header they belong to.
void XmlStreamParser::checkBufferedSize() {
  const std::uint64_t from = openElements_ >= 2 ? stanzaStart_ : mark_;
  if (totalFed_ - from <= limits_.maxStanzaBytes) return;
  if (openElements_ == 0) {
    fail(StreamErrorCondition::PolicyViolation, "stream header too large");
  } else {
    fail(StreamErrorCondition::PolicyViolation,
         "stanza too large (limit " + std::to_string(limits_.maxStanzaBytes) + " bytes)");
  }
}

std::uint64_t XmlStreamParser::eventEnd() const {
  XML_Parser p = current_;
  return static_cast<std::uint64_t>(XML_GetCurrentByteIndex(p) + indexBase_) +
         static_cast<std::uint64_t>(XML_GetCurrentByteCount(p));
}

bool XmlStreamParser::stanzaTooLarge(std::uint64_t end) {
  if (end - stanzaStart_ <= limits_.maxStanzaBytes) return false;
  fail(StreamErrorCondition::PolicyViolation,
       "stanza too large (limit " + std::to_string(limits_.maxStanzaBytes) + " bytes)");
  return true;
}

// A handler asked for a restart: suspend expat right after this event so the rest stays unparsed.
void XmlStreamParser::afterUserCallback(std::uint64_t end) {
  if (!restartRequested_) return;
  restartRequested_ = false;
  if (halted()) return;
  restartPending_ = true;
  resumeFrom_ = end;
  // The own parser is suspended and resumes if the stream carries on; a shared one serves other
  // streams, so it is stopped for good and the rest of the slice is handed back unconsumed.
  resumeHeld_ = !inShared_;
  XML_StopParser(current_, inShared_ ? XML_FALSE : XML_TRUE);
}

void XmlStreamParser::handleStart(const char* name, const char** atts) {
  if (halted() || replaying_) return;
  XML_Parser p = current_;
  const auto start = static_cast<std::uint64_t>(XML_GetCurrentByteIndex(p) + indexBase_);
  const std::uint64_t end = start + static_cast<std::uint64_t>(XML_GetCurrentByteCount(p));
  const std::size_t level = openElements_;
  if (level == 0) {
    if (end > limits_.maxStanzaBytes) {
      fail(StreamErrorCondition::PolicyViolation, "stream header too large");
      return;
    }
  } else {
    if (level > limits_.maxDepth) {
      fail(StreamErrorCondition::PolicyViolation, "elements nested too deeply");
      return;
    }
    if (level == 1) stanzaStart_ = start;
    if (stanzaTooLarge(end)) return;
  }

  const ExpandedName expanded = splitName(name);
  if (level == 0 && (expanded.ns != kStreamsNamespace || expanded.local != "stream")) {
    fail(StreamErrorCondition::InvalidNamespace,
         "the stream root must be <stream> in namespace http://etherx.jabber.org/streams");
    return;
  }
  xml::Element element{std::string(expanded.local), std::string(expanded.ns)};
  std::size_t attributes = 0;
  for (const char** a = atts; *a != nullptr; a += 2) ++attributes;
  // One allocation instead of regrowth; a stanza gets room for the 'from' the router stamps.
  element.attrs().reserve(attributes + (level == 1 ? 1 : 0));
  for (const char** a = atts; *a != nullptr; a += 2) {
    const ExpandedName attrName = splitName(a[0]);
    std::string value(a[1]);
    if (attrName.ns.empty()) {
      element.attrs().push_back({std::string(attrName.local), std::move(value), {}});
    } else if (attrName.ns == xml::kXmlNamespace) {
      element.attrs().push_back({"xml:" + std::string(attrName.local), std::move(value), {}});
    } else {
      element.attrs().push_back(
          {std::string(attrName.local), std::move(value), std::string(attrName.ns)});
    }
  }
  ++openElements_;

  if (level == 0) {
    mark_ = end;
    // Kept for releaseIdle(): expat holds the whole tag in its buffer while reporting it.
    int offset = 0;
    int size = 0;
    const char* context = XML_GetInputContext(p, &offset, &size);
    const int count = XML_GetCurrentByteCount(p);
    if (context != nullptr && offset >= 0 && count > 0 && offset + count <= size) {
      rootTag_.assign(context + offset, static_cast<std::size_t>(count));
    } else {
      rootTag_.clear();  // this expat keeps no context: never released nor shared
    }
    // A shared parser is primed with the root's name and namespace declarations only: they are
    // all of the root that parsing a stanza depends on.
    sharedRoot_.clear();
    sharedRegistry_ = 0;
    if (!rootTag_.empty()) {
      const auto nameEnd = rootTag_.find_first_of(" \t\r\n/>", 1);
      sharedRoot_ = rootTag_.substr(0, nameEnd) + rootDeclarations_ + ">";
    }
    handler_.onStreamOpen(element, contentNamespace_);
    afterUserCallback(end);
    return;
  }
  stack_.push_back(std::move(element));
}

void XmlStreamParser::handleEnd() {
  if (halted()) return;
  const std::uint64_t end = eventEnd();
  if (openElements_ == 1) {
    openElements_ = 0;
    closed_ = true;
    closePending_ = true;  // reported once expat has returned
    XML_StopParser(current_, XML_FALSE);
    return;
  }
  if (stanzaTooLarge(end)) return;
  xml::Element done = std::move(stack_.back());
  stack_.pop_back();
  --openElements_;
  if (!stack_.empty()) {
    stack_.back().addChild(std::move(done));
    return;
  }
  mark_ = end;
  handler_.onStanza(std::move(done));
  afterUserCallback(end);
}

void XmlStreamParser::handleText(std::string_view text) {
  if (halted()) return;
  if (openElements_ >= 2) {
    if (stanzaTooLarge(eventEnd())) return;
    stack_.back().addText(text);  // merges with adjacent text
    return;
  }
  if (openElements_ == 1) {
    // Whitespace between stanzas is a keepalive.
    if (!isXmlWhitespace(text)) {
      fail(StreamErrorCondition::NotWellFormed, "text outside of a stanza");
      return;
    }
    mark_ = eventEnd();
  }
}

void XmlStreamParser::handleXmlDecl(const char* encoding) {
  if (halted()) return;
  if (encoding != nullptr && !equalsIgnoreAsciiCase(encoding, "UTF-8")) {
    fail(StreamErrorCondition::UnsupportedEncoding, "only UTF-8 is supported");
  }
}

void XmlStreamParser::handleNamespaceDecl(const char* prefix, const char* uri) {
  if (halted()) return;
  // Declarations are reported before their element's start handler; only the root's matter here.
  if (openElements_ != 0) return;
  if (prefix == nullptr) contentNamespace_ = uri != nullptr ? uri : "";
  rootDeclarations_ += prefix == nullptr ? " xmlns='" : " xmlns:" + std::string(prefix) + "='";
  rootDeclarations_ += xml::escapeAttribute(uri != nullptr ? uri : "");
  rootDeclarations_ += '\'';
}

void XmlStreamParser::handleRestricted(std::string_view what) {
  if (halted()) return;
  fail(StreamErrorCondition::RestrictedXml, std::string(what) + " is not allowed in XMPP");
}

}  // namespace telex::stream
