// Registration of the announce module: XEP-0133 announcements and message of the day as ad-hoc
// commands for admins and announcers, Telex's own announce-to-all and announce-to-group
// commands, each user's alert threshold, and the `telexd announce` / `telexd motd` admin-socket
// commands. Everything it sends is a headline from the server's domain, and is audited.
#pragma once

#include <string_view>

#include "modules/module.hpp"

namespace telex::modules::announce {

inline constexpr std::string_view kAnnounceOnlineNode = "http://jabber.org/protocol/admin#announce";
inline constexpr std::string_view kAnnounceAllNode = "telex:admin#announce-all";
inline constexpr std::string_view kAnnounceGroupNode = "telex:admin#announce-group";
inline constexpr std::string_view kSetMotdNode = "http://jabber.org/protocol/admin#set-motd";
inline constexpr std::string_view kEditMotdNode = "http://jabber.org/protocol/admin#edit-motd";
inline constexpr std::string_view kDeleteMotdNode = "http://jabber.org/protocol/admin#delete-motd";
inline constexpr std::string_view kAlertPreferencesNode = "telex:alerts#preferences";

void setup(ModuleContext& context);

}  // namespace telex::modules::announce
