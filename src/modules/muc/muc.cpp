// Group chat wiring: the service as a router component, the room list in the server's
// disco#items, and occupants leaving when their session ends or goes unavailable.
#include "modules/muc/muc.hpp"

#include "modules/muc/muc_service.hpp"

namespace telex::modules::muc {

void setup(ModuleContext& ctx) {
  const auto& config = ctx.config();
  ServiceOptions options;
  options.domain = config.mucDomain();
  options.maxHistory = static_cast<int>(config.muc.maxHistory);
  options.maxRoomsPerUser = static_cast<int>(config.muc.maxRoomsPerUser);
  options.restrictRoomCreation = config.muc.restrictRoomCreation;
  for (const auto& creator : config.muc.roomCreators) {
    if (auto jid = Jid::parse(creator)) options.roomCreators.push_back(jid->bareString());
  }
  options.mamPageCap = static_cast<std::size_t>(config.mam.maxPageSize);
  options.retentionMs = config.mam.retentionDays * 24 * 3600 * 1000;
  auto service = std::make_shared<MucService>(ctx, options);

  ctx.router().addComponent(options.domain, [service](router::StanzaEvent& e) { service->handle(e); });
  ctx.addDiscoItem(options.domain, "Chatrooms");

  ctx.hooks().sessionClosed.add(0, "muc", [service](router::SessionEvent& e) {
    service->sessionGone(e.session.jid(), &e.session);
    return router::HookResult::Pass;
  });
  // RFC 6121 §4.5.2: unavailable presence to everyone also ends the user's directed presence,
  // and so their place in rooms. (The router sends one for a session that ends, too.) Runs
  // before the presence module, which decides the broadcast.
  ctx.hooks().onStanza("presence/broadcast", 20, "muc", [service](router::StanzaEvent& e) {
    if (e.stanza.attrOr("type", "") == "unavailable") service->sessionGone(e.from, e.origin);
    return router::HookResult::Pass;
  });
}

}  // namespace telex::modules::muc
