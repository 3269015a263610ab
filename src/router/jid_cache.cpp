// A bounded memo in front of Jid::parse; parsing is a pure function of the text.
#include "router/jid_cache.hpp"

namespace telex::router {

std::optional<Jid> JidCache::parse(std::string_view text) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = parsed_.find(text); it != parsed_.end()) return it->second;
  }
  auto parsed = Jid::parse(text);  // outside the lock: this is the slow part
  if (!parsed) return parsed;
  std::lock_guard lock(mutex_);
  if (parsed_.size() >= capacity_) parsed_.clear();
  parsed_.try_emplace(std::string(text), *parsed);
  return parsed;
}

}  // namespace telex::router
