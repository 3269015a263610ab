// Stream Management counters and the one-stanza parser used to reroute what was never acked.
#include "stream/stream_management.hpp"

#include "stream/xml_stream_parser.hpp"

namespace telex::stream {

void StreamManagement::sent(net::StanzaBytes stanza) {
  ++outbound_;
  queue_.push_back(std::move(stanza));
}

bool StreamManagement::acknowledge(std::uint32_t h) {
  // 'h' counts every stanza sent since enable; the queue holds the last queue_.size() of them.
  std::uint32_t acked = outbound_ - static_cast<std::uint32_t>(queue_.size());
  std::uint32_t newly = h - acked;  // modular arithmetic handles the wrap at 2^32
  if (newly > queue_.size()) return false;
  queue_.erase(queue_.begin(), queue_.begin() + newly);
  return true;
}

namespace {
class OneStanza : public StreamParserHandler {
 public:
  void onStreamOpen(const xml::Element&, std::string_view) override {}
  void onStanza(xml::Element stanza) override { result = std::move(stanza); }
  void onStreamClose() override {}
  void onStreamError(StreamError) override {}
  std::optional<xml::Element> result;
};
}  // namespace

std::optional<xml::Element> parseStanza(std::string_view bytes) {
  OneStanza handler;
  XmlStreamParser parser(handler, ParserLimits{16 * 1024 * 1024, 1000});
  parser.feed("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
  parser.feed(bytes);
  return std::move(handler.result);
}

}  // namespace telex::stream
