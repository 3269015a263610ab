// Roster get/set with versioning and pushes, and presence subscriptions between local users.
#include "modules/roster/roster.hpp"

#include <set>

#include "util/crypto.hpp"

namespace telex::modules::roster {
namespace {

constexpr std::string_view kRosterNs = "jabber:iq:roster";

void pushToInterested(router::StanzaRouter& router, const Jid& user, const RosterPush& push) {
  xml::Element iq("iq", "jabber:client");
  iq.setAttr("type", "set");
  iq.setAttr("id", "push-" + util::randomHex(6));
  auto& query = iq.addChild(xml::Element("query", std::string(kRosterNs)));
  query.setAttr("ver", push.version);
  xml::Element item = push.item.toElement();
  if (push.removed) {
    item = xml::Element("item", std::string(kRosterNs));
    item.setAttr("jid", push.item.jid);
    item.setAttr("subscription", "remove");
  }
  query.addChild(std::move(item));
  for (auto& r : router.sessions().resourcesOf(user)) {
    if (!(r.flags & router::kRosterRequested)) continue;
    iq.setAttr("to", r.jid.full());
    router.deliver(r.session, iq);
  }
}

// Validates a roster set (RFC 6121 §2.3.3) and returns the single item.
Expected<const xml::Element*, router::StanzaError> validateSet(const xml::Element& query) {
  const xml::Element* item = nullptr;
  for (const auto& child : query.children()) {
    if (child.isText()) continue;
    if (item || child.name() != "item" || child.xmlns() != kRosterNs) {
      return unexpected(router::StanzaError::badRequest("a roster set carries exactly one item"));
    }
    item = &child;
  }
  if (!item) return unexpected(router::StanzaError::badRequest("a roster set carries exactly one item"));
  auto jid = Jid::parse(item->attrOr("jid", ""));
  if (!jid) return unexpected(router::StanzaError::badRequest("invalid jid"));
  std::set<std::string> groups;
  for (const auto& g : item->children()) {
    if (g.isText() || g.name() != "group") continue;
    std::string name = g.textContent();
    if (name.empty()) return unexpected(router::StanzaError{"modify", "not-acceptable", "empty group name"});
    if (!groups.insert(name).second) return unexpected(router::StanzaError::badRequest("duplicate group"));
  }
  return item;
}

}  // namespace

void sharePresence(router::StanzaRouter& router, const Jid& owner, const Jid& viewerBare, bool available,
                   std::span<const std::shared_ptr<router::Session>> viewers) {
  if (viewers.empty()) return;
  for (const auto& r : router.sessions().resourcesOf(owner)) {
    if (!r.available) continue;
    xml::Element presence = available && r.presence ? *r.presence : xml::Element("presence", "jabber:client");
    if (!available) presence.setAttr("type", "unavailable");
    presence.setAttr("from", r.jid.full());
    presence.setAttr("to", viewerBare.bareString());
    router.deliver(viewers, presence);
  }
}

void applyOutcome(router::StanzaRouter& router, const SubscriptionOutcome& outcome) {
  for (const auto& push : outcome.pushes) {
    if (auto user = Jid::make(push.user, router.domain())) pushToInterested(router, *user, push);
  }
  auto share = [&router](const PresenceShare& s) {
    auto viewers = router.sessions().availableSessions(s.viewer);
    sharePresence(router, s.owner, s.viewer, s.available, viewers);
  };
  for (const auto& s : outcome.sharesFirst) share(s);
  for (const auto& d : outcome.deliveries) router.deliver(router.sessions().availableSessions(d.to), d.stanza);
  for (const auto& s : outcome.shares) share(s);
}

std::shared_ptr<SignInRosters> signInRosters(ModuleContext& ctx) {
  return ctx.shared().get<SignInRosters>(
      [&ctx] { return std::make_shared<SignInRosters>(std::make_shared<RosterStore>(ctx.storage())); });
}

void setup(ModuleContext& ctx) {
  auto signIn = signInRosters(ctx);
  auto store = signIn->store();
  auto accounts = ctx.storage().keyval("accounts");
  auto engine = std::make_shared<SubscriptionEngine>(
      *store, ctx.router().domain(),
      [accounts](std::string_view user) { return accounts->get(user).has_value(); });

  ctx.onIqAsync("get", "self", kRosterNs, "query", [&ctx, store, signIn](IqRequest request, IqResponder respond) {
    if (auto session = ctx.router().sessions().find(request.from)) {
      ctx.router().sessions().setFlag(*session, router::kRosterRequested, true);
    }
    std::string clientVersion(request.payload().attrOr("ver", ""));
    bool versioned = request.payload().attr("ver").has_value();
    ctx.runBlocking(
        [store, signIn, user = request.from.local(), full = request.from.full()] {
          auto writesBefore = signIn->readStarting();
          auto read = store->versionAndItems(user);
          signIn->keep(full, read.second, writesBefore);
          return read;
        },
        [respond, clientVersion, versioned](auto result) {
          if (!result) {
            respond(unexpected(router::StanzaError::internalServerError()));
            return;
          }
          auto& [version, items] = *result;
          // XEP-0237: an up-to-date client gets an empty result; changes come as pushes.
          if (versioned && clientVersion == version) {
            respond(std::optional<xml::Element>());
            return;
          }
          xml::Element query("query", std::string(kRosterNs));
          query.setAttr("ver", version);
          for (const auto& item : items) {
            if (item.inRoster) query.addChild(item.toElement());
          }
          respond(std::optional<xml::Element>(std::move(query)));
        });
  });

  ctx.onIqAsync("set", "self", kRosterNs, "query", [&ctx, store, engine](IqRequest request, IqResponder respond) {
    auto valid = validateSet(request.payload());
    if (!valid) {
      respond(unexpected(valid.error()));
      return;
    }
    const xml::Element& itemElement = **valid;
    Jid contact = Jid::parse(itemElement.attrOr("jid", ""))->bare();
    bool remove = itemElement.attrOr("subscription", "") == "remove";
    std::string name(itemElement.attrOr("name", ""));
    std::vector<std::string> groups;
    for (const auto& g : itemElement.children()) {
      if (!g.isText() && g.name() == "group") groups.push_back(g.textContent());
    }
    Jid user = request.from.bare();
    ctx.runBlocking(
        [store, engine, user, contact, remove, name, groups]() -> std::optional<SubscriptionOutcome> {
          if (remove) {
            if (!store->get(user.local(), contact.bareString())) return std::nullopt;
            return engine->removeItem(user, contact);  // takes rosterWriteLock itself
          }
          std::lock_guard lock(rosterWriteLock());
          RosterItem item = store->get(user.local(), contact.bareString()).value_or(RosterItem{});
          item.jid = contact.bareString();
          item.name = name;
          item.groups = groups;
          item.inRoster = true;
          SubscriptionOutcome out;
          out.pushes.push_back({user.local(), item, false, store->put(user.local(), item)});
          return out;
        },
        [&ctx, respond](auto result) {
          if (!result) {
            respond(unexpected(router::StanzaError::internalServerError()));
          } else if (!*result) {
            respond(unexpected(router::StanzaError::itemNotFound()));
          } else {
            respond(std::optional<xml::Element>());
            applyOutcome(ctx.router(), **result);
          }
        });
  });

  // Subscription requests and answers from the user to a contact.
  auto onSubscription = [&ctx, engine](router::StanzaEvent& e) {
    std::string_view type = e.stanza.attrOr("type", "");
    if (type != "subscribe" && type != "subscribed" && type != "unsubscribe" && type != "unsubscribed") {
      return router::HookResult::Pass;
    }
    if (!e.origin) return router::HookResult::Pass;
    ctx.runBlocking(
        [engine, user = e.from.bare(), contact = e.to.bare(), type = std::string(type), stanza = e.stanza] {
          return engine->outbound(user, contact, type, stanza);
        },
        [&ctx](auto result) {
          if (result) applyOutcome(ctx.router(), *result);
        });
    return router::HookResult::Handled;
  };
  ctx.hooks().onStanza("presence/bare", 50, "roster", onSubscription);
  ctx.hooks().onStanza("presence/full", 50, "roster", onSubscription);
  ctx.hooks().onStanza("presence/self", 50, "roster", [](router::StanzaEvent& e) {
    // Subscribing to oneself is meaningless; swallow it rather than loop.
    std::string_view type = e.stanza.attrOr("type", "");
    return type.empty() || type == "unavailable" ? router::HookResult::Pass : router::HookResult::Handled;
  });

  // At sign-in, from one read of the roster: the new session learns the presence of everyone
  // it is subscribed to (probes), and gets the subscription requests that arrived while the
  // user was away.
  ctx.hooks().sessionAvailable.add(10, "roster", [&ctx, store, signIn](router::SessionEvent& e) {
    auto session = ctx.router().sessions().find(e.session.jid());
    if (!session) return router::HookResult::Pass;
    auto signedIn = [&ctx, session](const std::vector<RosterItem>& items) {
      std::shared_ptr<router::Session> viewers[] = {session};
      for (const auto& item : items) {
        if (!item.hasTo()) continue;
        if (auto contact = Jid::parse(item.jid)) {
          sharePresence(ctx.router(), *contact, session->jid().bare(), true, viewers);
        }
      }
      for (const auto& item : items) {
        if (!item.pendingIn) continue;
        xml::Element p("presence", "jabber:client");
        p.setAttr("from", item.jid);
        p.setAttr("to", session->jid().bareString());
        p.setAttr("type", "subscribe");
        if (!item.pendingStatus.empty()) {
          p.addChild(xml::Element("status", "jabber:client")).addText(item.pendingStatus);
        }
        ctx.router().deliver(session, p);
      }
    };
    // Most clients fetched the roster just before: use that read if it is still current.
    if (auto items = signIn->take(e.session.jid().full())) {
      signedIn(*items);
      return router::HookResult::Pass;
    }
    ctx.runBlocking([store, user = e.session.jid().local()] { return store->items(user); },
                    [signedIn](auto result) {
                      if (result) signedIn(*result);
                    });
    return router::HookResult::Pass;
  });
}

}  // namespace telex::modules::roster
