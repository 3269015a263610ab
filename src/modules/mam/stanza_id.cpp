// Stanza ids stamped by this server, and the per-recipient order of messages waiting for them.
#include "modules/mam/stanza_id.hpp"

#include <algorithm>

namespace telex::modules::mam {
namespace {

bool isStanzaIdBy(const xml::Element& c, const Jid& by) {
  if (c.isText() || c.name() != "stanza-id" || c.xmlns() != kStanzaIdNs) return false;
  auto stamped = Jid::parse(c.attrOr("by", ""));
  return stamped && *stamped == by;
}

}  // namespace

std::size_t removeForgedStanzaIds(xml::Element& message, const Jid& to, std::string_view domain) {
  if (to.domain() != domain || !to.hasLocal()) return 0;
  // Nearly every message has none: no bare JID to build then.
  if (std::none_of(message.children().begin(), message.children().end(), [](const xml::Element& c) {
        return !c.isText() && c.name() == "stanza-id";
      })) {
    return 0;
  }
  Jid bare = to.bare();
  return std::erase_if(message.children(), [&](const xml::Element& c) { return isStanzaIdBy(c, bare); });
}

void addStanzaId(xml::Element& message, std::string_view id, const Jid& by) {
  auto& sid = message.addChild(xml::Element("stanza-id", std::string(kStanzaIdNs)));
  sid.setAttr("id", id);
  sid.setAttr("by", by.bareString());
}

std::optional<std::string> stanzaIdBy(const xml::Element& message, const Jid& by) {
  if (std::none_of(message.children().begin(), message.children().end(), [](const xml::Element& c) {
        return !c.isText() && c.name() == "stanza-id";
      })) {
    return std::nullopt;
  }
  Jid bare = by.bare();
  for (const auto& c : message.children()) {
    if (isStanzaIdBy(c, bare)) return std::string(c.attrOr("id", ""));
  }
  return std::nullopt;
}

bool DeliveryOrder::hold(std::string_view recipient, bool needsId) {
  std::lock_guard lock(mutex_);
  auto it = held_.find(recipient);
  if (!needsId && it == held_.end()) return false;
  if (it == held_.end()) {
    it = held_.emplace(std::string(recipient), 0).first;
    heldCount_.store(held_.size(), std::memory_order_release);
  }
  ++it->second;
  return true;
}

void DeliveryOrder::release(std::string_view recipient) {
  std::lock_guard lock(mutex_);
  auto it = held_.find(recipient);
  if (it == held_.end()) return;
  if (--it->second == 0) {
    held_.erase(it);
    heldCount_.store(held_.size(), std::memory_order_release);
  }
}

std::size_t DeliveryOrder::held(std::string_view recipient) const {
  std::lock_guard lock(mutex_);
  auto it = held_.find(recipient);
  return it == held_.end() ? 0 : it->second;
}

DeliveryOrder::Releasing::Releasing(DeliveryOrder& order) : order_(order) {
  std::lock_guard lock(order_.mutex_);
  order_.releasing_.push_back(std::this_thread::get_id());
  order_.releasingCount_.store(order_.releasing_.size(), std::memory_order_release);
}

DeliveryOrder::Releasing::~Releasing() {
  std::lock_guard lock(order_.mutex_);
  auto it = std::find(order_.releasing_.begin(), order_.releasing_.end(), std::this_thread::get_id());
  if (it != order_.releasing_.end()) order_.releasing_.erase(it);
  order_.releasingCount_.store(order_.releasing_.size(), std::memory_order_release);
}

bool DeliveryOrder::releasing() const {
  // Only this thread adds or removes its own entry, so a 0 seen here cannot hide it.
  if (releasingCount_.load(std::memory_order_acquire) == 0) return false;
  std::lock_guard lock(mutex_);
  return std::find(releasing_.begin(), releasing_.end(), std::this_thread::get_id()) != releasing_.end();
}

}  // namespace telex::modules::mam
