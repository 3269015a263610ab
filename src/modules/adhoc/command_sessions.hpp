// The open multi-step ad-hoc command sessions (XEP-0050 sessionid), bounded in number and age.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace telex::modules::adhoc {

// Thread-safe: requests of different users arrive on different workers.
class CommandSessions {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kMaxPerOwner = 10;
  static constexpr std::size_t kMaxTotal = 10000;
  static constexpr std::chrono::minutes kIdleTimeout{10};

  enum class Status { Ok, Unknown, Expired, WrongOwner, WrongNode, Busy };

  // Opens a session for `owner` (a full JID) running `node`, marked busy; "" when the owner
  // already has kMaxPerOwner sessions or the table is full.
  std::string open(std::string_view node, std::string_view owner, Clock::time_point now = Clock::now());
  // Takes an open session for its next step: checks owner and node, marks it busy, and gives the
  // stage it reached. An expired session is removed.
  Status take(std::string_view id, std::string_view node, std::string_view owner, std::size_t& stage,
              Clock::time_point now = Clock::now());
  // The step finished and the command waits for the next form.
  void advance(std::string_view id, std::size_t stage, Clock::time_point now = Clock::now());
  void close(std::string_view id);
  std::size_t size() const;

 private:
  struct Entry {
    std::string node;
    std::string owner;
    std::size_t stage = 0;
    Clock::time_point lastUsed;
    bool busy = false;
  };
  void expire(Clock::time_point now);
  static std::string bareOf(std::string_view owner);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> sessions_;
};

}  // namespace telex::modules::adhoc
