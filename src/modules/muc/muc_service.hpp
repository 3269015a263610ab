// The group chat service on its own domain (conference.<domain>): the rooms, which worker each
// lives on, persistent rooms loaded from and saved to storage, which rooms each real JID is in,
// and the answers of the service itself (disco, ping, unique room names).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "modules/mam/archive_queue.hpp"
#include "modules/module.hpp"
#include "modules/muc/room.hpp"

namespace telex::modules::muc {

struct ServiceOptions {
  std::string domain;
  int maxHistory = 50;
  int maxRoomsPerUser = 0;  // 0: no limit
  bool restrictRoomCreation = false;
  std::vector<std::string> roomCreators;  // bare JIDs allowed to create rooms when restricted
  std::size_t mamPageCap = 250;
  std::int64_t retentionMs = 0;  // room archives keep messages this long; 0: forever
};

class MucService : public std::enable_shared_from_this<MucService> {
 public:
  MucService(ModuleContext& context, ServiceOptions options);

  // The router's component handler: any stanza to the service's domain or a JID at it.
  void handle(router::StanzaEvent& event);
  // `session` of a real full JID ended or broadcast unavailable presence: it leaves every room.
  void sessionGone(const Jid& real, const router::Session* session);

  // Runs `fn` on the room's home worker after the room's earlier work. Any worker.
  void runInRoom(const std::shared_ptr<Room>& room, std::function<void(Room&)> fn);

  // For rooms, on their home worker.
  router::StanzaRouter& router() { return ctx_.router(); }
  const ServiceOptions& options() const { return options_; }
  const Jid& jid() const { return jid_; }
  mam::ArchiveQueue& queue() { return *queue_; }
  const std::shared_ptr<storage::ArchiveStore>& archiveStore() const { return archive_; }
  void noteJoined(const Jid& real, const std::string& room);
  void noteLeft(const Jid& real, const std::string& room);
  // The room's entry in the room list changed (name, public, locked).
  void updateListing(const Room& room);
  // Stores the room if it is persistent, forgets its stored record otherwise.
  void save(const Room& room);
  void archive(const Room& room, std::int64_t when, std::string with, std::string message);
  // The room is gone: no longer reachable, its stored record and archive are deleted.
  void removeRoom(Room& room);
  // A stanza that reached a room after the room was removed: routed afresh.
  void reroute(RoomStanza stanza);

 private:
  struct Listing {
    std::string name;
    bool listed = false;
  };
  struct LoadedRoom {
    std::string local;
    RoomRecord record;
    std::vector<storage::ArchiveItem> history;
  };

  void route(RoomStanza stanza);
  void handleService(RoomStanza& stanza);
  void createRoom(RoomStanza stanza);
  std::shared_ptr<Room> find(const std::string& local) const;
  void startLoading();
  void finishLoading(Expected<std::vector<LoadedRoom>, std::string> loaded);

  ModuleContext& ctx_;
  ServiceOptions options_;
  Jid jid_;
  std::shared_ptr<storage::MapStore> roomStore_;
  std::shared_ptr<storage::ArchiveStore> archive_;
  std::shared_ptr<mam::ArchiveQueue> queue_;

  mutable std::shared_mutex mutex_;  // guards the members below; never held while delivering
  std::map<std::string, std::shared_ptr<Room>> rooms_;  // by room localpart
  std::map<std::string, Listing> listings_;
  std::map<std::string, int> createdBy_;  // rooms per creator's bare JID
  // Persistent rooms are loaded on the first stanza to the service; stanzas wait meanwhile.
  std::atomic<bool> loaded_{false};
  bool loading_ = false;
  std::vector<RoomStanza> waiting_;

  std::atomic<std::int64_t> lastSweep_{0};

  std::mutex joinedMutex_;
  std::unordered_map<std::string, std::set<std::string>> joined_;  // real full JID -> rooms
};

}  // namespace telex::modules::muc
