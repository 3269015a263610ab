// What a persistent room keeps across restarts (the "muc_rooms" map store, one entry per room):
// configuration, affiliations, subject and creator, encoded as JSON.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "modules/muc/affiliations.hpp"
#include "modules/muc/room_config.hpp"

namespace telex::modules::muc {

struct AffiliationEntry {
  Affiliation affiliation = Affiliation::None;
  std::string nick;    // reserved nickname (§7.12), may be empty
  std::string reason;  // why, as given by whoever set it
};

struct RoomRecord {
  RoomConfig config;
  std::map<std::string, AffiliationEntry> affiliations;  // by bare JID; never Affiliation::None
  std::string subject;
  std::string subjectBy;  // nickname of whoever set it, empty for the room itself
  std::string creator;    // bare JID, for muc.max_rooms_per_user
};

std::string encodeRecord(const RoomRecord& record);
// nullopt when `text` is not a record; unknown affiliation names are dropped.
std::optional<RoomRecord> decodeRecord(std::string_view text, int maxHistory);

}  // namespace telex::modules::muc
