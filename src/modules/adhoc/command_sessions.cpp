// Session bookkeeping for multi-step commands.
#include "modules/adhoc/command_sessions.hpp"

#include "util/crypto.hpp"

namespace telex::modules::adhoc {

std::string CommandSessions::bareOf(std::string_view owner) {
  return std::string(owner.substr(0, owner.find('/')));
}

void CommandSessions::expire(Clock::time_point now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    // A busy session waits for its command's answer; it only goes if that never came.
    auto limit = it->second.busy ? 2 * kIdleTimeout : kIdleTimeout;
    bool stale = now - it->second.lastUsed >= limit;
    it = stale ? sessions_.erase(it) : std::next(it);
  }
}

std::string CommandSessions::open(std::string_view node, std::string_view owner, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  expire(now);
  if (sessions_.size() >= kMaxTotal) return {};
  std::string bare = bareOf(owner);
  std::size_t mine = 0;
  for (const auto& [id, e] : sessions_) mine += bareOf(e.owner) == bare ? 1 : 0;
  if (mine >= kMaxPerOwner) return {};
  // Unguessable, so one user cannot step into another's session even by trying ids.
  std::string id = util::randomHex(12);
  sessions_[id] = Entry{std::string(node), std::string(owner), 0, now, true};
  return id;
}

CommandSessions::Status CommandSessions::take(std::string_view id, std::string_view node, std::string_view owner,
                                              std::size_t& stage, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end()) return Status::Unknown;
  Entry& e = it->second;
  if (e.owner != owner) return Status::WrongOwner;
  if (e.node != node) return Status::WrongNode;
  if (e.busy) return Status::Busy;
  if (now - e.lastUsed >= kIdleTimeout) {
    sessions_.erase(it);
    return Status::Expired;
  }
  e.busy = true;
  e.lastUsed = now;
  stage = e.stage;
  return Status::Ok;
}

void CommandSessions::advance(std::string_view id, std::size_t stage, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end()) return;
  it->second.stage = stage;
  it->second.busy = false;
  it->second.lastUsed = now;
}

void CommandSessions::close(std::string_view id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(std::string(id));
}

std::size_t CommandSessions::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace telex::modules::adhoc
