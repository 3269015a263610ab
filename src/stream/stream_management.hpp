// XEP-0198 Stream Management bookkeeping: counters, the queue of unacknowledged stanzas, and
// the registry of resumable sessions.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/connection.hpp"
#include "xml/element.hpp"

namespace telex::stream {

inline constexpr std::string_view kSmNs = "urn:xmpp:sm:3";

class StreamManagement {
 public:
  explicit StreamManagement(std::string id, bool resumable) : id_(std::move(id)), resumable_(resumable) {}

  const std::string& id() const { return id_; }
  bool resumable() const { return resumable_; }

  // Stanzas received from the client (the 'h' we report).
  std::uint32_t inbound() const { return inbound_; }
  void countInbound() { ++inbound_; }

  // A stanza sent to the client, kept until acknowledged (its pieces stay shared with the other
  // recipients of a fan-out).
  void sent(net::StanzaBytes stanza);
  // Applies the client's <a h=N/>; false if N acknowledges more than was sent.
  bool acknowledge(std::uint32_t h);
  std::size_t unacknowledged() const { return queue_.size(); }
  const std::deque<net::StanzaBytes>& queue() const { return queue_; }
  std::deque<net::StanzaBytes> takeQueue() { return std::move(queue_); }

 private:
  std::string id_;
  bool resumable_;
  std::uint32_t inbound_ = 0;
  std::uint32_t outbound_ = 0;  // stanzas sent since enable (wraps at 2^32, as 'h' does)
  std::deque<net::StanzaBytes> queue_;
};

// Parses one serialized stanza back into an element (for rerouting unacknowledged messages).
std::optional<xml::Element> parseStanza(std::string_view bytes);

// Resumable sessions by stream id, shared by all workers.
template <class SessionT>
class ResumptionRegistry {
 public:
  void add(const std::string& id, std::weak_ptr<SessionT> session) {
    std::lock_guard lock(mutex_);
    sessions_[id] = std::move(session);
  }
  void remove(const std::string& id) {
    std::lock_guard lock(mutex_);
    sessions_.erase(id);
  }
  std::shared_ptr<SessionT> take(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto node = sessions_.extract(id);
    return node ? node.mapped().lock() : nullptr;
  }
  // Every session still registered (shutdown ends the hibernating ones).
  std::vector<std::shared_ptr<SessionT>> all() {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<SessionT>> out;
    for (auto& [id, weak] : sessions_) {
      if (auto s = weak.lock()) out.push_back(std::move(s));
    }
    return out;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::weak_ptr<SessionT>> sessions_;
};

}  // namespace telex::stream
