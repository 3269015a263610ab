// XEP-0359 Unique and Stable Stanza IDs: the <stanza-id by='user'/> a message carries when the
// user's archive keeps it, and the order keeping that lets delivery wait for the archive id.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "jid/jid.hpp"
#include "util/string_hash.hpp"
#include "xml/element.hpp"

namespace telex::modules::mam {

inline constexpr std::string_view kStanzaIdNs = "urn:xmpp:sid:0";

// XEP-0359 §5: only this server may say under which id a local user's archive holds a message,
// so a <stanza-id by='recipient'/> that arrives with it is removed before anyone sees it.
// Returns how many were removed.
std::size_t removeForgedStanzaIds(xml::Element& message, const Jid& to, std::string_view domain);

// Adds <stanza-id xmlns='urn:xmpp:sid:0' id=id by=by/>.
void addStanzaId(xml::Element& message, std::string_view id, const Jid& by);

// The id of the <stanza-id/> that `by` stamped on `message`, if any.
std::optional<std::string> stanzaIdBy(const xml::Element& message, const Jid& by);

// Messages to a user wait for their archive id; this keeps each recipient's messages in routing
// order meanwhile. A message that needs no archive id still waits while an earlier message to
// the same recipient does. Thread-safe (workers share it).
class DeliveryOrder {
 public:
  // Whether a message to `recipient` (bare JID) must be held: it waits for its archive id
  // (`needsId`), or an earlier one to the same recipient still waits. When true, the caller
  // must call release(recipient) exactly once, when the held message goes on.
  bool hold(std::string_view recipient, bool needsId);
  void release(std::string_view recipient);
  std::size_t held(std::string_view recipient) const;
  // No message is held for anyone: a message that needs no id may pass without hold() (and
  // without its lock).
  bool idle() const { return heldCount_.load(std::memory_order_acquire) == 0; }

  // Marks the calling thread as re-routing a held message for its lifetime: the archive hook
  // lets that message through instead of holding it again.
  class Releasing {
   public:
    explicit Releasing(DeliveryOrder& order);
    ~Releasing();
    Releasing(const Releasing&) = delete;
    Releasing& operator=(const Releasing&) = delete;

   private:
    DeliveryOrder& order_;
  };
  bool releasing() const;

 private:
  mutable std::mutex mutex_;
  util::StringMap<std::size_t> held_;
  std::vector<std::thread::id> releasing_;
  // Mirrors of held_.size() and releasing_.size(), written under mutex_: when a server archives
  // nothing both stay 0 and every message passes without taking the lock workers would share.
  std::atomic<std::size_t> heldCount_{0};
  std::atomic<std::size_t> releasingCount_{0};
};

}  // namespace telex::modules::mam
