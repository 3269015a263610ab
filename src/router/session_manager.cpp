// Session registry: bind, replace on conflict, resource limits, lookups.
#include "router/session_manager.hpp"

#include <algorithm>

namespace telex::router {

namespace {
// Keyed by localpart alone (all sessions are of this server's domain); a JID of another domain
// with the same localpart is nobody here. One body for the const and non-const lookups.
template <class Accounts>
auto findIn(Accounts& accounts, const Jid& jid) {
  auto it = accounts.find(jid.local());
  if (it != accounts.end() && !it->second.resources.empty() &&
      it->second.resources.front().jid.domain() != jid.domain()) {
    return accounts.end();
  }
  return it;
}
}  // namespace

SessionManager::Accounts::const_iterator SessionManager::findAccount(const Jid& jid) const {
  return findIn(accounts_, jid);
}

SessionManager::Accounts::iterator SessionManager::findAccount(const Jid& jid) { return findIn(accounts_, jid); }

SessionManager::BindResult SessionManager::bind(const std::shared_ptr<Session>& session,
                                                std::shared_ptr<Session>& replaced) {
  const Jid& jid = session->jid();
  std::unique_lock lock(mutex_);
  Account& account = accounts_[jid.local()];
  for (auto& info : account.resources) {
    if (info.jid.resource() == jid.resource()) {
      replaced = std::move(info.session);
      info = SessionInfo{session, jid, 0, false, 0, nullptr};
      return BindResult::Replaced;
    }
  }
  if (account.resources.size() >= maxResources_) {
    if (account.resources.empty()) accounts_.erase(jid.local());
    return BindResult::TooManyResources;
  }
  account.resources.push_back(SessionInfo{session, jid, 0, false, 0, nullptr});
  ++sessions_;
  return BindResult::Bound;
}

void SessionManager::unbind(const Session& session) {
  const Jid& jid = session.jid();
  std::unique_lock lock(mutex_);
  auto it = findAccount(jid);
  if (it == accounts_.end()) return;
  auto& resources = it->second.resources;
  auto r = std::find_if(resources.begin(), resources.end(),
                        [&](const SessionInfo& i) { return i.session.get() == &session; });
  if (r == resources.end()) return;
  resources.erase(r);
  --sessions_;
  if (resources.empty()) accounts_.erase(it);
}

bool SessionManager::setPresence(const Session& session, bool available, int priority,
                                 std::shared_ptr<const xml::Element> presence) {
  std::unique_lock lock(mutex_);
  auto it = findAccount(session.jid());
  if (it == accounts_.end()) return false;
  for (auto& info : it->second.resources) {
    if (info.session.get() == &session) {
      bool was = info.available;
      info.available = available;
      info.priority = priority;
      info.presence = available ? std::move(presence) : nullptr;
      return was;
    }
  }
  return false;
}

void SessionManager::setFlag(const Session& session, SessionFlag flag, bool on) {
  std::unique_lock lock(mutex_);
  auto it = findAccount(session.jid());
  if (it == accounts_.end()) return;
  for (auto& info : it->second.resources) {
    if (info.session.get() == &session) info.flags = on ? (info.flags | flag) : (info.flags & ~flag);
  }
}

bool SessionManager::rebind(const Session& old, std::shared_ptr<Session> replacement) {
  std::unique_lock lock(mutex_);
  auto it = findAccount(old.jid());
  if (it == accounts_.end()) return false;
  for (auto& info : it->second.resources) {
    if (info.session.get() == &old) {
      info.session = std::move(replacement);
      return true;
    }
  }
  return false;
}

std::optional<SessionInfo> SessionManager::info(const Session& session) const {
  std::shared_lock lock(mutex_);
  auto it = findAccount(session.jid());
  if (it == accounts_.end()) return std::nullopt;
  for (const auto& info : it->second.resources) {
    if (info.session.get() == &session) return info;
  }
  return std::nullopt;
}

std::shared_ptr<Session> SessionManager::find(const Jid& fullJid) const {
  std::shared_lock lock(mutex_);
  auto it = findAccount(fullJid);
  if (it == accounts_.end()) return nullptr;
  for (const auto& info : it->second.resources) {
    if (info.jid.resource() == fullJid.resource()) return info.session;
  }
  return nullptr;
}

std::vector<SessionInfo> SessionManager::resourcesOf(const Jid& bareJid) const {
  std::shared_lock lock(mutex_);
  auto it = findAccount(bareJid);
  if (it == accounts_.end()) return {};
  return it->second.resources;
}

std::vector<std::shared_ptr<Session>> SessionManager::availableSessions(const Jid& bareJid) const {
  std::shared_lock lock(mutex_);
  auto it = findAccount(bareJid);
  std::vector<std::shared_ptr<Session>> out;
  if (it == accounts_.end()) return out;
  for (const auto& info : it->second.resources) {
    if (info.available) out.push_back(info.session);
  }
  return out;
}

std::vector<SessionInfo> SessionManager::resourcesWithFlag(const Jid& bareJid, SessionFlag flag) const {
  std::shared_lock lock(mutex_);
  auto it = findAccount(bareJid);
  std::vector<SessionInfo> out;
  if (it == accounts_.end()) return out;
  for (const auto& info : it->second.resources) {
    if (info.flags & flag) out.push_back(info);
  }
  return out;
}

std::size_t SessionManager::resourceCount(const Jid& bareJid) const {
  std::shared_lock lock(mutex_);
  auto it = findAccount(bareJid);
  return it == accounts_.end() ? 0 : it->second.resources.size();
}

std::size_t SessionManager::sessionCount() const {
  std::shared_lock lock(mutex_);
  return sessions_;
}

std::vector<SessionInfo> SessionManager::all() const {
  std::shared_lock lock(mutex_);
  std::vector<SessionInfo> out;
  out.reserve(sessions_);
  for (const auto& [bare, account] : accounts_) {
    out.insert(out.end(), account.resources.begin(), account.resources.end());
  }
  return out;
}

void SessionManager::deliverTo(const std::shared_ptr<Session>& session,
                               const net::SharedBytes& stanza) {
  net::Worker& worker = session->worker();
  if (worker.isCurrentThread()) {
    session->deliver(stanza);
  } else {
    worker.post([session, stanza] { session->deliver(stanza); });
  }
}

void SessionManager::deliverTo(const std::shared_ptr<Session>& session, const net::StanzaBytes& stanza) {
  net::Worker& worker = session->worker();
  if (worker.isCurrentThread()) {
    session->deliverPieces(stanza);
  } else {
    worker.post([session, stanza] { session->deliverPieces(stanza); });
  }
}

}  // namespace telex::router
