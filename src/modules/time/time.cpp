// XEP-0202 Entity Time: the server's clock in UTC.
#include "modules/time/time.hpp"

#include <chrono>
#include <ctime>

namespace telex::modules::time {

std::string utcTimestamp(std::chrono::system_clock::time_point when) {
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ", static_cast<int>(millis % 1000));
  return buf;
}

void setup(ModuleContext& ctx) {
  ctx.onIq("get", "host", "urn:xmpp:time", "time", [](const router::StanzaEvent&, const xml::Element&) -> IqReply {
    xml::Element time("time", "urn:xmpp:time");
    time.addChild(xml::Element("tzo", "urn:xmpp:time")).addText("+00:00");
    time.addChild(xml::Element("utc", "urn:xmpp:time")).addText(utcTimestamp(std::chrono::system_clock::now()));
    return std::optional<xml::Element>(std::move(time));
  });
}

}  // namespace telex::modules::time
