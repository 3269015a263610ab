// XEP-0198 on the client: counters, the unacknowledged queue and the protocol elements.
#include "client/stream_management.hpp"

#include <charconv>

#include "client/stanzas.hpp"

namespace telex::client::detail {

namespace {

std::optional<std::uint32_t> parseH(std::string_view text) {
  std::uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

bool isCountedStanza(const xml::Element& element) {
  if (element.isText() || element.xmlns() != kNsClient) return false;
  const std::string& name = element.name();
  return name == "message" || name == "presence" || name == "iq";
}

std::string StreamManagement::enable(bool resume) {
  active_ = true;
  enabledSeen_ = false;
  resumeId_.clear();
  inbound_ = 0;
  outbound_ = 0;
  queue_.clear();
  return resume ? "<enable xmlns='urn:xmpp:sm:3' resume='true'/>"
                : "<enable xmlns='urn:xmpp:sm:3'/>";
}

void StreamManagement::enabled(const xml::Element& element) {
  if (!active_) return;
  enabledSeen_ = true;
  inbound_ = 0;
  const std::string_view resume = element.attrOr("resume", "false");
  if (resume == "true" || resume == "1") resumeId_ = std::string(element.attrOr("id", ""));
}

void StreamManagement::enableFailed() { reset(); }

void StreamManagement::countInbound() {
  if (active_ && enabledSeen_) ++inbound_;
}

void StreamManagement::sent(std::string stanza) {
  if (!active_) return;
  ++outbound_;
  queue_.push_back(std::move(stanza));
}

bool StreamManagement::acknowledge(std::string_view hText) {
  const auto h = parseH(hText);
  if (!h) return false;
  // The first queued stanza is number outbound_ - size + 1; 'h' counts modulo 2^32.
  const std::uint32_t base = outbound_ - static_cast<std::uint32_t>(queue_.size());
  const std::uint32_t newlyAcked = *h - base;
  if (newlyAcked > queue_.size()) return false;
  queue_.erase(queue_.begin(), queue_.begin() + newlyAcked);
  return true;
}

std::string StreamManagement::answer() const {
  return "<a xmlns='urn:xmpp:sm:3' h='" + std::to_string(inbound_) + "'/>";
}

std::string StreamManagement::request() { return "<r xmlns='urn:xmpp:sm:3'/>"; }

std::string StreamManagement::resume() const {
  return "<resume xmlns='urn:xmpp:sm:3' previd='" + xml::escapeAttribute(resumeId_) + "' h='" +
         std::to_string(inbound_) + "'/>";
}

Expected<std::vector<std::string>, std::string> StreamManagement::resumed(
    const xml::Element& element) {
  if (!acknowledge(element.attrOr("h", ""))) {
    return unexpected("the server's h='" + std::string(element.attrOr("h", "")) +
                      "' does not match what we sent");
  }
  active_ = true;
  return std::vector<std::string>(queue_.begin(), queue_.end());
}

std::vector<std::string> StreamManagement::takeUnacked() {
  std::vector<std::string> out(std::make_move_iterator(queue_.begin()),
                               std::make_move_iterator(queue_.end()));
  reset();
  return out;
}

void StreamManagement::reset() {
  active_ = false;
  enabledSeen_ = false;
  resumeId_.clear();
  inbound_ = 0;
  outbound_ = 0;
  queue_.clear();
}

}  // namespace telex::client::detail
