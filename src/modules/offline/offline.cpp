// Offline storage: nothing is silently lost. A full store bounces with an error to the sender.
#include "modules/offline/offline.hpp"

#include "modules/mam/archive_queue.hpp"

#include <mutex>

#include "util/timestamp.hpp"

namespace telex::modules::offline {
namespace {
constexpr std::string_view kChatStatesNs = "http://jabber.org/protocol/chatstates";

std::int64_t nowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

enum class StoreResult { Stored, NoSuchUser, Full };
}  // namespace

bool worthStoring(const xml::Element& message) {
  std::string_view type = message.attrOr("type", "normal");
  if (type != "chat" && type != "normal") return false;
  for (const auto& child : message.children()) {
    if (child.isText()) continue;
    if (child.xmlns() != kChatStatesNs) return true;
  }
  return false;
}

void setup(ModuleContext& ctx) {
  auto archive = ctx.storage().archive("offline");
  auto accounts = ctx.storage().keyval("accounts");
  auto cap = static_cast<std::size_t>(ctx.config().offline.maxMessages);
  // One job at a time, in routing order: plain pool jobs may overtake each other, which would
  // store messages out of order and let a later one take the last free place.
  auto queue = std::make_shared<mam::ArchiveQueue>(ctx);
  auto& index = ctx.offlineIndex();
  index.load(archive->owners());

  ctx.hooks().onStanza("message/offline", 0, "offline", [&ctx, &index, queue, archive, accounts, cap](router::StanzaEvent& e) {
    if (!worthStoring(e.stanza)) return router::HookResult::Pass;
    // Marked as it is queued: a take queued after this, by a sign-in, then finds it.
    index.mark(e.to.local());
    xml::Element stored = e.stanza;
    auto& delay = stored.addChild(xml::Element("delay", "urn:xmpp:delay"));
    delay.setAttr("from", ctx.router().domain());
    delay.setAttr("stamp", util::utcTimestamp());
    queue->run(
        [archive, accounts, cap, user = e.to.local(), with = e.from.bareString(),
         bytes = xml::serialize(stored, "jabber:client")] {
          if (!accounts->get(user)) return StoreResult::NoSuchUser;
          if (archive->count(user) >= cap) return StoreResult::Full;
          archive->append(user, nowMillis(), with, bytes);
          return StoreResult::Stored;
        },
        [&ctx, original = e.stanza](auto result) {
          if (!result) {
            ctx.router().replyError(original, router::StanzaError::internalServerError("could not store"));
          } else if (*result == StoreResult::NoSuchUser) {
            ctx.router().replyError(original, router::StanzaError::serviceUnavailable());
          } else if (*result == StoreResult::Full) {
            ctx.router().replyError(original, router::StanzaError::resourceConstraint(
                                                  "the recipient's offline message store is full"));
          }
        });
    return router::HookResult::Handled;
  });

  // Delivered in order at the first available presence with a non-negative priority.
  auto takeLock = std::make_shared<std::mutex>();
  ctx.hooks().sessionAvailable.add(5, "offline", [&ctx, &index, queue, archive, takeLock](router::SessionEvent& e) {
    auto info = ctx.router().sessions().info(e.session);
    if (!info || info->priority < 0 || !index.take(e.session.jid().local())) return router::HookResult::Pass;
    // Taken (read and removed) in one step under a lock, so two resources signing in at once
    // cannot both receive the same stored messages.
    queue->run(
        [archive, takeLock, user = e.session.jid().local()] {
          std::lock_guard lock(*takeLock);
          storage::ArchiveQuery query;
          query.limit = 100000;
          auto page = archive->query(user, query);
          for (const auto& item : page.items) archive->remove(user, item.id);
          return page.items;
        },
        [session = info->session](auto result) {
          if (!result) return;
          for (const auto& item : *result) session->deliver(std::make_shared<const std::string>(item.value));
        });
    return router::HookResult::Pass;
  });
}

}  // namespace telex::modules::offline
