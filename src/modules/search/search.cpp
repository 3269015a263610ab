// XEP-0055 on the server domain. Strangers find nobody unless the operator opens the directory.
#include "modules/search/search.hpp"

#include <algorithm>
#include <cctype>

#include "modules/private_xml/stored_xml.hpp"
#include "modules/roster/roster_store.hpp"

namespace telex::modules::search {
namespace {
constexpr std::string_view kSearchNs = "jabber:iq:search";
constexpr std::string_view kDataNs = "jabber:x:data";
constexpr std::size_t kMaxResults = 100;

struct Entry {
  std::string jid;
  std::string name;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

xml::Element field(std::string_view var, std::string_view type, std::string_view label, std::string_view value = {}) {
  xml::Element f("field", std::string(kDataNs));
  f.setAttr("var", var);
  if (!type.empty()) f.setAttr("type", type);
  if (!label.empty()) f.setAttr("label", label);
  if (!value.empty()) f.addChild(xml::Element("value", std::string(kDataNs))).addText(value);
  return f;
}

std::string formValue(const xml::Element& form, std::string_view var) {
  for (const auto& f : form.children()) {
    if (!f.isText() && f.name() == "field" && f.attrOr("var", "") == var) return f.childText("value", kDataNs);
  }
  return {};
}

}  // namespace

void setup(ModuleContext& ctx) {
  const std::string visibility = ctx.config().directory.visibility;
  auto accounts = ctx.storage().keyval("accounts");
  auto vcards = ctx.storage().keyval("vcard");
  auto roster = std::make_shared<roster::RosterStore>(ctx.storage());

  ctx.onIq("get", "host", kSearchNs, "query", [visibility](const router::StanzaEvent&, const xml::Element&) -> IqReply {
    if (visibility == "off") return unexpected(router::StanzaError::serviceUnavailable("the directory is off"));
    xml::Element query("query", std::string(kSearchNs));
    query.addChild(xml::Element("instructions", std::string(kSearchNs)))
        .addText(visibility == "all" ? "Find users by name or nickname."
                                     : "Find your contacts by name or nickname.");
    query.addChild(xml::Element("nick", std::string(kSearchNs)));
    auto& form = query.addChild(xml::Element("x", std::string(kDataNs)));
    form.setAttr("type", "form");
    form.addChild(field("FORM_TYPE", "hidden", "", kSearchNs));
    form.addChild(field("nick", "text-single", "Name or nickname contains"));
    form.addChild(field("online", "boolean", "Only users who are online now"));
    return std::optional<xml::Element>(std::move(query));
  });

  ctx.onIqAsync("set", "host", kSearchNs, "query", [&ctx, visibility, accounts, vcards, roster](
                                                         IqRequest request, IqResponder respond) {
    if (visibility == "off") return respond(unexpected(router::StanzaError::serviceUnavailable("the directory is off")));
    const xml::Element& query = request.payload();
    const xml::Element* form = query.child("x", kDataNs);
    std::string needle = lower(form ? formValue(*form, "nick") : query.childText("nick", kSearchNs));
    std::string online = form ? formValue(*form, "online") : std::string();
    bool onlyOnline = online == "1" || online == "true";
    bool dataForm = form != nullptr;
    ctx.runBlocking(
        [accounts, vcards, roster, visibility, needle, searcher = request.from.bareString()] {
          std::vector<Entry> found;
          for (const auto& user : accounts->users()) {
            // Privacy: unless the directory is open, a user is listed only to people they
            // already share presence with.
            if (visibility != "all") {
              auto item = roster->get(user, searcher);
              if (!item || !item->hasFrom()) continue;
            }
            std::string name;
            if (auto raw = vcards->get(user)) {
              if (auto card = private_xml::fromStoredXml(*raw)) {
                name = card->childText("FN", "vcard-temp");
                if (name.empty()) name = card->childText("NICKNAME", "vcard-temp");
              }
            }
            if (!needle.empty() && lower(user).find(needle) == std::string::npos &&
                lower(name).find(needle) == std::string::npos) {
              continue;
            }
            found.push_back({user, name});
          }
          return found;
        },
        [&ctx, respond, onlyOnline, dataForm](auto result) {
          if (!result) return respond(unexpected(router::StanzaError::internalServerError()));
          xml::Element query("query", std::string(kSearchNs));
          xml::Element* form = nullptr;
          if (dataForm) {
            form = &query.addChild(xml::Element("x", std::string(kDataNs)));
            form->setAttr("type", "result");
            form->addChild(field("FORM_TYPE", "hidden", "", kSearchNs));
            auto& reported = form->addChild(xml::Element("reported", std::string(kDataNs)));
            reported.addChild(field("jid", "jid-single", "JID"));
            reported.addChild(field("nick", "text-single", "Name"));
            reported.addChild(field("online", "boolean", "Online"));
          }
          std::size_t count = 0;
          for (const auto& entry : *result) {
            std::string jid = entry.jid + "@" + ctx.router().domain();
            auto bare = Jid::parse(jid);
            bool isOnline = false;
            if (bare) {
              for (const auto& r : ctx.router().sessions().resourcesOf(*bare)) isOnline = isOnline || r.available;
            }
            if (onlyOnline && !isOnline) continue;
            if (++count > kMaxResults) break;
            if (form) {
              auto& item = form->addChild(xml::Element("item", std::string(kDataNs)));
              item.addChild(field("jid", "", "", jid));
              item.addChild(field("nick", "", "", entry.name));
              item.addChild(field("online", "", "", isOnline ? "1" : "0"));
            } else {
              auto& item = query.addChild(xml::Element("item", std::string(kSearchNs)));
              item.setAttr("jid", jid);
              item.addChild(xml::Element("nick", std::string(kSearchNs))).addText(entry.name);
            }
          }
          respond(std::optional<xml::Element>(std::move(query)));
        });
  });
}

}  // namespace telex::modules::search
