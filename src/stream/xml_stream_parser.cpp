// Incremental XMPP stream parser on expat: builds stanza trees and enforces restricted XML and limits.
#include "stream/xml_stream_parser.hpp"

#include <expat.h>

#include <algorithm>
#include <type_traits>
#include <utility>

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
};

void XmlStreamParser::ExpatDeleter::operator()(XML_ParserStruct* parser) const {
  XML_ParserFree(parser);
}

XmlStreamParser::XmlStreamParser(StreamParserHandler& handler, ParserLimits limits)
    : handler_(handler), limits_(limits) {
  createParser();
}

XmlStreamParser::~XmlStreamParser() = default;

void XmlStreamParser::createParser() {
  // Forcing UTF-8 means a BOM or encoding declaration cannot switch expat to another encoding;
  // a declared non-UTF-8 encoding is refused in handleXmlDecl.
  // A stream restart (after STARTTLS and SASL) reuses the parser and its buffers; reset keeps
  // namespace processing but clears the handlers, which are set again below.
  if (!parser_ || XML_ParserReset(parser_.get(), "UTF-8") != XML_TRUE) {
    parser_.reset(XML_ParserCreateNS("UTF-8", kSeparator));
  }
  XML_Parser p = parser_.get();
  if (p == nullptr) return;  // reported by the next feed()
  XML_SetUserData(p, this);
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

std::size_t XmlStreamParser::feed(std::string_view data) {
  if (failed_) return 0;
  if (closed_) return data.size();
  if (released_ && !rebuildParser()) {
    fail(StreamErrorCondition::InternalServerError, "cannot rebuild XML parser");
    return afterParse(false, 0).value_or(0);
  }
  if (!parser_) {
    fail(StreamErrorCondition::InternalServerError, "cannot allocate XML parser");
    return afterParse(false, 0).value_or(0);
  }

  std::size_t offset = 0;
  if (restartPending_) {
    // Carrying on with the same stream: expat still holds the unconsumed tail of the last slice,
    // which is the start of `data`.
    const auto held = static_cast<std::size_t>(totalFed_ - resumeFrom_);
    restartPending_ = false;
    feedBase_ = resumeFrom_;
    if (data.size() < held) {
      fail(StreamErrorCondition::InternalServerError, "stream bytes fed out of order after a pause");
      return afterParse(false, data.size()).value_or(data.size());
    }
    inParse_ = true;
    const XML_Status status = XML_ResumeParser(parser_.get());
    inParse_ = false;
    if (auto result = afterParse(status == XML_STATUS_ERROR, data.size())) return *result;
    offset = held;
  } else {
    feedBase_ = totalFed_;
  }

  while (offset < data.size()) {
    const std::size_t n = std::min(kSliceBytes, data.size() - offset);
    inParse_ = true;
    const XML_Status status =
        XML_Parse(parser_.get(), data.data() + offset, static_cast<int>(n), XML_FALSE);
    inParse_ = false;
    totalFed_ += n;
    offset += n;
    if (auto result = afterParse(status == XML_STATUS_ERROR, data.size())) return *result;
  }
  return data.size();
}

// Runs after every expat call; returns feed()'s result when parsing of this chunk has to stop.
std::optional<std::size_t> XmlStreamParser::afterParse(bool expatError, std::size_t fedSize) {
  if (expatError && !halted()) failFromExpat();
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
  replaying_ = true;
  inParse_ = true;
  const XML_Status status =
      XML_Parse(parser_.get(), rootTag_.data(), static_cast<int>(rootTag_.size()), XML_FALSE);
  inParse_ = false;
  replaying_ = false;
  if (status != XML_STATUS_OK || halted()) {
    parser_.reset();
    return false;
  }
  // The replayed bytes are not part of the stream: positions continue where they left off.
  indexBase_ = static_cast<std::int64_t>(totalFed_) - static_cast<std::int64_t>(rootTag_.size());
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
  createParser();
  stack_.clear();
  openElements_ = 0;
  contentNamespace_.clear();
  rootTag_.clear();
  indexBase_ = 0;
  released_ = false;
  totalFed_ = feedBase_ = stanzaStart_ = mark_ = resumeFrom_ = 0;
  failed_ = closed_ = closePending_ = restartRequested_ = restartPending_ = resetAfterParse_ = false;
  pendingError_.reset();
}

void XmlStreamParser::setLimits(ParserLimits limits) { limits_ = limits; }

void XmlStreamParser::fail(StreamErrorCondition condition, std::string text) {
  if (failed_) return;
  failed_ = true;
  pendingError_ = StreamError{condition, std::move(text)};
  if (inParse_) XML_StopParser(parser_.get(), XML_FALSE);
}

void XmlStreamParser::failFromExpat() {
  XML_Parser p = parser_.get();
  const XML_Error code = XML_GetErrorCode(p);
  std::string text = "XML error at line " + std::to_string(XML_GetCurrentLineNumber(p)) +
                     ", column " + std::to_string(XML_GetCurrentColumnNumber(p)) + ": ";
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
  XML_Parser p = parser_.get();
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
  XML_StopParser(parser_.get(), XML_TRUE);
}

void XmlStreamParser::handleStart(const char* name, const char** atts) {
  if (halted() || replaying_) return;
  XML_Parser p = parser_.get();
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
      rootTag_.clear();  // this expat keeps no context: never released
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
    XML_StopParser(parser_.get(), XML_FALSE);
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
  if (openElements_ == 0 && prefix == nullptr) contentNamespace_ = uri != nullptr ? uri : "";
}

void XmlStreamParser::handleRestricted(std::string_view what) {
  if (halted()) return;
  fail(StreamErrorCondition::RestrictedXml, std::string(what) + " is not allowed in XMPP");
}

}  // namespace telex::stream
