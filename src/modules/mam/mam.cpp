// Message archiving: both sides of local users' conversations are stored in order; queries page
// through them with a data form and RSM; preferences say whose messages are kept.
#include "modules/mam/mam.hpp"

#include <algorithm>
#include <chrono>

#include "modules/carbons/forward.hpp"
#include "modules/mam/archive_queue.hpp"
#include "modules/mam/mam_prefs.hpp"
#include "modules/mam/mam_query.hpp"
#include "modules/mam/stanza_id.hpp"
#include "modules/mam/user_archive.hpp"
#include "util/crypto.hpp"

namespace telex::modules::mam {
namespace {

using router::StanzaError;

constexpr std::string_view kHintsNs = "urn:xmpp:hints";
constexpr std::string_view kMucUserNs = "http://jabber.org/protocol/muc#user";
constexpr std::string_view kDiscoInfoNs = "http://jabber.org/protocol/disco#info";

std::int64_t nowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The stored copy: XEP-0313 §8 wants MUC <x/> elements, which anyone can forge, left out.
std::string storedForm(const xml::Element& message) {
  if (!message.child("x", kMucUserNs)) return forward::serializeStandalone(message);
  xml::Element copy = message;
  std::erase_if(copy.children(), [](const xml::Element& c) {
    return !c.isText() && c.name() == "x" && c.xmlns() == kMucUserNs;
  });
  return forward::serializeStandalone(copy);
}

struct QueryOutcome {
  bool notFound = false;
  storage::ArchivePage page;
};

}  // namespace

bool archivable(const xml::Element& message) {
  std::string_view type = message.attrOr("type", "normal");
  if (type != "chat" && type != "normal") return false;
  if (message.child("no-store", kHintsNs) || message.child("no-permanent-store", kHintsNs)) return false;
  for (const auto& c : message.children()) {
    if (!c.isText() && c.name() == "body" && (c.xmlns().empty() || c.xmlns() == router::kClientNs)) return true;
  }
  return false;
}

void setup(ModuleContext& ctx) {
  const auto& options = ctx.config().mam;
  auto archive = std::make_shared<UserArchive>(ctx.storage(),
                                               parsePolicy(options.defaultPolicy).value_or(DefaultPolicy::Always),
                                               options.retentionDays * 24 * 3600 * 1000);
  auto queue = std::make_shared<ArchiveQueue>(ctx);
  auto accounts = ctx.storage().keyval("accounts");
  auto cap = static_cast<std::size_t>(options.maxPageSize);

  // Outgoing: into the sender's archive. Runs before carbons (priority 10) so copies of the
  // message already lack forged stanza ids (the recipient's hook below removes them again for
  // messages the server makes).
  ctx.hooks().messageOutgoing.add(10, "mam", [&ctx, archive, queue](router::StanzaEvent& e) {
    removeForgedStanzaIds(e.stanza, e.to, ctx.router().domain());
    if (!archivable(e.stanza) || e.to == ctx.router().domainJid()) return router::HookResult::Pass;
    if (archive->knownDecision(e.from.local(), e.to) == Decision::Skip) return router::HookResult::Pass;
    queue->post([archive, user = e.from.local(), other = e.to, when = nowMillis(), bytes = storedForm(e.stanza)] {
      archive->store(user, other, when, bytes);
    });
    return router::HookResult::Pass;
  });

  // Incoming: into the recipient's archive, whether or not a resource was online, before the
  // core delivers it: the delivered copy (and its carbons, and the offline copy) carries the
  // archive id as <stanza-id/> (XEP-0313 §3.3, XEP-0359). The id exists only once the append
  // has run on the pool, so the message is held until then and routed again; DeliveryOrder keeps
  // later messages to the same recipient behind it. Below blocking (100), so a refused message
  // is neither archived nor held; above every other message hook.
  auto order = std::make_shared<DeliveryOrder>();
  auto onIncoming = [&ctx, archive, queue, accounts, order](router::StanzaEvent& e) {
    if (order->releasing()) return router::HookResult::Pass;  // a held message going on
    if (!e.to.hasLocal() || e.to.domain() != ctx.router().domain()) return router::HookResult::Pass;
    // A server-made message from a local account is one that passed here before and is routed
    // again (stream management re-routes what a vanished session never acknowledged): its
    // stanza id is ours and the archive already has it. Anything else may carry a forged one.
    bool again = !e.origin && e.from.hasLocal() && e.from.domain() == ctx.router().domain() &&
                 stanzaIdBy(e.stanza, e.to).has_value();
    if (!again) removeForgedStanzaIds(e.stanza, e.to, ctx.router().domain());
    // A message to one's own account was archived once, on the way out.
    bool needsId = !again && archivable(e.stanza) && !e.from.sameBare(e.to) &&
                   archive->knownDecision(e.to.local(), e.from) != Decision::Skip;
    if (!needsId && order->idle()) return router::HookResult::Pass;
    std::string recipient = e.to.bareString();
    if (!order->hold(recipient, needsId)) return router::HookResult::Pass;
    auto release = [&ctx, order, recipient, by = e.to.bare(), held = e.stanza](auto id) mutable {
      if (id && *id) addStanzaId(held, **id, by);
      order->release(recipient);
      DeliveryOrder::Releasing releasing(*order);
      ctx.router().route(std::move(held));
    };
    if (needsId) {
      queue->run(
          [archive, accounts, user = e.to.local(), other = e.from, when = nowMillis(),
           bytes = storedForm(e.stanza)]() -> std::optional<std::string> {
            if (!accounts->get(user)) return std::nullopt;
            return archive->store(user, other, when, bytes);
          },
          std::move(release));
    } else {
      queue->run([]() -> std::optional<std::string> { return std::nullopt; }, std::move(release));
    }
    return router::HookResult::Handled;
  };
  for (std::string_view target : {"bare", "full"}) {
    ctx.hooks().onStanza("message/" + std::string(target), 90, "mam", onIncoming);
  }

  ctx.onIqAsync("set", "self", kMamNs, "query",
                [&ctx, archive, queue, cap](IqRequest request, IqResponder respond) {
    auto query = parseQuery(request.payload());
    if (!query) return respond(unexpected(query.error()));
    std::size_t limit = pageLimit(*query, cap);
    queue->run(
        [archive, user = request.from.local(), q = *query, limit]() -> QueryOutcome {
          try {
            return {false, archive->query(user, q, limit, nowMillis())};
          } catch (const storage::ItemNotFoundError&) {
            return {true, {}};
          }
        },
        [&ctx, respond, q = *query, requester = request.from](auto outcome) {
          if (!outcome) return respond(unexpected(StanzaError::internalServerError()));
          if (outcome->notFound) return respond(unexpected(StanzaError::itemNotFound("no such archive id")));
          const auto& items = outcome->page.items;
          if (auto session = ctx.router().sessions().find(requester)) {
            Jid archiveJid = requester.bare();
            auto send = [&](const storage::ArchiveItem& item) {
              auto bytes = resultMessage(archiveJid, requester, q.queryId, item, util::randomHex(8));
              router::SessionManager::deliverTo(session, std::make_shared<const std::string>(std::move(bytes)));
            };
            if (q.flipPage) {
              std::for_each(items.rbegin(), items.rend(), send);
            } else {
              std::for_each(items.begin(), items.end(), send);
            }
          }
          respond(std::optional<xml::Element>(makeFin(q, outcome->page)));
        });
  });

  ctx.onIq("get", "self", kMamNs, "query", [](const router::StanzaEvent&, const xml::Element&) -> IqReply {
    return std::optional<xml::Element>(queryForm());
  });

  ctx.onIqAsync("get", "self", kMamNs, "prefs", [queue, archive](IqRequest request, IqResponder respond) {
    queue->run([archive, user = request.from.local()] { return archive->prefs(user); },
               [respond](auto prefs) {
                 if (!prefs) return respond(unexpected(StanzaError::internalServerError()));
                 respond(std::optional<xml::Element>(prefsElement(*prefs)));
               });
  });

  ctx.onIqAsync("set", "self", kMamNs, "prefs", [queue, archive](IqRequest request, IqResponder respond) {
    auto prefs = parsePrefs(request.payload());
    if (!prefs) return respond(unexpected(prefs.error()));
    archive->changeQueued(request.from.local());
    queue->run(
        [archive, user = request.from.local(), p = *prefs] {
          archive->setPrefs(user, p);
          return p;
        },
        [respond](auto stored) {
          if (!stored) return respond(unexpected(StanzaError::internalServerError()));
          respond(std::optional<xml::Element>(prefsElement(*stored)));
        });
  });

  // Another user's archive is not for anyone else to read or configure.
  for (std::string_view type : {"get", "set"}) {
    for (std::string_view name : {"query", "prefs"}) {
      ctx.onIq(type, "bare", kMamNs, name, [](const router::StanzaEvent&, const xml::Element&) -> IqReply {
        return unexpected(StanzaError::forbidden());
      });
    }
  }

  // Clients look for MAM on their own account's bare JID (XEP-0313 §7). Low priority: a module
  // that answers for accounts in general (PEP, say) should take this over and list mam:2 too.
  ctx.onIq("get", "self", kDiscoInfoNs, "query",
           [](const router::StanzaEvent&, const xml::Element& payload) -> IqReply {
             if (payload.attr("node")) return unexpected(StanzaError::itemNotFound());
             xml::Element query("query", std::string(kDiscoInfoNs));
             auto& identity = query.addChild(xml::Element("identity", std::string(kDiscoInfoNs)));
             identity.setAttr("category", "account");
             identity.setAttr("type", "registered");
             for (std::string_view feature : {kDiscoInfoNs, kMamNs, kStanzaIdNs}) {
               query.addChild(xml::Element("feature", std::string(kDiscoInfoNs))).setAttr("var", feature);
             }
             return std::optional<xml::Element>(std::move(query));
           },
           -10);
}

}  // namespace telex::modules::mam
