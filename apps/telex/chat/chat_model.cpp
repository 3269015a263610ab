// The chat model: contacts, presence, requests, conversations, unread counts, selection.
#include "apps/telex/chat/chat_model.hpp"

#include <algorithm>

namespace telex::chat {

using client::PresenceShow;
using client::PresenceType;

Availability availabilityOf(PresenceShow show) {
  switch (show) {
    case PresenceShow::None:
    case PresenceShow::Chat: return Availability::Online;
    case PresenceShow::Away:
    case PresenceShow::Xa: return Availability::Away;
    case PresenceShow::Dnd: return Availability::Busy;
  }
  return Availability::Online;
}

std::string_view availabilityLabel(Availability availability) {
  switch (availability) {
    case Availability::Offline: return "Offline";
    case Availability::Online: return "Online";
    case Availability::Away: return "Away";
    case Availability::Busy: return "Busy";
  }
  return "Offline";
}

namespace {

const ResourcePresence* best(const std::map<std::string, ResourcePresence>& resources) {
  const ResourcePresence* top = nullptr;
  for (const auto& [name, r] : resources) {
    // Highest priority wins; at equal priority the most available (Online > Away > Busy).
    if (top == nullptr || r.priority > top->priority ||
        (r.priority == top->priority &&
         static_cast<int>(availabilityOf(r.show)) < static_cast<int>(availabilityOf(top->show)))) {
      top = &r;
    }
  }
  return top;
}

std::string lower(std::string s) {
  for (auto& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::vector<const Contact*> sortedByName(std::vector<const Contact*> list) {
  std::sort(list.begin(), list.end(), [](const Contact* a, const Contact* b) {
    const auto an = lower(a->displayName());
    const auto bn = lower(b->displayName());
    return an != bn ? an < bn : a->jid < b->jid;
  });
  return list;
}

}  // namespace

Availability Contact::availability() const {
  const ResourcePresence* top = best(resources);
  return top == nullptr ? Availability::Offline : availabilityOf(top->show);
}

std::string Contact::statusText() const {
  const ResourcePresence* top = best(resources);
  return top == nullptr ? std::string() : top->status;
}

std::string Contact::displayName() const { return name.empty() ? jid.bareString() : name; }

ChatModel::ChatModel(std::size_t maxEntriesPerConversation)
    : maxEntries_(std::max<std::size_t>(1, maxEntriesPerConversation)) {}

// ---- contacts ----

void ChatModel::applyRoster(const client::Roster& roster, bool push) {
  if (!push) {
    // Keep the presence of contacts that stay; forget the rest.
    std::map<Jid, Contact> fresh;
    for (const auto& item : roster.items) {
      Contact c;
      if (auto it = contacts_.find(item.jid.bare()); it != contacts_.end()) c = it->second;
      c.jid = item.jid.bare();
      c.name = item.name;
      c.subscription = item.subscription;
      c.askSubscribe = item.askSubscribe;
      fresh[c.jid] = std::move(c);
    }
    contacts_ = std::move(fresh);
  } else {
    for (const auto& item : roster.items) {
      const Jid bare = item.jid.bare();
      if (item.subscription == client::Subscription::Remove) {
        contacts_.erase(bare);
        continue;
      }
      Contact& c = contacts_[bare];
      c.jid = bare;
      c.name = item.name;
      c.subscription = item.subscription;
      c.askSubscribe = item.askSubscribe;
      // Someone we now let see our presence is no longer an open request.
      if (item.subscription == client::Subscription::From ||
          item.subscription == client::Subscription::Both) {
        dropRequest(bare);
      }
    }
  }
  for (auto& conv : conversations_) {
    if (conv.kind == Conversation::Kind::Chat) conv.title = nameOf(conv.jid);
  }
  clampSelection();
}

void ChatModel::addRequest(const Jid& from) {
  const Jid bare = from.bare();
  if (std::find(requests_.begin(), requests_.end(), bare) == requests_.end()) {
    requests_.push_back(bare);
  }
  clampSelection();
}

PresenceEvent ChatModel::applyPresence(const client::Presence& presence) {
  if (!presence.from) return PresenceEvent::None;
  const Jid bare = presence.from->bare();
  if (bare == self_) return PresenceEvent::None;  // our other resources
  switch (presence.type) {
    case PresenceType::Subscribe: addRequest(bare); return PresenceEvent::Request;
    case PresenceType::Subscribed: return PresenceEvent::Subscribed;
    case PresenceType::Unsubscribed: return PresenceEvent::Unsubscribed;
    case PresenceType::Available:
    case PresenceType::Unavailable: break;
    default: return PresenceEvent::None;
  }
  auto it = contacts_.find(bare);
  if (it == contacts_.end()) return PresenceEvent::None;  // not a contact (e.g. directed)
  Contact& c = it->second;
  const bool wasOnline = c.online();
  const std::string resource = presence.from->resource();
  if (presence.type == PresenceType::Unavailable) {
    if (resource.empty()) {
      c.resources.clear();
    } else {
      c.resources.erase(resource);
    }
    for (auto& conv : conversations_) {
      if (conv.kind == Conversation::Kind::Chat && conv.jid == bare && !c.online()) {
        conv.peerComposing = false;
      }
    }
    if (wasOnline && !c.online()) return PresenceEvent::WentOffline;
    return wasOnline ? PresenceEvent::Changed : PresenceEvent::None;
  }
  ResourcePresence& r = c.resources[resource];
  r.show = presence.show;
  r.status = presence.status;
  r.priority = presence.priority;
  return wasOnline ? PresenceEvent::Changed : PresenceEvent::CameOnline;
}

void ChatModel::clearPresence() {
  for (auto& [jid, c] : contacts_) c.resources.clear();
  for (auto& conv : conversations_) {
    conv.peerComposing = false;
    if (conv.kind == Conversation::Kind::Room) {
      conv.occupants.clear();
      conv.joined = false;
    }
  }
}

const Contact* ChatModel::contact(const Jid& bare) const {
  auto it = contacts_.find(bare.bare());
  return it == contacts_.end() ? nullptr : &it->second;
}

std::vector<const Contact*> ChatModel::onlineContacts() const {
  std::vector<const Contact*> list;
  for (const auto& [jid, c] : contacts_) {
    if (c.online()) list.push_back(&c);
  }
  return sortedByName(std::move(list));
}

std::vector<const Contact*> ChatModel::offlineContacts() const {
  std::vector<const Contact*> list;
  for (const auto& [jid, c] : contacts_) {
    if (!c.online()) list.push_back(&c);
  }
  return sortedByName(std::move(list));
}

void ChatModel::dropRequest(const Jid& bare) {
  std::erase(requests_, bare.bare());
  clampSelection();
}

std::string ChatModel::nameOf(const Jid& jid) const {
  const Contact* c = contact(jid);
  return c != nullptr ? c->displayName() : jid.bareString();
}

std::vector<ContactRow> ChatModel::contactRows() const {
  std::vector<ContactRow> rows;
  if (!requests_.empty()) {
    rows.push_back({ContactRow::Kind::Header,
                    "Requests (" + std::to_string(requests_.size()) + ")",
                    nullptr,
                    {}});
    for (const auto& jid : requests_) rows.push_back({ContactRow::Kind::Request, {}, nullptr, jid});
  }
  const auto online = onlineContacts();
  rows.push_back(
      {ContactRow::Kind::Header, "Online (" + std::to_string(online.size()) + ")", nullptr, {}});
  for (const Contact* c : online) rows.push_back({ContactRow::Kind::Contact, {}, c, c->jid});
  const auto offline = offlineContacts();
  rows.push_back(
      {ContactRow::Kind::Header, "Offline (" + std::to_string(offline.size()) + ")", nullptr, {}});
  for (const Contact* c : offline) rows.push_back({ContactRow::Kind::Contact, {}, c, c->jid});
  return rows;
}

int ChatModel::selectedRow() const {
  if (!selection_) return -1;
  const auto rows = contactRows();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].kind != ContactRow::Kind::Header && rows[i].jid == *selection_) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

void ChatModel::moveSelection(int delta) {
  const auto rows = contactRows();
  const int n = static_cast<int>(rows.size());
  int i = selectedRow();
  if (i < 0) {
    clampSelection();
    return;
  }
  const int step = delta < 0 ? -1 : 1;
  for (int moved = 0; moved < std::abs(delta); ++moved) {
    int next = i + step;
    while (next >= 0 && next < n &&
           rows[static_cast<std::size_t>(next)].kind == ContactRow::Kind::Header) {
      next += step;
    }
    if (next < 0 || next >= n) break;  // stay on the first/last selectable row
    i = next;
  }
  selection_ = rows[static_cast<std::size_t>(i)].jid;
  lastRow_ = i;
}

void ChatModel::clampSelection() {
  if (const int row = selectedRow(); row >= 0) {
    lastRow_ = row;
    return;
  }
  // The selected contact is gone (or none yet): the nearest selectable row from where it was.
  const auto rows = contactRows();
  const int n = static_cast<int>(rows.size());
  const int from = std::clamp(lastRow_, 0, std::max(0, n - 1));
  for (int d = 0; d < n; ++d) {
    for (int i : {from + d, from - d}) {
      if (i >= 0 && i < n && rows[static_cast<std::size_t>(i)].kind != ContactRow::Kind::Header) {
        selection_ = rows[static_cast<std::size_t>(i)].jid;
        lastRow_ = i;
        return;
      }
    }
  }
  selection_.reset();
}

// ---- conversations ----

std::optional<std::size_t> ChatModel::find(const Jid& bare) const {
  const Jid key = bare.bare();
  for (std::size_t i = 0; i < conversations_.size(); ++i) {
    if (conversations_[i].jid == key) return i;
  }
  return std::nullopt;
}

std::size_t ChatModel::openChat(const Jid& bare) {
  if (auto i = find(bare)) return *i;
  Conversation c;
  c.kind = Conversation::Kind::Chat;
  c.jid = bare.bare();
  c.title = nameOf(c.jid);
  conversations_.push_back(std::move(c));
  if (!active_) active_ = conversations_.size() - 1;
  return conversations_.size() - 1;
}

std::size_t ChatModel::openRoom(const Jid& room, const std::string& nick) {
  std::size_t i = 0;
  if (auto existing = find(room)) {
    i = *existing;
  } else {
    Conversation c;
    c.kind = Conversation::Kind::Room;
    c.jid = room.bare();
    c.title = room.bare().local();
    conversations_.push_back(std::move(c));
    i = conversations_.size() - 1;
    if (!active_) active_ = i;
  }
  conversations_[i].kind = Conversation::Kind::Room;
  conversations_[i].nick = nick;
  return i;
}

void ChatModel::addEntry(Conversation& c, Entry entry) {
  c.entries.push_back(std::move(entry));
  if (c.entries.size() > maxEntries_) {
    c.entries.erase(c.entries.begin(), c.entries.begin() + static_cast<std::ptrdiff_t>(
                                                               c.entries.size() - maxEntries_));
  }
}

std::optional<std::size_t> ChatModel::applyMessage(const client::Message& m, std::time_t now) {
  if (!m.from) return std::nullopt;
  const Jid bare = m.from->bare();
  if (m.type == client::MessageType::Error) {
    auto tab = find(bare);
    if (!tab) return std::nullopt;
    addSystem(*tab, "not delivered: " + (m.error ? m.error->describe() : std::string("error")), now,
              Entry::Kind::Error);
    return tab;
  }
  if (m.type == client::MessageType::Groupchat) return std::nullopt;  // rooms: applyRoomMessage
  if (!m.hasContent()) {
    // Chat states (XEP-0085) only change the "is typing" hint of an open conversation.
    if (m.chatState != client::ChatState::None) {
      if (auto tab = find(bare)) {
        conversations_[*tab].peerComposing = m.chatState == client::ChatState::Composing;
        return std::nullopt;
      }
    }
    return std::nullopt;
  }
  Entry e;
  e.kind = Entry::Kind::Incoming;
  e.when = now;
  e.delayed = m.delayStamp.has_value();
  e.text = m.body;
  if (!m.subject.empty()) e.text = m.subject + (m.body.empty() ? "" : " — " + m.body);
  if (m.type == client::MessageType::Headline) e.text = "ALERT: " + e.text;
  std::size_t tab = 0;
  if (auto existing = find(bare);
      existing && conversations_[*existing].kind == Conversation::Kind::Room) {
    // A private message from a room occupant goes to the room's tab, marked as private.
    tab = *existing;
    e.who = m.from->resource() + " (private)";
  } else {
    tab = openChat(bare);
    e.who = nameOf(bare);
  }
  Conversation& c = conversations_[tab];
  c.peerComposing = false;
  addEntry(c, std::move(e));
  if (active_ != tab) ++c.unread;
  return tab;
}

std::optional<std::size_t> ChatModel::applyRoomMessage(const client::RoomMessage& m,
                                                       std::time_t now) {
  auto tab = find(m.room);
  if (!tab || conversations_[*tab].kind != Conversation::Kind::Room) return std::nullopt;
  Conversation& c = conversations_[*tab];
  if (m.subject && !(m.subject->empty() && m.nick.empty())) {  // no line for "no subject yet"
    addSystem(
        *tab,
        (m.nick.empty() ? std::string("The subject is: ") : m.nick + " set the subject to: ") +
            *m.subject,
        now);
    if (m.body.empty()) return tab;
  }
  if (m.body.empty()) return std::nullopt;
  Entry e;
  e.kind = m.fromSelf || (!c.nick.empty() && m.nick == c.nick) ? Entry::Kind::Outgoing
                                                               : Entry::Kind::Incoming;
  e.when = now;
  e.who = m.nick.empty() ? c.title : m.nick;
  e.text = m.body;
  e.delayed = m.delayed;
  const bool counts = e.kind == Entry::Kind::Incoming && !m.delayed;
  addEntry(c, std::move(e));
  if (counts && active_ != tab) ++c.unread;
  return tab;
}

PresenceEvent ChatModel::applyRoomPresence(const client::RoomPresence& p, std::time_t now) {
  auto tab = find(p.room);
  if (!tab || conversations_[*tab].kind != Conversation::Kind::Room) return PresenceEvent::None;
  Conversation& c = conversations_[*tab];
  if (!p.available) {
    c.occupants.erase(p.nick);
    if (p.self) {
      c.joined = false;
      c.occupants.clear();
      addSystem(
          *tab,
          p.kicked()   ? "You were kicked from the room" + (p.reason.empty() ? "" : ": " + p.reason)
          : p.banned() ? "You were banned from the room" + (p.reason.empty() ? "" : ": " + p.reason)
                       : std::string("You left the room"),
          now);
      return PresenceEvent::RoomOccupant;
    }
    if (p.nickChange()) {
      addSystem(*tab, p.nick + " is now known as " + p.newNick, now);
    } else if (c.joined) {
      addSystem(*tab, p.nick + " left", now);
    }
    return PresenceEvent::RoomOccupant;
  }
  const bool isNew = c.occupants.count(p.nick) == 0;
  Occupant& o = c.occupants[p.nick];
  o.nick = p.nick;
  o.availability = availabilityOf(p.show);
  o.status = p.status;
  if (p.self) {
    c.nick = p.nick;
    if (!c.joined) {
      c.joined = true;
      addSystem(*tab, "You joined " + c.jid.bareString() + " as " + p.nick, now);
      return PresenceEvent::RoomJoined;
    }
    return PresenceEvent::RoomOccupant;
  }
  if (isNew && c.joined) addSystem(*tab, p.nick + " joined", now);
  return PresenceEvent::RoomOccupant;
}

void ChatModel::addOutgoing(std::size_t tab, const std::string& text, std::time_t now) {
  Entry e;
  e.kind = Entry::Kind::Outgoing;
  e.when = now;
  e.who = "me";
  e.text = text;
  addEntry(conversations_.at(tab), std::move(e));
}

void ChatModel::addSystem(std::size_t tab, const std::string& text, std::time_t now,
                          Entry::Kind kind) {
  Entry e;
  e.kind = kind;
  e.when = now;
  e.text = text;
  addEntry(conversations_.at(tab), std::move(e));
}

void ChatModel::close(std::size_t tab) {
  if (tab >= conversations_.size()) return;
  conversations_.erase(conversations_.begin() + static_cast<std::ptrdiff_t>(tab));
  if (!active_) return;
  if (conversations_.empty()) {
    active_.reset();
  } else if (*active_ > tab || *active_ >= conversations_.size()) {
    activate(*active_ > 0 ? *active_ - 1 : 0);
  } else {
    activate(*active_);
  }
}

const Conversation* ChatModel::activeConversation() const {
  return active_ ? &conversations_[*active_] : nullptr;
}

void ChatModel::activate(std::size_t tab) {
  if (tab >= conversations_.size()) return;
  active_ = tab;
  conversations_[tab].unread = 0;
}

void ChatModel::nextTab() {
  if (conversations_.empty()) return;
  activate(active_ ? (*active_ + 1) % conversations_.size() : 0);
}

void ChatModel::previousTab() {
  if (conversations_.empty()) return;
  activate(active_ ? (*active_ + conversations_.size() - 1) % conversations_.size() : 0);
}

int ChatModel::totalUnread() const {
  int total = 0;
  for (const auto& c : conversations_) total += c.unread;
  return total;
}

}  // namespace telex::chat
