// Who is signed in and from where: bound sessions by full JID, shared by all workers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "jid/jid.hpp"
#include "router/session.hpp"
#include "xml/element.hpp"

namespace telex::router {

// Per-session switches that features turn on (roster pushes, carbons, client state).
enum SessionFlag : std::uint32_t {
  kRosterRequested = 1u << 0,  // asked for the roster: an "interested resource" for pushes
  kCarbonsEnabled = 1u << 1,   // XEP-0280
  kClientInactive = 1u << 2,   // XEP-0352
};

struct SessionInfo {
  std::shared_ptr<Session> session;
  Jid jid;
  int priority = 0;
  bool available = false;  // has sent initial presence and not gone unavailable
  std::uint32_t flags = 0;
  std::shared_ptr<const xml::Element> presence;  // last broadcast presence, for probes
};

// The registry of bound sessions. Lookups copy out shared pointers under a shared lock; no lock
// is ever held while a session does I/O (delivery is a post to the session's worker).
class SessionManager {
 public:
  explicit SessionManager(std::size_t maxResourcesPerAccount) : maxResources_(maxResourcesPerAccount) {}

  enum class BindResult { Bound, Replaced, TooManyResources };
  // Registers `session` under its full JID. A session already bound to that JID is returned in
  // `replaced` (the caller closes it with <conflict/>).
  BindResult bind(const std::shared_ptr<Session>& session, std::shared_ptr<Session>& replaced);
  // Removes the session if it is still the one bound to its JID.
  void unbind(const Session& session);

  // Records the session's broadcast presence; returns whether it was available before.
  bool setPresence(const Session& session, bool available, int priority,
                   std::shared_ptr<const xml::Element> presence = nullptr);
  void setFlag(const Session& session, SessionFlag flag, bool on);
  // Puts `replacement` in `old`'s place, keeping presence and flags (stream resumption).
  bool rebind(const Session& old, std::shared_ptr<Session> replacement);
  std::optional<SessionInfo> info(const Session& session) const;

  std::shared_ptr<Session> find(const Jid& fullJid) const;
  std::vector<SessionInfo> resourcesOf(const Jid& bareJid) const;
  // The sessions of the account's available resources (sent initial presence).
  std::vector<std::shared_ptr<Session>> availableSessions(const Jid& bareJid) const;
  // Only the resources with `flag` set (usually none: no copy of the others).
  std::vector<SessionInfo> resourcesWithFlag(const Jid& bareJid, SessionFlag flag) const;
  std::size_t resourceCount(const Jid& bareJid) const;
  std::size_t sessionCount() const;
  std::vector<SessionInfo> all() const;

  // Posts `stanza` to the session on its own worker (directly when already there).
  static void deliverTo(const std::shared_ptr<Session>& session, const net::SharedBytes& stanza);
  // The same for a stanza of shared pieces (fan-out): the pieces travel, the bytes stay shared.
  static void deliverTo(const std::shared_ptr<Session>& session, const net::StanzaBytes& stanza);

 private:
  struct Account {
    std::vector<SessionInfo> resources;
  };
  using Accounts = std::unordered_map<std::string, Account>;  // by localpart
  Accounts::const_iterator findAccount(const Jid& jid) const;
  Accounts::iterator findAccount(const Jid& jid);

  mutable std::shared_mutex mutex_;
  Accounts accounts_;
  std::size_t sessions_ = 0;
  std::size_t maxResources_;
};

}  // namespace telex::router
