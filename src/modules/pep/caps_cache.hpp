// Who wants which PEP notifications: the process-wide XEP-0115 cache (verification string →
// features), each online resource's interests, and the disco#info queries still unanswered.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace telex::modules::pep {

// The features of one client configuration, sorted, and the PEP nodes it asks notifications for
// (each "<node>+notify" feature, XEP-0163 §4.4), sorted.
struct CapsFeatures {
  std::vector<std::string> features;
  std::vector<std::string> notifyNodes;

  static std::shared_ptr<const CapsFeatures> make(std::vector<std::string> features);
  bool wantsNotify(std::string_view node) const;
};

// The process-wide registry of verified entity capabilities: "<hash> <ver>" → features. Only
// answers whose hash matched the advertised ver go in, so an entry is true for every client
// that advertises it, whichever server instance in the process asked. Bounded: the oldest
// entries make way when it is full. Thread-safe.
class CapsCache {
 public:
  static CapsCache& processWide();

  explicit CapsCache(std::size_t capacity) : capacity_(capacity) {}
  std::shared_ptr<const CapsFeatures> find(std::string_view hash, std::string_view ver) const;
  void add(std::string_view hash, std::string_view ver, std::shared_ptr<const CapsFeatures> features);
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::size_t capacity_;
  std::unordered_map<std::string, std::shared_ptr<const CapsFeatures>> entries_;
  std::deque<std::string> order_;  // insertion order, for eviction
};

// What each available resource (by full JID) advertised, and the features behind it once known.
// Thread-safe.
class ResourceInterests {
 public:
  struct Entry {
    std::string capsKey;  // "<hash> <ver>" of the latest caps seen
    std::shared_ptr<const CapsFeatures> features;  // null until known
  };

  // Records the caps the resource advertised; returns true when they differ from the last ones
  // (so the resource's interests must be (re)learned).
  bool advertise(const std::string& fullJid, const std::string& capsKey);
  // Sets the features for `capsKey` if the resource still advertises it; returns whether it did.
  bool learn(const std::string& fullJid, const std::string& capsKey, std::shared_ptr<const CapsFeatures> features);
  std::shared_ptr<const CapsFeatures> features(const std::string& fullJid) const;
  void forget(const std::string& fullJid);
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

// The disco#info queries this server sent to learn unknown caps, by IQ id. Entries go when
// answered, when the resource leaves, or after a timeout (checked whenever one is added).
class CapsQueries {
 public:
  struct Query {
    std::string fullJid;
    std::string hash;
    std::string node;
    std::string ver;
    std::chrono::steady_clock::time_point sent;
  };

  explicit CapsQueries(std::chrono::seconds timeout) : timeout_(timeout) {}
  // Returns the id of a new query to send.
  std::string add(Query query);
  // Removes and returns the query `id` if `from` (full JID) is who it was sent to; an answer from
  // anyone else leaves it waiting for the real one.
  std::optional<Query> take(std::string_view id, std::string_view from);
  void forgetResource(const std::string& fullJid);
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::chrono::seconds timeout_;
  std::unordered_map<std::string, Query> pending_;
};

}  // namespace telex::modules::pep
