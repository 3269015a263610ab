// A router::Session that records what the router delivers to it, for unit tests that drive a real
// router and modules without sockets. Single-threaded use: tests deliver on their own thread.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "router/session.hpp"

namespace telex::test {

class RecordingSession : public router::Session {
 public:
  RecordingSession(net::Worker& worker, std::string_view jid) : worker_(worker), jid_(*Jid::parse(jid)) {}

  const Jid& jid() const override { return jid_; }
  net::Worker& worker() override { return worker_; }
  void deliver(const net::SharedBytes& stanza) override { received.push_back(*stanza); }
  void closeWithError(stream::StreamErrorCondition condition, std::string_view) override { closedWith = condition; }

  std::size_t count(std::string_view needle) const {
    return static_cast<std::size_t>(std::count_if(received.begin(), received.end(), [&](const std::string& s) {
      return s.find(needle) != std::string::npos;
    }));
  }
  bool got(std::string_view needle) const { return count(needle) > 0; }
  std::string last() const { return received.empty() ? std::string() : received.back(); }

  std::vector<std::string> received;
  std::optional<stream::StreamErrorCondition> closedWith;

 private:
  net::Worker& worker_;
  Jid jid_;
};

}  // namespace telex::test
