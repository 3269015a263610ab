// In-band registration before authentication (XEP-0077), with invitation tokens (XEP-0401).
#include <spdlog/spdlog.h>

#include "router/stanza_error.hpp"
#include "stream/c2s_session.hpp"

namespace telex::stream {
namespace {
constexpr std::string_view kRegisterNs = "jabber:iq:register";
constexpr std::string_view kPreauthNs = "urn:xmpp:pars:0";

enum class Outcome { Created, Exists, BadInvite };
}  // namespace

void C2sSession::sendIqError(const xml::Element& iq, const router::StanzaError& error) {
  xml::Element reply = router::makeErrorReply(iq, error);
  reply.removeAttr("from");
  sendElement(reply);
}

void C2sSession::handlePreAuthIq(const xml::Element& iq) {
  const auto& reg = ctx_.config.registration;
  std::string_view type = iq.attrOr("type", "");
  const xml::Element* query = iq.child("query", kRegisterNs);
  const xml::Element* preauth = iq.child("preauth", kPreauthNs);
  if ((!query && !preauth) || !reg.enabled) {
    sendIqError(iq, router::StanzaError::serviceUnavailable());
    return;
  }
  if (preauth && type == "set") {
    std::string token(preauth->attrOr("token", ""));
    ctx_.pool.run(
        worker(), [&invites = ctx_.invites, token] { return invites.valid(token); },
        [weak = weak_from_this(), iq, token](auto valid) {
          auto self = weak.lock();
          if (!self || !self->connection_.isOpen()) return;
          if (!valid || !*valid) {
            self->sendIqError(iq, router::StanzaError::itemNotFound("unknown or expired invitation"));
            return;
          }
          self->inviteToken_ = token;
          xml::Element result = router::makeIqResult(iq);
          result.removeAttr("from");
          self->sendElement(result);
        });
    return;
  }
  if (type == "get" && query) {
    xml::Element result = router::makeIqResult(iq);
    result.removeAttr("from");
    auto& form = result.addChild(xml::Element("query", std::string(kRegisterNs)));
    form.addChild(xml::Element("instructions", std::string(kRegisterNs)))
        .addText(reg.requireInvite ? "Choose a username and password. An invitation is required."
                                   : "Choose a username and password.");
    form.addChild(xml::Element("username", std::string(kRegisterNs)));
    form.addChild(xml::Element("password", std::string(kRegisterNs)));
    sendElement(result);
    return;
  }
  if (type != "set" || !query) {
    sendIqError(iq, router::StanzaError::badRequest());
    return;
  }
  auto username = nodeprep(query->childText("username", kRegisterNs));
  std::string password = query->childText("password", kRegisterNs);
  if (!username || username->empty() || password.empty()) {
    sendIqError(iq, router::StanzaError{"modify", "not-acceptable", "username and password are required"});
    return;
  }
  if (reg.requireInvite && inviteToken_.empty()) {
    sendIqError(iq, router::StanzaError::forbidden("registration needs an invitation"));
    return;
  }
  const std::string& address = connection_.remoteAddress();
  if (ctx_.registrations.delayFor(address).count() > 0) {
    sendIqError(iq, router::StanzaError::resourceConstraint("too many registrations from this address"));
    return;
  }
  // Key derivation takes milliseconds: the slow lane, not the one sign-ins use.
  ctx_.pool.runSlow(
      worker(),
      [&accounts = ctx_.accounts, &invites = ctx_.invites, user = *username, password,
       token = reg.requireInvite ? inviteToken_ : std::string()] {
        if (accounts.exists(user)) return Outcome::Exists;
        if (!token.empty() && !invites.consume(token)) return Outcome::BadInvite;
        return accounts.create(user, password) ? Outcome::Created : Outcome::Exists;
      },
      [weak = weak_from_this(), iq, user = *username](auto outcome) {
        auto self = weak.lock();
        if (!self || !self->connection_.isOpen()) return;
        if (!outcome) {
          self->sendIqError(iq, router::StanzaError::internalServerError());
        } else if (*outcome == Outcome::Exists) {
          self->sendIqError(iq, router::StanzaError::conflict("that username is taken"));
        } else if (*outcome == Outcome::BadInvite) {
          self->inviteToken_.clear();
          self->sendIqError(iq, router::StanzaError::forbidden("the invitation is used up or expired"));
        } else {
          self->ctx_.registrations.recordFailure(self->connection_.remoteAddress());
          self->inviteToken_.clear();
          spdlog::info("registered {}@{} from {}", user, self->ctx_.router.domain(),
                       self->connection_.remoteAddress());
          xml::Element result = router::makeIqResult(iq);
          result.removeAttr("from");
          self->sendElement(result);
        }
      });
}

}  // namespace telex::stream
