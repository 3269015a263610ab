// Module plumbing shared by every feature: synchronous IQ handlers and the coverage document.
#include "modules/module.hpp"

#include <algorithm>
#include <map>

namespace telex::modules {

void replyToIq(router::StanzaRouter& router, const xml::Element& request, const Jid& from,
               const IqReply& reply) {
  if (!reply) {
    router.replyError(request, reply.error());
    return;
  }
  xml::Element result = router::makeIqResult(request);
  if (!request.attr("to")) result.setAttr("from", from.bareString());
  if (*reply) result.addChild(**reply);
  if (auto session = router.sessions().find(from)) {
    router.deliver(session, result);
  } else {
    router.route(std::move(result));
  }
}

void ModuleContext::onIq(std::string_view type, std::string_view target, std::string_view ns,
                         std::string_view name, IqHandler handler, int priority) {
  std::string event = "iq-" + std::string(type) + "/" + std::string(target) + "/" + std::string(ns) + ":" +
                      std::string(name);
  hooks().onStanza(event, priority, module_,
                   [handler = std::move(handler)](router::StanzaEvent& e) {
                     const xml::Element* payload = e.stanza.firstElement();
                     replyToIq(e.router, e.stanza, e.from, handler(e, *payload));
                     return router::HookResult::Handled;
                   });
}

void ModuleContext::onIqAsync(std::string_view type, std::string_view target, std::string_view ns,
                              std::string_view name, AsyncIqHandler handler, int priority) {
  std::string event = "iq-" + std::string(type) + "/" + std::string(target) + "/" + std::string(ns) + ":" +
                      std::string(name);
  hooks().onStanza(event, priority, module_, [handler = std::move(handler)](router::StanzaEvent& e) {
    IqRequest request{e.stanza, e.from, e.to};
    auto respond = [&router = e.router, stanza = e.stanza, from = e.from](const IqReply& reply) {
      replyToIq(router, stanza, from, reply);
    };
    handler(std::move(request), std::move(respond));
    return router::HookResult::Handled;
  });
}

std::string xepCoverageMarkdown() {
  std::map<int, std::vector<std::pair<std::string_view, std::string_view>>> byXep;
  std::string out =
      "# XEP coverage\n\nGenerated from `src/modules/module_list.cpp` by `telexd docs xep-coverage`;"
      " a unit test keeps this file in step with the code.\n\n"
      "| XEP | version | module | what it does |\n|---|---|---|---|\n";
  std::vector<std::tuple<int, std::string_view, std::string_view, std::string_view>> rows;
  for (const auto& spec : allModules()) {
    for (const auto& xep : spec.xeps) rows.emplace_back(xep.number, xep.version, spec.name, spec.summary);
  }
  std::sort(rows.begin(), rows.end());
  for (const auto& [number, version, name, summary] : rows) {
    char xep[16];
    std::snprintf(xep, sizeof(xep), "%04d", number);
    out += "| XEP-" + std::string(xep) + " | " + std::string(version) + " | `" + std::string(name) +
           "` | " + std::string(summary) + " |\n";
  }
  out += "\nCore (not modules): RFC 6120 streams, STARTTLS, SASL SCRAM-SHA-256/SCRAM-SHA-1/PLAIN, "
         "resource binding; direct TLS (XEP-0368) on its own port; RFC 6121 §8 message routing; stream "
         "management with resumption (XEP-0198); client state indication (XEP-0352).\n";
  return out;
}

}  // namespace telex::modules
