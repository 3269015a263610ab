// Password change and account removal over XMPP.
#include "modules/register/register.hpp"

#include "auth/account_store.hpp"

namespace telex::modules::reg {
namespace {
constexpr std::string_view kRegisterNs = "jabber:iq:register";
}

void setup(ModuleContext& ctx) {
  auto accounts = std::make_shared<auth::AccountStore>(
      ctx.storage(), static_cast<std::uint32_t>(ctx.config().auth.scramIterations));

  auto get = [](const router::StanzaEvent& e, const xml::Element&) -> IqReply {
    xml::Element query("query", std::string(kRegisterNs));
    query.addChild(xml::Element("registered", std::string(kRegisterNs)));
    query.addChild(xml::Element("username", std::string(kRegisterNs))).addText(e.from.local());
    query.addChild(xml::Element("password", std::string(kRegisterNs)));
    return std::optional<xml::Element>(std::move(query));
  };
  auto set = [&ctx, accounts](IqRequest request, IqResponder respond) {
    const xml::Element& query = request.payload();
    Jid user = request.from.bare();
    if (query.child("remove", kRegisterNs)) {
      ctx.runBlocking(
          [&storage = ctx.storage(), name = user.local()] {
            storage.removeUser(name);  // account, roster, archives, vCard, everything
            return true;
          },
          [&ctx, respond, user](auto removed) {
            if (!removed) return respond(unexpected(router::StanzaError::internalServerError()));
            respond(std::optional<xml::Element>());
            // The account is gone: so are its sessions (after the result above is queued).
            for (auto& r : ctx.router().sessions().resourcesOf(user)) {
              auto session = r.session;
              session->worker().post([session] {
                session->closeWithError(stream::StreamErrorCondition::NotAuthorized, "account removed");
              });
            }
          });
      return;
    }
    std::string username = query.childText("username", kRegisterNs);
    std::string password = query.childText("password", kRegisterNs);
    auto prepared = nodeprep(username);
    if (!prepared || *prepared != user.local()) {
      return respond(unexpected(router::StanzaError{"modify", "not-acceptable", "username must be your own"}));
    }
    if (password.empty()) {
      return respond(unexpected(router::StanzaError{"modify", "not-acceptable", "empty password"}));
    }
    ctx.runSlow([accounts, name = user.local(), password] { return accounts->setPassword(name, password); },
                    [respond](auto changed) {
                      if (!changed || !*changed) return respond(unexpected(router::StanzaError::internalServerError()));
                      respond(std::optional<xml::Element>());
                    });
  };
  for (std::string_view target : {"host", "self"}) {
    ctx.onIq("get", target, kRegisterNs, "query", get);
    ctx.onIqAsync("set", target, kRegisterNs, "query", set);
  }
}

}  // namespace telex::modules::reg
