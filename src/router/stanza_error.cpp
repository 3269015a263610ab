// Building error and result replies.
#include "router/stanza_error.hpp"

namespace telex::router {
namespace {

void swapAddresses(const xml::Element& request, xml::Element& reply) {
  if (auto from = request.attr("from")) reply.setAttr("to", *from);
  if (auto to = request.attr("to")) reply.setAttr("from", *to);
}

}  // namespace

xml::Element makeErrorElement(const StanzaError& error) {
  xml::Element element("error", std::string(kClientNs));
  element.setAttr("type", error.type);
  element.addChild(xml::Element(std::string(error.condition), std::string(kStanzasNs)));
  if (!error.text.empty()) {
    xml::Element text("text", std::string(kStanzasNs));
    text.addText(error.text);
    element.addChild(std::move(text));
  }
  return element;
}

xml::Element makeErrorReply(const xml::Element& stanza, const StanzaError& error) {
  xml::Element reply(stanza.name(), std::string(kClientNs));
  if (auto id = stanza.attr("id")) reply.setAttr("id", *id);
  swapAddresses(stanza, reply);
  reply.setAttr("type", "error");
  if (stanza.name() != "iq") {
    for (const auto& child : stanza.children()) {
      if (!child.isText() && child.name() != "error") reply.addChild(child);
    }
  }
  reply.addChild(makeErrorElement(error));
  return reply;
}

xml::Element makeIqResult(const xml::Element& iq) {
  xml::Element reply("iq", std::string(kClientNs));
  if (auto id = iq.attr("id")) reply.setAttr("id", *id);
  swapAddresses(iq, reply);
  reply.setAttr("type", "result");
  return reply;
}

}  // namespace telex::router
