// Resolving recipient specs; unknown ones are reported, never guessed.
#include "modules/alerts/recipients.hpp"

#include <algorithm>

#include "jid/jid.hpp"
#include "modules/announce/group_store.hpp"
#include "modules/muc/room_record.hpp"

namespace telex::modules::alerts {

RecipientResolver::RecipientResolver(storage::StorageDriver& storage, std::string domain, std::string mucDomain)
    : accounts_(storage.keyval("accounts")),
      rooms_(storage.map("muc_rooms")),
      domain_(std::move(domain)),
      mucDomain_(std::move(mucDomain)),
      storage_(storage) {}

bool RecipientResolver::account(const std::string& user) { return accounts_->get(user).has_value(); }

void RecipientResolver::add(Resolution& out, std::string jid, const std::string& via) {
  if (std::find(seen_.begin(), seen_.end(), jid) != seen_.end()) return;
  seen_.push_back(jid);
  out.targets.push_back({std::move(jid), via});
}

Resolution RecipientResolver::resolve(const std::vector<std::string>& specs) {
  Resolution out;
  seen_.clear();
  announce::GroupStore groups(storage_);
  for (const auto& spec : specs) {
    if (spec == "everyone" || spec == "*") {
      for (const auto& user : accounts_->users()) add(out, user + "@" + domain_, spec);
      continue;
    }
    if (spec.starts_with("group:")) {
      auto members = groups.members(spec.substr(6));
      if (!members) {
        out.unknown.push_back(spec);
        continue;
      }
      for (const auto& member : *members) {
        auto jid = Jid::parse(member);
        if (jid && jid->domain() == domain_ && jid->hasLocal() && account(jid->local())) add(out, jid->bareString(), spec);
      }
      continue;
    }
    std::string room;
    if (spec.starts_with("room:")) {
      room = spec.substr(5);
      if (room.find('@') == std::string::npos) room += "@" + mucDomain_;
    }
    std::string text = room.empty() ? spec : room;
    if (text.find('@') == std::string::npos) text += "@" + domain_;
    auto jid = Jid::parse(text);
    if (!jid || !jid->hasLocal()) {
      out.unknown.push_back(spec);
      continue;
    }
    if (jid->domain() == mucDomain_ && !jid->hasResource()) {
      auto record = rooms_->get(mucDomain_, jid->local());
      auto decoded = record ? muc::decodeRecord(*record, 0) : std::nullopt;
      if (!decoded) {
        out.unknown.push_back(spec);
        continue;
      }
      for (const auto& [member, entry] : decoded->affiliations) {
        if (entry.affiliation < muc::Affiliation::Member) continue;
        auto m = Jid::parse(member);
        if (m && m->domain() == domain_ && m->hasLocal() && account(m->local())) add(out, m->bareString(), spec);
      }
      continue;
    }
    if (jid->domain() != domain_ || !account(jid->local())) {
      out.unknown.push_back(spec);
      continue;
    }
    add(out, jid->full(), spec);
  }
  return out;
}

}  // namespace telex::modules::alerts
