// XEP-0054 vcard-temp: a user sets their own vCard; anyone may read it at the user's bare JID.
#include "modules/vcard/vcard.hpp"

#include <spdlog/spdlog.h>

#include "modules/private_xml/stored_xml.hpp"

namespace telex::modules::vcard {
namespace {

constexpr std::string_view kVcardNs = "vcard-temp";

xml::Element emptyVcard() { return xml::Element("vCard", std::string(kVcardNs)); }

}  // namespace

Expected<std::string, router::StanzaError> vcardForStorage(const xml::Element& vcard) {
  bool hasFields = std::any_of(vcard.children().begin(), vcard.children().end(),
                               [](const xml::Element& c) { return !c.isText(); });
  if (!hasFields) return std::string();
  std::string text = private_xml::toStoredXml(vcard);
  if (text.size() > kMaxVcardBytes) {
    return unexpected(router::StanzaError{"modify", "not-acceptable",
                                          "vCard larger than " + std::to_string(kMaxVcardBytes / 1024) + " KiB"});
  }
  return text;
}

void setup(ModuleContext& ctx) {
  auto store = ctx.storage().keyval(kStoreName);

  // Reads `owner`'s vCard; `fallback` answers when there is none.
  auto read = [&ctx, store](const std::string& owner, IqResponder respond, IqReply fallback) {
    ctx.runBlocking([store, owner] { return store->get(owner); },
                    [respond = std::move(respond), fallback = std::move(fallback), owner](auto result) {
                      if (!result) return respond(unexpected(router::StanzaError::internalServerError()));
                      if (!*result) return respond(fallback);
                      auto vcard = private_xml::fromStoredXml(**result);
                      if (!vcard) {
                        spdlog::warn("vcard: unreadable stored vCard of {}", owner);
                        return respond(fallback);
                      }
                      respond(std::optional<xml::Element>(std::move(*vcard)));
                    });
  };

  // One's own vCard: an empty one until it is set, which clients take as "no vCard yet".
  ctx.onIqAsync("get", "self", kVcardNs, "vCard", [read](IqRequest request, IqResponder respond) {
    read(request.from.local(), std::move(respond), std::optional<xml::Element>(emptyVcard()));
  });

  // Someone else's: item-not-found both when they have no vCard and when there is no such
  // account, so the answer does not reveal which accounts exist (XEP-0054 §3.2 asks for the same
  // error in both cases). Prosody answers item-not-found too.
  ctx.onIqAsync("get", "bare", kVcardNs, "vCard", [read](IqRequest request, IqResponder respond) {
    read(request.to.local(), std::move(respond), unexpected(router::StanzaError::itemNotFound()));
  });

  ctx.onIqAsync("set", "self", kVcardNs, "vCard", [&ctx, store](IqRequest request, IqResponder respond) {
    auto text = vcardForStorage(request.payload());
    if (!text) return respond(unexpected(text.error()));
    ctx.runBlocking(
        [store, user = request.from.local(), text = std::move(*text)] {
          if (text.empty()) {
            store->remove(user);
          } else {
            store->set(user, text);
          }
        },
        [respond](auto result) {
          if (!result) return respond(unexpected(router::StanzaError::internalServerError()));
          respond(std::optional<xml::Element>());
        });
  });

  ctx.onIq("set", "bare", kVcardNs, "vCard", [](const router::StanzaEvent&, const xml::Element&) -> IqReply {
    return unexpected(router::StanzaError::forbidden("only the owner may change a vCard"));
  });
}

}  // namespace telex::modules::vcard
