// Parses one stanza of XML text the way it would arrive in a jabber:client stream, for unit tests
// of payload parsers: expects exactly one stanza and no stream error.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "stream/xml_stream_parser.hpp"
#include "xml/element.hpp"

namespace telex::test {

inline xml::Element parseStanza(std::string_view text) {
  class Collect : public stream::StreamParserHandler {
   public:
    void onStreamOpen(const xml::Element&, std::string_view) override {}
    void onStanza(xml::Element stanza) override { stanzas.push_back(std::move(stanza)); }
    void onStreamClose() override {}
    void onStreamError(stream::StreamError error) override { errors.push_back(error.text); }
    std::vector<xml::Element> stanzas;
    std::vector<std::string> errors;
  };
  Collect collect;
  stream::XmlStreamParser parser(collect, stream::ParserLimits{1 << 20, 48});
  parser.feed(
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
      "from='example.org' version='1.0'>");
  parser.feed(text);
  EXPECT_TRUE(collect.errors.empty()) << (collect.errors.empty() ? "" : collect.errors[0]);
  EXPECT_EQ(collect.stanzas.size(), 1u) << text;
  return collect.stanzas.empty() ? xml::Element() : collect.stanzas[0];
}

}  // namespace telex::test
