// The one explicit list of feature modules. Adding a feature means adding its record here.
#include "modules/adhoc/adhoc.hpp"
#include "modules/alerts/alerts.hpp"
#include "modules/announce/announce.hpp"
#include "modules/blocking/blocking.hpp"
#include "modules/carbons/carbons.hpp"
#include "modules/disco/disco.hpp"
#include "modules/extdisco/extdisco.hpp"
#include "modules/last/last.hpp"
#include "modules/mam/mam.hpp"
#include "modules/module.hpp"
#include "modules/muc/muc.hpp"
#include "modules/offline/offline.hpp"
#include "modules/pep/pep.hpp"
#include "modules/ping/ping.hpp"
#include "modules/presence/presence.hpp"
#include "modules/proxy65/proxy65.hpp"
#include "modules/register/register.hpp"
#include "modules/private_xml/private_xml.hpp"
#include "modules/roster/roster.hpp"
#include "modules/search/search.hpp"
#include "modules/time/time.hpp"
#include "modules/upload/upload.hpp"
#include "modules/vcard/vcard.hpp"
#include "modules/version/version.hpp"
#include "modules/winpopup/winpopup.hpp"

namespace telex::modules {

std::span<const ModuleSpec> allModules() {
  static const std::vector<ModuleSpec> kModules = {
      {"disco", "Service discovery of the server's identity, features and items", {{30, "2.5"}},
       {"http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items"},
       {{"server", "im", "Telex"}}, &disco::setup},
      {"ping", "Answers pings to the server", {{199, "2.0"}}, {"urn:xmpp:ping"}, {}, &ping::setup},
      {"version", "Server software name and version", {{92, "1.1"}}, {"jabber:iq:version"}, {},
       &version::setup},
      {"time", "Server time in UTC", {{202, "2.0"}}, {"urn:xmpp:time"}, {}, &time::setup},
      {"last", "Server uptime through last activity", {{12, "2.0"}}, {"jabber:iq:last"}, {},
       &last::setup},
      {"roster", "Contact lists, subscriptions, pre-approval, roster versioning",
       {{237, "1.3"}}, {}, {}, &roster::setup,
       {{"ver", "urn:xmpp:features:rosterver"}, {"sub", "urn:xmpp:features:pre-approval"}}},
      {"presence", "Presence to subscribers only, probes at sign-in, directed presence, last "
       "activity of offline contacts", {{12, "2.0"}}, {}, {}, &presence::setup},
      {"offline", "Messages stored for offline users, delivered in order with delay stamps",
       {{160, "1.0.1"}, {203, "2.0"}}, {"msgoffline"}, {}, &offline::setup},
      {"register", "In-band registration (off by default, invitations via XEP-0401), password "
       "change and account removal", {{77, "2.4"}, {401, "0.5.0"}}, {"jabber:iq:register"}, {},
       &reg::setup},
      {"search", "User directory: find users and who is online, within directory.visibility",
       {{55, "1.3"}}, {"jabber:iq:search"}, {}, &search::setup},
      {"blocking", "Block lists: blocked JIDs cannot reach the user, are bounced when the user "
       "writes to them, and see the user offline", {{191, "1.3"}}, {"urn:xmpp:blocking"}, {},
       &blocking::setup},
      {"private_xml", "Private XML storage per user, which also holds legacy bookmarks "
       "(storage:bookmarks)", {{49, "1.2"}, {48, "1.0"}}, {"jabber:iq:private"}, {},
       &private_xml::setup},
      {"vcard", "vCards: each user sets their own (up to 64 KiB), anyone may read it",
       {{54, "1.2"}}, {"vcard-temp"}, {}, &vcard::setup},
      {"carbons", "Copies of each conversation for all of a user's carbons-enabled clients",
       {{280, "1.0.1"}, {297, "1.0"}}, {"urn:xmpp:carbons:2"}, {}, &carbons::setup},
      {"mam", "Per-user message archive: search by contact and time, paging, archiving preferences; "
       "delivered messages carry their archive id as a stanza-id",
       {{313, "1.1.1"}, {59, "1.0"}, {441, "0.2.0"}, {359, "0.7.0"}}, {"urn:xmpp:mam:2", "urn:xmpp:sid:0"}, {},
       &mam::setup},
      {"pep", "Personal eventing on each account: publish-options, presence/open/whitelist access, "
       "notifications by +notify in verified caps, last items at sign-in; avatars and bookmarks ride on it; "
       "avatars and vCard photos converted both ways, the avatar hash stamped in presence",
       {{163, "1.2.2"}, {60, "1.30.0"}, {115, "1.6.0"}, {84, "1.1.4"}, {223, "1.1.1"}, {402, "1.2.0"},
        {398, "1.0.0"}, {153, "1.1.1"}},
       {"http://jabber.org/protocol/pubsub#access-open", "http://jabber.org/protocol/pubsub#access-presence",
        "http://jabber.org/protocol/pubsub#access-whitelist", "http://jabber.org/protocol/pubsub#auto-create",
        "http://jabber.org/protocol/pubsub#config-node", "http://jabber.org/protocol/pubsub#create-and-configure",
        "http://jabber.org/protocol/pubsub#create-nodes", "http://jabber.org/protocol/pubsub#delete-items",
        "http://jabber.org/protocol/pubsub#delete-nodes", "http://jabber.org/protocol/pubsub#filtered-notifications",
        "http://jabber.org/protocol/pubsub#item-ids", "http://jabber.org/protocol/pubsub#last-published",
        "http://jabber.org/protocol/pubsub#multi-items", "http://jabber.org/protocol/pubsub#persistent-items",
        "http://jabber.org/protocol/pubsub#presence-notifications", "http://jabber.org/protocol/pubsub#publish",
        "http://jabber.org/protocol/pubsub#publish-options", "http://jabber.org/protocol/pubsub#purge-nodes",
        "http://jabber.org/protocol/pubsub#retract-items", "http://jabber.org/protocol/pubsub#retrieve-default",
        "http://jabber.org/protocol/pubsub#retrieve-items"},
       {}, &pep::setup},
      {"muc", "Group chat on conference.<domain>: temporary and persistent rooms, configuration, roles and "
       "affiliations, kick/ban, history, subject, private messages, mediated and direct invitations, "
       "self-ping, room archives", {{45, "1.34.5"}, {249, "1.2"}, {410, "1.1.0"}, {313, "1.1.1"}},
       {}, {}, &muc::setup},
      {"adhoc", "Ad-hoc commands on the server: the commands each user may run (by role: user, announcer, "
       "admin), multi-step sessions with data forms", {{50, "1.3.0"}},
       {"http://jabber.org/protocol/commands", "jabber:x:data"}, {}, &adhoc::setup},
      {"announce", "Announcements as headlines to online users, to all users (stored for those offline) or to a "
       "group, message of the day at sign-in, per-user alert threshold; admins and announcers only, "
       "rate-limited and audited", {{133, "1.3.1"}}, {}, {}, &announce::setup},
      {"alerts", "Alerts over HTTP (Telex JSON, Alertmanager and Grafana webhooks, bearer tokens) as headlines "
       "asking for receipts: acknowledgement per recipient, escalation, pagers (e-mail, ntfy/Gotify webhooks) "
       "for offline users; rate-limited per token and audited", {{184, "1.4.0"}}, {}, {}, &alerts::setup},
      {"winpopup", "WinPopup gateway (off by default): `smbclient -M` / NET SEND messages over the NetBIOS "
       "session service to mapped users or machines, allow-listed networks, rate-limited", {}, {}, {},
       &winpopup::setup},
      {"upload", "HTTP File Upload on upload.<domain>: slots with a size limit, per-user quota and expiry; "
       "files served by telexd's HTTP(S) listener with ranges and CORS", {{363, "1.1.0"}, {128, "1.0.1"}}, {}, {},
       &upload::setup},
      {"proxy65", "SOCKS5 bytestreams proxy on proxy.<domain> for file transfers between clients that cannot "
       "connect directly", {{65, "1.8.2"}}, {}, {}, &proxy65::setup},
      {"extdisco", "STUN/TURN servers (coturn) for calls, with time-limited TURN REST API credentials",
       {{215, "1.0.0"}}, {"urn:xmpp:extdisco:2"}, {}, &extdisco::setup},
  };
  return kModules;
}

}  // namespace telex::modules
