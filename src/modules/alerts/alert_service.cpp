// Alert delivery, receipts, escalation and pager hand-off.
#include "modules/alerts/alert_service.hpp"

#include <spdlog/spdlog.h>

#include "modules/announce/alert_preferences.hpp"
#include "util/crypto.hpp"
#include "util/timestamp.hpp"

namespace telex::modules::alerts {
namespace {

constexpr std::size_t kCacheSize = 2000;
constexpr std::size_t kMaxPagedMessageBytes = 4096;

std::int64_t nowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int pagerPriority(Severity s) {
  switch (s) {
    case Severity::Info: return 3;
    case Severity::Warning: return 4;
    case Severity::Critical: return 5;
  }
  return 3;
}

std::string subjectOf(const Alert& a) {
  std::string level(announce::severityName(a.severity));
  for (auto& c : level) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "[" + level + "] " + (a.title.empty() ? std::string("Alert") : a.title);
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

}  // namespace

AlertService::AlertService(ModuleContext& ctx)
    : ctx_(ctx),
      domain_(ctx.router().domain()),
      mucDomain_(ctx.config().mucDomain()),
      store_(std::make_shared<AlertStore>(ctx.storage())),
      audit_(std::make_shared<audit::AuditLog>(ctx.storage())),
      offline_(ctx.storage().archive("offline")),
      queue_(std::make_shared<mam::ArchiveQueue>(ctx)),
      offlineCap_(static_cast<std::size_t>(ctx.config().offline.maxMessages)),
      pager_(ctx.config()),
      messagePages_(10, std::chrono::seconds(60)) {}

void AlertService::audit(audit::AuditEntry entry) {
  ctx_.runBlocking([log = audit_, entry = std::move(entry)]() mutable { log->append(std::move(entry)); },
                   [](auto result) {
                     if (!result) spdlog::error("audit log: could not store an entry: {}", result.error());
                   });
}

AlertService::Users AlertService::loadUsers(storage::StorageDriver& storage, const std::vector<Target>& targets) {
  Users users;
  announce::AlertPreferences prefs(storage);
  PagerSettings pagers(storage);
  for (const auto& t : targets) {
    auto jid = Jid::parse(t.jid);
    if (!jid || users.contains(jid->local())) continue;
    users[jid->local()] = {prefs.minimum(jid->local()), pagers.get(jid->local())};
  }
  return users;
}

xml::Element AlertService::headline(const Alert& alert, std::size_t index, const Jid& to) const {
  const std::string ns(router::kClientNs);
  xml::Element message("message", ns);
  message.setAttr("from", domain_);
  message.setAttr("to", to.full());
  message.setAttr("type", "headline");
  message.setAttr("id", Alert::messageId(alert.id, index));
  message.addChild(xml::Element("subject", ns)).addText(subjectOf(alert));
  message.addChild(xml::Element("body", ns)).addText(alert.text);
  // XEP-0184: the recipient's client answers with <received id=.../>, the acknowledgement.
  message.addChild(xml::Element("request", std::string(kReceiptsNs)));
  return message;
}

void AlertService::deliver(Alert& alert, const std::vector<Target>& targets, const Users& users, bool escalated,
                           std::vector<Offline>& offline, std::vector<Page>& pages, std::vector<xml::Element>& online) {
  std::int64_t now = nowMillis();
  for (const auto& target : targets) {
    auto jid = Jid::parse(target.jid);
    if (!jid) continue;
    std::size_t index = alert.recipients.size();
    RecipientState r;
    r.jid = jid->full();
    r.via = target.via;
    r.escalated = escalated;
    r.sentAt = now;
    auto info = users.find(jid->local());
    UserInfo user = info != users.end() ? info->second : UserInfo{};
    if (!announce::shouldDeliver(announce::NoticeKind::Alert, alert.severity, user.minimum)) {
      r.status = RecipientStatus::Muted;
      alert.recipients.push_back(std::move(r));
      continue;
    }
    xml::Element message = headline(alert, index, *jid);
    bool reachable = jid->hasResource() ? ctx_.router().sessions().find(*jid) != nullptr : false;
    // A machine that is gone falls back to the user's other resources, as RFC 6121 §8.5.3.2.1 says.
    if (!reachable) reachable = !ctx_.router().messageRecipients(jid->bare(), true).empty();
    if (reachable) {
      r.status = RecipientStatus::Delivered;
      online.push_back(std::move(message));
    } else {
      // Handed over (with the receipt request) at the next sign-in, like announcements.
      r.status = RecipientStatus::Stored;
      auto& delay = message.addChild(xml::Element("delay", "urn:xmpp:delay"));
      delay.setAttr("from", domain_);
      delay.setAttr("stamp", util::utcTimestamp());
      offline.push_back({jid->local(), xml::serialize(message, router::kClientNs)});
      if (pager_.reachable(user.pager)) pages.push_back({index, user.pager});
    }
    alert.recipients.push_back(std::move(r));
  }
}

void AlertService::storeOffline(std::vector<Offline> offline) {
  if (offline.empty()) return;
  queue_->post([archive = offline_, &index = ctx_.offlineIndex(), cap = offlineCap_, domain = domain_,
                offline = std::move(offline)] {
    for (const auto& o : offline) {
      if (archive->count(o.user) >= cap) {
        spdlog::warn("alerts: offline store of {} is full; the alert reaches them by pager only", o.user);
        continue;
      }
      archive->append(o.user, nowMillis(), domain, o.bytes);
      index.mark(o.user);
    }
  });
}

void AlertService::startPages(const Alert& alert, std::vector<Page> pages) {
  auto* worker = net::Worker::current();
  if (!worker) return;
  for (auto& page : pages) {
    WebhookMessage m;
    m.format = page.address.format;
    m.title = subjectOf(alert);
    m.text = alert.text;
    m.priority = pagerPriority(alert.severity);
    m.severity = std::string(announce::severityName(alert.severity));
    m.alertId = alert.id;
    pager_.page(*worker, page.address, std::move(m),
                [self = shared_from_this(), id = alert.id, index = page.index](std::string outcome) {
                  std::int64_t now = nowMillis();
                  self->withAlert(
                      id,
                      [index, outcome, now](Alert& a) {
                        if (index >= a.recipients.size()) return false;
                        a.recipients[index].pager = outcome;
                        a.recipients[index].pagedAt = now;
                        return true;
                      },
                      nullptr);
                });
  }
}

void AlertService::submit(std::string sender, AlertRequest request, SubmitDone done) {
  // Copied before the call: the second lambda takes `request` by move, and the order in which
  // arguments are evaluated is unspecified.
  std::vector<std::string> escalateTo = request.escalate ? request.escalate->to : std::vector<std::string>{};
  std::vector<std::string> to = request.to;
  ctx_.runBlocking(
      [&storage = ctx_.storage(), domain = domain_, muc = mucDomain_, to = std::move(to), escalateTo] {
        Resolved r;
        RecipientResolver resolver(storage, domain, muc);
        r.main = resolver.resolve(to);
        if (!escalateTo.empty()) r.escalation = RecipientResolver(storage, domain, muc).resolve(escalateTo);
        r.users = loadUsers(storage, r.main.targets);
        return r;
      },
      [self = shared_from_this(), sender = std::move(sender), request = std::move(request),
       done = std::move(done)](Expected<Resolved, std::string> resolved) mutable {
        std::string target = joined(request.to);
        if (!resolved) {
          self->audit({0, "token:" + sender, "alert", target, "failed: " + resolved.error(), request.text});
          done(unexpected(SubmitError{500, "storage error", {}}));
          return;
        }
        std::vector<std::string> unknown = resolved->main.unknown;
        unknown.insert(unknown.end(), resolved->escalation.unknown.begin(), resolved->escalation.unknown.end());
        if (!unknown.empty()) {
          self->audit({0, "token:" + sender, "alert", target, "refused: unknown recipients " + joined(unknown),
                       request.text});
          done(unexpected(SubmitError{422, "unknown recipients", unknown}));
          return;
        }
        if (resolved->main.targets.empty()) {
          self->audit({0, "token:" + sender, "alert", target, "refused: the recipients name nobody", request.text});
          done(unexpected(SubmitError{422, "the recipients name nobody (an empty group or room?)", {}}));
          return;
        }
        Alert alert;
        alert.id = util::randomHex(8);
        alert.created = nowMillis();
        alert.sender = sender;
        alert.source = request.source;
        alert.title = request.title;
        alert.text = request.text;
        alert.severity = request.severity;
        if (request.escalate) {
          alert.escalation.state = Escalation::State::Pending;
          alert.escalation.afterSeconds = request.escalate->afterSeconds;
          alert.escalation.to = request.escalate->to;
          alert.escalation.dueAt = alert.created + request.escalate->afterSeconds * 1000;
        }
        std::vector<Offline> offline;
        std::vector<Page> pages;
        std::vector<xml::Element> online;
        self->deliver(alert, resolved->main.targets, resolved->users, false, offline, pages, online);
        {
          std::lock_guard lock(self->mutex_);
          self->insertLocked(alert);
          self->saveLocked(alert);
        }
        for (auto& m : online) self->ctx_.router().route(std::move(m));
        self->storeOffline(std::move(offline));
        std::size_t delivered = 0, stored = 0, muted = 0;
        for (const auto& r : alert.recipients) {
          delivered += r.status == RecipientStatus::Delivered;
          stored += r.status == RecipientStatus::Stored;
          muted += r.status == RecipientStatus::Muted;
        }
        self->audit({0, "token:" + sender, "alert", target,
                     "ok: id=" + alert.id + " severity=" + std::string(announce::severityName(alert.severity)) +
                         " delivered=" + std::to_string(delivered) + " stored=" + std::to_string(stored) +
                         " muted=" + std::to_string(muted) + " paged=" + std::to_string(pages.size()),
                     alert.text});
        // Answered once the alert is in storage, so a GET right after finds it.
        self->queue_->run([] { return true; },
                          [self, alert, done, pages](auto stored) mutable {
                            if (!stored) {
                              done(unexpected(SubmitError{500, "storage error", {}}));
                              return;
                            }
                            done(alert);
                            self->startPages(alert, std::move(pages));
                            if (alert.escalation.state == Escalation::State::Pending) {
                              self->schedule(alert.id, alert.escalation.dueAt);
                            }
                          });
      });
}

void AlertService::find(const std::string& id, std::function<void(std::optional<Alert>)> done) {
  withAlert(id, nullptr, [done](std::optional<Alert> alert, bool) { done(std::move(alert)); });
}

std::optional<Alert> AlertService::cached(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = cache_.find(id);
  if (it == cache_.end()) return std::nullopt;
  return it->second;
}

void AlertService::insertLocked(Alert alert) {
  std::string id = alert.id;
  if (cache_.emplace(id, std::move(alert)).second) {
    order_.push_back(id);
    while (order_.size() > kCacheSize) {
      cache_.erase(order_.front());  // still in storage; loaded again when needed
      order_.pop_front();
    }
  }
}

void AlertService::saveLocked(const Alert& alert) {
  // Queued under the cache lock, so writes reach storage in the order the changes were made.
  queue_->post([store = store_, alert] { store->save(alert); });
}

bool AlertService::applyCached(const std::string& id, const Mutate& mutate, const After& after) {
  std::optional<Alert> copy;
  bool changed = false;
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(id);
    if (it == cache_.end()) return false;
    if (mutate) changed = mutate(it->second);
    if (changed) saveLocked(it->second);
    if (after) copy = it->second;
  }
  if (after) after(std::move(copy), changed);
  return true;
}

void AlertService::withAlert(const std::string& id, Mutate mutate, After after) {
  if (!Alert::validId(id)) {
    if (after) after(std::nullopt, false);
    return;
  }
  if (applyCached(id, mutate, after)) return;
  queue_->run([store = store_, id] { return store->load(id); },
              [self = shared_from_this(), id, mutate, after](auto loaded) {
                if (!loaded) spdlog::error("alerts: could not load alert {}: {}", id, loaded.error());
                if (loaded && *loaded) {
                  std::lock_guard lock(self->mutex_);
                  if (!self->cache_.contains(id)) self->insertLocked(std::move(**loaded));
                }
                if (!self->applyCached(id, mutate, after) && after) after(std::nullopt, false);
              });
}

router::HookResult AlertService::onMessageToHost(router::StanzaEvent& e) {
  const xml::Element* received = e.stanza.child("received", kReceiptsNs);
  if (!received) return router::HookResult::Pass;
  auto parsed = Alert::parseMessageId(received->attrOr("id", ""));
  if (!parsed) return router::HookResult::Pass;
  if (!e.origin) return router::HookResult::Handled;  // receipts come from clients only
  std::int64_t now = nowMillis();
  withAlert(parsed->first,
            [index = parsed->second, from = e.from, now](Alert& a) { return a.acknowledge(index, from, now); },
            [from = e.from.full(), id = parsed->first](std::optional<Alert>, bool changed) {
              if (changed) spdlog::info("alert {} acknowledged by {}", id, from);
            });
  return router::HookResult::Handled;
}

void AlertService::onIncoming(const router::MessageEvent& e) {
  if (!e.recipients.empty() || !net::Worker::current()) return;
  std::string_view type = e.stanza.attrOr("type", "normal");
  if (type != "chat" && type != "normal") return;
  std::string body = e.stanza.childText("body");
  if (body.empty() || !e.to.hasLocal() || e.to.domain() != domain_ || !e.from.hasLocal()) return;
  if (body.size() > kMaxPagedMessageBytes) body.resize(kMaxPagedMessageBytes);
  ctx_.runBlocking([&storage = ctx_.storage(), user = e.to.local()] { return PagerSettings(storage).get(user); },
                   [self = shared_from_this(), user = e.to.local(), from = e.from.bareString(),
                    body = std::move(body)](auto address) {
                     if (!address || !address->messages || !self->pager_.reachable(*address)) return;
                     if (!self->messagePages_.allow(user)) return;  // a chatty contact must not flood a phone
                     WebhookMessage m;
                     m.format = address->format;
                     m.title = "Message from " + from;
                     m.text = body;
                     m.severity = "message";
                     self->pager_.page(*net::Worker::current(), *address, std::move(m), [user](std::string outcome) {
                       spdlog::debug("pager: direct message for {}: {}", user, outcome);
                     });
                   });
}

void AlertService::schedule(const std::string& id, std::int64_t dueAt) {
  if (!ctx_.workers()) return;
  auto& worker = ctx_.workers()->at(0);
  worker.post([self = shared_from_this(), id, dueAt, &worker] {
    auto delay = std::max<std::int64_t>(0, dueAt - nowMillis());
    auto timer = std::make_unique<boost::asio::steady_timer>(worker.context(), std::chrono::milliseconds(delay));
    timer->async_wait([self, id](const boost::system::error_code& ec) {
      if (ec) return;
      self->timers_.erase(id);
      self->escalate(id);
    });
    self->timers_[id] = std::move(timer);
  });
}

void AlertService::escalate(const std::string& id) {
  std::int64_t now = nowMillis();
  withAlert(id, [now](Alert& a) { return a.fireEscalation(now); },
            [self = shared_from_this(), id](std::optional<Alert> alert, bool changed) {
              if (!alert || !changed) return;
              spdlog::info("alert {}: nobody acknowledged within {} s; escalating to {}", id,
                           alert->escalation.afterSeconds, joined(alert->escalation.to));
              self->ctx_.runBlocking(
                  [&storage = self->ctx_.storage(), domain = self->domain_, muc = self->mucDomain_,
                   to = alert->escalation.to] {
                    Resolved r;
                    r.main = RecipientResolver(storage, domain, muc).resolve(to);
                    r.users = loadUsers(storage, r.main.targets);
                    return r;
                  },
                  [self, id, sender = alert->sender, to = joined(alert->escalation.to)](Expected<Resolved, std::string> r) {
                    if (!r) {
                      spdlog::error("alert {}: escalation failed: {}", id, r.error());
                      return;
                    }
                    struct Work {
                      std::vector<Offline> offline;
                      std::vector<Page> pages;
                      std::vector<xml::Element> online;
                    };
                    auto work = std::make_shared<Work>();
                    auto resolved = std::make_shared<Resolved>(std::move(*r));
                    self->withAlert(
                        id,
                        [self, work, resolved](Alert& a) {
                          self->deliver(a, resolved->main.targets, resolved->users, true, work->offline, work->pages,
                                        work->online);
                          return true;
                        },
                        [self, work, sender, to](std::optional<Alert> a, bool) {
                          if (!a) return;
                          for (auto& m : work->online) self->ctx_.router().route(std::move(m));
                          self->storeOffline(std::move(work->offline));
                          self->audit({0, "token:" + sender, "alert-escalate", to,
                                       "ok: id=" + a->id + " escalated to " + std::to_string(work->online.size()) +
                                           " online, " + std::to_string(work->pages.size()) + " paged",
                                       a->text});
                          self->startPages(*a, std::move(work->pages));
                        });
                  });
            });
}

void AlertService::rearm() {
  // Weak: this job is queued at start-up, and a shutdown that comes first never runs it; a strong
  // reference would then keep the service and its queue (which holds the job) alive for ever.
  queue_->run([store = store_] { return store->pendingEscalations(); },
              [weak = weak_from_this()](auto pending) {
                auto self = weak.lock();
                if (!self) return;
                if (!pending) {
                  spdlog::error("alerts: could not read pending escalations: {}", pending.error());
                  return;
                }
                for (const auto& [id, due] : *pending) self->schedule(id, due);
                if (!pending->empty()) spdlog::info("alerts: {} escalation(s) re-armed", pending->size());
              });
}

void AlertService::shutdown() {
  timers_.clear();
  pager_.stop();
}

}  // namespace telex::modules::alerts
