// Parsing and serialization of the client's typed payloads.
#include "client/stanzas.hpp"

#include <algorithm>
#include <charconv>

namespace telex::client {

namespace {

bool isClientNs(const xml::Element& e) { return e.xmlns().empty() || e.xmlns() == kNsClient; }

Expected<std::optional<Jid>, std::string> parseAddress(const xml::Element& stanza,
                                                       std::string_view attr) {
  const auto value = stanza.attr(attr);
  if (!value) return std::optional<Jid>{};
  auto jid = Jid::parse(*value);
  if (!jid) {
    return unexpected("invalid '" + std::string(attr) + "' address \"" + std::string(*value) +
                      "\"");
  }
  return std::optional<Jid>(std::move(*jid));
}

void setAddresses(xml::Element& e, const std::string& id, const std::optional<Jid>& from,
                  const std::optional<Jid>& to) {
  if (!id.empty()) e.setAttr("id", id);
  if (from) e.setAttr("from", from->full());
  if (to) e.setAttr("to", to->full());
}

xml::Element textChild(std::string_view name, std::string_view text) {
  xml::Element child{std::string(name), std::string(kNsClient)};
  child.addText(text);
  return child;
}

// For elements that may repeat with different xml:lang (body, subject, status): the one without
// a language wins, else the first.
const xml::Element* pickLocalized(const xml::Element& stanza, std::string_view name) {
  const xml::Element* first = nullptr;
  for (const auto& child : stanza.children()) {
    if (child.isText() || child.name() != name || !isClientNs(child)) continue;
    if (!child.attr("xml:lang")) return &child;
    if (first == nullptr) first = &child;
  }
  return first;
}

}  // namespace

// ---- StanzaErrorInfo ----------------------------------------------------------------------------

StanzaErrorInfo StanzaErrorInfo::parse(const xml::Element& error) {
  StanzaErrorInfo out;
  out.type = std::string(error.attrOr("type", ""));
  for (const auto& child : error.children()) {
    if (child.isText() || child.xmlns() != kNsStanzas) continue;
    if (child.name() == "text") {
      if (out.text.empty()) out.text = child.textContent();
    } else if (out.condition.empty()) {
      out.condition = child.name();
    }
  }
  if (out.condition.empty()) out.condition = "undefined-condition";
  return out;
}

xml::Element StanzaErrorInfo::toElement() const {
  xml::Element error{"error", std::string(kNsClient)};
  error.setAttr("type", type.empty() ? "cancel" : type);
  error.addChild(
      xml::Element{condition.empty() ? "undefined-condition" : condition, std::string(kNsStanzas)});
  if (!text.empty()) {
    xml::Element t{"text", std::string(kNsStanzas)};
    t.addText(text);
    error.addChild(std::move(t));
  }
  return error;
}

std::string StanzaErrorInfo::describe() const {
  return text.empty() ? condition : condition + " (" + text + ")";
}

// ---- Message ------------------------------------------------------------------------------------

std::string_view messageTypeName(MessageType type) {
  switch (type) {
    case MessageType::Normal: return "normal";
    case MessageType::Chat: return "chat";
    case MessageType::Headline: return "headline";
    case MessageType::Groupchat: return "groupchat";
    case MessageType::Error: return "error";
  }
  return "normal";
}

std::optional<MessageType> messageTypeFromName(std::string_view name) {
  if (name.empty() || name == "normal") return MessageType::Normal;
  if (name == "chat") return MessageType::Chat;
  if (name == "headline") return MessageType::Headline;
  if (name == "groupchat") return MessageType::Groupchat;
  if (name == "error") return MessageType::Error;
  return std::nullopt;
}

std::string_view chatStateName(ChatState state) {
  switch (state) {
    case ChatState::None: return "";
    case ChatState::Active: return "active";
    case ChatState::Composing: return "composing";
    case ChatState::Paused: return "paused";
    case ChatState::Inactive: return "inactive";
    case ChatState::Gone: return "gone";
  }
  return "";
}

namespace {
std::optional<ChatState> chatStateFromName(std::string_view name) {
  for (ChatState s : {ChatState::Active, ChatState::Composing, ChatState::Paused,
                      ChatState::Inactive, ChatState::Gone}) {
    if (chatStateName(s) == name) return s;
  }
  return std::nullopt;
}
}  // namespace

Expected<Message, std::string> Message::parse(const xml::Element& stanza) {
  if (stanza.isText() || stanza.name() != "message" || !isClientNs(stanza)) {
    return unexpected(std::string("not a jabber:client <message/>"));
  }
  Message out;
  out.id = std::string(stanza.attrOr("id", ""));
  auto from = parseAddress(stanza, "from");
  if (!from) return unexpected(from.error());
  out.from = std::move(*from);
  auto to = parseAddress(stanza, "to");
  if (!to) return unexpected(to.error());
  out.to = std::move(*to);
  const auto type = messageTypeFromName(stanza.attrOr("type", ""));
  if (!type) {
    return unexpected("unknown message type \"" + std::string(stanza.attrOr("type", "")) + "\"");
  }
  out.type = *type;

  const xml::Element* body = pickLocalized(stanza, "body");
  const xml::Element* subject = pickLocalized(stanza, "subject");
  if (body != nullptr) out.body = body->textContent();
  if (subject != nullptr) {
    out.subject = subject->textContent();
    out.subjectPresent = true;
  }
  for (const auto& child : stanza.children()) {
    if (child.isText()) continue;
    if (isClientNs(child)) {
      if (child.name() == "body" || child.name() == "subject") {
        if (&child != body && &child != subject) {
          out.extensions.push_back(child);  // other languages
        }
      } else if (child.name() == "thread") {
        out.thread = child.textContent();
      } else if (child.name() == "error") {
        out.error = StanzaErrorInfo::parse(child);
      } else {
        out.extensions.push_back(child);
      }
    } else if (child.xmlns() == kNsReceipts && child.name() == "request") {
      out.requestReceipt = true;
    } else if (child.xmlns() == kNsReceipts && child.name() == "received") {
      out.receiptFor = std::string(child.attrOr("id", ""));
    } else if (child.xmlns() == kNsChatStates && chatStateFromName(child.name())) {
      out.chatState = *chatStateFromName(child.name());
    } else if (child.xmlns() == kNsDelay && child.name() == "delay") {
      out.delayStamp = std::string(child.attrOr("stamp", ""));
    } else {
      out.extensions.push_back(child);
    }
  }
  return out;
}

xml::Element Message::toElement() const {
  xml::Element e{"message", std::string(kNsClient)};
  setAddresses(e, id, from, to);
  if (type != MessageType::Normal) e.setAttr("type", messageTypeName(type));
  if (!subject.empty() || subjectPresent) e.addChild(textChild("subject", subject));
  if (!body.empty()) e.addChild(textChild("body", body));
  if (!thread.empty()) e.addChild(textChild("thread", thread));
  if (requestReceipt) e.addChild(xml::Element{"request", std::string(kNsReceipts)});
  if (receiptFor) {
    xml::Element received{"received", std::string(kNsReceipts)};
    received.setAttr("id", *receiptFor);
    e.addChild(std::move(received));
  }
  if (chatState != ChatState::None) {
    e.addChild(xml::Element{std::string(chatStateName(chatState)), std::string(kNsChatStates)});
  }
  if (delayStamp) {
    xml::Element delay{"delay", std::string(kNsDelay)};
    delay.setAttr("stamp", *delayStamp);
    e.addChild(std::move(delay));
  }
  for (const auto& ext : extensions) e.addChild(ext);
  if (error) e.addChild(error->toElement());
  return e;
}

// ---- Presence -----------------------------------------------------------------------------------

std::string_view presenceTypeName(PresenceType type) {
  switch (type) {
    case PresenceType::Available: return "";
    case PresenceType::Unavailable: return "unavailable";
    case PresenceType::Subscribe: return "subscribe";
    case PresenceType::Subscribed: return "subscribed";
    case PresenceType::Unsubscribe: return "unsubscribe";
    case PresenceType::Unsubscribed: return "unsubscribed";
    case PresenceType::Probe: return "probe";
    case PresenceType::Error: return "error";
  }
  return "";
}

std::optional<PresenceType> presenceTypeFromName(std::string_view name) {
  for (PresenceType t :
       {PresenceType::Available, PresenceType::Unavailable, PresenceType::Subscribe,
        PresenceType::Subscribed, PresenceType::Unsubscribe, PresenceType::Unsubscribed,
        PresenceType::Probe, PresenceType::Error}) {
    if (presenceTypeName(t) == name) return t;
  }
  return std::nullopt;
}

std::string_view presenceShowName(PresenceShow show) {
  switch (show) {
    case PresenceShow::None: return "";
    case PresenceShow::Away: return "away";
    case PresenceShow::Chat: return "chat";
    case PresenceShow::Dnd: return "dnd";
    case PresenceShow::Xa: return "xa";
  }
  return "";
}

std::optional<PresenceShow> presenceShowFromName(std::string_view name) {
  for (PresenceShow s : {PresenceShow::None, PresenceShow::Away, PresenceShow::Chat,
                         PresenceShow::Dnd, PresenceShow::Xa}) {
    if (presenceShowName(s) == name) return s;
  }
  return std::nullopt;
}

Expected<Presence, std::string> Presence::parse(const xml::Element& stanza) {
  if (stanza.isText() || stanza.name() != "presence" || !isClientNs(stanza)) {
    return unexpected(std::string("not a jabber:client <presence/>"));
  }
  Presence out;
  out.id = std::string(stanza.attrOr("id", ""));
  auto from = parseAddress(stanza, "from");
  if (!from) return unexpected(from.error());
  out.from = std::move(*from);
  auto to = parseAddress(stanza, "to");
  if (!to) return unexpected(to.error());
  out.to = std::move(*to);
  const auto type = presenceTypeFromName(stanza.attrOr("type", ""));
  if (!type) {
    return unexpected("unknown presence type \"" + std::string(stanza.attrOr("type", "")) + "\"");
  }
  out.type = *type;
  const xml::Element* status = pickLocalized(stanza, "status");
  if (status != nullptr) out.status = status->textContent();
  for (const auto& child : stanza.children()) {
    if (child.isText()) continue;
    if (!isClientNs(child)) {
      out.extensions.push_back(child);
    } else if (child.name() == "show") {
      // RFC 6121 §4.7.2.1: an unknown <show/> value is treated as absent (plain available).
      out.show = presenceShowFromName(child.textContent()).value_or(PresenceShow::None);
    } else if (child.name() == "priority") {
      const std::string text = child.textContent();
      int value = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec == std::errc() && ptr == text.data() + text.size() && value >= -128 && value <= 127) {
        out.priority = static_cast<std::int8_t>(value);
      }
    } else if (child.name() == "error") {
      out.error = StanzaErrorInfo::parse(child);
    } else if (&child != status) {
      out.extensions.push_back(child);  // statuses in other languages, unknown children
    }
  }
  return out;
}

xml::Element Presence::toElement() const {
  xml::Element e{"presence", std::string(kNsClient)};
  setAddresses(e, id, from, to);
  if (type != PresenceType::Available) e.setAttr("type", presenceTypeName(type));
  if (show != PresenceShow::None) e.addChild(textChild("show", presenceShowName(show)));
  if (!status.empty()) e.addChild(textChild("status", status));
  if (priority != 0) e.addChild(textChild("priority", std::to_string(priority)));
  for (const auto& ext : extensions) e.addChild(ext);
  if (error) e.addChild(error->toElement());
  return e;
}

// ---- Roster -------------------------------------------------------------------------------------

std::string_view subscriptionName(Subscription subscription) {
  switch (subscription) {
    case Subscription::None: return "none";
    case Subscription::To: return "to";
    case Subscription::From: return "from";
    case Subscription::Both: return "both";
    case Subscription::Remove: return "remove";
  }
  return "none";
}

std::optional<Subscription> subscriptionFromName(std::string_view name) {
  if (name.empty()) return Subscription::None;
  for (Subscription s : {Subscription::None, Subscription::To, Subscription::From,
                         Subscription::Both, Subscription::Remove}) {
    if (subscriptionName(s) == name) return s;
  }
  return std::nullopt;
}

Expected<RosterItem, std::string> RosterItem::parse(const xml::Element& item) {
  if (item.isText() || item.name() != "item" || item.xmlns() != kNsRoster) {
    return unexpected(std::string("not a roster <item/>"));
  }
  RosterItem out;
  auto jid = Jid::parse(item.attrOr("jid", ""));
  if (!jid) {
    return unexpected("invalid roster item jid \"" + std::string(item.attrOr("jid", "")) + "\"");
  }
  out.jid = std::move(*jid);
  out.name = std::string(item.attrOr("name", ""));
  const auto subscription = subscriptionFromName(item.attrOr("subscription", ""));
  if (!subscription) {
    return unexpected("unknown roster subscription \"" +
                      std::string(item.attrOr("subscription", "")) + "\"");
  }
  out.subscription = *subscription;
  out.askSubscribe = item.attrOr("ask", "") == "subscribe";
  for (const auto& child : item.children()) {
    if (!child.isText() && child.name() == "group" && child.xmlns() == kNsRoster) {
      out.groups.push_back(child.textContent());
    }
  }
  return out;
}

xml::Element RosterItem::toElement() const {
  xml::Element e{"item", std::string(kNsRoster)};
  e.setAttr("jid", jid.full());
  if (!name.empty()) e.setAttr("name", name);
  if (subscription != Subscription::None) e.setAttr("subscription", subscriptionName(subscription));
  if (askSubscribe) e.setAttr("ask", "subscribe");
  for (const auto& group : groups) {
    xml::Element g{"group", std::string(kNsRoster)};
    g.addText(group);
    e.addChild(std::move(g));
  }
  return e;
}

Expected<Roster, std::string> Roster::parse(const xml::Element& query) {
  if (query.isText() || query.name() != "query" || query.xmlns() != kNsRoster) {
    return unexpected(std::string("not a jabber:iq:roster <query/>"));
  }
  Roster out;
  if (auto ver = query.attr("ver")) out.version = std::string(*ver);
  for (const auto& child : query.children()) {
    if (child.isText() || child.name() != "item") continue;
    auto item = RosterItem::parse(child);
    if (!item) return unexpected(item.error());
    out.items.push_back(std::move(*item));
  }
  return out;
}

xml::Element Roster::toElement() const {
  xml::Element e{"query", std::string(kNsRoster)};
  if (version) e.setAttr("ver", *version);
  for (const auto& item : items) e.addChild(item.toElement());
  return e;
}

// ---- Disco --------------------------------------------------------------------------------------

bool DiscoInfo::hasFeature(std::string_view feature) const {
  return std::find(features.begin(), features.end(), feature) != features.end();
}

Expected<DiscoInfo, std::string> DiscoInfo::parse(const xml::Element& query) {
  if (query.isText() || query.name() != "query" || query.xmlns() != kNsDiscoInfo) {
    return unexpected(std::string("not a disco#info <query/>"));
  }
  DiscoInfo out;
  out.node = std::string(query.attrOr("node", ""));
  for (const auto& child : query.children()) {
    if (child.isText() || child.xmlns() != kNsDiscoInfo) continue;
    if (child.name() == "identity") {
      out.identities.push_back({std::string(child.attrOr("category", "")),
                                std::string(child.attrOr("type", "")),
                                std::string(child.attrOr("name", ""))});
    } else if (child.name() == "feature") {
      if (auto var = child.attr("var")) out.features.emplace_back(*var);
    }
  }
  return out;
}

xml::Element DiscoInfo::toElement() const {
  xml::Element e{"query", std::string(kNsDiscoInfo)};
  if (!node.empty()) e.setAttr("node", node);
  for (const auto& identity : identities) {
    xml::Element i{"identity", std::string(kNsDiscoInfo)};
    i.setAttr("category", identity.category);
    i.setAttr("type", identity.type);
    if (!identity.name.empty()) i.setAttr("name", identity.name);
    e.addChild(std::move(i));
  }
  for (const auto& feature : features) {
    xml::Element f{"feature", std::string(kNsDiscoInfo)};
    f.setAttr("var", feature);
    e.addChild(std::move(f));
  }
  return e;
}

// ---- IQ builders --------------------------------------------------------------------------------

xml::Element makeIq(std::string_view type, std::string_view id, const std::optional<Jid>& to,
                    std::optional<xml::Element> payload) {
  xml::Element iq{"iq", std::string(kNsClient)};
  iq.setAttr("type", type);
  iq.setAttr("id", id);
  if (to) iq.setAttr("to", to->full());
  if (payload) iq.addChild(std::move(*payload));
  return iq;
}

xml::Element makeIqResult(const xml::Element& request, std::optional<xml::Element> payload) {
  xml::Element iq{"iq", std::string(kNsClient)};
  iq.setAttr("type", "result");
  iq.setAttr("id", request.attrOr("id", ""));
  if (auto from = request.attr("from")) iq.setAttr("to", *from);
  if (payload) iq.addChild(std::move(*payload));
  return iq;
}

xml::Element makeIqError(const xml::Element& request, const StanzaErrorInfo& error) {
  xml::Element iq{"iq", std::string(kNsClient)};
  iq.setAttr("type", "error");
  iq.setAttr("id", request.attrOr("id", ""));
  if (auto from = request.attr("from")) iq.setAttr("to", *from);
  iq.addChild(error.toElement());
  return iq;
}

}  // namespace telex::client
