// Which users may have messages in the offline store. A sign-in whose user has none (nearly
// every sign-in) then needs no storage round trip to find that out.
//
// Invariant: a user with a stored offline message is marked. Writers mark after an append
// commits (and the offline module also when it queues one, so a take queued behind it runs);
// a take unmarks before it reads. A mark without messages only costs one empty read.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "util/string_hash.hpp"

namespace telex::modules::offline {

class OfflineIndex {
 public:
  void load(const std::vector<std::string>& users);
  void mark(std::string_view user);
  // True when `user` was marked: then read the store. Unmarks.
  bool take(std::string_view user);

 private:
  std::mutex mutex_;
  util::StringSet users_;
};

}  // namespace telex::modules::offline
