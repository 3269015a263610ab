// Roster persistence and subscription-state arithmetic.
#include "modules/roster/roster_store.hpp"

#include <nlohmann/json.hpp>

namespace telex::modules::roster {

std::string_view subscriptionName(Subscription s) {
  switch (s) {
    case Subscription::None: return "none";
    case Subscription::To: return "to";
    case Subscription::From: return "from";
    case Subscription::Both: return "both";
  }
  return "none";
}

void RosterItem::addTo() { subscription = hasFrom() ? Subscription::Both : Subscription::To; }
void RosterItem::addFrom() { subscription = hasTo() ? Subscription::Both : Subscription::From; }
void RosterItem::removeTo() { subscription = hasFrom() ? Subscription::From : Subscription::None; }
void RosterItem::removeFrom() { subscription = hasTo() ? Subscription::To : Subscription::None; }

xml::Element RosterItem::toElement() const {
  xml::Element item("item", "jabber:iq:roster");
  item.setAttr("jid", jid);
  if (!name.empty()) item.setAttr("name", name);
  item.setAttr("subscription", subscriptionName(subscription));
  if (askOut) item.setAttr("ask", "subscribe");
  if (approved) item.setAttr("approved", "true");
  for (const auto& g : groups) item.addChild(xml::Element("group", "jabber:iq:roster")).addText(g);
  return item;
}

std::string encodeItem(const RosterItem& item) {
  nlohmann::json j = {{"name", item.name},       {"groups", item.groups},
                      {"sub", subscriptionName(item.subscription)},
                      {"ask", item.askOut},      {"in", item.pendingIn},
                      {"approved", item.approved}, {"roster", item.inRoster},
                      {"status", item.pendingStatus}};
  return j.dump();
}

std::optional<RosterItem> decodeItem(std::string_view contact, std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  RosterItem item;
  item.jid = std::string(contact);
  item.name = j.value("name", "");
  item.groups = j.value("groups", std::vector<std::string>{});
  std::string sub = j.value("sub", "none");
  item.subscription = sub == "both" ? Subscription::Both
                      : sub == "to" ? Subscription::To
                      : sub == "from" ? Subscription::From
                                      : Subscription::None;
  item.askOut = j.value("ask", false);
  item.pendingIn = j.value("in", false);
  item.approved = j.value("approved", false);
  item.inRoster = j.value("roster", true);
  item.pendingStatus = j.value("status", "");
  return item;
}

RosterStore::RosterStore(storage::StorageDriver& driver)
    : driver_(driver), items_(driver.map("roster")), versions_(driver.keyval("roster_version")) {}

std::vector<RosterItem> RosterStore::items(std::string_view user) {
  std::vector<RosterItem> out;
  for (const auto& [contact, value] : items_->all(user)) {
    if (auto item = decodeItem(contact, value)) out.push_back(std::move(*item));
  }
  return out;
}

std::optional<RosterItem> RosterStore::get(std::string_view user, std::string_view contact) {
  auto value = items_->get(user, contact);
  if (!value) return std::nullopt;
  return decodeItem(contact, *value);
}

std::string RosterStore::bumpVersion(std::string_view user) {
  auto current = versions_->get(user);
  long long next = current ? std::stoll(*current) + 1 : 1;
  std::string text = std::to_string(next);
  versions_->set(user, text);
  return text;
}

std::string RosterStore::put(std::string_view user, const RosterItem& item) {
  items_->set(user, item.jid, encodeItem(item));
  std::string version = bumpVersion(user);
  writes_.fetch_add(1, std::memory_order_acq_rel);
  return version;
}

std::string RosterStore::remove(std::string_view user, std::string_view contact) {
  items_->remove(user, contact);
  std::string version = bumpVersion(user);
  writes_.fetch_add(1, std::memory_order_acq_rel);
  return version;
}

std::string RosterStore::version(std::string_view user) {
  auto v = versions_->get(user);
  return v ? *v : "0";
}

std::pair<std::string, std::vector<RosterItem>> RosterStore::versionAndItems(std::string_view user) {
  std::pair<std::string, std::vector<RosterItem>> out;
  driver_.snapshot([&] {
    out.first = version(user);
    out.second = items(user);
  });
  return out;
}

void RosterStore::removeAll(std::string_view user) {
  items_->removeAll(user);
  versions_->remove(user);
  writes_.fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace telex::modules::roster
