// Announcement delivery, offline storage of announcements, the MOTD and the audit trail.
#include "modules/announce/announcer.hpp"

#include <set>
#include <spdlog/spdlog.h>

#include "util/crypto.hpp"
#include "util/timestamp.hpp"

namespace telex::modules::announce {
namespace {
constexpr std::string_view kMotdKey = "motd";

std::int64_t nowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

std::string Audience::describe() const {
  switch (kind) {
    case Kind::Online: return "online";
    case Kind::All: return "all";
    case Kind::Group: return "group:" + group;
  }
  return "online";
}

std::string Delivery::summary() const {
  std::string out = "delivered to " + std::to_string(delivered) + " online user" + (delivered == 1 ? "" : "s");
  if (stored > 0) out += ", stored for " + std::to_string(stored) + " offline";
  if (skipped > 0) out += ", " + std::to_string(skipped) + " skipped";
  return out;
}

Announcer::Announcer(ModuleContext& ctx)
    : ctx_(ctx),
      audit_(std::make_shared<audit::AuditLog>(ctx.storage())),
      groups_(std::make_shared<GroupStore>(ctx.storage())),
      motdStore_(ctx.storage().keyval("motd")),
      accounts_(ctx.storage().keyval("accounts")),
      offline_(ctx.storage().archive("offline")),
      offlineCap_(static_cast<std::size_t>(ctx.config().offline.maxMessages)),
      limiter_(static_cast<std::size_t>(ctx.config().announce.ratePerMinute), std::chrono::seconds(60)) {}

xml::Element Announcer::headline(const Jid& to, std::string_view subject, std::string_view body) const {
  const std::string ns(router::kClientNs);
  xml::Element message("message", ns);
  message.setAttr("from", ctx_.router().domain());
  message.setAttr("to", to.full());
  message.setAttr("type", "headline");
  message.setAttr("id", "announce-" + util::randomHex(8));
  if (!subject.empty()) message.addChild(xml::Element("subject", ns)).addText(subject);
  message.addChild(xml::Element("body", ns)).addText(body);
  return message;
}

void Announcer::audit(audit::AuditEntry entry) {
  ctx_.runBlocking([log = audit_, entry = std::move(entry)]() mutable { log->append(std::move(entry)); },
                   [](auto result) {
                     if (!result) spdlog::error("audit log: could not store an entry: {}", result.error());
                   });
}

bool Announcer::admit(const std::string& sender, std::string_view action) {
  if (limiter_.allow(sender)) return true;
  audit({0, sender, std::string(action), "", "refused: rate limit (announce.rate_per_minute)", ""});
  return false;
}

void Announcer::announce(std::string actor, Audience audience, std::string subject, std::string text,
                         DeliveryDone done) {
  if (audience.kind == Audience::Kind::Online) {
    // Everyone with an available, non-negative-priority resource; the router fans a headline
    // sent to the bare JID out to each of those resources.
    std::set<Jid> users;
    for (const auto& info : ctx_.router().sessions().all()) {
      if (info.available && info.priority >= 0) users.insert(info.jid.bare());
    }
    Delivery delivery;
    for (const auto& user : users) {
      ctx_.router().route(headline(user, subject, text));
      ++delivery.delivered;
    }
    audit({0, actor, "announce", audience.describe(), "ok: " + delivery.summary(), text});
    done(delivery);
    return;
  }
  // Everyone with an account, or a group's members who have one.
  ctx_.runBlocking(
      [accounts = accounts_, groups = groups_, audience, domain = ctx_.router().domain()]()
          -> std::optional<std::pair<std::vector<std::string>, std::size_t>> {
        if (audience.kind == Audience::Kind::All) return std::make_pair(accounts->users(), std::size_t{0});
        auto members = groups->members(audience.group);
        if (!members) return std::nullopt;
        std::vector<std::string> users;
        std::size_t unknown = 0;
        for (const auto& member : *members) {
          auto jid = Jid::parse(member);
          if (jid && jid->domain() == domain && jid->hasLocal() && accounts->get(jid->local())) {
            users.push_back(jid->local());
          } else {
            ++unknown;
          }
        }
        return std::make_pair(std::move(users), unknown);
      },
      [self = shared_from_this(), actor = std::move(actor), audience, subject = std::move(subject),
       text = std::move(text), done = std::move(done)](auto result) mutable {
        if (!result) {
          self->audit({0, actor, "announce", audience.describe(), "failed: " + result.error(), text});
          done(unexpected("storage error: " + result.error()));
          return;
        }
        if (!*result) {
          self->audit({0, actor, "announce", audience.describe(), "failed: no such group", text});
          done(unexpected("no such group: " + audience.group));
          return;
        }
        auto [users, unknown] = std::move(**result);
        self->deliverAndStore(std::move(actor), std::move(audience), std::move(subject), std::move(text),
                              std::move(users), unknown, std::move(done));
      });
}

void Announcer::deliverAndStore(std::string actor, Audience audience, std::string subject, std::string text,
                                std::vector<std::string> users, std::size_t unknown, DeliveryDone done) {
  Delivery delivery;
  delivery.skipped = unknown;
  std::vector<std::pair<std::string, std::string>> offline;  // {username, serialized message}
  const std::string& domain = ctx_.router().domain();
  for (const auto& user : users) {
    auto jid = Jid::make(user, domain);
    if (!jid) {
      ++delivery.skipped;
      continue;
    }
    if (!ctx_.router().messageRecipients(*jid, true).empty()) {
      ctx_.router().route(headline(*jid, subject, text));
      ++delivery.delivered;
      continue;
    }
    // Kept with the user's offline messages, which the offline module hands over (in order, once)
    // at the next sign-in; the delay stamp says when it was sent.
    xml::Element stored = headline(*jid, subject, text);
    auto& delay = stored.addChild(xml::Element("delay", "urn:xmpp:delay"));
    delay.setAttr("from", domain);
    delay.setAttr("stamp", util::utcTimestamp());
    offline.emplace_back(user, xml::serialize(stored, router::kClientNs));
  }
  if (offline.empty()) {
    audit({0, actor, "announce", audience.describe(), "ok: " + delivery.summary(), text});
    done(delivery);
    return;
  }
  ctx_.runBlocking(
      [archive = offline_, &index = ctx_.offlineIndex(), cap = offlineCap_, domain, offline = std::move(offline)] {
        std::size_t stored = 0;
        for (const auto& [user, bytes] : offline) {
          if (archive->count(user) >= cap) continue;
          archive->append(user, nowMillis(), domain, bytes);
          index.mark(user);
          ++stored;
        }
        return std::make_pair(stored, offline.size() - stored);
      },
      [self = shared_from_this(), actor = std::move(actor), audience = std::move(audience), text = std::move(text),
       delivery, done = std::move(done)](auto result) mutable {
        if (!result) {
          self->audit({0, actor, "announce", audience.describe(),
                       "partly failed: " + delivery.summary() + "; storing for offline users: " + result.error(), text});
          done(unexpected("storing for offline users failed: " + result.error()));
          return;
        }
        delivery.stored = result->first;
        delivery.skipped += result->second;
        self->audit({0, actor, "announce", audience.describe(), "ok: " + delivery.summary(), text});
        done(delivery);
      });
}

void Announcer::setMotd(std::string actor, std::string action, std::string text, Done done) {
  {
    std::lock_guard lock(motdMutex_);
    motdLoaded_ = true;
    motd_ = text;
  }
  ctx_.runBlocking([store = motdStore_, text] { store->set(kMotdKey, text); },
                   [self = shared_from_this(), actor = std::move(actor), action = std::move(action),
                    text, done = std::move(done)](auto result) {
                     if (!result) {
                       self->audit({0, actor, action, "sign-in", "failed: " + result.error(), text});
                       done(unexpected("storage error: " + result.error()));
                       return;
                     }
                     self->audit({0, actor, action, "sign-in", "ok", text});
                     done(true);
                   });
}

void Announcer::deleteMotd(std::string actor, Done done) {
  {
    std::lock_guard lock(motdMutex_);
    motdLoaded_ = true;
    motd_.reset();
  }
  ctx_.runBlocking([store = motdStore_] { return store->remove(kMotdKey); },
                   [self = shared_from_this(), actor = std::move(actor), done = std::move(done)](auto result) {
                     if (!result) {
                       self->audit({0, actor, "motd-delete", "sign-in", "failed: " + result.error(), ""});
                       done(unexpected("storage error: " + result.error()));
                       return;
                     }
                     self->audit({0, actor, "motd-delete", "sign-in", *result ? "ok" : "ok: there was none", ""});
                     done(true);
                   });
}

void Announcer::readMotd(std::function<void(Expected<std::optional<std::string>, std::string>)> done) {
  std::optional<std::optional<std::string>> cached;
  {
    std::lock_guard lock(motdMutex_);
    if (motdLoaded_) cached = motd_;
  }
  if (cached) {
    done(std::move(*cached));
    return;
  }
  ctx_.runBlocking([store = motdStore_] { return store->get(kMotdKey); },
                   [self = shared_from_this(), done = std::move(done)](auto result) {
                     if (!result) {
                       done(unexpected(result.error()));
                       return;
                     }
                     std::optional<std::string> current;
                     {
                       std::lock_guard lock(self->motdMutex_);
                       if (!self->motdLoaded_) {
                         self->motdLoaded_ = true;
                         self->motd_ = *result;
                       }
                       current = self->motd_;
                     }
                     done(std::move(current));
                   });
}

void Announcer::groupNames(std::function<void(Expected<std::vector<std::string>, std::string>)> done) {
  ctx_.runBlocking([groups = groups_] { return groups->names(); },
                   [done = std::move(done)](auto result) {
                     if (!result) {
                       done(unexpected(result.error()));
                     } else {
                       done(std::move(*result));
                     }
                   });
}

void Announcer::showMotd(const std::shared_ptr<router::Session>& session, const std::string& motd) {
  ctx_.router().deliver(session, headline(session->jid(), "Message of the day", motd));
}

void Announcer::signedIn(router::Session& session) {
  auto info = ctx_.router().sessions().info(session);
  if (!info) return;
  readMotd([self = shared_from_this(), session = info->session](auto result) {
    if (!result) {
      spdlog::warn("message of the day: {}", result.error());
      return;
    }
    if (*result && !(*result)->empty()) self->showMotd(session, **result);
  });
}

}  // namespace telex::modules::announce
