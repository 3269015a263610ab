// The group chat service: room registry, home workers, loading and saving rooms, the service's
// own disco/ping/unique answers.
#include "modules/muc/muc_service.hpp"

#include <spdlog/spdlog.h>
#include <utility>

#include "util/crypto.hpp"

namespace telex::modules::muc {
namespace {

using router::StanzaError;

constexpr std::string_view kDiscoInfoNs = "http://jabber.org/protocol/disco#info";
constexpr std::string_view kDiscoItemsNs = "http://jabber.org/protocol/disco#items";
constexpr std::string_view kPingNs = "urn:xmpp:ping";
constexpr std::string_view kUniqueNs = "http://jabber.org/protocol/muc#unique";
constexpr std::string_view kStoreName = "muc_rooms";
constexpr std::string_view kArchiveName = "muc_mam";

xml::Element feature(std::string_view var) {
  xml::Element f("feature", std::string(kDiscoInfoNs));
  f.setAttr("var", var);
  return f;
}

}  // namespace

MucService::MucService(ModuleContext& context, ServiceOptions options)
    : ctx_(context),
      options_(std::move(options)),
      jid_(*Jid::make("", options_.domain)),
      roomStore_(context.storage().map(kStoreName)),
      archive_(context.storage().archive(kArchiveName)),
      queue_(std::make_shared<mam::ArchiveQueue>(context)) {}

void MucService::handle(router::StanzaEvent& event) {
  RoomStanza stanza{event.stanza, event.from, event.to};
  if (!loaded_.load(std::memory_order_acquire)) {
    bool queued = false, start = false;
    {
      std::unique_lock lock(mutex_);
      if (!loaded_.load(std::memory_order_relaxed)) {
        waiting_.push_back(std::move(stanza));
        queued = true;
        start = !loading_;
        loading_ = true;
      }
    }
    if (start) startLoading();
    if (queued) return;
  }
  route(std::move(stanza));
}

void MucService::startLoading() {
  int maxHistory = options_.maxHistory;
  queue_->run(
      [store = roomStore_, archive = archive_, domain = options_.domain, maxHistory] {
        std::vector<LoadedRoom> out;
        for (auto& [local, value] : store->all(domain)) {
          auto record = decodeRecord(value, maxHistory);
          if (!record) {
            spdlog::warn("muc: stored room {}@{} is unreadable; skipped", local, domain);
            continue;
          }
          LoadedRoom room{local, std::move(*record), {}};
          if (room.record.config.archiving && room.record.config.historyLength > 0) {
            storage::ArchiveQuery query;
            query.limit = static_cast<std::size_t>(room.record.config.historyLength);
            query.reverse = true;
            room.history = archive->query(local + "@" + domain, query).items;
          }
          out.push_back(std::move(room));
        }
        return out;
      },
      [self = shared_from_this()](auto loaded) { self->finishLoading(std::move(loaded)); });
}

void MucService::finishLoading(Expected<std::vector<LoadedRoom>, std::string> loaded) {
  if (!loaded) {
    spdlog::error("muc: could not load rooms: {}", loaded.error());
    std::vector<RoomStanza> waiting;
    {
      std::unique_lock lock(mutex_);
      loading_ = false;  // the next stanza tries again
      waiting = std::exchange(waiting_, {});
    }
    for (auto& s : waiting) {
      ctx_.router().replyError(s.stanza, StanzaError::internalServerError("rooms could not be loaded"));
    }
    return;
  }
  {
    std::unique_lock lock(mutex_);
    for (auto& l : *loaded) {
      auto room = std::make_shared<Room>(*this, l.local, std::move(l.record), false);
      room->restoreHistory(l.history);
      listings_[l.local] = Listing{room->displayName(), room->listed()};
      if (!room->creator().empty()) ++createdBy_[room->creator()];
      rooms_[l.local] = std::move(room);
    }
    spdlog::info("muc: {} persistent rooms on {}", rooms_.size(), options_.domain);
  }
  // Stanzas that waited go first, in their order; ones arriving meanwhile still queue behind
  // them, so nobody's stanzas overtake each other.
  for (;;) {
    std::vector<RoomStanza> waiting;
    {
      std::unique_lock lock(mutex_);
      if (waiting_.empty()) {
        loading_ = false;
        loaded_.store(true, std::memory_order_release);
        return;
      }
      waiting = std::exchange(waiting_, {});
    }
    for (auto& s : waiting) route(std::move(s));
  }
}

std::shared_ptr<Room> MucService::find(const std::string& local) const {
  std::shared_lock lock(mutex_);
  auto it = rooms_.find(local);
  return it == rooms_.end() ? nullptr : it->second;
}

void MucService::runInRoom(const std::shared_ptr<Room>& room, std::function<void(Room&)> fn) {
  // Always a post, even to the current worker: the room's work then runs in the order it was
  // handed over from every worker (an inline call could overtake work another worker posted a
  // moment earlier, e.g. stanzas that waited for the rooms to load).
  net::Worker* home = room->claimHome(net::Worker::current());
  home->post([room, fn = std::move(fn)]() mutable { room->run(std::move(fn)); });
}

void MucService::route(RoomStanza s) {
  if (!s.to.hasLocal()) {
    handleService(s);
    return;
  }
  if (auto room = find(s.to.local())) {
    runInRoom(room, [s = std::move(s)](Room& r) mutable { r.handle(std::move(s), false); });
    return;
  }
  const std::string& kind = s.stanza.name();
  std::string_view type = s.stanza.attrOr("type", "");
  if (kind == "presence") {
    if (!type.empty()) return;  // leaving a room that is not there, or a subscription: nothing to do
    if (!s.to.hasResource()) {
      ctx_.router().replyError(s.stanza, StanzaError::jidMalformed("a room is joined with a nickname"));
      return;
    }
    createRoom(std::move(s));
    return;
  }
  if (type == "error" || type == "result") return;
  ctx_.router().replyError(s.stanza, StanzaError::itemNotFound("no such room"));
}

void MucService::createRoom(RoomStanza s) {
  std::string creator = s.from.bareString();
  if (options_.restrictRoomCreation &&
      std::find(options_.roomCreators.begin(), options_.roomCreators.end(), creator) == options_.roomCreators.end()) {
    ctx_.router().replyError(s.stanza, StanzaError::notAllowed("room creation is restricted"));
    return;
  }
  std::shared_ptr<Room> room;
  bool created = false;
  {
    std::unique_lock lock(mutex_);
    if (auto it = rooms_.find(s.to.local()); it != rooms_.end()) {
      room = it->second;  // another worker created it a moment ago
    } else {
      if (options_.maxRoomsPerUser > 0 && createdBy_[creator] >= options_.maxRoomsPerUser) {
        lock.unlock();
        ctx_.router().replyError(s.stanza, StanzaError::notAllowed("you have created as many rooms as allowed"));
        return;
      }
      RoomRecord record;
      record.config = defaultRoomConfig(options_.maxHistory);
      record.creator = creator;
      record.affiliations[creator] = AffiliationEntry{Affiliation::Owner, {}, {}};
      // §10.1.1: a client that speaks MUC (<x xmlns='…muc'/>) gets a locked room to configure;
      // an old groupchat 1.0 client cannot, so its room is an instant one.
      bool locked = s.stanza.child("x", kMucNs) != nullptr;
      room = std::make_shared<Room>(*this, s.to.local(), std::move(record), locked);
      rooms_[s.to.local()] = room;
      listings_[s.to.local()] = Listing{room->displayName(), room->listed()};
      ++createdBy_[creator];
      created = true;
      // Handed to the room before anyone else can find it: the creator enters first.
      runInRoom(room, [s = std::move(s)](Room& r) mutable { r.handle(std::move(s), true); });
    }
  }
  if (!created) runInRoom(room, [s = std::move(s)](Room& r) mutable { r.handle(std::move(s), false); });
}

void MucService::reroute(RoomStanza stanza) { route(std::move(stanza)); }

void MucService::handleService(RoomStanza& s) {
  std::string_view type = s.stanza.attrOr("type", "");
  if (s.stanza.name() != "iq") return;  // messages and presence to the service mean nothing
  if (type != "get" && type != "set") return;
  const xml::Element* payload = s.stanza.firstElement();
  auto reply = [&](const IqReply& r) { replyToIq(ctx_.router(), s.stanza, s.from, r); };
  if (!payload) return reply(unexpected(StanzaError::badRequest()));
  const std::string& ns = payload->xmlns();
  if (type == "get" && ns == kDiscoInfoNs && payload->name() == "query") {
    if (payload->attr("node")) return reply(unexpected(StanzaError::itemNotFound()));
    xml::Element query("query", std::string(kDiscoInfoNs));
    auto& identity = query.addChild(xml::Element("identity", std::string(kDiscoInfoNs)));
    identity.setAttr("category", "conference");
    identity.setAttr("type", "text");
    identity.setAttr("name", "Chatrooms");
    for (std::string_view f : {kDiscoInfoNs, kDiscoItemsNs, kMucNs, kUniqueNs, kSelfPingFeature, kPingNs}) {
      query.addChild(feature(f));
    }
    return reply(std::optional<xml::Element>(std::move(query)));
  }
  if (type == "get" && ns == kDiscoItemsNs && payload->name() == "query") {
    if (payload->attr("node")) return reply(unexpected(StanzaError::itemNotFound()));
    xml::Element query("query", std::string(kDiscoItemsNs));
    std::shared_lock lock(mutex_);
    for (const auto& [local, listing] : listings_) {
      if (!listing.listed) continue;
      auto& item = query.addChild(xml::Element("item", std::string(kDiscoItemsNs)));
      item.setAttr("jid", local + "@" + options_.domain);
      item.setAttr("name", listing.name);
    }
    lock.unlock();
    return reply(std::optional<xml::Element>(std::move(query)));
  }
  if (type == "get" && ns == kPingNs && payload->name() == "ping") return reply(std::optional<xml::Element>());
  if (type == "get" && ns == kUniqueNs && payload->name() == "unique") {
    // §10.1.4: a name nobody uses, for a room about to be created.
    xml::Element unique("unique", std::string(kUniqueNs));
    unique.addText(util::randomHex(16));
    return reply(std::optional<xml::Element>(std::move(unique)));
  }
  reply(unexpected(StanzaError::serviceUnavailable()));
}

void MucService::sessionGone(const Jid& real, const router::Session* session) {
  std::set<std::string> rooms;
  {
    std::lock_guard lock(joinedMutex_);
    auto it = joined_.find(real.full());
    if (it == joined_.end()) return;
    rooms = it->second;
  }
  for (const auto& local : rooms) {
    if (auto room = find(local)) {
      runInRoom(room, [real, session](Room& r) { r.sessionGone(real, session); });
    }
  }
}

void MucService::noteJoined(const Jid& real, const std::string& room) {
  std::lock_guard lock(joinedMutex_);
  joined_[real.full()].insert(room);
}

void MucService::noteLeft(const Jid& real, const std::string& room) {
  std::lock_guard lock(joinedMutex_);
  auto it = joined_.find(real.full());
  if (it == joined_.end()) return;
  it->second.erase(room);
  if (it->second.empty()) joined_.erase(it);
}

void MucService::updateListing(const Room& room) {
  std::unique_lock lock(mutex_);
  auto it = rooms_.find(room.local());
  if (it == rooms_.end() || it->second.get() != &room) return;
  listings_[room.local()] = Listing{room.displayName(), room.listed()};
}

void MucService::save(const Room& room) {
  RoomRecord record = room.record();
  if (record.config.persistent) {
    queue_->post([store = roomStore_, domain = options_.domain, local = room.local(), value = encodeRecord(record)] {
      store->set(domain, local, value);
    });
  } else {
    queue_->post([store = roomStore_, domain = options_.domain, local = room.local()] { store->remove(domain, local); });
  }
}

void MucService::archive(const Room& room, std::int64_t when, std::string with, std::string message) {
  queue_->post([archive = archive_, user = room.jid().bareString(), when, with = std::move(with),
                message = std::move(message)] { archive->append(user, when, with, message); });
  // mam.retention_days holds for room archives too; expired messages go at most once an hour.
  std::int64_t last = lastSweep_.load(std::memory_order_relaxed);
  if (options_.retentionMs > 0 && when - last >= 3600 * 1000 &&
      lastSweep_.compare_exchange_strong(last, when, std::memory_order_relaxed)) {
    queue_->post([archive = archive_, before = when - options_.retentionMs] { archive->removeBefore("", before); });
  }
}

void MucService::removeRoom(Room& room) {
  room.markDestroyed();
  {
    std::unique_lock lock(mutex_);
    auto it = rooms_.find(room.local());
    if (it != rooms_.end() && it->second.get() == &room) {
      rooms_.erase(it);
      listings_.erase(room.local());
      if (auto c = createdBy_.find(room.creator()); c != createdBy_.end() && --c->second <= 0) createdBy_.erase(c);
    }
  }
  // A later room of the same name must not inherit this one's settings or conversations.
  queue_->post([store = roomStore_, archive = archive_, domain = options_.domain, local = room.local(),
                user = room.jid().bareString()] {
    store->remove(domain, local);
    archive->removeAll(user);
  });
}

}  // namespace telex::modules::muc
