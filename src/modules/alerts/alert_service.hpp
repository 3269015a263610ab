// What alerts do: resolve the recipients, send each a headline that asks for a receipt (XEP-0184),
// keep offline recipients' copies for their next sign-in and page them, record receipts as
// acknowledgements, escalate when nobody acknowledges in time, and persist every change.
//
// Threading: methods run on worker threads. The alerts touched recently live in a cache under a
// mutex; every change is written through a serial storage queue in the order it was made, and an
// alert missing from the cache is loaded through that same queue, so it sees every earlier write.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.hpp"
#include "modules/alerts/alert_state.hpp"
#include "modules/alerts/alert_store.hpp"
#include "modules/alerts/pager.hpp"
#include "modules/alerts/payloads.hpp"
#include "modules/alerts/recipients.hpp"
#include "modules/announce/rate_limiter.hpp"
#include "modules/mam/archive_queue.hpp"
#include "modules/module.hpp"

namespace telex::modules::alerts {

inline constexpr std::string_view kReceiptsNs = "urn:xmpp:receipts";

struct SubmitError {
  int status = 500;  // HTTP status: 422 unknown recipients, 500 storage
  std::string message;
  std::vector<std::string> unknown;
};

class AlertService : public std::enable_shared_from_this<AlertService> {
 public:
  explicit AlertService(ModuleContext& ctx);

  using SubmitDone = std::function<void(Expected<Alert, SubmitError> result)>;
  // Resolves, delivers, stores, audits; `done` runs on this worker once the alert is stored.
  // Nothing is delivered when a recipient is unknown.
  void submit(std::string sender, AlertRequest request, SubmitDone done);
  // The alert as it stands now (cache, else storage); nullopt when there is none.
  void find(const std::string& id, std::function<void(std::optional<Alert>)> done);
  // Only from the cache (for the admin socket, which must answer at once).
  std::optional<Alert> cached(const std::string& id);

  // "message/host": a receipt for an alert's headline. Handled when it names an alert.
  router::HookResult onMessageToHost(router::StanzaEvent& event);
  // Every message the core hands to a local user: direct messages for users with nobody online
  // go to their pager when they asked for that.
  void onIncoming(const router::MessageEvent& event);

  // Re-arms the escalations a previous run left pending. Call on a worker.
  void rearm();
  void shutdown();

  void audit(audit::AuditEntry entry);
  Pager& pager() { return pager_; }
  const std::string& domain() const { return domain_; }

 private:
  struct UserInfo {
    Severity minimum = Severity::Info;
    PagerAddress pager;
  };
  using Users = std::map<std::string, UserInfo>;
  struct Resolved {
    Resolution main;
    Resolution escalation;
    Users users;
  };
  struct Offline {
    std::string user;
    std::string bytes;
  };
  struct Page {
    std::size_t index;
    PagerAddress address;
  };
  using Mutate = std::function<bool(Alert& alert)>;
  using After = std::function<void(std::optional<Alert> alert, bool changed)>;

  static Users loadUsers(storage::StorageDriver& storage, const std::vector<Target>& targets);
  xml::Element headline(const Alert& alert, std::size_t index, const Jid& to) const;
  // Sends to `targets` as new recipients of `alert`; fills what must be stored and paged.
  void deliver(Alert& alert, const std::vector<Target>& targets, const Users& users, bool escalated,
               std::vector<Offline>& offline, std::vector<Page>& pages, std::vector<xml::Element>& online);
  void storeOffline(std::vector<Offline> offline);
  void startPages(const Alert& alert, std::vector<Page> pages);

  void withAlert(const std::string& id, Mutate mutate, After after);
  bool applyCached(const std::string& id, const Mutate& mutate, const After& after);
  void insertLocked(Alert alert);
  void saveLocked(const Alert& alert);

  void schedule(const std::string& id, std::int64_t dueAt);
  void escalate(const std::string& id);

  ModuleContext& ctx_;
  std::string domain_;
  std::string mucDomain_;
  std::shared_ptr<AlertStore> store_;
  std::shared_ptr<audit::AuditLog> audit_;
  std::shared_ptr<storage::ArchiveStore> offline_;
  std::shared_ptr<mam::ArchiveQueue> queue_;
  std::size_t offlineCap_;
  Pager pager_;
  announce::RateLimiter messagePages_;  // direct-message pages per recipient

  std::mutex mutex_;
  std::map<std::string, Alert> cache_;
  std::deque<std::string> order_;  // cache insertion order, oldest first

  // Escalation timers: touched on worker 0 only.
  std::map<std::string, std::unique_ptr<boost::asio::steady_timer>> timers_;
};

}  // namespace telex::modules::alerts
