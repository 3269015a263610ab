// The one explicit list of feature modules. Adding a feature means adding its record here.
#include "modules/disco/disco.hpp"
#include "modules/last/last.hpp"
#include "modules/module.hpp"
#include "modules/offline/offline.hpp"
#include "modules/ping/ping.hpp"
#include "modules/presence/presence.hpp"
#include "modules/register/register.hpp"
#include "modules/roster/roster.hpp"
#include "modules/time/time.hpp"
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
  };
  return kModules;
}

}  // namespace telex::modules
