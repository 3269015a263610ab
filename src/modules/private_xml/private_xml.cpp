// XEP-0049 Private XML Storage: each user keeps namespaced elements only they can read or write.
#include "modules/private_xml/private_xml.hpp"

#include <spdlog/spdlog.h>

#include "modules/private_xml/stored_xml.hpp"

namespace telex::modules::private_xml {
namespace {

constexpr std::string_view kPrivateNs = "jabber:iq:private";

// An element with nothing in it is what a get answers when nothing is stored, so storing one is
// the same as removing the key.
bool isEmpty(const xml::Element& element) {
  bool hasContent = std::any_of(element.children().begin(), element.children().end(), [](const xml::Element& c) {
    return !c.isText() || !c.textValue().empty();
  });
  return !hasContent && element.attrs().empty();
}

}  // namespace

std::string storageKey(const xml::Element& element) { return element.name() + " " + element.xmlns(); }

Expected<std::vector<const xml::Element*>, router::StanzaError> requestedElements(const xml::Element& query,
                                                                                 bool isGet) {
  std::vector<const xml::Element*> elements;
  for (const auto& child : query.children()) {
    if (child.isText()) continue;
    // An element without its own namespace inherits jabber:iq:private: reserved as well.
    if (child.xmlns().starts_with("jabber:")) {
      return unexpected(router::StanzaError{"modify", "not-acceptable", "jabber:* namespaces are reserved"});
    }
    elements.push_back(&child);
  }
  if (elements.empty()) {
    return unexpected(router::StanzaError{"modify", "not-acceptable", "the query must name an element"});
  }
  if (isGet && elements.size() > 1) return unexpected(router::StanzaError::badRequest("one element per get"));
  return elements;
}

void setup(ModuleContext& ctx) {
  auto store = ctx.storage().map("private");

  ctx.onIqAsync("get", "self", kPrivateNs, "query", [&ctx, store](IqRequest request, IqResponder respond) {
    auto elements = requestedElements(request.payload(), true);
    if (!elements) return respond(unexpected(elements.error()));
    xml::Element wanted((*elements)[0]->name(), (*elements)[0]->xmlns());
    std::string key = storageKey(wanted);  // before `wanted` moves into the callback
    ctx.runBlocking([store, user = request.from.local(), key = std::move(key)] { return store->get(user, key); },
                    [respond, wanted = std::move(wanted)](auto result) {
                      if (!result) return respond(unexpected(router::StanzaError::internalServerError()));
                      xml::Element query("query", std::string(kPrivateNs));
                      std::optional<xml::Element> stored;
                      if (*result) {
                        stored = fromStoredXml(**result);
                        if (!stored) spdlog::warn("private_xml: unreadable stored {}", wanted.xmlns());
                      }
                      query.addChild(stored ? std::move(*stored) : wanted);
                      respond(std::optional<xml::Element>(std::move(query)));
                    });
  });

  ctx.onIqAsync("set", "self", kPrivateNs, "query", [&ctx, store](IqRequest request, IqResponder respond) {
    auto elements = requestedElements(request.payload(), false);
    if (!elements) return respond(unexpected(elements.error()));
    // Key and stored text (empty: remove), computed here so the pool job owns plain strings.
    std::vector<std::pair<std::string, std::string>> writes;
    for (const auto* element : *elements) {
      writes.emplace_back(storageKey(*element), isEmpty(*element) ? std::string() : toStoredXml(*element));
    }
    ctx.runBlocking(
        [&storage = ctx.storage(), store, user = request.from.local(), writes = std::move(writes)] {
          storage.transaction([&] {
            for (const auto& [key, value] : writes) {
              if (value.empty()) {
                store->remove(user, key);
              } else {
                store->set(user, key, value);
              }
            }
          });
        },
        [respond](auto result) {
          if (!result) return respond(unexpected(router::StanzaError::internalServerError()));
          respond(std::optional<xml::Element>());
        });
  });

  // Another user's private data is nobody else's business (XEP-0049 prefers forbidden).
  auto forbidden = [](const router::StanzaEvent&, const xml::Element&) -> IqReply {
    return unexpected(router::StanzaError::forbidden());
  };
  ctx.onIq("get", "bare", kPrivateNs, "query", forbidden);
  ctx.onIq("set", "bare", kPrivateNs, "query", forbidden);
}

}  // namespace telex::modules::private_xml
