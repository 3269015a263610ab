// What `telex chat` shows, without curses: contacts with presence (grouped online/offline),
// subscription requests, conversations and group conversations (the tabs) with unread counts,
// and the contact-list selection. The app feeds it stanzas; the view only reads it.
#pragma once

#include <cstddef>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "apps/telex/chat/idle.hpp"
#include "client/muc.hpp"
#include "client/stanzas.hpp"
#include "jid/jid.hpp"

namespace telex::chat {

enum class Availability { Offline, Online, Away, Busy };
Availability availabilityOf(client::PresenceShow show);
std::string_view availabilityLabel(Availability availability);

struct ResourcePresence {
  client::PresenceShow show = client::PresenceShow::None;
  std::string status;
  int priority = 0;
};

struct Contact {
  Jid jid;  // bare
  std::string name;
  client::Subscription subscription = client::Subscription::None;
  bool askSubscribe = false;
  std::map<std::string, ResourcePresence> resources;  // online resources

  bool online() const { return !resources.empty(); }
  Availability availability() const;  // of the best resource (highest priority)
  std::string statusText() const;     // of the best resource
  std::string displayName() const;    // the roster name, else the JID
};

struct Entry {
  enum class Kind { Incoming, Outgoing, System, Error };
  Kind kind = Kind::System;
  std::time_t when = 0;
  std::string who;   // sender's display name (Incoming/Outgoing)
  std::string text;  // raw; the view makes it safe to draw
  bool delayed = false;
};

struct Occupant {
  std::string nick;
  Availability availability = Availability::Online;
  std::string status;
};

struct Conversation {
  enum class Kind { Chat, Room };
  Kind kind = Kind::Chat;
  Jid jid;  // bare: the contact or the room
  std::string title;
  std::vector<Entry> entries;
  int unread = 0;
  bool peerComposing = false;
  // Rooms only.
  std::string nick;
  bool joined = false;
  std::map<std::string, Occupant> occupants;
};

// One row of the contact list: a group header or a contact (or a pending request).
struct ContactRow {
  enum class Kind { Header, Contact, Request };
  Kind kind = Kind::Header;
  std::string text;  // header text
  const Contact* contact = nullptr;
  Jid jid;  // Contact/Request
};

enum class PresenceEvent {
  None,
  CameOnline,    // a contact's first resource became available
  WentOffline,   // its last resource left
  Changed,       // show/status changed
  Request,       // someone asks to see our presence
  Subscribed,    // a contact approved our request
  Unsubscribed,  // a contact refused or revoked
  RoomJoined,    // our own occupant presence in a room
  RoomOccupant,  // someone joined, left or changed in a room
  RoomError,     // joining failed
};

class ChatModel {
 public:
  explicit ChatModel(std::size_t maxEntriesPerConversation = 2000);

  void setSelf(const Jid& self) { self_ = self.bare(); }
  const Jid& self() const { return self_; }

  // ---- contacts ----
  // A full roster (push = false) replaces the list; a push adds, updates or removes one item.
  void applyRoster(const client::Roster& roster, bool push);
  // Contact presence (not room occupants: see applyRoomPresence).
  PresenceEvent applyPresence(const client::Presence& presence);
  // Someone asks to see our presence: listed under "Requests" until approved or denied.
  void addRequest(const Jid& from);
  // All resources offline (the connection was lost).
  void clearPresence();
  const Contact* contact(const Jid& bare) const;
  const std::map<Jid, Contact>& contacts() const { return contacts_; }
  std::vector<const Contact*> onlineContacts() const;   // sorted by name
  std::vector<const Contact*> offlineContacts() const;  // sorted by name
  const std::vector<Jid>& requests() const { return requests_; }
  void dropRequest(const Jid& bare);
  std::string nameOf(const Jid& jid) const;  // roster name or the bare JID

  // The contact list as rows: "Requests (n)", "Online (n)", "Offline (n)" with their entries.
  std::vector<ContactRow> contactRows() const;
  // The selection follows its contact when the list reorders (presence changes).
  int selectedRow() const;
  void moveSelection(int delta);  // skips headers
  std::optional<Jid> selectedJid() const { return selection_; }

  // ---- conversations (the tabs) ----
  // Incoming message: returns the tab it went to (nullopt: nothing to show, e.g. a receipt).
  std::optional<std::size_t> applyMessage(const client::Message& message, std::time_t now);
  // Group conversation traffic for a room we have a tab for (nullopt otherwise).
  std::optional<std::size_t> applyRoomMessage(const client::RoomMessage& message, std::time_t now);
  PresenceEvent applyRoomPresence(const client::RoomPresence& presence, std::time_t now);
  std::size_t openChat(const Jid& bare);  // existing tab or a new one; does not activate
  std::size_t openRoom(const Jid& room, const std::string& nick);
  std::optional<std::size_t> find(const Jid& bare) const;
  void addOutgoing(std::size_t tab, const std::string& text, std::time_t now);
  void addSystem(std::size_t tab, const std::string& text, std::time_t now,
                 Entry::Kind kind = Entry::Kind::System);
  void close(std::size_t tab);

  const std::vector<Conversation>& conversations() const { return conversations_; }
  Conversation& conversation(std::size_t tab) { return conversations_.at(tab); }
  std::optional<std::size_t> active() const { return active_; }
  const Conversation* activeConversation() const;
  void activate(std::size_t tab);  // clears its unread count
  void nextTab();
  void previousTab();
  int totalUnread() const;

 private:
  void addEntry(Conversation& c, Entry entry);
  void clampSelection();

  Jid self_;
  std::size_t maxEntries_;
  std::map<Jid, Contact> contacts_;
  std::vector<Jid> requests_;
  std::vector<Conversation> conversations_;
  std::optional<std::size_t> active_;
  std::optional<Jid> selection_;
  int lastRow_ = 0;  // where the selection was, for when its contact disappears
};

}  // namespace telex::chat
