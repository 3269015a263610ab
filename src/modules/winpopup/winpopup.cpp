// The winpopup.<domain> component: the sender address of gateway messages, which cannot reply.
#include "modules/winpopup/winpopup.hpp"

namespace telex::modules::winpopup {

void setup(ModuleContext& ctx) {
  if (!ctx.config().winpopup.enabled) return;
  ctx.router().addComponent(ctx.config().winpopupDomain(), [](router::StanzaEvent& e) {
    std::string_view type = e.stanza.attrOr("type", "");
    if (e.stanza.name() == "presence" || type == "error" || type == "result") return;
    e.router.replyError(e.stanza, router::StanzaError::serviceUnavailable(
                                      "WinPopup senders cannot receive replies: the protocol is one-way"));
  });
}

}  // namespace telex::modules::winpopup
