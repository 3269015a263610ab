// XEP-0191 Blocking Command: a blocked JID cannot reach the user and the user cannot reach it;
// it sees the user as offline. Block lists are kept in memory so every check is synchronous.
#include "modules/blocking/blocking.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <spdlog/spdlog.h>
#include <unordered_map>

#include "modules/blocking/block_list.hpp"
#include "modules/roster/roster.hpp"
#include "modules/roster/roster_store.hpp"
#include "util/crypto.hpp"

namespace telex::modules::blocking {
namespace {

constexpr std::string_view kBlockingNs = "urn:xmpp:blocking";
constexpr std::string_view kBlockingErrorsNs = "urn:xmpp:blocking:errors";
// Bounds the memory all lists can take (see BlockingModule); spam waves are better handled by
// blocking their domain than by thousands of single entries.
constexpr std::size_t kMaxItemsPerUser = 1000;

// IQ requests to a user's bare JID that the server answers itself (so they never reach the
// "iq/bare" event). A blocked entity must not get those answers either; a module that answers a
// new kind of query on behalf of accounts adds its event here.
constexpr std::string_view kAccountIqEvents[] = {
    "iq-get/bare/vcard-temp:vCard",
    "iq-get/bare/jabber:iq:last:query",
};

bool isSubscriptionType(std::string_view type) {
  return type == "subscribe" || type == "subscribed" || type == "unsubscribe" || type == "unsubscribed";
}

// Resources that asked for the block list: only they get pushes (XEP-0191 §3.3). Keyed by full
// JID, so a resumed stream (a new Session object under the same JID) stays interested; the
// session pointer only tells a replaced session's late goodbye from the new one's.
class InterestedResources {
 public:
  void add(const std::string& fullJid, const router::Session* session) {
    std::lock_guard lock(mutex_);
    resources_[fullJid] = session;
  }
  bool contains(const std::string& fullJid) const {
    std::lock_guard lock(mutex_);
    return resources_.contains(fullJid);
  }
  // `session` ended; `stillBound` says whether another session now holds its JID.
  void forget(const router::Session& session, bool stillBound) {
    std::lock_guard lock(mutex_);
    auto it = resources_.find(session.jid().full());
    if (it != resources_.end() && (it->second == &session || !stillBound)) resources_.erase(it);
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, const router::Session*> resources_;
};

enum class Verdict { Allow, SenderBlocks, RecipientBlocks };

// Why every list is loaded at start-up rather than per user at sign-in: the hooks must decide
// synchronously for users who are offline too (a message to an offline user goes to offline
// storage within the same hook chain), and lazily loading them would mean holding stanzas while
// storage answers. Block lists are sparse (most users have none; only non-empty lists are held)
// and short (at most kMaxItemsPerUser JIDs each), so the whole set is small next to the rosters
// and sessions a server keeps anyway, and it is read once.
class BlockingModule : public std::enable_shared_from_this<BlockingModule> {
 public:
  explicit BlockingModule(ModuleContext& ctx)
      : ctx_(ctx), store_(ctx.storage().keyval("blocklist")), roster_(ctx.storage()) {}

  void loadAll() {
    try {
      std::size_t users = 0;
      for (const auto& user : store_->users()) {
        registry_.load(user, decodeBlockList(store_->get(user).value_or("")));
        ++users;
      }
      spdlog::debug("blocking: loaded the block lists of {} users", users);
    } catch (const std::exception& e) {
      // Carrying on without the lists would silently let blocked contacts through.
      spdlog::critical("blocking: cannot load block lists: {}", e.what());
      throw;
    }
  }

  Verdict judge(const Jid& from, const Jid& to) const {
    if (from.sameBare(to)) return Verdict::Allow;  // own resources
    const std::string& domain = ctx_.router().domain();
    // The server itself is never blocked, whatever domain a user lists.
    if ((from.isDomainOnly() && from.domain() == domain) || (to.isDomainOnly() && to.domain() == domain)) {
      return Verdict::Allow;
    }
    if (from.hasLocal() && from.domain() == domain && registry_.blocks(from.local(), to)) return Verdict::SenderBlocks;
    if (to.hasLocal() && to.domain() == domain && registry_.blocks(to.local(), from)) return Verdict::RecipientBlocks;
    return Verdict::Allow;
  }

  // The user sent something to a JID they block: <not-acceptable/> with <blocked/> (XEP-0191 §3.5).
  void bounceBlocked(const router::StanzaEvent& e) {
    if (e.stanza.attrOr("type", "") == "error") return;
    auto session = ctx_.router().sessions().find(e.from);
    if (!session) return;
    xml::Element reply = router::makeErrorReply(e.stanza, {"cancel", "not-acceptable", {}});
    if (auto* error = reply.child("error", router::kClientNs)) {
      error->addChild(xml::Element("blocked", std::string(kBlockingErrorsNs)));
    }
    // Straight to the session: a bounced presence would otherwise be withheld by our own filter.
    router::SessionManager::deliverTo(session, router::serializeStanza(reply));
  }

  router::HookResult onMessage(router::StanzaEvent& e) {
    switch (judge(e.from, e.to)) {
      case Verdict::Allow:
        return router::HookResult::Pass;
      case Verdict::SenderBlocks:
        bounceBlocked(e);
        return router::HookResult::Handled;
      case Verdict::RecipientBlocks: {
        std::string_view type = e.stanza.attrOr("type", "normal");
        if (type == "chat" || type == "normal") e.router.replyError(e.stanza, router::StanzaError::serviceUnavailable());
        return router::HookResult::Handled;
      }
    }
    return router::HookResult::Pass;
  }

  router::HookResult onPresence(router::StanzaEvent& e) {
    std::string_view type = e.stanza.attrOr("type", "");
    switch (judge(e.from, e.to)) {
      case Verdict::Allow:
        return router::HookResult::Pass;
      case Verdict::SenderBlocks:
        // The user's own subscription management still reaches the roster module (as in Prosody):
        // it may be cancelling the blocked contact's subscription. Availability is withheld by
        // the presence filter anyway.
        if (isSubscriptionType(type)) return router::HookResult::Pass;
        bounceBlocked(e);
        return router::HookResult::Handled;
      case Verdict::RecipientBlocks:
        return router::HookResult::Handled;  // presence and subscription requests are dropped
    }
    return router::HookResult::Pass;
  }

  router::HookResult onIq(router::StanzaEvent& e) {
    std::string_view type = e.stanza.attrOr("type", "");
    bool request = type == "get" || type == "set";
    switch (judge(e.from, e.to)) {
      case Verdict::Allow:
        return router::HookResult::Pass;
      case Verdict::SenderBlocks:
        if (request) bounceBlocked(e);
        return router::HookResult::Handled;
      case Verdict::RecipientBlocks:
        if (request) e.router.replyError(e.stanza, router::StanzaError::serviceUnavailable());
        return router::HookResult::Handled;
    }
    return router::HookResult::Pass;
  }

  // Presence produced outside the routing events (broadcasts, probe answers, subscription
  // shares): withheld from a user who blocks its sender, and a user's availability is withheld
  // from those they block. Decided on the bare 'to', as every recipient is a resource of it.
  router::HookResult onPresenceDelivery(router::PresenceDeliveryEvent& e) {
    std::string_view type = e.stanza.attrOr("type", "");
    if (type == "error") return router::HookResult::Pass;
    auto from = e.stanza.attr("from");
    auto to = e.stanza.attr("to");
    if (!from || !to) return router::HookResult::Pass;
    AddressForms sender = addressForms(*from);
    AddressForms recipient = addressForms(*to);
    if (sender.bare == recipient.bare) return router::HookResult::Pass;
    const std::string& domain = ctx_.router().domain();
    if (!recipient.local.empty() && recipient.domain == domain && registry_.blocks(recipient.local, *from)) {
      return router::HookResult::Handled;
    }
    bool availability = type.empty() || type == "unavailable" || type == "probe";
    if (availability && !sender.local.empty() && sender.domain == domain && registry_.blocks(sender.local, *to)) {
      return router::HookResult::Handled;
    }
    return router::HookResult::Pass;
  }

  // --- the protocol: get, block, unblock ---

  void onGet(IqRequest request, IqResponder respond) {
    if (auto session = ctx_.router().sessions().find(request.from)) interested_.add(request.from.full(), session.get());
    xml::Element list("blocklist", std::string(kBlockingNs));
    for (const auto& jid : registry_.items(request.from.local())) list.addChild(itemElement(jid));
    respond(std::optional<xml::Element>(std::move(list)));
  }

  void onBlock(IqRequest request, IqResponder respond) {
    auto jids = requestedItems(request.payload());
    if (!jids) return respond(unexpected(jids.error()));
    if (jids->empty()) return respond(unexpected(router::StanzaError::badRequest("block needs at least one item")));
    Jid user = request.from.bare();
    auto added = registry_.add(user.local(), *jids, kMaxItemsPerUser);
    if (!added) {
      return respond(unexpected(router::StanzaError::resourceConstraint(
          "a block list holds at most " + std::to_string(kMaxItemsPerUser) + " items")));
    }
    persist(user, [self = shared_from_this(), user, jids = *jids, added = *added, respond](bool ok, const auto& rosterItems) {
      if (!ok) {
        // The client is told it failed, so it must not be in effect either.
        self->registry_.remove(user.local(), added);
        return respond(unexpected(router::StanzaError::internalServerError("could not save the block list")));
      }
      respond(std::optional<xml::Element>());
      self->push(user, "block", jids);
      self->hidePresence(user, BlockSet(added.begin(), added.end()), rosterItems);
    });
  }

  void onUnblock(IqRequest request, IqResponder respond) {
    auto jids = requestedItems(request.payload());
    if (!jids) return respond(unexpected(jids.error()));
    Jid user = request.from.bare();
    bool all = jids->empty();
    std::vector<std::string> removed = all ? registry_.clear(user.local()) : registry_.remove(user.local(), *jids);
    persist(user, [self = shared_from_this(), user, jids = *jids, removed, respond](bool ok, const auto& rosterItems) {
      if (!ok) {
        self->registry_.add(user.local(), removed, SIZE_MAX);
        return respond(unexpected(router::StanzaError::internalServerError("could not save the block list")));
      }
      respond(std::optional<xml::Element>());
      self->push(user, "unblock", jids);  // an empty <unblock/> tells the resources everything went
      self->showPresence(user, removed, rosterItems);
    });
  }

  void onSessionClosed(router::SessionEvent& e) {
    interested_.forget(e.session, ctx_.router().sessions().find(e.session.jid()) != nullptr);
  }

 private:
  static xml::Element itemElement(const std::string& jid) {
    xml::Element item("item", std::string(kBlockingNs));
    item.setAttr("jid", jid);
    return item;
  }

  // The normalized JIDs of the <item/> children of <block/> or <unblock/>.
  static Expected<std::vector<std::string>, router::StanzaError> requestedItems(const xml::Element& payload) {
    std::vector<std::string> jids;
    for (const auto& child : payload.children()) {
      if (child.isText() || child.name() != "item" || child.xmlns() != kBlockingNs) continue;
      auto jid = Jid::parse(child.attrOr("jid", ""));
      if (!jid) return unexpected(router::StanzaError::jidMalformed("invalid item jid"));
      jids.push_back(jid->full());
    }
    std::sort(jids.begin(), jids.end());
    jids.erase(std::unique(jids.begin(), jids.end()), jids.end());
    return jids;
  }

  // Writes `user`'s list as it is now, reads the roster for the presence effects, then calls
  // done(ok, rosterItems) on this worker. Writes are serialized and each one stores the list as it
  // is when it runs, so two quick changes can never leave the older list in storage.
  template <class Done>
  void persist(const Jid& user, Done done) {
    ctx_.runBlocking(
        [self = shared_from_this(), user] {
          {
            std::lock_guard lock(self->writeMutex_);
            BlockSet items = self->registry_.items(user.local());
            if (items.empty()) {
              self->store_->remove(user.local());
            } else {
              self->store_->set(user.local(), encodeBlockList(items));
            }
          }
          return self->roster_.items(user.local());
        },
        [done = std::move(done)](auto result) {
          if (!result) {
            spdlog::error("blocking: {}", result.error());
            done(false, std::vector<roster::RosterItem>{});
            return;
          }
          done(true, *result);
        });
  }

  void push(const Jid& user, std::string_view what, const std::vector<std::string>& jids) {
    xml::Element iq("iq", std::string(router::kClientNs));
    iq.setAttr("type", "set");
    iq.setAttr("id", "block-push-" + util::randomHex(6));
    auto& payload = iq.addChild(xml::Element(std::string(what), std::string(kBlockingNs)));
    for (const auto& jid : jids) payload.addChild(itemElement(jid));
    for (auto& r : ctx_.router().sessions().resourcesOf(user)) {
      if (!interested_.contains(r.jid.full())) continue;
      iq.setAttr("to", r.jid.full());
      ctx_.router().deliver(r.session, iq);
    }
  }

  static bool touches(const std::vector<Jid>& items, const Jid& contactBare) {
    return std::any_of(items.begin(), items.end(), [&](const Jid& item) {
      return itemMatches(item, contactBare) || (item.hasLocal() && item.bare() == contactBare);
    });
  }

  // Just blocked: the contacts' resources covered by `added` see the user go offline (XEP-0191
  // §3.3), and the user's resources see them go offline, as nothing more will come from them.
  void hidePresence(const Jid& user, const BlockSet& added, const std::vector<roster::RosterItem>& rosterItems) {
    auto& sessions = ctx_.router().sessions();
    auto own = sessions.resourcesOf(user);
    for (const auto& item : rosterItems) {
      if (!item.hasFrom() && !item.hasTo()) continue;
      auto contact = Jid::parse(item.jid);
      if (!contact) continue;
      for (const auto& r : sessions.resourcesOf(*contact)) {
        if (!r.available || !blockSetCovers(added, r.jid.full())) continue;
        for (const auto& mine : own) {
          if (!mine.available) continue;
          // Delivered directly: the presence filter now withholds anything between the two.
          if (item.hasFrom()) sendUnavailable(mine.jid, r.jid, r.session);
          if (item.hasTo()) sendUnavailable(r.jid, mine.jid, mine.session);
        }
      }
    }
  }

  static void sendUnavailable(const Jid& from, const Jid& to, const std::shared_ptr<router::Session>& session) {
    xml::Element presence("presence", std::string(router::kClientNs));
    presence.setAttr("type", "unavailable");
    presence.setAttr("from", from.full());
    presence.setAttr("to", to.full());
    router::SessionManager::deliverTo(session, router::serializeStanza(presence));
  }

  // Just unblocked: presence flows again where subscriptions allow. The presence filter still
  // withholds it where another item keeps blocking the contact.
  void showPresence(const Jid& user, const std::vector<std::string>& removed,
                    const std::vector<roster::RosterItem>& rosterItems) {
    std::vector<Jid> items;
    for (const auto& jid : removed) {
      if (auto parsed = Jid::parse(jid)) items.push_back(*parsed);
    }
    auto& router = ctx_.router();
    for (const auto& item : rosterItems) {
      auto contact = Jid::parse(item.jid);
      if (!contact || !touches(items, *contact)) continue;
      if (item.hasFrom()) roster::sharePresence(router, user, *contact, true, router.sessions().availableSessions(*contact));
      if (item.hasTo()) roster::sharePresence(router, *contact, user, true, router.sessions().availableSessions(user));
    }
  }

  ModuleContext& ctx_;
  std::shared_ptr<storage::KeyValStore> store_;
  roster::RosterStore roster_;  // thread-safe: a thin layer over the driver's stores
  BlockListRegistry registry_;
  InterestedResources interested_;
  std::mutex writeMutex_;
};

}  // namespace

void setup(ModuleContext& ctx) {
  auto m = std::make_shared<BlockingModule>(ctx);
  m->loadAll();

  // Above every feature (roster 50, presence 0, offline, IQ handlers 0), so nothing else sees
  // what blocking stops.
  constexpr int kPriority = 100;
  auto onMessage = [m](router::StanzaEvent& e) { return m->onMessage(e); };
  auto onPresence = [m](router::StanzaEvent& e) { return m->onPresence(e); };
  auto onIq = [m](router::StanzaEvent& e) { return m->onIq(e); };
  // "remote": what the user sends to other domains is bounced here once it could leave.
  for (std::string_view target : {"bare", "full", "remote"}) {
    ctx.hooks().onStanza("message/" + std::string(target), kPriority, "blocking", onMessage);
    ctx.hooks().onStanza("presence/" + std::string(target), kPriority, "blocking", onPresence);
    ctx.hooks().onStanza("iq/" + std::string(target), kPriority, "blocking", onIq);
  }
  for (std::string_view event : kAccountIqEvents) ctx.hooks().onStanza(event, kPriority, "blocking", onIq);
  // A client's messages are judged before archives and carbons see them.
  ctx.hooks().messageFilter.add(kPriority, "blocking", onMessage);
  ctx.hooks().presenceDelivery.add(kPriority, "blocking",
                                   [m](router::PresenceDeliveryEvent& e) { return m->onPresenceDelivery(e); });
  ctx.hooks().sessionClosed.add(0, "blocking", [m](router::SessionEvent& e) {
    m->onSessionClosed(e);
    return router::HookResult::Pass;
  });

  ctx.onIqAsync("get", "self", kBlockingNs, "blocklist",
                [m](IqRequest request, IqResponder respond) { m->onGet(std::move(request), std::move(respond)); });
  ctx.onIqAsync("set", "self", kBlockingNs, "block",
                [m](IqRequest request, IqResponder respond) { m->onBlock(std::move(request), std::move(respond)); });
  ctx.onIqAsync("set", "self", kBlockingNs, "unblock",
                [m](IqRequest request, IqResponder respond) { m->onUnblock(std::move(request), std::move(respond)); });
}

}  // namespace telex::modules::blocking
