// XEP-0050 on the server's domain: command discovery and the command session protocol.
#include "modules/adhoc/adhoc.hpp"

#include <spdlog/spdlog.h>

#include "modules/adhoc/command_registry.hpp"
#include "modules/adhoc/command_sessions.hpp"

namespace telex::modules::adhoc {
namespace {
constexpr std::string_view kInfoNs = "http://jabber.org/protocol/disco#info";
constexpr std::string_view kItemsNs = "http://jabber.org/protocol/disco#items";

// The reply for `request` goes to the session that sent it (as replyToIq does), here with an
// XEP-0050 condition such as <bad-sessionid/> inside the error when one applies.
void replyError(router::StanzaRouter& router, const xml::Element& request, const Jid& from,
                const router::StanzaError& error, std::string_view specific = {}) {
  if (specific.empty()) {
    router.replyError(request, error);
    return;
  }
  xml::Element reply = router::makeErrorReply(request, error);
  if (auto* err = reply.child("error", router::kClientNs)) {
    err->addChild(xml::Element(std::string(specific), std::string(kCommandsNs)));
  }
  if (!request.attr("to")) reply.setAttr("from", router.domain());
  if (auto session = router.sessions().find(from)) {
    router.deliver(session, reply);
  } else {
    router.route(std::move(reply));
  }
}

void reply(router::StanzaRouter& router, const xml::Element& request, const Jid& from, xml::Element payload) {
  replyToIq(router, request, from, IqReply(std::optional<xml::Element>(std::move(payload))));
}

xml::Element commandElement(std::string_view node, std::string_view sessionId, std::string_view status) {
  xml::Element command("command", std::string(kCommandsNs));
  command.setAttr("node", node);
  if (!sessionId.empty()) command.setAttr("sessionid", sessionId);
  command.setAttr("status", status);
  return command;
}

struct Adhoc {
  Adhoc(ModuleContext& ctx) : ctx(ctx), registry(CommandRegistry::of(ctx.hooks())), roles(ctx.config()) {}

  ModuleContext& ctx;
  CommandRegistry& registry;
  Roles roles;
  CommandSessions sessions;

  router::HookResult discoItems(router::StanzaEvent& e) {
    const xml::Element* query = e.stanza.firstElement();
    if (!query || query->attrOr("node", "") != kCommandsNs) return router::HookResult::Pass;
    xml::Element out("query", std::string(kItemsNs));
    out.setAttr("node", kCommandsNs);
    for (const Command* command : registry.visibleTo(roles.caller(e.from))) {
      auto& item = out.addChild(xml::Element("item", std::string(kItemsNs)));
      item.setAttr("jid", ctx.router().domain());
      item.setAttr("node", command->node);
      item.setAttr("name", command->name);
    }
    reply(e.router, e.stanza, e.from, std::move(out));
    return router::HookResult::Handled;
  }

  router::HookResult discoInfo(router::StanzaEvent& e) {
    const xml::Element* query = e.stanza.firstElement();
    auto node = query ? query->attr("node") : std::nullopt;
    if (!node) return router::HookResult::Pass;
    xml::Element out("query", std::string(kInfoNs));
    out.setAttr("node", *node);
    auto identity = [&](std::string_view type, std::string_view name) {
      auto& id = out.addChild(xml::Element("identity", std::string(kInfoNs)));
      id.setAttr("category", "automation");
      id.setAttr("type", type);
      id.setAttr("name", name);
    };
    auto feature = [&](std::string_view var) {
      out.addChild(xml::Element("feature", std::string(kInfoNs))).setAttr("var", var);
    };
    if (*node == kCommandsNs) {
      identity("command-list", "Commands");
    } else if (const Command* command = registry.find(*node)) {
      if (!roles.caller(e.from).may(command->access)) {
        e.router.replyError(e.stanza, router::StanzaError::forbidden());
        return router::HookResult::Handled;
      }
      identity("command-node", command->name);
      feature(kCommandsNs);
      feature(kDataNs);
    } else {
      return router::HookResult::Pass;
    }
    reply(e.router, e.stanza, e.from, std::move(out));
    return router::HookResult::Handled;
  }

  void execute(router::StanzaEvent& e, const std::shared_ptr<Adhoc>& self) {
    auto& router = e.router;
    if (!e.stanza.firstElement()) return;
    const xml::Element& request = *e.stanza.firstElement();
    std::string node(request.attrOr("node", ""));
    std::string action(request.attrOr("action", "execute"));
    std::string sessionId(request.attrOr("sessionid", ""));
    const Command* command = registry.find(node);
    if (!command) {
      router.replyError(e.stanza, router::StanzaError::itemNotFound("no such command"));
      return;
    }
    Caller caller = roles.caller(e.from);
    if (!caller.may(command->access)) {
      if (command->refused) command->refused(caller);
      router.replyError(e.stanza, router::StanzaError::forbidden("you may not run this command"));
      return;
    }
    const xml::Element* form = request.child("x", kDataNs);
    if (action == "cancel" || (form && form->attrOr("type", "") == "cancel")) {
      if (!sessionId.empty()) {
        std::size_t ignored = 0;
        auto status = sessions.take(sessionId, node, e.from.full(), ignored);
        if (status != CommandSessions::Status::Ok && status != CommandSessions::Status::Expired) {
          replyError(router, e.stanza, e.from, router::StanzaError::badRequest(), "bad-sessionid");
          return;
        }
        sessions.close(sessionId);
      }
      reply(router, e.stanza, e.from, commandElement(node, sessionId, "canceled"));
      return;
    }
    if (action != "execute" && action != "next" && action != "complete") {
      // 'prev' included: no command here goes back a step.
      replyError(router, e.stanza, e.from, router::StanzaError::badRequest(), "bad-action");
      return;
    }
    StepRequest step;
    step.caller = caller;
    if (form) {
      auto values = FormValues::parse(*form);
      if (!values) {
        replyError(router, e.stanza, e.from, router::StanzaError::badRequest(values.error()), "bad-payload");
        return;
      }
      step.values = std::move(*values);
    }
    if (sessionId.empty()) {
      sessionId = sessions.open(node, e.from.full());
      if (sessionId.empty()) {
        router.replyError(e.stanza, router::StanzaError::resourceConstraint("too many open command sessions"));
        return;
      }
      // A form sent with the first request skips showing the form (scripts, one-shot clients).
      step.stage = form ? 1 : 0;
    } else {
      std::size_t stage = 0;
      switch (sessions.take(sessionId, node, e.from.full(), stage)) {
        case CommandSessions::Status::Ok:
          break;
        case CommandSessions::Status::Expired:
          replyError(router, e.stanza, e.from, router::StanzaError::notAllowed("the session expired"),
                     "session-expired");
          return;
        case CommandSessions::Status::Busy:
          router.replyError(e.stanza, router::StanzaError::badRequest("the previous step is still running"));
          return;
        default:
          replyError(router, e.stanza, e.from, router::StanzaError::badRequest(), "bad-sessionid");
          return;
      }
      step.stage = stage + 1;
    }
    std::size_t stage = step.stage;
    command->handler(std::move(step), [this, self, &router, stanza = e.stanza, from = e.from, node, sessionId,
                                       stage](StepOutcome outcome) {
      if (!outcome) {
        sessions.close(sessionId);
        router.replyError(stanza, outcome.error());
        return;
      }
      const StepResult& result = *outcome;
      xml::Element out = commandElement(node, sessionId, result.completed ? "completed" : "executing");
      if (result.completed) {
        sessions.close(sessionId);
      } else {
        sessions.advance(sessionId, stage);
        auto& actions = out.addChild(xml::Element("actions", std::string(kCommandsNs)));
        std::string_view next = result.lastStage ? "complete" : "next";
        actions.setAttr("execute", next);
        actions.addChild(xml::Element(std::string(next), std::string(kCommandsNs)));
      }
      for (const auto& note : result.notes) {
        auto& n = out.addChild(xml::Element("note", std::string(kCommandsNs)));
        n.setAttr("type", note.type);
        n.addText(note.text);
      }
      if (result.form) out.addChild(result.form->toElement());
      reply(router, stanza, from, std::move(out));
    });
  }
};

}  // namespace

void setup(ModuleContext& ctx) {
  // Lives as long as the hooks that use it: the server keeps hooks until it is destroyed.
  auto adhoc = std::make_shared<Adhoc>(ctx);
  // Above the disco module, which answers only for the server without a node.
  ctx.hooks().onStanza("iq-get/host/" + std::string(kItemsNs) + ":query", 10, "adhoc",
                       [adhoc](router::StanzaEvent& e) { return adhoc->discoItems(e); });
  ctx.hooks().onStanza("iq-get/host/" + std::string(kInfoNs) + ":query", 10, "adhoc",
                       [adhoc](router::StanzaEvent& e) { return adhoc->discoInfo(e); });
  ctx.hooks().onStanza("iq-set/host/" + std::string(kCommandsNs) + ":command", 0, "adhoc",
                       [adhoc](router::StanzaEvent& e) {
                         adhoc->execute(e, adhoc);
                         return router::HookResult::Handled;
                       });
}

}  // namespace telex::modules::adhoc
