// Presence distribution: only contacts subscribed to a user ever see that user's presence.
#include "modules/presence/presence.hpp"

#include <mutex>
#include <set>
#include <unordered_map>

#include "modules/roster/roster.hpp"
#include "modules/roster/roster_store.hpp"

namespace telex::modules::presence {
namespace {

using roster::RosterStore;

// Full JIDs each session sent directed presence to, so they hear when it goes offline.
class DirectedPresence {
 public:
  void add(const std::string& from, const std::string& to) {
    std::lock_guard lock(mutex_);
    sent_[from].insert(to);
  }
  void erase(const std::string& from, const std::string& to) {
    std::lock_guard lock(mutex_);
    if (auto it = sent_.find(from); it != sent_.end()) it->second.erase(to);
  }
  std::set<std::string> take(const std::string& from) {
    std::lock_guard lock(mutex_);
    auto node = sent_.extract(from);
    return node ? std::move(node.mapped()) : std::set<std::string>{};
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::set<std::string>> sent_;
};

std::int64_t nowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Sends the user's broadcast presence to every contact with a 'from' subscription, and to those it
// sent directed presence to that are not such contacts.
void broadcast(router::StanzaRouter& router, xml::Element stanza, const std::vector<roster::RosterItem>& items,
               std::set<std::string> directedTo) {
  for (const auto& item : items) {
    if (!item.hasFrom()) continue;
    auto contact = Jid::parse(item.jid);
    if (!contact) continue;
    directedTo.erase(item.jid);
    stanza.setAttr("to", item.jid);
    router.deliver(router.sessions().availableSessions(*contact), stanza);
  }
  for (const auto& to : directedTo) {
    auto jid = Jid::parse(to);
    if (!jid) continue;
    stanza.setAttr("to", to);
    if (jid->hasResource()) {
      router.deliver(router.sessions().find(*jid), stanza);
    } else {
      router.deliver(router.sessions().availableSessions(*jid), stanza);
    }
  }
}

}  // namespace

void setup(ModuleContext& ctx) {
  auto signIn = roster::signInRosters(ctx);
  auto store = signIn->store();
  auto lastActivity = ctx.storage().keyval("last_activity");
  auto directed = std::make_shared<DirectedPresence>();

  // The user's broadcast presence goes to every contact with a 'from' subscription; the core
  // still delivers it to the user's own other resources.
  ctx.hooks().onStanza("presence/broadcast", 10, "presence", [&ctx, store, signIn, directed, lastActivity](
                                                                   router::StanzaEvent& e) {
    bool unavailable = e.stanza.attrOr("type", "") == "unavailable";
    // An initial presence right after roster get: the roster that get read is still current.
    if (!unavailable) {
      if (auto items = signIn->peek(e.from.full())) {
        broadcast(ctx.router(), e.stanza, *items, {});
        return router::HookResult::Pass;
      }
    }
    std::set<std::string> directedTo = unavailable ? directed->take(e.from.full()) : std::set<std::string>{};
    auto resources = ctx.router().sessions().resourcesOf(e.from);
    bool lastResource = unavailable && std::none_of(resources.begin(), resources.end(), [&](const auto& r) {
      return r.available && r.jid != e.from;
    });
    std::string status = e.stanza.childText("status", "jabber:client");
    ctx.runBlocking(
        [store, lastActivity, user = e.from.local(), lastResource, status] {
          if (lastResource) lastActivity->set(user, std::to_string(nowSeconds()) + "\n" + status);
          return store->items(user);
        },
        [&ctx, stanza = e.stanza, directedTo = std::move(directedTo)](auto result) mutable {
          if (result) broadcast(ctx.router(), std::move(stanza), *result, std::move(directedTo));
        });
    return router::HookResult::Pass;
  });

  // Directed presence (RFC 6121 §4.6): delivered by the core, remembered here.
  auto onDirected = [directed](router::StanzaEvent& e) {
    std::string_view type = e.stanza.attrOr("type", "");
    if (e.origin && type.empty()) directed->add(e.from.full(), e.to.full());
    if (e.origin && type == "unavailable") directed->erase(e.from.full(), e.to.full());
    return router::HookResult::Pass;
  };
  ctx.hooks().onStanza("presence/bare", 0, "presence", onDirected);
  ctx.hooks().onStanza("presence/full", 0, "presence", onDirected);

  // XEP-0012 on a user's bare JID: how long since a contact went offline, for subscribers only.
  ctx.onIqAsync("get", "bare", "jabber:iq:last", "query",
                [&ctx, store, lastActivity](IqRequest request, IqResponder respond) {
                  bool online = !ctx.router().sessions().availableSessions(request.to).empty();
                  ctx.runBlocking(
                      [store, lastActivity, owner = request.to.local(), asker = request.from.bareString()] {
                        auto item = store->get(owner, asker);
                        bool allowed = item && item->hasFrom();
                        return std::make_pair(allowed, lastActivity->get(owner));
                      },
                      [respond, online](auto result) {
                        if (!result) return respond(unexpected(router::StanzaError::internalServerError()));
                        auto& [allowed, stored] = *result;
                        if (!allowed) return respond(unexpected(router::StanzaError::forbidden()));
                        xml::Element query("query", "jabber:iq:last");
                        if (online) {
                          query.setAttr("seconds", "0");
                        } else if (stored) {
                          auto nl = stored->find('\n');
                          std::int64_t when = std::stoll(stored->substr(0, nl));
                          query.setAttr("seconds", std::to_string(std::max<std::int64_t>(0, nowSeconds() - when)));
                          if (nl != std::string::npos) query.addText(stored->substr(nl + 1));
                        } else {
                          return respond(unexpected(router::StanzaError::itemNotFound()));
                        }
                        respond(std::optional<xml::Element>(std::move(query)));
                      });
                });
}

}  // namespace telex::modules::presence
