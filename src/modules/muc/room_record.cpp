// JSON form of a persistent room.
#include "modules/muc/room_record.hpp"

#include <nlohmann/json.hpp>

namespace telex::modules::muc {
namespace {

// A string member, or empty when absent or not a string: a damaged record loads what it can.
std::string stringAt(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string encodeRecord(const RoomRecord& r) {
  nlohmann::json affiliations = nlohmann::json::array();
  for (const auto& [jid, entry] : r.affiliations) {
    affiliations.push_back({{"jid", jid},
                            {"affiliation", affiliationName(entry.affiliation)},
                            {"nick", entry.nick},
                            {"reason", entry.reason}});
  }
  nlohmann::json j = {{"version", 1},
                      {"config", configToJson(r.config)},
                      {"affiliations", std::move(affiliations)},
                      {"subject", r.subject},
                      {"subject_by", r.subjectBy},
                      {"creator", r.creator}};
  return j.dump();
}

std::optional<RoomRecord> decodeRecord(std::string_view text, int maxHistory) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  RoomRecord r;
  auto config = j.find("config");
  r.config = configFromJson(config != j.end() ? *config : nlohmann::json::object(), maxHistory);
  r.subject = stringAt(j, "subject");
  r.subjectBy = stringAt(j, "subject_by");
  r.creator = stringAt(j, "creator");
  if (auto it = j.find("affiliations"); it != j.end() && it->is_array()) {
    for (const auto& a : *it) {
      if (!a.is_object()) continue;
      auto jid = stringAt(a, "jid");
      auto affiliation = parseAffiliation(stringAt(a, "affiliation"));
      if (jid.empty() || !affiliation || *affiliation == Affiliation::None) continue;
      r.affiliations[jid] = AffiliationEntry{*affiliation, stringAt(a, "nick"), stringAt(a, "reason")};
    }
  }
  return r;
}

}  // namespace telex::modules::muc
