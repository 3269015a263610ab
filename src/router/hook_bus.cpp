// HookBus dispatch; each handler call is guarded so one faulty module cannot take a loop down.
#include "router/hook_bus.hpp"

#include <algorithm>
#include <spdlog/spdlog.h>

namespace telex::router {

template <class Event>
void HookList<Event>::add(int priority, std::string owner, Handler handler) {
  Entry entry{priority, std::move(owner), std::move(handler)};
  // Stable: equal priorities run in registration order.
  auto pos = std::upper_bound(entries_.begin(), entries_.end(), priority,
                              [](int p, const Entry& e) { return p > e.priority; });
  entries_.insert(pos, std::move(entry));
}

template <class Event>
HookResult HookList<Event>::fireFirst(Event& event) const {
  for (const auto& entry : entries_) {
    try {
      if (entry.handler(event) == HookResult::Handled) return HookResult::Handled;
    } catch (const std::exception& e) {
      spdlog::error("hook of module {} failed: {}", entry.owner, e.what());
    }
  }
  return HookResult::Pass;
}

template <class Event>
void HookList<Event>::fireAll(Event& event) const {
  for (const auto& entry : entries_) {
    try {
      entry.handler(event);
    } catch (const std::exception& e) {
      spdlog::error("hook of module {} failed: {}", entry.owner, e.what());
    }
  }
}

template class HookList<StanzaEvent>;
template class HookList<SessionEvent>;
template class HookList<MessageEvent>;
template class HookList<PresenceDeliveryEvent>;

void HookBus::onStanza(std::string_view event, int priority, std::string owner,
                       HookList<StanzaEvent>::Handler handler) {
  auto it = stanza_.find(event);
  if (it == stanza_.end()) it = stanza_.emplace(std::string(event), HookList<StanzaEvent>{}).first;
  it->second.add(priority, std::move(owner), std::move(handler));
}

const HookList<StanzaEvent>* HookBus::stanzaHooks(std::string_view event) const {
  auto it = stanza_.find(event);
  return it == stanza_.end() ? nullptr : &it->second;
}

}  // namespace telex::router
