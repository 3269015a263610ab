// IQs to a room and to its occupants: disco (XEP-0045 §6), muc#admin/owner dispatch, the room's
// message archive (XEP-0313), self-ping (XEP-0410) and IQs passed between occupants.
#include "modules/muc/room.hpp"

#include <algorithm>

#include "modules/mam/mam_query.hpp"
#include "modules/muc/muc_service.hpp"
#include "util/crypto.hpp"

namespace telex::modules::muc {
namespace {

using router::StanzaError;

constexpr std::string_view kDiscoInfoNs = "http://jabber.org/protocol/disco#info";
constexpr std::string_view kDiscoItemsNs = "http://jabber.org/protocol/disco#items";
constexpr std::string_view kPingNs = "urn:xmpp:ping";
constexpr std::string_view kVcardNs = "vcard-temp";
constexpr std::string_view kDataNs = "jabber:x:data";
constexpr std::size_t kMaxPendingIqs = 256;

struct QueryOutcome {
  bool notFound = false;
  storage::ArchivePage page;
};

// mam::parseQuery narrows 'with' to a bare JID, as users' archives want; in a room archive
// messages are filed under the occupant JID (room@service/nick), so the full value is kept.
std::optional<std::string> occupantWith(const xml::Element& query) {
  const xml::Element* form = query.child("x", kDataNs);
  if (!form) return std::nullopt;
  for (const auto& f : form->children()) {
    if (f.isText() || f.name() != "field" || f.attrOr("var", "") != "with") continue;
    auto jid = Jid::parse(f.childText("value", kDataNs));
    if (jid) return jid->full();
  }
  return std::nullopt;
}

void addFeature(xml::Element& query, std::string_view var) {
  query.addChild(xml::Element("feature", std::string(kDiscoInfoNs))).setAttr("var", var);
}

void addField(xml::Element& form, std::string_view var, std::string_view label, std::string_view value) {
  auto& f = form.addChild(xml::Element("field", std::string(kDataNs)));
  f.setAttr("var", var);
  if (!label.empty()) f.setAttr("label", label);
  if (var == "FORM_TYPE") f.setAttr("type", "hidden");
  f.addChild(xml::Element("value", std::string(kDataNs))).addText(value);
}

}  // namespace

void Room::onIqToRoom(RoomStanza& s) {
  std::string_view type = s.stanza.attrOr("type", "");
  if (type != "get" && type != "set") return;
  const xml::Element* payload = s.stanza.firstElement();
  if (!payload) return reply(s, unexpected(StanzaError::badRequest()));
  const std::string& ns = payload->xmlns();
  const std::string& name = payload->name();
  bool get = type == "get";
  if (ns == kDiscoInfoNs && name == "query" && get) return reply(s, discoInfo(s, *payload));
  if (ns == kDiscoItemsNs && name == "query" && get) {
    // Occupants are not listed: in a semi-anonymous room even nicknames are for those inside.
    if (locked_ && affiliationOf(s.from) != Affiliation::Owner) return reply(s, unexpected(StanzaError::itemNotFound()));
    return reply(s, std::optional<xml::Element>(xml::Element("query", std::string(kDiscoItemsNs))));
  }
  if (ns == kMucAdminNs && name == "query") return get ? adminGet(s, *payload) : adminSet(s, *payload);
  if (ns == kMucOwnerNs && name == "query") return get ? ownerGet(s) : ownerSet(s, *payload);
  if (ns == mam::kMamNs && name == "query") {
    if (get) return reply(s, std::optional<xml::Element>(mam::queryForm()));
    return archiveQuery(s, *payload);
  }
  if (ns == kPingNs && name == "ping" && get) return reply(s, std::optional<xml::Element>());
  reply(s, unexpected(StanzaError::serviceUnavailable()));
}

IqReply Room::discoInfo(const RoomStanza& s, const xml::Element& request) {
  if (locked_ && affiliationOf(s.from) != Affiliation::Owner) return unexpected(StanzaError::itemNotFound());
  const RoomConfig& c = record_.config;
  xml::Element query("query", std::string(kDiscoInfoNs));
  if (auto node = request.attr("node")) {
    // §7.12: a user asks which nickname it has reserved here.
    if (*node != "x-roomuser-item") return unexpected(StanzaError::itemNotFound());
    query.setAttr("node", *node);
    auto it = record_.affiliations.find(s.from.bareString());
    if (it != record_.affiliations.end() && !it->second.nick.empty()) {
      auto& identity = query.addChild(xml::Element("identity", std::string(kDiscoInfoNs)));
      identity.setAttr("category", "conference");
      identity.setAttr("type", "text");
      identity.setAttr("name", it->second.nick);
    }
    return std::optional<xml::Element>(std::move(query));
  }
  auto& identity = query.addChild(xml::Element("identity", std::string(kDiscoInfoNs)));
  identity.setAttr("category", "conference");
  identity.setAttr("type", "text");
  identity.setAttr("name", displayName());
  std::vector<std::string_view> features = {
      kDiscoInfoNs,
      kMucNs,
      kSelfPingFeature,
      c.persistent ? "muc_persistent" : "muc_temporary",
      c.isPublic ? "muc_public" : "muc_hidden",
      c.membersOnly ? "muc_membersonly" : "muc_open",
      c.moderated ? "muc_moderated" : "muc_unmoderated",
      c.passwordProtected ? "muc_passwordprotected" : "muc_unsecured",
      c.whois == Whois::Anyone ? "muc_nonanonymous" : "muc_semianonymous",
  };
  if (c.archiving) features.push_back(mam::kMamNs);
  std::sort(features.begin(), features.end());
  for (auto f : features) addFeature(query, f);
  // §6.4 extended information (XEP-0128).
  auto& form = query.addChild(xml::Element("x", std::string(kDataNs)));
  form.setAttr("type", "result");
  addField(form, "FORM_TYPE", "", "http://jabber.org/protocol/muc#roominfo");
  addField(form, "muc#roomconfig_roomname", "Name", displayName());
  addField(form, "muc#roominfo_description", "Description", c.description);
  addField(form, "muc#roominfo_subject", "Subject", record_.subject);
  addField(form, "muc#roominfo_occupants", "Occupants", std::to_string(occupants_.size()));
  addField(form, "muc#roomconfig_changesubject", "Occupants may change the subject", c.changeSubject ? "1" : "0");
  addField(form, "muc#roomconfig_allowinvites", "Occupants may invite", c.allowInvites ? "1" : "0");
  return std::optional<xml::Element>(std::move(query));
}

void Room::archiveQuery(RoomStanza& s, const xml::Element& payload) {
  // Whoever may enter may read what was said; password-protected rooms only to those inside.
  Affiliation affiliation = affiliationOf(s.from);
  const RoomConfig& c = record_.config;
  bool inside = occupantByReal(s.from) != nullptr;
  if (affiliation == Affiliation::Outcast || (c.membersOnly && affiliation < Affiliation::Member) ||
      (c.passwordProtected && !inside && affiliation < Affiliation::Member)) {
    return reply(s, unexpected(StanzaError::forbidden("you may not read this room's archive")));
  }
  auto query = mam::parseQuery(payload);
  if (!query) return reply(s, unexpected(query.error()));
  if (query->with) query->with = occupantWith(payload);
  std::size_t limit = mam::pageLimit(*query, service_.options().mamPageCap);
  auto& router = service_.router();
  service_.queue().run(
      [archive = service_.archiveStore(), user = jid_.bareString(), q = *query, limit]() -> QueryOutcome {
        try {
          return {false, mam::runQuery(*archive, user, q, limit)};
        } catch (const storage::ItemNotFoundError&) {
          return {true, {}};
        }
      },
      [&router, room = jid_, request = s.stanza, requester = s.from, q = *query](auto outcome) {
        if (!outcome) {
          return router.replyError(request, StanzaError::internalServerError());
        }
        if (outcome->notFound) return router.replyError(request, StanzaError::itemNotFound("no such archive id"));
        const auto& items = outcome->page.items;
        if (auto session = router.sessions().find(requester)) {
          auto send = [&](const storage::ArchiveItem& item) {
            auto bytes = mam::resultMessage(room, requester, q.queryId, item, util::randomHex(8));
            router::SessionManager::deliverTo(session, std::make_shared<const std::string>(std::move(bytes)));
          };
          if (q.flipPage) {
            std::for_each(items.rbegin(), items.rend(), send);
          } else {
            std::for_each(items.begin(), items.end(), send);
          }
        }
        replyToIq(router, request, requester, std::optional<xml::Element>(mam::makeFin(q, outcome->page)));
      });
}

void Room::onIqToOccupant(RoomStanza& s) {
  std::string_view type = s.stanza.attrOr("type", "");
  if (type == "result" || type == "error") {
    // The answer to an IQ passed on to an occupant: back to whoever asked, under our id.
    std::string id(s.stanza.attrOr("id", ""));
    auto it = pendingIqs_.find(id);
    if (it == pendingIqs_.end() || it->second.targetBare != s.from.bare()) return;
    PendingIq pending = std::move(it->second);
    pendingIqs_.erase(it);
    std::erase(pendingOrder_, id);
    xml::Element out = std::move(s.stanza);
    out.setAttr("id", pending.originalId);
    auto from = jid_.withResource(pending.targetNick);
    out.setAttr("from", from ? from->full() : jid_.bareString());
    out.setAttr("to", pending.requester.full());
    service_.router().route(std::move(out));
    return;
  }
  if (type != "get" && type != "set") return;
  Occupant* sender = occupantByReal(s.from);
  // XEP-0410: not-acceptable tells a client that it is no longer in the room.
  if (!sender) return reply(s, unexpected(router::StanzaError{"cancel", "not-acceptable", "you are not in this room"}));
  const xml::Element* payload = s.stanza.firstElement();
  bool ping = payload && payload->name() == "ping" && payload->xmlns() == kPingNs;
  // XEP-0410 §3.1: the service answers a self-ping itself instead of bothering the client.
  if (ping && sender->nick == s.to.resource()) return reply(s, std::optional<xml::Element>());
  Occupant* target = occupantByNick(s.to.resource());
  if (!target) return reply(s, unexpected(StanzaError::itemNotFound("nobody of that nickname is here")));
  if (!maySendPrivateMessage(sender->role, record_.config.allowPm)) {
    return reply(s, unexpected(StanzaError::forbidden("private exchanges are not allowed here")));
  }
  // Passed on under a new id, so answers cannot be confused between requesters; vCards are
  // kept by the target's server, so that request goes to the target's account.
  std::string id = util::randomHex(8);
  while (pendingOrder_.size() >= kMaxPendingIqs) {
    pendingIqs_.erase(pendingOrder_.front());
    pendingOrder_.pop_front();
  }
  pendingIqs_[id] = PendingIq{s.from, std::string(s.stanza.attrOr("id", "")), target->nick, target->realBare};
  pendingOrder_.push_back(id);
  bool vcard = payload && payload->xmlns() == kVcardNs;
  xml::Element out = std::move(s.stanza);
  out.setAttr("id", id);
  out.setAttr("from", sender->jid.full());
  out.setAttr("to", vcard ? target->realBare.bareString() : target->presenceJid.full());
  service_.router().route(std::move(out));
}

}  // namespace telex::modules::muc
