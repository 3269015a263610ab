// A room's configuration (XEP-0045 §10.2): the muc#roomconfig data form an owner fills in, the
// form Telex offers, the status codes a change announces, and the stored (JSON) form.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "modules/muc/affiliations.hpp"
#include "util/expected.hpp"
#include "xml/element.hpp"

namespace telex::modules::muc {

inline constexpr std::string_view kRoomConfigFormType = "http://jabber.org/protocol/muc#roomconfig";

struct RoomConfig {
  std::string name;
  std::string description;
  bool passwordProtected = false;
  std::string password;
  bool membersOnly = false;
  bool moderated = false;
  bool persistent = false;
  bool isPublic = true;   // listed in the service's disco#items
  int maxUsers = 0;       // 0: no limit
  int historyLength = 20; // messages replayed on join
  Whois whois = Whois::Moderators;
  bool changeSubject = false;  // participants may change the subject
  bool allowInvites = false;   // members may invite in members-only rooms
  AllowPm allowPm = AllowPm::Anyone;
  bool archiving = true;  // the room's MAM archive keeps its messages

  friend bool operator==(const RoomConfig&, const RoomConfig&) = default;
};

// Defaults for a new room: `maxHistory` is the server's cap (muc.max_history).
RoomConfig defaultRoomConfig(int maxHistory);

// Applies a submitted <x xmlns='jabber:x:data' type='submit'/> to `base`. Fields Telex does not
// know are ignored (clients send whole forms back); a FORM_TYPE other than muc#roomconfig, or a
// value that cannot be taken, is an error naming the field. The history length is clamped to
// `maxHistory`. A password-protected room must have a password.
Expected<RoomConfig, std::string> applyConfigForm(RoomConfig base, const xml::Element& form, int maxHistory);

// The <x xmlns='jabber:x:data' type='form'/> an owner receives (§10.2, §10.1.3).
xml::Element configForm(const RoomConfig& config, int maxHistory);

// Status codes that announce a configuration change to occupants (§10.2.1): 104 for any change
// visible to occupants, 170/171 for archiving on/off, 172/173 for non-anonymous/semi-anonymous.
std::vector<int> configChangeCodes(const RoomConfig& before, const RoomConfig& after);

std::string_view whoisName(Whois whois);
std::string_view allowPmName(AllowPm allowPm);

nlohmann::json configToJson(const RoomConfig& config);
// Missing keys keep their defaults, so records written by older versions still load.
RoomConfig configFromJson(const nlohmann::json& json, int maxHistory);

}  // namespace telex::modules::muc
