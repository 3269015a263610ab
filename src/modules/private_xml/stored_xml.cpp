// Stored XML: serializing and parsing single elements kept by feature modules.
#include "modules/private_xml/stored_xml.hpp"

#include "stream/xml_stream_parser.hpp"

namespace telex::modules::private_xml {
namespace {

// Takes the first complete element under a synthetic stream root.
class FirstElement : public stream::StreamParserHandler {
 public:
  void onStreamOpen(const xml::Element&, std::string_view) override {}
  void onStanza(xml::Element element) override {
    if (!result) result = std::move(element);
  }
  void onStreamClose() override {}
  void onStreamError(stream::StreamError) override { failed = true; }

  std::optional<xml::Element> result;
  bool failed = false;
};

constexpr std::string_view kRoot =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

}  // namespace

std::string toStoredXml(const xml::Element& element) { return xml::serialize(element); }

std::optional<xml::Element> fromStoredXml(std::string_view text) {
  FirstElement handler;
  // Generous limits: the data was already accepted once under the stream's own (smaller) caps.
  stream::XmlStreamParser parser(handler, stream::ParserLimits{text.size() + kRoot.size() + 1024, 1000});
  parser.feed(kRoot);
  parser.feed(text);
  if (handler.failed) return std::nullopt;
  return std::move(handler.result);
}

}  // namespace telex::modules::private_xml
