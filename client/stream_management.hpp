// XEP-0198 stream management on the client (internal): the counters, the queue of stanzas the
// server has not acknowledged, and the <enable/>/<resume/>/<r/>/<a/> elements. No I/O: the
// Client's state machine feeds it and sends what it returns.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.hpp"
#include "xml/element.hpp"

namespace telex::client::detail {

inline constexpr std::string_view kNsSm = "urn:xmpp:sm:3";

// Whether a top-level element counts as a stanza for 'h' (XEP-0198 §4: message, presence, iq).
bool isCountedStanza(const xml::Element& element);

class StreamManagement {
 public:
  // ---- one session's life ----
  // The <enable/> to send (asking for resumption when `resume`): our outbound count starts now
  // (§4: the client counts from its <enable/>).
  std::string enable(bool resume = true);
  // <enabled/>: the server counts from here; remembers the resumption id when offered.
  void enabled(const xml::Element& element);
  // <failed/> in answer to <enable/>: no stream management in this session (the queue is kept
  // for the caller to deal with: see takeUnacked).
  void enableFailed();
  bool active() const { return active_; }
  bool canResume() const { return !resumeId_.empty(); }
  const std::string& resumeId() const { return resumeId_; }

  // ---- counting ----
  void countInbound();  // an incoming stanza (counted once <enabled/> was seen)
  std::uint32_t inbound() const { return inbound_; }
  // A stanza we send (serialized): kept until acknowledged.
  void sent(std::string stanza);
  // Applies <a h='N'/>: drops what the server has; false when N acknowledges more than was sent
  // (a broken server) or is not a number.
  bool acknowledge(std::string_view h);
  std::size_t unacked() const { return queue_.size(); }

  std::string answer() const;    // <a h='inbound'/>
  static std::string request();  // <r/>

  // ---- resumption ----
  std::string resume() const;  // <resume previd='...' h='inbound'/>
  // <resumed h='N'/>: applies N; returns the stanzas the server never got, to send again (they
  // stay queued, counted again as sent). Error when 'h' is bad.
  Expected<std::vector<std::string>, std::string> resumed(const xml::Element& element);
  // Resumption refused (<failed/>) or impossible: the session is gone. Returns the stanzas the
  // server never acknowledged (for a new session to send again) and resets everything.
  std::vector<std::string> takeUnacked();
  // The connection is lost: stop counting until resumed or a fresh session begins.
  void suspend() { active_ = false; }
  void reset();

 private:
  bool active_ = false;
  bool enabledSeen_ = false;
  std::string resumeId_;
  std::uint32_t inbound_ = 0;   // stanzas received since <enabled/>
  std::uint32_t outbound_ = 0;  // stanzas sent since <enable/> (wraps at 2^32, as 'h' does)
  std::deque<std::string> queue_;  // sent, not yet acknowledged; the oldest first
};

}  // namespace telex::client::detail
