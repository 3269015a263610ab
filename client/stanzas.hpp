// Typed payloads at the client's edge (Message, Presence, roster, disco, errors) over xml::Element.
// Each parses from and serializes to the generic tree; escaping stays in xml/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jid/jid.hpp"
#include "util/expected.hpp"
#include "xml/element.hpp"

namespace telex::client {

inline constexpr std::string_view kNsClient = "jabber:client";
inline constexpr std::string_view kNsStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";
inline constexpr std::string_view kNsReceipts = "urn:xmpp:receipts";  // XEP-0184
inline constexpr std::string_view kNsChatStates =
    "http://jabber.org/protocol/chatstates";                    // XEP-0085
inline constexpr std::string_view kNsDelay = "urn:xmpp:delay";  // XEP-0203
inline constexpr std::string_view kNsRoster = "jabber:iq:roster";
inline constexpr std::string_view kNsDiscoInfo = "http://jabber.org/protocol/disco#info";
inline constexpr std::string_view kNsPing = "urn:xmpp:ping";

// An error carried by a stanza (RFC 6120 §8.3): <error type='cancel'><service-unavailable/>...
struct StanzaErrorInfo {
  std::string type;       // cancel / continue / modify / auth / wait
  std::string condition;  // e.g. "service-unavailable"; "undefined-condition" when missing
  std::string text;       // optional human-readable text

  static StanzaErrorInfo parse(const xml::Element& error);
  xml::Element toElement() const;
  // "service-unavailable" or "service-unavailable (text)".
  std::string describe() const;
};

enum class MessageType { Normal, Chat, Headline, Groupchat, Error };
std::string_view messageTypeName(MessageType type);
std::optional<MessageType> messageTypeFromName(std::string_view name);  // "" → Normal

enum class ChatState { None, Active, Composing, Paused, Inactive, Gone };
std::string_view chatStateName(ChatState state);  // "" for None

struct Message {
  std::string id;
  std::optional<Jid> from;
  std::optional<Jid> to;
  MessageType type = MessageType::Normal;
  std::string body;
  std::string subject;
  bool subjectPresent = false;  // a <subject/> was there, even an empty one (MUC: cleared)
  std::string thread;
  bool requestReceipt = false;            // carries <request xmlns='urn:xmpp:receipts'/>
  std::optional<std::string> receiptFor;  // carries <received id='...'/>: a receipt for that id
  ChatState chatState = ChatState::None;
  std::optional<std::string> delayStamp;  // XEP-0203 <delay stamp='...'/> (e.g. offline storage)
  std::optional<StanzaErrorInfo> error;   // for type Error
  // Children this class does not model, kept for pass-through (in order of appearance).
  std::vector<xml::Element> extensions;

  bool hasContent() const { return !body.empty() || !subject.empty(); }

  // Fails when the element is not a jabber:client <message/>, or 'from'/'to'/'type' are invalid.
  static Expected<Message, std::string> parse(const xml::Element& stanza);
  xml::Element toElement() const;
};

enum class PresenceType {
  Available,
  Unavailable,
  Subscribe,
  Subscribed,
  Unsubscribe,
  Unsubscribed,
  Probe,
  Error
};
std::string_view presenceTypeName(PresenceType type);  // "" for Available
std::optional<PresenceType> presenceTypeFromName(std::string_view name);

enum class PresenceShow { None, Away, Chat, Dnd, Xa };
std::string_view presenceShowName(PresenceShow show);  // "" for None
std::optional<PresenceShow> presenceShowFromName(std::string_view name);

struct Presence {
  std::string id;
  std::optional<Jid> from;
  std::optional<Jid> to;
  PresenceType type = PresenceType::Available;
  PresenceShow show = PresenceShow::None;
  std::string status;
  std::int8_t priority = 0;
  std::optional<StanzaErrorInfo> error;
  std::vector<xml::Element> extensions;

  static Expected<Presence, std::string> parse(const xml::Element& stanza);
  xml::Element toElement() const;
};

enum class Subscription { None, To, From, Both, Remove };
std::string_view subscriptionName(Subscription subscription);
std::optional<Subscription> subscriptionFromName(std::string_view name);

struct RosterItem {
  Jid jid;
  std::string name;
  Subscription subscription = Subscription::None;
  bool askSubscribe = false;  // ask='subscribe': our request is pending
  std::vector<std::string> groups;

  static Expected<RosterItem, std::string> parse(const xml::Element& item);
  xml::Element toElement() const;
};

// <query xmlns='jabber:iq:roster' ver='...'> with its items (a full roster or a push).
struct Roster {
  std::optional<std::string> version;
  std::vector<RosterItem> items;

  static Expected<Roster, std::string> parse(const xml::Element& query);
  xml::Element toElement() const;
};

// XEP-0030 disco#info result.
struct DiscoIdentity {
  std::string category;
  std::string type;
  std::string name;
};

struct DiscoInfo {
  std::string node;
  std::vector<DiscoIdentity> identities;
  std::vector<std::string> features;

  bool hasFeature(std::string_view feature) const;
  static Expected<DiscoInfo, std::string> parse(const xml::Element& query);
  xml::Element toElement() const;
};

// Builders for the small IQ shapes the client sends.
xml::Element makeIq(std::string_view type, std::string_view id, const std::optional<Jid>& to,
                    std::optional<xml::Element> payload);
// An <iq type='result'/> or <iq type='error'/> answering `request` (to = request's from).
xml::Element makeIqResult(const xml::Element& request, std::optional<xml::Element> payload = {});
xml::Element makeIqError(const xml::Element& request, const StanzaErrorInfo& error);

}  // namespace telex::client
