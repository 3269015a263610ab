// The client stream state machine: negotiation (STARTTLS, SASL, bind) and hand-off to the router.
#include "stream/c2s_session.hpp"

#include <spdlog/spdlog.h>

#include "router/stanza_error.hpp"
#include "sasl/plain.hpp"
#include "stream/stream_namespaces.hpp"
#include "util/base64.hpp"
#include "util/crypto.hpp"
#include "util/timestamp.hpp"

namespace telex::stream {
namespace {

using router::kClientNs;
constexpr std::size_t kMaxUnacked = 10000;   // a hibernating session this far behind is ended
constexpr std::size_t kAckEvery = 5;         // request an ack after this many unacked stanzas
constexpr std::size_t kMaxCsiBuffer = 200;   // presences held for an inactive client
constexpr int kMaxSaslAttempts = 5;
// A bound stream quiet this long gives back the expat state of its own, if a header or stanza in
// pieces made it need one (XmlStreamParser::releaseIdle); rebuilding costs a few microseconds.
constexpr auto kParserIdle = std::chrono::seconds(1);

ParserLimits limitsFor(const config::Config& config, bool authenticated) {
  return ParserLimits{static_cast<std::size_t>(authenticated ? config.c2s.maxStanzaBytes
                                                             : config.c2s.maxStanzaBytesUnauthenticated),
                      static_cast<std::size_t>(config.c2s.maxDepth)};
}

}  // namespace

C2sSession::C2sSession(C2sContext& context, net::AcceptedSocket socket, net::Worker& worker,
                       bool directTls)
    : ctx_(context),
      connection_(std::move(socket), worker, *this),
      parser_(*this, limitsFor(context.config, false)),
      authTimer_(worker.context()) {
  if (directTls) connection_.startTls(ctx_.tls);
}

C2sSession::~C2sSession() = default;

void C2sSession::start() {
  connection_.setRateLimit({ctx_.config.c2s.rateBytesPerSecond, ctx_.config.c2s.rateBurstBytes});
  connection_.start(weak_from_this());
  armAuthTimer();
}

void C2sSession::armAuthTimer() {
  authTimer_.expires_after(std::chrono::seconds(ctx_.config.c2s.authTimeout));
  authTimer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->bound_) return;
    self->closeWithError(StreamErrorCondition::ConnectionTimeout,
                         "authentication and resource binding took too long");
  });
}

void C2sSession::onData(std::string_view bytes) {
  while (!bytes.empty() && phase_ != Phase::Closed) {
    feeding_ = true;
    std::size_t used = parser_.feed(bytes);
    feeding_ = false;
    bytes.remove_prefix(std::min(used, bytes.size()));
    if (!restartPending_) break;
    // STARTTLS or SASL success: a new stream starts right after the element that asked for it.
    restartPending_ = false;
    parser_.reset();
    phase_ = Phase::Header;
    if (connection_.isTls() && !authenticated_) break;  // bytes after <starttls/> were never valid
  }
  // Most streams never hold a parser of their own (whole stanzas go through shared ones): only
  // those that do need the clock read and the idle timer that gives it back.
  if (phase_ == Phase::Bound && parser_.holdsOwnParser()) noteInput();
}

void C2sSession::noteInput() {
  lastInput_ = std::chrono::steady_clock::now();
  if (idleWaitArmed_) return;  // the pending wait re-checks lastInput_ when it fires
  idleWaitArmed_ = true;
  waitIdle();
}

void C2sSession::waitIdle() {
  authTimer_.expires_at(lastInput_ + kParserIdle);
  authTimer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self) return;
    if (ec || self->phase_ != Phase::Bound) {
      self->idleWaitArmed_ = false;
      return;
    }
    if (std::chrono::steady_clock::now() < self->lastInput_ + kParserIdle) {
      self->waitIdle();
      return;
    }
    self->idleWaitArmed_ = false;
    if (self->parser_.releaseIdle()) self->ctx_.heapTrim.released();
  });
}

void C2sSession::sendElement(const xml::Element& element) {
  connection_.send(xml::serialize(element, kClientNs));
}

void C2sSession::sendHeader(const std::string& to) {
  std::string header = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                       "xmlns:stream='http://etherx.jabber.org/streams' id='" + util::randomHex(12) +
                       "' from='" + xml::escapeAttribute(ctx_.router.domain()) + "'";
  if (!to.empty()) header += " to='" + xml::escapeAttribute(to) + "'";
  header += " version='1.0' xml:lang='en'>";
  connection_.send(std::move(header));
  headerSent_ = true;
}

void C2sSession::onStreamOpen(const xml::Element& header, std::string_view contentNamespace) {
  std::string to;
  if (auto from = header.attr("from")) {
    if (auto jid = Jid::parse(*from)) to = jid->full();
  }
  sendHeader(to);
  if (contentNamespace != kClientNs) {
    closeWithError(StreamErrorCondition::InvalidNamespace, "this port serves jabber:client streams");
    return;
  }
  std::string_view version = header.attrOr("version", "");
  if (version.empty() || version.front() < '1' || version.find('.') == std::string_view::npos) {
    closeWithError(StreamErrorCondition::UnsupportedVersion, "XMPP version 1.0 is required");
    return;
  }
  auto domain = Jid::parse(header.attrOr("to", ""));
  if (!domain || !domain->isDomainOnly() || domain->domain() != ctx_.router.domain()) {
    closeWithError(StreamErrorCondition::HostUnknown, "this server hosts " + ctx_.router.domain());
    return;
  }
  phase_ = authenticated_ ? Phase::Bind : Phase::Features;
  sendFeatures();
}

bool C2sSession::plaintextAllowed() const {
  // Only ever for loopback peers, even with c2s.require_tls off: benchmarks, never the network.
  return !ctx_.config.c2s.requireTls && connection_.remoteIsLoopback();
}

void C2sSession::sendFeatures() {
  connection_.send(authenticated_ ? ctx_.features.afterAuth()
                                  : ctx_.features.beforeAuth(connection_.isTls(), plaintextAllowed()));
}

void C2sSession::onStanza(xml::Element stanza) {
  if (phase_ == Phase::Closed) return;
  const std::string& ns = stanza.xmlns();
  if (phase_ == Phase::Bound) {
    handleBound(std::move(stanza));
    return;
  }
  if (!authenticated_) {
    if (ns == kTlsNs && stanza.name() == "starttls") return handleStartTls(stanza);
    if (ns == kSaslNs && stanza.name() == "auth") return handleAuth(stanza);
    if (ns == kSaslNs && (stanza.name() == "response" || stanza.name() == "abort")) {
      return handleSaslResponse(stanza);
    }
    if (ns == kClientNs && stanza.name() == "iq" && (connection_.isTls() || plaintextAllowed())) {
      return handlePreAuthIq(stanza);
    }
    closeWithError(StreamErrorCondition::NotAuthorized, "authenticate first");
    return;
  }
  if (resuming_) return;  // the old session's state is on its way
  if (ns == kSmNs && stanza.name() == "resume") return handleResume(stanza);
  if (ns == kSmNs) {
    connection_.send(std::string("<failed xmlns='urn:xmpp:sm:3'><unexpected-request "
                                 "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"));
    return;
  }
  if (ns == kClientNs && stanza.name() == "iq" && stanza.child("bind", kBindNs)) return handleBind(stanza);
  if (ns == kClientNs && stanza.name() == "iq" && stanza.child("session", kSessionNs)) {
    sendElement(router::makeIqResult(stanza));
    return;
  }
  closeWithError(StreamErrorCondition::NotAuthorized, "bind a resource first");
}

void C2sSession::handleStartTls(const xml::Element&) {
  if (connection_.isTls()) {
    connection_.send(std::string("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>"));
    phase_ = Phase::Closed;
    connection_.close();
    return;
  }
  connection_.send(std::string("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"));
  parser_.requestRestart();
  restartPending_ = true;
  connection_.startTls(ctx_.tls);
}

void C2sSession::handleAuth(const xml::Element& stanza) {
  if (!connection_.isTls() && !plaintextAllowed()) {
    saslFailure("encryption-required", "use STARTTLS first", false);
    return;
  }
  scram_.reset();
  phase_ = Phase::Sasl;
  std::string mechanism(stanza.attrOr("mechanism", ""));
  std::string initial = stanza.textContent();
  auto delay = ctx_.throttle.delayFor(connection_.remoteAddress());
  if (delay.count() == 0) {
    startAuth(std::move(mechanism), std::move(initial));
    return;
  }
  // Too many recent failures from this address: answer, but only after a pause.
  delayTimer_ = std::make_unique<boost::asio::steady_timer>(worker().context(), delay);
  delayTimer_->async_wait([weak = weak_from_this(), mechanism = std::move(mechanism),
                           initial = std::move(initial)](const boost::system::error_code& ec) mutable {
    auto self = weak.lock();
    if (ec || !self || self->phase_ != Phase::Sasl) return;
    self->delayTimer_.reset();
    self->startAuth(std::move(mechanism), std::move(initial));
  });
}

void C2sSession::startAuth(std::string mechanism, std::string initial) {
  std::optional<std::string> decoded =
      initial == "=" ? std::optional<std::string>(std::string()) : util::base64Decode(initial);
  if (!decoded) {
    saslFailure("incorrect-encoding");
    return;
  }
  std::string domain = ctx_.router.domain();
  auto authzidOk = [&domain](std::string_view authzid, std::string_view username) {
    if (authzid.empty()) return true;
    auto jid = Jid::parse(authzid);
    return jid && jid->isBare() && jid->domain() == domain && jid->local() == username;
  };

  if (mechanism == "SCRAM-SHA-256" || mechanism == "SCRAM-SHA-1") {
    auto algo = mechanism == "SCRAM-SHA-256" ? sasl::HashAlgo::Sha256 : sasl::HashAlgo::Sha1;
    scram_ = std::make_unique<sasl::ScramServer>(algo);
    auto first = scram_->receiveClientFirst(*decoded);
    if (!first) {
      saslFailure(first.error().condition, first.error().text);
      return;
    }
    auto username = nodeprep(first->username);
    if (username && !authzidOk(first->authzid, *username)) {
      saslFailure("invalid-authzid");
      return;
    }
    std::string user = username.value_or(first->username);
    ctx_.pool.run(
        worker(),
        [&accounts = ctx_.accounts, user, valid = username.has_value()] {
          return valid ? accounts.credentials(user) : std::nullopt;
        },
        [weak = weak_from_this(), user, algo](auto result) {
          auto self = weak.lock();
          if (!self || self->phase_ != Phase::Sasl || !self->scram_) return;
          if (!result) {
            spdlog::error("account lookup failed: {}", result.error());
            self->saslFailure("temporary-auth-failure", {}, false);
            return;
          }
          std::optional<sasl::ScramCredentials> creds;
          if (*result) {
            for (const auto& c : **result) {
              if (c.algo == algo) creds = c;
            }
          }
          self->scramUserKnown_ = creds.has_value();
          if (!creds) {
            creds = sasl::ScramServer::decoyCredentials(
                algo, user, self->ctx_.decoySecret,
                static_cast<std::uint32_t>(self->ctx_.config.auth.scramIterations));
          }
          self->username_ = user;
          std::string challenge = util::base64Encode(self->scram_->serverFirst(*creds));
          self->connection_.send("<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + challenge +
                                 "</challenge>");
        });
    return;
  }
  if (mechanism == "PLAIN") {
    auto plain = sasl::parsePlain(*decoded);
    if (!plain) {
      saslFailure("malformed-request");
      return;
    }
    auto username = nodeprep(plain->authcid);
    if (!username) {
      saslFailure("not-authorized");
      return;
    }
    if (!authzidOk(plain->authzid, *username)) {
      saslFailure("invalid-authzid");
      return;
    }
    // Hashing the password is slow by design: it runs on the storage pool.
    ctx_.pool.run(
        worker(),
        [&accounts = ctx_.accounts, user = *username, password = std::move(plain->password)] {
          return accounts.checkPassword(user, password);
        },
        [weak = weak_from_this(), user = *username](auto result) {
          auto self = weak.lock();
          if (!self || self->phase_ != Phase::Sasl) return;
          if (!result) {
            spdlog::error("password check failed: {}", result.error());
            self->saslFailure("temporary-auth-failure", {}, false);
          } else if (*result) {
            self->saslSuccess(user, {});
          } else {
            self->saslFailure("not-authorized");
          }
        });
    return;
  }
  saslFailure("invalid-mechanism", {}, false);
}

void C2sSession::handleSaslResponse(const xml::Element& stanza) {
  if (stanza.name() == "abort") {
    saslFailure("aborted", {}, false);
    return;
  }
  if (phase_ != Phase::Sasl || !scram_) {
    saslFailure("malformed-request", "no authentication in progress", false);
    return;
  }
  auto decoded = util::base64Decode(stanza.textContent());
  if (!decoded) {
    saslFailure("incorrect-encoding");
    return;
  }
  auto final = scram_->receiveClientFinal(*decoded);
  if (!final || !scramUserKnown_) {
    saslFailure(final ? "not-authorized" : final.error().condition);
    return;
  }
  saslSuccess(username_, *final);
}

void C2sSession::saslFailure(std::string_view condition, std::string_view text, bool countsAsFailure) {
  scram_.reset();
  phase_ = Phase::Features;
  std::string out = "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><" + std::string(condition) + "/>";
  if (!text.empty()) out += "<text>" + xml::escapeText(text) + "</text>";
  out += "</failure>";
  connection_.send(std::move(out));
  if (!countsAsFailure) return;
  ctx_.throttle.recordFailure(connection_.remoteAddress());
  if (++saslAttempts_ >= kMaxSaslAttempts) {
    closeWithError(StreamErrorCondition::PolicyViolation, "too many failed authentication attempts");
  }
}

void C2sSession::saslSuccess(std::string username, std::string additionalData) {
  scram_.reset();
  authenticated_ = true;
  username_ = std::move(username);
  std::string out = "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'";
  if (additionalData.empty()) {
    out += "/>";
  } else {
    out += ">" + util::base64Encode(additionalData) + "</success>";
  }
  connection_.send(std::move(out));
  parser_.setLimits(limitsFor(ctx_.config, true));
  if (feeding_) {
    parser_.requestRestart();
    restartPending_ = true;
  } else {
    parser_.reset();
    phase_ = Phase::Header;
  }
}

void C2sSession::handleBind(const xml::Element& iq) {
  if (iq.attrOr("type", "") != "set") {
    sendElement(router::makeErrorReply(iq, router::StanzaError::badRequest()));
    return;
  }
  const xml::Element* bind = iq.child("bind", kBindNs);
  std::string requested = bind->childText("resource", kBindNs);
  std::optional<std::string> resource =
      requested.empty() ? std::optional<std::string>("telex-" + util::randomHex(6)) : resourceprep(requested);
  std::optional<Jid> jid;
  if (resource) jid = Jid::make(username_, ctx_.router.domain(), *resource);
  if (!jid) {
    sendElement(router::makeErrorReply(iq, router::StanzaError::badRequest("invalid resource")));
    return;
  }
  jid_ = *jid;
  std::shared_ptr<router::Session> replaced;
  auto result = ctx_.router.sessions().bind(shared_from_this(), replaced);
  if (result == router::SessionManager::BindResult::TooManyResources) {
    jid_ = Jid();
    sendElement(router::makeErrorReply(
        iq, router::StanzaError::resourceConstraint("too many resources signed in for this account")));
    return;
  }
  if (replaced) {
    // The newer login wins the resource (RFC 6120 §7.7.2.2).
    auto old = replaced;
    old->worker().post([old] {
      old->closeWithError(StreamErrorCondition::Conflict, "replaced by a new connection");
    });
  }
  bound_ = true;
  phase_ = Phase::Bound;
  authTimer_.cancel();
  xml::Element reply = router::makeIqResult(iq);
  reply.removeAttr("from");
  reply.addChild(xml::Element("bind", std::string(kBindNs)))
      .addChild(xml::Element("jid", std::string(kBindNs)))
      .addText(jid_.full());
  sendElement(reply);
  spdlog::debug("{} bound from {}", jid_.full(), connection_.remoteAddress());
  ctx_.router.sessionBound(*this);
}

void C2sSession::handleBound(xml::Element stanza) {
  const std::string& name = stanza.name();
  if (stanza.xmlns() == kSmNs) return handleSm(stanza);
  if (stanza.xmlns() == kCsiNs && (name == "active" || name == "inactive")) {
    inactive_ = name == "inactive";
    ctx_.router.sessions().setFlag(*this, router::kClientInactive, inactive_);
    if (!inactive_) flushCsiBuffer();
    return;
  }
  if (stanza.xmlns() != kClientNs || (name != "message" && name != "presence" && name != "iq")) {
    closeWithError(StreamErrorCondition::UnsupportedStanzaType,
                   "unsupported top-level element <" + name + "/>");
    return;
  }
  if (name == "iq" && stanza.child("session", kSessionNs) && !stanza.attr("to")) {
    sendElement(router::makeIqResult(stanza));
    return;
  }
  if (sm_) sm_->countInbound();
  if (name == "presence" && !stanza.attr("to")) {
    std::string_view type = stanza.attrOr("type", "");
    if (type.empty()) available_ = true;
    if (type == "unavailable") available_ = false;
  }
  ctx_.router.routeFromClient(*this, std::move(stanza));
}

void C2sSession::deliver(const net::SharedBytes& stanza) { deliverPieces(net::StanzaBytes(stanza)); }

void C2sSession::deliverPieces(const net::StanzaBytes& stanza) {
  if (auto next = resumedBy_.lock()) {
    next->worker().post([next, stanza] { next->deliverPieces(stanza); });
    return;
  }
  if (!bound_) return;
  if (inactive_ && stanza.startsWith("<presence")) {
    // XEP-0352: presence can wait while the client is inactive; only the newest per sender.
    // Presence is small: reading its sender from joined pieces is cheap, and done once.
    std::string s = stanza.flatten();
    auto end = s.find('>');
    auto at = s.find(" from='");
    std::string sender = at < end ? s.substr(at, s.find('\'', at + 7) - at) : std::string();
    std::erase_if(csiBuffer_, [&](const auto& held) { return held.first == sender; });
    csiBuffer_.emplace_back(std::move(sender), stanza);
    if (csiBuffer_.size() > kMaxCsiBuffer) flushCsiBuffer();
    return;
  }
  flushCsiBuffer();
  transmit(stanza);
}

void C2sSession::flushCsiBuffer() {
  auto buffered = std::move(csiBuffer_);
  csiBuffer_.clear();
  for (const auto& held : buffered) transmit(held.second);
}

void C2sSession::transmit(const net::StanzaBytes& stanza) {
  if (sm_) {
    sm_->sent(stanza);
    if (sm_->unacknowledged() > kMaxUnacked) {
      if (hibernating_) {
        endSession();
      } else {
        closeWithError(StreamErrorCondition::PolicyViolation, "too many unacknowledged stanzas");
      }
      return;
    }
  }
  if (hibernating_ || phase_ != Phase::Bound) return;
  connection_.send(stanza);
  if (sm_) requestAckSoon();
}

void C2sSession::requestAckSoon() {
  if (sm_->unacknowledged() % kAckEvery == 0) {
    connection_.send(std::string("<r xmlns='urn:xmpp:sm:3'/>"));
    return;
  }
  if (smTimer_) return;
  // A few stanzas and then silence: ask once shortly after, so the queue does not linger.
  smTimer_ = std::make_unique<boost::asio::steady_timer>(worker().context(), std::chrono::seconds(1));
  smTimer_->async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->hibernating_) return;
    self->smTimer_.reset();
    if (self->sm_ && self->sm_->unacknowledged() > 0 && self->phase_ == Phase::Bound) {
      self->connection_.send(std::string("<r xmlns='urn:xmpp:sm:3'/>"));
    }
  });
}

void C2sSession::handleSm(const xml::Element& element) {
  const std::string& name = element.name();
  if (name == "enable") {
    if (sm_) {
      connection_.send(std::string("<failed xmlns='urn:xmpp:sm:3'><unexpected-request "
                                   "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"));
      return;
    }
    std::string_view resume = element.attrOr("resume", "false");
    bool resumable = resume == "true" || resume == "1";
    sm_ = std::make_unique<StreamManagement>(util::randomHex(16), resumable);
    std::string out = "<enabled xmlns='urn:xmpp:sm:3'";
    if (resumable) {
      ctx_.resumption.add(sm_->id(), weak_from_this());
      out += " id='" + sm_->id() + "' resume='true' max='" + std::to_string(ctx_.resumeTimeout.count()) + "'";
    }
    connection_.send(out + "/>");
  } else if (name == "r" && sm_) {
    connection_.send("<a xmlns='urn:xmpp:sm:3' h='" + std::to_string(sm_->inbound()) + "'/>");
  } else if (name == "a" && sm_) {
    auto h = std::strtoul(std::string(element.attrOr("h", "")).c_str(), nullptr, 10);
    if (!sm_->acknowledge(static_cast<std::uint32_t>(h))) {
      closeWithError(StreamErrorCondition::UndefinedCondition, "acknowledged more stanzas than were sent");
    }
  } else if (name != "r" && name != "a") {
    connection_.send(std::string("<failed xmlns='urn:xmpp:sm:3'><unexpected-request "
                                 "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"));
  }
}

void C2sSession::handleResume(const xml::Element& element) {
  std::string previd(element.attrOr("previd", ""));
  auto h = static_cast<std::uint32_t>(std::strtoul(std::string(element.attrOr("h", "")).c_str(), nullptr, 10));
  auto old = ctx_.resumption.take(previd);
  if (old && old->username_ != username_) {
    ctx_.resumption.add(previd, old);  // someone else's stream: leave it alone
    old.reset();
  }
  if (!old) {
    connection_.send(std::string("<failed xmlns='urn:xmpp:sm:3'><item-not-found "
                                 "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"));
    return;
  }
  resuming_ = true;
  auto self = shared_from_this();
  old->worker().post([old, self, h] {
    auto state = old->detachForResume(self, h);
    state->old = old;
    self->worker().post([self, state] { self->completeResume(state); });
  });
}

std::shared_ptr<C2sSession::ResumeState> C2sSession::detachForResume(const std::shared_ptr<C2sSession>& by,
                                                                     std::uint32_t h) {
  auto state = std::make_shared<ResumeState>();
  if (!bound_ || !sm_) return state;
  sm_->acknowledge(h);
  state->ok = true;
  state->jid = jid_;
  state->available = available_;
  state->sm = std::move(sm_);
  flushCsiBuffer();
  resumedBy_ = by;
  bound_ = false;
  hibernating_ = false;
  smTimer_.reset();
  // The client is back on another connection; a half-dead old one is just dropped.
  closingByUs_ = true;
  connection_.abort("resumed on a new connection");
  return state;
}

void C2sSession::completeResume(std::shared_ptr<ResumeState> state) {
  resuming_ = false;
  if (!state->ok || phase_ == Phase::Closed) {
    if (state->ok && state->sm) {
      // We died while the state travelled: the old session's promise falls to us to keep.
      sm_ = std::move(state->sm);
      jid_ = state->jid;
      available_ = state->available;
      bound_ = ctx_.router.sessions().rebind(*state->old, shared_from_this());
      endSession();
      return;
    }
    connection_.send(std::string("<failed xmlns='urn:xmpp:sm:3'><item-not-found "
                                 "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"));
    return;
  }
  jid_ = state->jid;
  available_ = state->available;
  sm_ = std::move(state->sm);
  if (!ctx_.router.sessions().rebind(*state->old, shared_from_this())) {
    sm_.reset();
    connection_.send(std::string("<failed xmlns='urn:xmpp:sm:3'><item-not-found "
                                 "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"));
    return;
  }
  bound_ = true;
  phase_ = Phase::Bound;
  authTimer_.cancel();
  ctx_.resumption.add(sm_->id(), weak_from_this());
  connection_.send("<resumed xmlns='urn:xmpp:sm:3' previd='" + sm_->id() + "' h='" +
                   std::to_string(sm_->inbound()) + "'/>");
  for (const auto& stanza : sm_->queue()) connection_.send(stanza);
  if (sm_->unacknowledged() > 0) connection_.send(std::string("<r xmlns='urn:xmpp:sm:3'/>"));
  spdlog::debug("{} resumed from {}", jid_.full(), connection_.remoteAddress());
}

void C2sSession::hibernate() {
  hibernating_ = true;
  smTimer_ = std::make_unique<boost::asio::steady_timer>(worker().context(), ctx_.resumeTimeout);
  smTimer_->async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || !self->hibernating_) return;
    self->endSession();
  });
  spdlog::debug("{} lost its connection; resumable for {} s", jid_.full(), ctx_.resumeTimeout.count());
}

void C2sSession::endIfHibernating() {
  if (hibernating_) endSession();
}

void C2sSession::endSession() {
  if (!bound_) return;
  bound_ = false;
  hibernating_ = false;
  smTimer_.reset();
  ctx_.router.sessions().unbind(*this);
  ctx_.router.sessionClosed(*this, available_);
  if (!sm_) return;
  ctx_.resumption.remove(sm_->id());
  // Nothing the client did not acknowledge is lost: messages go back through the router, to
  // another resource or to offline storage.
  for (const auto& bytes : sm_->takeQueue()) {
    auto stanza = parseStanza(bytes.flatten());
    if (!stanza || stanza->name() != "message") continue;
    std::string_view type = stanza->attrOr("type", "normal");
    if (type == "error" || type == "groupchat" || type == "headline") continue;
    if (!stanza->child("delay", "urn:xmpp:delay")) {
      auto& delay = stanza->addChild(xml::Element("delay", "urn:xmpp:delay"));
      delay.setAttr("from", ctx_.router.domain());
      delay.setAttr("stamp", util::utcTimestamp());
    }
    ctx_.router.route(std::move(*stanza));
  }
  sm_.reset();
}

void C2sSession::closeWithError(StreamErrorCondition condition, std::string_view text) {
  if (phase_ == Phase::Closed || !connection_.isOpen()) return;
  if (!headerSent_) sendHeader({});
  std::string out = "<stream:error><" + std::string(streamErrorName(condition)) + " xmlns='" +
                    std::string(kStreamErrorNs) + "'/>";
  if (!text.empty()) {
    out += "<text xmlns='" + std::string(kStreamErrorNs) + "'>" + xml::escapeText(text) + "</text>";
  }
  out += "</stream:error></stream:stream>";
  closingByUs_ = true;
  connection_.send(std::move(out));
  spdlog::debug("stream error {} to {}: {}", streamErrorName(condition), connection_.remoteAddress(), text);
  phase_ = Phase::Closed;
  connection_.close();
}

void C2sSession::onStreamClose() {
  if (phase_ == Phase::Closed) return;
  closingByUs_ = true;
  connection_.send(std::string("</stream:stream>"));
  phase_ = Phase::Closed;
  connection_.close();
}

void C2sSession::onStreamError(StreamError error) { closeWithError(error.condition, error.text); }

void C2sSession::onClosed(std::string_view reason) {
  phase_ = Phase::Closed;
  authTimer_.cancel();
  delayTimer_.reset();
  scram_.reset();
  if (bound_) {
    spdlog::debug("{} left: {}", jid_.full(), reason);
    if (sm_ && sm_->resumable() && !closingByUs_) {
      hibernate();
    } else {
      endSession();
    }
  }
  if (onEnded_) onEnded_(*this);
}

}  // namespace telex::stream
