// The one explicit list of feature modules. Adding a feature means adding its record here.
#include "modules/blocking/blocking.hpp"
#include "modules/carbons/carbons.hpp"
#include "modules/disco/disco.hpp"
#include "modules/last/last.hpp"
#include "modules/mam/mam.hpp"
#include "modules/module.hpp"
#include "modules/offline/offline.hpp"
#include "modules/ping/ping.hpp"
#include "modules/presence/presence.hpp"
#include "modules/register/register.hpp"
#include "modules/private_xml/private_xml.hpp"
#include "modules/roster/roster.hpp"
#include "modules/search/search.hpp"
#include "modules/time/time.hpp"
#include "modules/vcard/vcard.hpp"
#include "modules/version/version.hpp"

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
      {"mam", "Per-user message archive: search by contact and time, paging, archiving preferences",
       {{313, "1.1.1"}, {59, "1.0"}, {441, "0.2.0"}}, {"urn:xmpp:mam:2"}, {}, &mam::setup},
  };
  return kModules;
}

}  // namespace telex::modules
