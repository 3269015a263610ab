// What announcements do: headline messages from the server to online users, to every user
// (stored for those offline, delivered at their next sign-in), or to a server-side group; the
// message of the day shown at sign-in; the audit trail and the per-sender rate limit.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "audit/audit_log.hpp"
#include "modules/announce/group_store.hpp"
#include "modules/announce/rate_limiter.hpp"
#include "modules/module.hpp"

namespace telex::modules::announce {

struct Audience {
  enum class Kind { Online, All, Group };
  Kind kind = Kind::Online;
  std::string group;  // for Kind::Group

  std::string describe() const;  // "online", "all", "group:NAME"
};

// What became of one announcement.
struct Delivery {
  std::size_t delivered = 0;  // users online who got it now
  std::size_t stored = 0;     // offline users who get it at their next sign-in
  std::size_t skipped = 0;    // offline store full, or a group member without an account
  std::string summary() const;
};

// Announcements are refused above this many bytes: each copy may be stored for every user.
inline constexpr std::size_t kMaxAnnouncementBytes = 32 * 1024;

// Every method runs on a worker thread; results come back on the same worker.
class Announcer : public std::enable_shared_from_this<Announcer> {
 public:
  explicit Announcer(ModuleContext& ctx);

  using DeliveryDone = std::function<void(Expected<Delivery, std::string> result)>;
  using Done = std::function<void(Expected<bool, std::string> result)>;

  // Sends and audits. `actor` names the sender for the audit log. Online announcements need no
  // storage, so their `done` runs before this returns.
  void announce(std::string actor, Audience audience, std::string subject, std::string text, DeliveryDone done);

  // Message of the day: set (action "motd-set" or "motd-edit"), delete, read.
  void setMotd(std::string actor, std::string action, std::string text, Done done);
  void deleteMotd(std::string actor, Done done);
  void readMotd(std::function<void(Expected<std::optional<std::string>, std::string>)> done);
  void groupNames(std::function<void(Expected<std::vector<std::string>, std::string>)> done);

  // Per-sender rate limit (announce.rate_per_minute); a refusal is audited.
  bool admit(const std::string& sender, std::string_view action);
  // Writes an audit entry in the background (failures go to the server log).
  void audit(audit::AuditEntry entry);

  // A session sent its initial presence: show it the message of the day.
  void signedIn(router::Session& session);

  // The headline stanza all of the above send.
  xml::Element headline(const Jid& to, std::string_view subject, std::string_view body) const;

 private:
  void deliverAndStore(std::string actor, Audience audience, std::string subject, std::string text,
                       std::vector<std::string> users, std::size_t unknown, DeliveryDone done);
  void showMotd(const std::shared_ptr<router::Session>& session, const std::string& motd);

  ModuleContext& ctx_;
  std::shared_ptr<audit::AuditLog> audit_;
  std::shared_ptr<GroupStore> groups_;
  std::shared_ptr<storage::KeyValStore> motdStore_;
  std::shared_ptr<storage::KeyValStore> accounts_;
  std::shared_ptr<storage::ArchiveStore> offline_;
  std::size_t offlineCap_;
  RateLimiter limiter_;

  // The MOTD as last set or loaded; the store is its persistence. Once `motdLoaded_` is true the
  // cache is the truth, so a slow load cannot overwrite a newer set.
  std::mutex motdMutex_;
  bool motdLoaded_ = false;
  std::optional<std::string> motd_;
};

}  // namespace telex::modules::announce
