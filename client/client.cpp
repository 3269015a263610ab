// Client: the client stream state machine, stanza dispatch, IQ tracking, keepalive, reconnect.
#include "client/client.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <map>
#include <random>

#include "client/features.hpp"
#include "client/scram_client.hpp"
#include "client/stream_management.hpp"
#include "client/transport.hpp"
#include "stream/xml_stream_parser.hpp"
#include "util/base64.hpp"
#include "util/crypto.hpp"

namespace telex::client {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

constexpr std::string_view kNsStreams = "http://etherx.jabber.org/streams";
constexpr std::string_view kNsStreamErrors = "urn:ietf:params:xml:ns:xmpp-streams";
constexpr std::string_view kNsTls = "urn:ietf:params:xml:ns:xmpp-tls";
constexpr std::string_view kNsSasl = "urn:ietf:params:xml:ns:xmpp-sasl";
constexpr std::string_view kNsBind = "urn:ietf:params:xml:ns:xmpp-bind";
constexpr std::string_view kNsSession = "urn:ietf:params:xml:ns:xmpp-session";
// Before authentication a server has no reason to send big stanzas; cap what we buffer.
constexpr std::size_t kPreAuthStanzaBytes = 64 * 1024;
constexpr milliseconds kCloseGrace{3'000};   // for the server's </stream:stream>
constexpr milliseconds kCloseLinger{2'000};  // then for the server to close the TCP connection

std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// First child element of a failure / error element that is not <text/>, and its <text/>.
std::pair<std::string, std::string> conditionOf(const xml::Element& e, std::string_view ns) {
  std::string condition, text;
  for (const auto& child : e.children()) {
    if (child.isText() || child.xmlns() != ns) continue;
    if (child.name() == "text") {
      if (text.empty()) text = child.textContent();
    } else if (condition.empty()) {
      condition = child.name();
    }
  }
  return {condition, text};
}

bool permanentStreamError(std::string_view condition) {
  return condition == "conflict" || condition == "not-authorized" || condition == "host-unknown" ||
         condition == "policy-violation" || condition == "invalid-namespace" ||
         condition == "unsupported-version" || condition == "improper-addressing";
}

}  // namespace

std::string_view disconnectReasonName(DisconnectReason reason) {
  switch (reason) {
    case DisconnectReason::Requested: return "requested";
    case DisconnectReason::ConnectFailed: return "connect-failed";
    case DisconnectReason::ProxyFailed: return "proxy-failed";
    case DisconnectReason::TlsFailed: return "tls-failed";
    case DisconnectReason::CertificateRejected: return "certificate-rejected";
    case DisconnectReason::AuthFailed: return "auth-failed";
    case DisconnectReason::StreamError: return "stream-error";
    case DisconnectReason::BindFailed: return "bind-failed";
    case DisconnectReason::ProtocolError: return "protocol-error";
    case DisconnectReason::Timeout: return "timeout";
    case DisconnectReason::ConnectionLost: return "connection-lost";
    case DisconnectReason::ServerClosed: return "server-closed";
  }
  return "unknown";
}

bool DisconnectInfo::permanent() const {
  switch (reason) {
    case DisconnectReason::Requested:
    case DisconnectReason::CertificateRejected:
    case DisconnectReason::ProtocolError: return true;
    case DisconnectReason::AuthFailed: return condition != "temporary-auth-failure";
    case DisconnectReason::StreamError: return permanentStreamError(condition);
    case DisconnectReason::TlsFailed:
      // STARTTLS refused or missing is a server policy and an unreadable CA file stays so;
      // a failed handshake may be transient.
      return condition == "starttls" || condition == "tls-config";
    default: return false;
  }
}

std::string DisconnectInfo::describe() const {
  const auto withText = [this](std::string head) {
    if (!text.empty()) head += (head.empty() ? "" : ": ") + text;
    return head;
  };
  switch (reason) {
    case DisconnectReason::Requested: return "disconnected";
    case DisconnectReason::AuthFailed:
      if (condition.empty()) return "sign-in failed: " + text;
      return "sign-in failed: " + condition + (text.empty() ? "" : " (" + text + ")");
    case DisconnectReason::StreamError:
      return "stream error: " + condition + (text.empty() ? "" : " (" + text + ")");
    case DisconnectReason::BindFailed: return withText("sign-in failed");
    case DisconnectReason::CertificateRejected: return withText("TLS failed");
    case DisconnectReason::TlsFailed: return withText("TLS failed");
    case DisconnectReason::ConnectFailed: return withText("connection failed");
    case DisconnectReason::ProxyFailed: return withText("connection failed");
    case DisconnectReason::ProtocolError: return withText("protocol error");
    case DisconnectReason::Timeout: return withText("timed out");
    case DisconnectReason::ConnectionLost: return withText("connection lost");
    case DisconnectReason::ServerClosed: return withText("the server closed the session");
  }
  return text;
}

// --------------------------------------------------------------------------------------------

class Client::Impl : public std::enable_shared_from_this<Impl>,
                     public detail::TransportHandler,
                     public stream::StreamParserHandler {
 public:
  Impl(asio::io_context& io, ClientOptions options)
      : io_(io),
        options_(std::move(options)),
        parser_(*this, stream::ParserLimits{kPreAuthStanzaBytes, 48}),
        connectTimer_(io),
        pingTimer_(io),
        reconnectTimer_(io),
        closeTimer_(io),
        ackTimer_(io),
        idPrefix_(hex(util::randomBytes(4))),
        rng_(std::random_device{}()) {}

  ~Impl() override { shutdown(); }

  // Called by ~Client: no callbacks from now on, everything closed.
  void shutdown() {
    callbacks_ = {};
    userClosed_ = true;
    cancelTimers();
    reconnectTimer_.cancel();
    dropTransport(false, false);
    // Pending IQ and join callbacks belong to the user too; drop them without calling.
    pendingIqs_.clear();
    features_.rooms.clear();
    state_ = State::Idle;
  }

  // ---- public API ----
  void connect() {
    if (state_ != State::Idle) return;
    userClosed_ = false;
    reconnectTimer_.cancel();
    startAttempt();
  }

  void disconnect() {
    userClosed_ = true;
    reconnectTimer_.cancel();
    if (state_ == State::Idle) {
      if (reconnectPending_) {
        reconnectPending_ = false;
        auto keepAlive = shared_from_this();
        endForGood();
        DisconnectInfo info;
        info.reason = DisconnectReason::Requested;
        notifyDisconnected(info);
      }
      return;
    }
    if (state_ == State::Closing) return;
    if (!transport_ || !streamOpenSent_) {
      finish(DisconnectReason::Requested, {}, {});
      return;
    }
    // XEP-0198 §4: acknowledge what we received before closing, or the server treats it as
    // undelivered (and stores or reroutes it again).
    if (state_ == State::Bound && sm_.active()) sendRaw(sm_.answer());
    state_ = State::Closing;
    sendRaw("</stream:stream>");
    closeTimer_.expires_after(kCloseGrace);
    closeTimer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || self->state_ != State::Closing) return;
      self->finish(DisconnectReason::Requested, {}, {});
    });
  }

  bool isConnected() const { return state_ == State::Bound; }
  const Jid& boundJid() const { return boundJid_; }
  std::string tlsDescription() const {
    return transport_ ? transport_->tlsDescription() : std::string();
  }
  std::string mechanism() const { return mechanism_; }
  const ClientOptions& options() const { return options_; }

  std::string newId() { return idPrefix_ + "-" + std::to_string(++idCounter_); }

  bool sendStanza(const xml::Element& stanza) {
    if (state_ != State::Bound) return false;
    sendElement(stanza);
    return true;
  }

  std::string sendIq(xml::Element iq, IqCallback callback, std::optional<milliseconds> timeout) {
    std::string id(iq.attrOr("id", ""));
    if (id.empty()) {
      id = newId();
      iq.setAttr("id", id);
    }
    if (state_ != State::Bound && !negotiationIq_) {
      if (callback) {
        IqResponse response;
        response.status = IqResponse::Status::Disconnected;
        response.error = StanzaErrorInfo{"cancel", "recipient-unavailable", "not connected"};
        // Asynchronously, so the callback never runs inside the caller's own call, and not at
        // all once the Client is gone.
        asio::post(io_, [weak = weak_from_this(), callback = std::move(callback), response]() {
          if (weak.lock()) callback(response);
        });
      }
      return id;
    }
    Pending pending;
    pending.to = std::string(iq.attrOr("to", ""));
    pending.callback = std::move(callback);
    pending.timer = std::make_unique<asio::steady_timer>(io_);
    pending.timer->expires_after(timeout.value_or(options_.iqTimeout));
    pending.timer->async_wait([weak = weak_from_this(), id](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      self->iqTimedOut(id);
    });
    pendingIqs_[id] = std::move(pending);
    sendElement(iq);
    return id;
  }

  // ---- callbacks ----
  struct Callbacks {
    std::function<void(const Jid&)> connected;
    std::function<void(const DisconnectInfo&)> disconnected;
    std::function<void(const Message&)> message;
    std::function<void(const Presence&)> presence;
    std::function<void(const Roster&, bool)> roster;
    std::function<void(const Jid&, const std::string&)> receipt;
    std::function<void(const std::string&)> error;
    std::function<bool(const xml::Element&)> stanza;
    std::function<void(bool, std::string_view)> trace;
    std::function<void(const Jid&)> resumed;
    std::function<void(const Jid&, const Presence&)> subscriptionRequest;
    std::function<void(const RoomMessage&)> roomMessage;
    std::function<void(const RoomPresence&)> roomPresence;
  };
  Callbacks callbacks_;

  void reportError(const std::string& text) { emit(callbacks_.error, text); }

  detail::FeatureState features_;
  const detail::StreamManagement& sm() const { return sm_; }

  // Calls a user callback through a copy: the callback may destroy the Client (and so the
  // original std::function) while it runs.
  template <class Fn, class... Args>
  static void emit(const Fn& fn, Args&&... args) {
    if (!fn) return;
    Fn copy = fn;
    copy(std::forward<Args>(args)...);
  }

 private:
  enum class State {
    Idle,
    Connecting,       // transport (TCP / proxy / direct TLS)
    AwaitStreamOpen,  // header sent, waiting for the server's
    AwaitFeatures,
    AwaitProceed,  // <starttls/> sent
    TlsHandshake,
    Authenticating,
    Resuming,  // XEP-0198 <resume/> sent, waiting for <resumed/> or <failed/>
    Binding,   // bind (and maybe session) IQs in flight
    Bound,
    Closing,  // </stream:stream> sent, waiting for the server's
  };

  struct Pending {
    std::string to;
    IqCallback callback;
    std::unique_ptr<asio::steady_timer> timer;
  };

  // ---- attempt lifecycle ----
  void startAttempt() {
    reconnectPending_ = false;
    authenticated_ = false;
    mechanism_.clear();
    boundJid_ = Jid();
    streamOpenSent_ = false;
    serverFirstSeen_ = false;
    restartAfterFeed_ = false;
    scram_.reset();
    parser_.reset();
    parser_.setLimits(stream::ParserLimits{kPreAuthStanzaBytes, 48});

    detail::TlsSettings tls;
    tls.verify = !options_.insecureSkipVerify;
    tls.caFile = options_.caFile;
    tls.serverName = options_.jid.domain();
    tls.directTls = options_.tls == TlsMode::DirectTls;
    if (!tlsContext_) {
      auto context = detail::makeClientTlsContext(tls);
      if (!context) {
        // Reported from the loop, like every other outcome, not from inside connect().
        state_ = State::Connecting;
        asio::post(io_, [weak = weak_from_this(), error = context.error()]() {
          if (auto self = weak.lock()) {
            self->finish(DisconnectReason::TlsFailed, "tls-config", error);
          }
        });
        return;
      }
      tlsContext_ = std::move(*context);
    }
    state_ = State::Connecting;
    connectTimer_.expires_after(options_.connectTimeout);
    connectTimer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      if (self->state_ == State::Idle || self->state_ == State::Bound) return;
      self->finish(DisconnectReason::Timeout, {},
                   "no session within " +
                       std::to_string(self->options_.connectTimeout.count() / 1000) + " s");
    });

    const std::string host = options_.host.empty() ? options_.jid.domain() : options_.host;
    std::uint16_t port = options_.port;
    if (port == 0) {
      port = options_.tls == TlsMode::DirectTls ? kDefaultDirectTlsPort : kDefaultClientPort;
    }
    transport_ = std::make_shared<detail::Transport>(io_, *this, tlsContext_, tls);
    transport_->connect(host, port, options_.proxy);
  }

  void cancelTimers() {
    connectTimer_.cancel();
    pingTimer_.cancel();
    closeTimer_.cancel();
    ackTimer_.cancel();
    ackScheduled_ = false;
  }

  // polite: the stream is still open on our side, so close it first. linger: give the server
  // time to finish writing (see Transport::closeAfterFlush).
  void dropTransport(bool polite, bool linger = true) {
    if (!transport_) return;
    if (polite && streamOpenSent_) sendRaw("</stream:stream>");
    if (linger) {
      transport_->closeAfterFlush(kCloseLinger);
    } else {
      transport_->abort();
    }
    transport_.reset();
  }

  // Ends the current connection or attempt: reports it, then maybe schedules a reconnect.
  void finish(DisconnectReason reason, std::string condition, std::string text,
              bool politeClose = true) {
    if (state_ == State::Idle) return;
    auto keepAlive = shared_from_this();
    const bool wasBound = state_ == State::Bound || (state_ == State::Closing && boundOnce_);
    cancelTimers();
    dropTransport(politeClose && reason != DisconnectReason::Requested);
    state_ = State::Idle;
    boundOnce_ = false;

    DisconnectInfo info;
    info.reason = reason;
    info.condition = std::move(condition);
    info.text = std::move(text);
    info.wasConnected = wasBound;
    if (wasBound) attempt_ = 0;
    if (options_.reconnect && !userClosed_ && !info.permanent()) {
      info.willReconnect = true;
      info.reconnectDelay = nextBackoff();
      scheduleReconnect(info.reconnectDelay);
    }
    if (info.willReconnect) {
      // Keep the stream management state (to resume) and the rooms (to rejoin otherwise).
      sm_.suspend();
      // IQs of a session that may be resumed stay pending: their answers may still come.
      if (!sm_.canResume()) failPendingIqs();
    } else {
      endForGood();
    }
    notifyDisconnected(info);
  }

  // No more reconnects: nothing to resume or rejoin (a polite close ended the server's session
  // too); what still waits for an answer fails.
  void endForGood() {
    sm_.reset();
    resendAfterBind_.clear();
    features_.uploadService.reset();
    for (auto& callback : features_.rooms.clear()) {
      if (callback) {
        callback(unexpected(StanzaErrorInfo{"cancel", "recipient-unavailable", "disconnected"}));
      }
    }
    failPendingIqs();
  }

  void notifyDisconnected(const DisconnectInfo& info) { emit(callbacks_.disconnected, info); }

  milliseconds nextBackoff() {
    const double base = static_cast<double>(options_.reconnectInitialDelay.count());
    const double cap = static_cast<double>(options_.reconnectMaxDelay.count());
    double delay = base;
    for (unsigned i = 0; i < attempt_ && delay < cap; ++i) delay *= 2;
    delay = std::min(delay, cap);
    ++attempt_;
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    return milliseconds(static_cast<std::int64_t>(delay * jitter(rng_)));
  }

  void scheduleReconnect(milliseconds delay) {
    reconnectPending_ = true;
    reconnectTimer_.expires_after(delay);
    reconnectTimer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || self->userClosed_ || self->state_ != State::Idle) return;
      self->startAttempt();
    });
  }

  void failPendingIqs() {
    auto pending = std::move(pendingIqs_);
    pendingIqs_.clear();
    for (auto& [id, p] : pending) {
      p.timer->cancel();
      if (!p.callback) continue;
      IqResponse response;
      response.status = IqResponse::Status::Disconnected;
      response.error = StanzaErrorInfo{"cancel", "recipient-unavailable", "disconnected"};
      p.callback(response);
    }
  }

  void iqTimedOut(const std::string& id) {
    auto it = pendingIqs_.find(id);
    if (it == pendingIqs_.end()) return;
    Pending p = std::move(it->second);
    pendingIqs_.erase(it);
    if (!p.callback) return;
    IqResponse response;
    response.status = IqResponse::Status::Timeout;
    response.error = StanzaErrorInfo{"wait", "remote-server-timeout", "no response in time"};
    p.callback(response);
  }

  // ---- output ----
  void sendRaw(std::string_view bytes, bool sensitive = false) {
    if (!transport_) return;
    if (callbacks_.trace) {
      emit(callbacks_.trace, false, sensitive ? std::string_view("[SASL data hidden]") : bytes);
    }
    transport_->send(bytes);
  }

  void sendStreamHeader() {
    std::string header =
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams' to='";
    header += xml::escapeAttribute(options_.jid.domain());
    header += "'";
    // RFC 6120 §4.7.1: name ourselves once the stream is encrypted.
    if (transport_ && transport_->isTls()) {
      header += " from='" + xml::escapeAttribute(options_.jid.bareString()) + "'";
    }
    header += " version='1.0' xml:lang='en'>";
    streamOpenSent_ = true;
    state_ = State::AwaitStreamOpen;
    sendRaw(header);
  }

  // Stanzas (message, presence, iq) go through here: counted and kept for XEP-0198.
  void sendElement(const xml::Element& e, bool sensitive = false) {
    std::string bytes = xml::serialize(e, kNsClient);
    sendRaw(bytes, sensitive);
    if (sm_.active() && detail::isCountedStanza(e)) {
      sm_.sent(std::move(bytes));
      scheduleAckRequest();
    }
  }

  // ---- stream management ----
  // Asks for an ack shortly after stanzas were sent: one <r/> covers a burst.
  void scheduleAckRequest() {
    if (ackScheduled_ || !transport_) return;
    ackScheduled_ = true;
    ackTimer_.expires_after(options_.smAckDelay);
    ackTimer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      self->ackScheduled_ = false;
      if (self->state_ == State::Bound && self->sm_.active() && self->sm_.unacked() > 0) {
        self->sendRaw(detail::StreamManagement::request());
      }
    });
  }

  // <r/>, <a/>, <enabled/>, <failed/> once bound. True when `e` was one of ours.
  bool handleSmElement(const xml::Element& e) {
    if (e.xmlns() != detail::kNsSm) return false;
    if (e.name() == "r") {
      // Not after our closing tag: nothing may follow it.
      if (sm_.active() && state_ != State::Closing) sendRaw(sm_.answer());
    } else if (e.name() == "a") {
      if (sm_.active() && !sm_.acknowledge(e.attrOr("h", ""))) {
        protocolError("the server acknowledged stanzas we never sent (h='" +
                      std::string(e.attrOr("h", "")) + "')");
      }
    } else if (e.name() == "enabled") {
      sm_.enabled(e);
    } else if (e.name() == "failed") {
      // <enable/> refused: go on without stream management.
      sm_.enableFailed();
      reportError("the server refused stream management");
    }
    return true;
  }

  // A fresh session begins: the old one's unacked messages are kept to send again, and its
  // IQs still waiting for answers fail. False when a callback ended this attempt meanwhile.
  bool oldSessionGone() {
    for (auto& stanza : sm_.takeUnacked()) {
      if (stanza.starts_with("<message")) resendAfterBind_.push_back(std::move(stanza));
    }
    if (pendingIqs_.empty()) return true;
    const auto keepAlive = shared_from_this();
    const State before = state_;
    failPendingIqs();
    return state_ == before && transport_ != nullptr;
  }

  void handleResumeAnswer(const xml::Element& e) {
    if (e.xmlns() == detail::kNsSm && e.name() == "resumed") {
      auto resend = sm_.resumed(e);
      if (!resend) {
        protocolError(resend.error());
        return;
      }
      state_ = State::Bound;
      boundOnce_ = true;
      boundJid_ = resumedJid_;
      attempt_ = 0;
      connectTimer_.cancel();
      parser_.setLimits(stream::ParserLimits{options_.maxStanzaBytes, 48});
      for (const auto& stanza : *resend) sendRaw(stanza);
      if (!resend->empty()) scheduleAckRequest();
      schedulePing();
      const Jid bound = boundJid_;
      emit(callbacks_.resumed, bound);
      return;
    }
    if (e.xmlns() == detail::kNsSm && e.name() == "failed") {
      // The old session is gone (e.g. the server restarted or the resumption time ran out).
      // What it never got is sent again through a fresh session; only messages, since presence
      // and IQs belong to the old session (the application sends presence again on connect).
      if (auto h = e.attr("h")) sm_.acknowledge(*h);
      if (!oldSessionGone()) return;
      startBind(resumeFeatures_);
      return;
    }
    protocolError("expected <resumed/> or <failed/>, got <" + e.name() + "/>");
  }

  // ---- TransportHandler ----
  void onTransportConnected() override {
    if (state_ != State::Connecting) return;
    sendStreamHeader();
  }

  void onTransportTlsEstablished() override {
    if (state_ != State::TlsHandshake) return;
    parser_.reset();
    sendStreamHeader();
  }

  void onTransportClosed(const detail::TransportError& error) override {
    transport_.reset();
    using Stage = detail::TransportError::Stage;
    if (state_ == State::Closing) {
      finish(DisconnectReason::Requested, {}, {}, false);
      return;
    }
    switch (error.stage) {
      case Stage::Resolve:
      case Stage::Connect:
        finish(DisconnectReason::ConnectFailed, {}, error.message, false);
        return;
      case Stage::Proxy: finish(DisconnectReason::ProxyFailed, {}, error.message, false); return;
      case Stage::Tls:
        finish(error.certificateRejected ? DisconnectReason::CertificateRejected
                                         : DisconnectReason::TlsFailed,
               {}, error.message, false);
        return;
      case Stage::Io:
      case Stage::PeerClosed:
        finish(DisconnectReason::ConnectionLost, {}, error.message, false);
        return;
    }
  }

  void onTransportData(std::string_view bytes) override {
    auto keepAlive = shared_from_this();
    if (callbacks_.trace) emit(callbacks_.trace, true, bytes);
    while (!bytes.empty() && transport_) {
      const std::size_t consumed = parser_.feed(bytes);
      if (!transport_ || state_ == State::Idle) return;
      if (state_ == State::TlsHandshake) {
        // Everything after <proceed/> belongs to TLS; a server may not pipeline plaintext there.
        transport_->startTls();
        return;
      }
      if (!restartAfterFeed_) return;
      // SASL success: the parser was reset inside the callback; the rest is the new stream.
      restartAfterFeed_ = false;
      sendStreamHeader();
      bytes = bytes.substr(std::min(consumed, bytes.size()));
    }
  }

  // ---- StreamParserHandler ----
  void onStreamOpen(const xml::Element& header, std::string_view contentNamespace) override {
    if (state_ != State::AwaitStreamOpen) return;
    if (contentNamespace != kNsClient) {
      streamErrorAndFinish("invalid-namespace", "the server's stream is not jabber:client");
      return;
    }
    const std::string_view version = header.attrOr("version", "0.9");
    if (version.empty() || version[0] < '1') {
      streamErrorAndFinish("unsupported-version", "the server does not speak XMPP 1.0");
      return;
    }
    state_ = State::AwaitFeatures;
  }

  void onStanza(xml::Element stanza) override {
    if (state_ == State::Idle) return;
    if (stanza.xmlns() == kNsStreams && stanza.name() == "error") {
      auto [condition, text] = conditionOf(stanza, kNsStreamErrors);
      if (condition.empty()) condition = "undefined-condition";
      finish(DisconnectReason::StreamError, condition, text);
      return;
    }
    switch (state_) {
      case State::AwaitFeatures:
        if (stanza.xmlns() == kNsStreams && stanza.name() == "features") {
          handleFeatures(stanza);
        } else {
          protocolError("expected <stream:features/>, got <" + stanza.name() + "/>");
        }
        return;
      case State::AwaitProceed:
        if (stanza.xmlns() == kNsTls && stanza.name() == "proceed") {
          state_ = State::TlsHandshake;
          parser_.requestRestart();
        } else if (stanza.xmlns() == kNsTls && stanza.name() == "failure") {
          finish(DisconnectReason::TlsFailed, "starttls", "the server refused STARTTLS", false);
        } else {
          protocolError("expected <proceed/>, got <" + stanza.name() + "/>");
        }
        return;
      case State::Authenticating: handleSasl(stanza); return;
      case State::Resuming: handleResumeAnswer(stanza); return;
      case State::Binding:
      case State::Bound:
      case State::Closing: dispatch(std::move(stanza)); return;
      default: protocolError("unexpected <" + stanza.name() + "/>"); return;
    }
  }

  void onStreamClose() override {
    if (state_ == State::Idle) return;
    if (state_ == State::Closing) {
      finish(DisconnectReason::Requested, {}, {}, false);
      return;
    }
    finish(DisconnectReason::ServerClosed, {}, {});
  }

  void onStreamError(stream::StreamError error) override {
    if (state_ == State::Idle) return;
    if (state_ == State::Closing) {
      finish(DisconnectReason::Requested, {}, {}, false);
      return;
    }
    streamErrorAndFinish(std::string(stream::streamErrorName(error.condition)),
                         "invalid data from the server: " + error.text);
  }

  // Our own <stream:error/> for a server that broke the protocol.
  void streamErrorAndFinish(const std::string& condition, const std::string& text) {
    if (transport_ && streamOpenSent_) {
      sendRaw("<stream:error><" + condition +
              " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
    }
    finish(DisconnectReason::ProtocolError, condition, text);
  }

  void protocolError(const std::string& text) { streamErrorAndFinish("undefined-condition", text); }

  // ---- negotiation ----
  void handleFeatures(const xml::Element& features) {
    const bool tls = transport_->isTls();
    if (!tls) {
      if (features.child("starttls", kNsTls) != nullptr) {
        state_ = State::AwaitProceed;
        sendRaw("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        return;
      }
      if (options_.tls != TlsMode::InsecurePlaintextAllowed) {
        finish(DisconnectReason::TlsFailed, "starttls",
               "the server does not offer STARTTLS (encryption is required)");
        return;
      }
    }
    if (!authenticated_) {
      startAuth(features, tls);
      return;
    }
    smOffered_ = options_.streamManagement && features.child("sm", detail::kNsSm) != nullptr;
    if (smOffered_ && sm_.canResume()) {
      state_ = State::Resuming;
      resumeFeatures_ = features;
      parser_.setLimits(stream::ParserLimits{options_.maxStanzaBytes, 48});
      sendRaw(sm_.resume());
      return;
    }
    // An earlier session that cannot be resumed (not resumable, or the server stopped offering
    // stream management): its unacked messages go into the new one.
    if (!oldSessionGone()) return;
    startBind(features);
  }

  void startBind(const xml::Element& features) {
    const xml::Element* bind = features.child("bind", kNsBind);
    if (bind == nullptr) {
      protocolError("the server offers no resource binding");
      return;
    }
    const xml::Element* session = features.child("session", kNsSession);
    // RFC 3921 sessions: only old servers require them. <optional/> (RFC 6121 Appendix E)
    // marks a server that merely still offers them.
    needSession_ = session != nullptr && session->child("optional", kNsSession) == nullptr;
    state_ = State::Binding;
    parser_.setLimits(stream::ParserLimits{options_.maxStanzaBytes, 48});
    xml::Element bindRequest{"bind", std::string(kNsBind)};
    if (options_.jid.hasResource()) {
      xml::Element resource{"resource", std::string(kNsBind)};
      resource.addText(options_.jid.resource());
      bindRequest.addChild(std::move(resource));
    }
    negotiationIq_ = true;
    sendIq(
        makeIq("set", newId(), std::nullopt, std::move(bindRequest)),
        [weak = weak_from_this()](const IqResponse& response) {
          if (auto self = weak.lock()) self->onBindResponse(response);
        },
        options_.connectTimeout);
    negotiationIq_ = false;
  }

  void onBindResponse(const IqResponse& response) {
    if (state_ != State::Binding) return;
    if (!response.ok()) {
      finish(DisconnectReason::BindFailed, response.error.condition,
             "resource binding failed: " + response.error.describe());
      return;
    }
    const xml::Element* bind = response.stanza.child("bind", kNsBind);
    auto jid = bind ? Jid::parse(bind->childText("jid", kNsBind)) : std::nullopt;
    if (!jid || !jid->hasResource() || jid->bare() != options_.jid.bare()) {
      protocolError("the server bound an unexpected JID");
      return;
    }
    boundJid_ = *jid;
    if (!needSession_) {
      sessionReady();
      return;
    }
    negotiationIq_ = true;
    sendIq(
        makeIq("set", newId(), std::nullopt, xml::Element{"session", std::string(kNsSession)}),
        [weak = weak_from_this()](const IqResponse& r) {
          auto self = weak.lock();
          if (!self || self->state_ != State::Binding) return;
          if (!r.ok()) {
            self->finish(DisconnectReason::BindFailed, r.error.condition,
                         "session establishment failed: " + r.error.describe());
            return;
          }
          self->sessionReady();
        },
        options_.connectTimeout);
    negotiationIq_ = false;
  }

  void sessionReady() {
    state_ = State::Bound;
    boundOnce_ = true;
    attempt_ = 0;
    connectTimer_.cancel();
    // Resumption only when we would come back: otherwise the server would hold a dead session
    // (and the messages for it) instead of bouncing them at once.
    if (smOffered_) sendRaw(sm_.enable(options_.reconnect));
    resumedJid_ = boundJid_;
    schedulePing();
    // Rooms of a session that could not be resumed are joined again.
    for (const auto& presence : features_.rooms.rejoinPresences()) {
      sendElement(presence.toElement());
    }
    const Jid bound = boundJid_;
    emit(callbacks_.connected, bound);
    if (state_ != State::Bound) return;  // the callback ended the session
    auto resend = std::move(resendAfterBind_);
    resendAfterBind_.clear();
    for (auto& bytes : resend) {
      sendRaw(bytes);
      if (sm_.active()) {
        sm_.sent(std::move(bytes));
        scheduleAckRequest();
      }
    }
  }

  void startAuth(const xml::Element& features, bool tls) {
    std::vector<std::string> offered;
    if (const xml::Element* mechanisms = features.child("mechanisms", kNsSasl)) {
      for (const auto& m : mechanisms->children()) {
        if (!m.isText() && m.name() == "mechanism") offered.push_back(m.textContent());
      }
    }
    const bool plainAllowed = tls || options_.tls == TlsMode::InsecurePlaintextAllowed;
    const auto mechanism = chooseMechanism(offered, plainAllowed);
    if (!mechanism) {
      std::string list;
      for (const auto& m : offered) list += (list.empty() ? "" : " ") + m;
      finish(
          DisconnectReason::AuthFailed, "invalid-mechanism",
          "no usable SASL mechanism (the server offers: " + (list.empty() ? "none" : list) + ")");
      return;
    }
    mechanism_ = std::string(mechanismName(*mechanism));
    state_ = State::Authenticating;
    std::string initial;
    if (*mechanism == Mechanism::Plain) {
      initial = plainMessage(options_.jid.local(), options_.password);
    } else {
      scram_.emplace(*mechanism == Mechanism::ScramSha256 ? HashAlgo::Sha256 : HashAlgo::Sha1,
                     options_.jid.local(), options_.password);
      initial = scram_->clientFirst();
    }
    sendRaw("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='" + mechanism_ + "'>" +
                util::base64Encode(initial) + "</auth>",
            true);
  }

  // Base64 SASL payload; "=" means an empty one (RFC 6120 §6.4.2).
  std::optional<std::string> saslData(const xml::Element& e) {
    std::string text = e.textContent();
    text.erase(
        std::remove_if(text.begin(), text.end(),
                       [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }),
        text.end());
    if (text == "=") return std::string();
    return util::base64Decode(text);
  }

  void handleSasl(const xml::Element& e) {
    if (e.xmlns() != kNsSasl) {
      protocolError("unexpected <" + e.name() + "/> during authentication");
      return;
    }
    if (e.name() == "failure") {
      auto [condition, text] = conditionOf(e, kNsSasl);
      if (condition.empty()) condition = "not-authorized";
      finish(DisconnectReason::AuthFailed, condition, text);
      return;
    }
    const auto data = saslData(e);
    if (!data) {
      protocolError("invalid base64 in <" + e.name() + "/>");
      return;
    }
    if (e.name() == "challenge") {
      if (!scram_) {
        protocolError("unexpected SASL challenge for " + mechanism_);
        return;
      }
      std::string response;
      if (!scram_->serverVerified() && !serverFirstSeen_) {
        serverFirstSeen_ = true;
        auto final = scram_->receiveServerFirst(*data);
        if (!final) {
          authAbort(final.error());
          return;
        }
        response = std::move(*final);
      } else {
        // Some servers send server-final as a challenge and <success/> without data.
        auto verified = scram_->verifyServerFinal(*data);
        if (!verified) {
          authAbort(verified.error());
          return;
        }
      }
      sendRaw("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
                  (response.empty() ? std::string() : util::base64Encode(response)) + "</response>",
              true);
      return;
    }
    if (e.name() == "success") {
      if (scram_ && !scram_->serverVerified()) {
        auto verified = data->empty()
                            ? Expected<std::monostate, std::string>(unexpected(
                                  std::string("the server did not prove it knows the password")))
                            : scram_->verifyServerFinal(*data);
        if (!verified) {
          finish(DisconnectReason::ProtocolError, "server-signature", verified.error());
          return;
        }
      }
      authenticated_ = true;
      scram_.reset();
      serverFirstSeen_ = false;
      restartAfterFeed_ = true;
      parser_.reset();  // from inside the callback: takes effect when feed() returns
      return;
    }
    protocolError("unexpected <" + e.name() + "/> during authentication");
  }

  void authAbort(const std::string& why) {
    // RFC 6120 §6.4.4: abort the exchange, then give up on this connection.
    sendRaw("<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    finish(DisconnectReason::ProtocolError, "sasl", why);
  }

  // ---- keepalive ----
  void schedulePing() {
    if (options_.pingInterval.count() <= 0) return;
    pingTimer_.expires_after(options_.pingInterval);
    pingTimer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || self->state_ != State::Bound) return;
      auto server = Jid::parse(self->options_.jid.domain());
      self->sendIq(
          makeIq("get", self->newId(), server, xml::Element{"ping", std::string(kNsPing)}),
          [weak = self->weak_from_this()](const IqResponse& r) {
            auto me = weak.lock();
            if (!me || me->state_ != State::Bound) return;
            // Any answer, even an error, proves the connection is alive.
            if (r.status == IqResponse::Status::Timeout) {
              me->finish(DisconnectReason::Timeout, {}, "the server stopped answering");
              return;
            }
            me->schedulePing();
          },
          self->options_.pingInterval);
    });
  }

  // ---- stanzas ----
  void dispatch(xml::Element stanza) {
    if (handleSmElement(stanza)) return;
    if (detail::isCountedStanza(stanza)) sm_.countInbound();
    if (state_ == State::Bound && callbacks_.stanza) {
      const auto hook = callbacks_.stanza;
      if (hook(stanza)) return;
    }
    if (state_ == State::Idle) return;
    if (stanza.name() == "iq" && stanza.xmlns() == kNsClient) {
      handleIq(stanza);
    } else if (state_ != State::Bound && !(state_ == State::Closing && boundOnce_)) {
      // Messages and presence only matter in a session; while our close is under way the
      // server may still deliver some (e.g. a late bounce), which are not lost.
      return;
    } else if (stanza.name() == "message" && stanza.xmlns() == kNsClient) {
      handleMessage(stanza);
    } else if (stanza.name() == "presence" && stanza.xmlns() == kNsClient) {
      auto presence = Presence::parse(stanza);
      if (!presence) {
        reportError("ignoring an invalid presence: " + presence.error());
        return;
      }
      handlePresence(*presence);
    }
    // Other top-level elements (e.g. stream management) are not supported yet: ignored.
  }

  // Whether `from` may answer an IQ we sent to `to` (RFC 6120 §8.1.2.1: no 'to' means our
  // server on our behalf, which may answer from our bare JID, its domain or nothing).
  bool responseFromMatches(const std::string& to, std::string_view from) const {
    if (from == to) return true;
    const auto parsedFrom = Jid::parse(from);
    const auto parsedTo = Jid::parse(to);
    if (parsedFrom && parsedTo && *parsedFrom == *parsedTo) return true;
    if (!to.empty()) return false;
    if (!parsedFrom) return false;
    return *parsedFrom == options_.jid.bare() || parsedFrom->full() == options_.jid.domain() ||
           (boundJid_.hasResource() && *parsedFrom == boundJid_);
  }

  void handleIq(const xml::Element& iq) {
    const std::string_view type = iq.attrOr("type", "");
    if (type == "result" || type == "error") {
      auto it = pendingIqs_.find(std::string(iq.attrOr("id", "")));
      if (it == pendingIqs_.end() || !responseFromMatches(it->second.to, iq.attrOr("from", ""))) {
        return;  // unsolicited or spoofed: ignored (RFC 6120 §8.2.3: no error for these)
      }
      Pending p = std::move(it->second);
      pendingIqs_.erase(it);
      p.timer->cancel();
      if (!p.callback) return;
      IqResponse response;
      response.status = type == "result" ? IqResponse::Status::Result : IqResponse::Status::Error;
      if (type == "error") {
        const xml::Element* error = iq.child("error", kNsClient);
        response.error = error ? StanzaErrorInfo::parse(*error)
                               : StanzaErrorInfo{"cancel", "undefined-condition", {}};
      }
      response.stanza = iq;
      p.callback(response);
      return;
    }
    if (type != "get" && type != "set") return;
    if (state_ != State::Bound) return;
    const xml::Element* payload = iq.firstElement();
    if (payload == nullptr) {
      sendElement(makeIqError(iq, {"modify", "bad-request", {}}));
      return;
    }
    if (type == "get" && payload->xmlns() == kNsPing && payload->name() == "ping") {
      sendElement(makeIqResult(iq));
      return;
    }
    if (type == "get" && payload->xmlns() == kNsDiscoInfo && payload->name() == "query" &&
        payload->attrOr("node", "").empty()) {
      sendElement(makeIqResult(iq, ownDiscoInfo().toElement()));
      return;
    }
    if (type == "set" && payload->xmlns() == kNsRoster && payload->name() == "query") {
      handleRosterPush(iq, *payload);
      return;
    }
    sendElement(makeIqError(iq, {"cancel", "service-unavailable", {}}));
  }

  void handleRosterPush(const xml::Element& iq, const xml::Element& query) {
    // RFC 6121 §2.1.6: only our own server (no 'from', or our bare JID) may push.
    const std::string_view from = iq.attrOr("from", "");
    if (!from.empty()) {
      auto jid = Jid::parse(from);
      if (!jid || *jid != options_.jid.bare()) {
        sendElement(makeIqError(iq, {"cancel", "service-unavailable", {}}));
        return;
      }
    }
    auto roster = Roster::parse(query);
    if (!roster || roster->items.size() != 1) {
      sendElement(makeIqError(iq, {"modify", "bad-request", {}}));
      return;
    }
    sendElement(makeIqResult(iq));
    emit(callbacks_.roster, *roster, true);
  }

  void handlePresence(const Presence& presence) {
    if (auto outcome = features_.rooms.handlePresence(presence)) {
      if (outcome->event || outcome->callback) {
        if (outcome->event) emit(callbacks_.roomPresence, *outcome->event);
        if (!outcome->callback || !outcome->result) return;
        if (*outcome->result && outcome->event && outcome->event->hasStatus(201)) {
          acceptInstantRoom(outcome->event->room, std::move(outcome->callback));
          return;
        }
        outcome->callback(*outcome->result);
        return;
      }
    }
    if (presence.type == PresenceType::Subscribe && callbacks_.subscriptionRequest &&
        presence.from) {
      emit(callbacks_.subscriptionRequest, presence.from->bare(), presence);
      return;
    }
    emit(callbacks_.presence, presence);
  }

  // XEP-0045 §10.1.2: a room we just created stays locked until configured; take the
  // service's defaults (an "instant room") so others can join, then report the join.
  void acceptInstantRoom(const Jid& room, detail::MucRooms::JoinCallback joined) {
    xml::Element query{"query", std::string(kNsMucOwner)};
    query.addChild(xml::Element{"x", "jabber:x:data"}).setAttr("type", "submit");
    sendIq(makeIq("set", newId(), room, std::move(query)),
           [joined = std::move(joined)](const IqResponse& r) {
             if (r.ok()) {
               joined(true);
             } else {
               joined(unexpected(r.error));
             }
           },
           std::nullopt);
  }

  void handleMessage(const xml::Element& stanza) {
    auto message = Message::parse(stanza);
    if (!message) {
      reportError("ignoring an invalid message: " + message.error());
      return;
    }
    if (state_ == State::Bound && options_.autoReceipts && message->requestReceipt &&
        !message->id.empty() && message->from && message->type != MessageType::Groupchat &&
        message->type != MessageType::Error) {
      // XEP-0184 §5: the receipt goes back to the sending resource with the message's id.
      Message receipt;
      receipt.id = newId();
      receipt.to = message->from;
      receipt.receiptFor = message->id;
      sendElement(receipt.toElement());
    }
    if (message->receiptFor && message->type != MessageType::Error && message->from) {
      emit(callbacks_.receipt, *message->from, *message->receiptFor);
      if (state_ == State::Idle) return;  // the callback ended the session
    }
    if (auto roomMessage = features_.rooms.handleMessage(*message)) {
      emit(callbacks_.roomMessage, *roomMessage);
      return;
    }
    emit(callbacks_.message, *message);
  }

 public:
  asio::io_context& io_;
  ClientOptions options_;

 private:
  stream::XmlStreamParser parser_;
  std::shared_ptr<asio::ssl::context> tlsContext_;
  std::shared_ptr<detail::Transport> transport_;
  asio::steady_timer connectTimer_;
  asio::steady_timer pingTimer_;
  asio::steady_timer reconnectTimer_;
  asio::steady_timer closeTimer_;
  asio::steady_timer ackTimer_;
  std::map<std::string, Pending> pendingIqs_;
  std::optional<ScramClient> scram_;
  std::string idPrefix_;
  std::uint64_t idCounter_ = 0;
  std::mt19937 rng_;

  State state_ = State::Idle;
  Jid boundJid_;
  std::string mechanism_;
  unsigned attempt_ = 0;
  bool authenticated_ = false;
  bool serverFirstSeen_ = false;
  bool restartAfterFeed_ = false;
  bool streamOpenSent_ = false;
  bool needSession_ = false;
  bool negotiationIq_ = false;  // sendIq() from the bind/session steps, before Bound
  bool boundOnce_ = false;      // this connection reached Bound
  bool userClosed_ = false;
  bool reconnectPending_ = false;

  // XEP-0198
  detail::StreamManagement sm_;
  bool smOffered_ = false;    // this stream's features offered it (and the option is on)
  bool ackScheduled_ = false;
  Jid resumedJid_;                          // the bound JID a resumed session keeps
  xml::Element resumeFeatures_;             // to bind with when resumption fails
  std::vector<std::string> resendAfterBind_;  // unacked messages of a session that ended
};

// --------------------------------------------------------------------------------------------

Client::Client(asio::io_context& io, ClientOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

Client::~Client() { impl_->shutdown(); }

void Client::onConnected(std::function<void(const Jid&)> h) {
  impl_->callbacks_.connected = std::move(h);
}
void Client::onDisconnected(std::function<void(const DisconnectInfo&)> h) {
  impl_->callbacks_.disconnected = std::move(h);
}
void Client::onMessage(std::function<void(const Message&)> h) {
  impl_->callbacks_.message = std::move(h);
}
void Client::onPresence(std::function<void(const Presence&)> h) {
  impl_->callbacks_.presence = std::move(h);
}
void Client::onRoster(std::function<void(const Roster&, bool)> h) {
  impl_->callbacks_.roster = std::move(h);
}
void Client::onReceipt(std::function<void(const Jid&, const std::string&)> h) {
  impl_->callbacks_.receipt = std::move(h);
}
void Client::onError(std::function<void(const std::string&)> h) {
  impl_->callbacks_.error = std::move(h);
}
void Client::onStanza(std::function<bool(const xml::Element&)> h) {
  impl_->callbacks_.stanza = std::move(h);
}
void Client::onTrace(std::function<void(bool, std::string_view)> h) {
  impl_->callbacks_.trace = std::move(h);
}
void Client::onResumed(std::function<void(const Jid&)> h) {
  impl_->callbacks_.resumed = std::move(h);
}
void Client::onSubscriptionRequest(std::function<void(const Jid&, const Presence&)> h) {
  impl_->callbacks_.subscriptionRequest = std::move(h);
}
void Client::onRoomMessage(std::function<void(const RoomMessage&)> h) {
  impl_->callbacks_.roomMessage = std::move(h);
}
void Client::onRoomPresence(std::function<void(const RoomPresence&)> h) {
  impl_->callbacks_.roomPresence = std::move(h);
}

detail::FeatureState& Client::featureState() { return impl_->features_; }
const detail::FeatureState& Client::featureState() const { return impl_->features_; }
asio::io_context& Client::ioContext() { return impl_->io_; }
std::weak_ptr<void> Client::lifetime() const { return impl_; }
bool Client::streamManagementActive() const { return impl_->sm().active(); }
std::size_t Client::unackedStanzas() const { return impl_->sm().unacked(); }

void Client::connect() { impl_->connect(); }
void Client::disconnect() { impl_->disconnect(); }
bool Client::isConnected() const { return impl_->isConnected(); }
const Jid& Client::boundJid() const { return impl_->boundJid(); }
std::string Client::tlsDescription() const { return impl_->tlsDescription(); }
std::string Client::mechanism() const { return impl_->mechanism(); }
const ClientOptions& Client::options() const { return impl_->options(); }
std::string Client::newId() { return impl_->newId(); }

std::string Client::sendMessage(Message message) {
  if (message.id.empty()) message.id = impl_->newId();
  if (!impl_->sendStanza(message.toElement())) return {};
  return message.id;
}

bool Client::sendPresence(const Presence& presence) {
  return impl_->sendStanza(presence.toElement());
}
bool Client::sendStanza(const xml::Element& stanza) { return impl_->sendStanza(stanza); }

std::string Client::sendIq(xml::Element iq, IqCallback callback,
                           std::optional<std::chrono::milliseconds> timeout) {
  return impl_->sendIq(std::move(iq), std::move(callback), timeout);
}

void Client::requestRoster(std::function<void(Expected<Roster, StanzaErrorInfo>)> callback) {
  std::weak_ptr<Impl> weak = impl_;
  impl_->sendIq(
      makeIq("get", impl_->newId(), std::nullopt, xml::Element{"query", std::string(kNsRoster)}),
      [weak, callback = std::move(callback)](const IqResponse& r) {
        if (!r.ok()) {
          if (callback) callback(unexpected(r.error));
          return;
        }
        const xml::Element* query = r.stanza.child("query", kNsRoster);
        auto roster = query ? Roster::parse(*query) : Expected<Roster, std::string>(Roster{});
        if (!roster) {
          if (callback) {
            callback(unexpected(StanzaErrorInfo{"modify", "bad-request", roster.error()}));
          }
          return;
        }
        auto self = weak.lock();
        if (self) Impl::emit(self->callbacks_.roster, *roster, false);
        if (callback) callback(*roster);
      },
      std::nullopt);
}

void Client::discoInfo(const Jid& target,
                       std::function<void(Expected<DiscoInfo, StanzaErrorInfo>)> callback) {
  impl_->sendIq(
      makeIq("get", impl_->newId(), target, xml::Element{"query", std::string(kNsDiscoInfo)}),
      [callback = std::move(callback)](const IqResponse& r) {
        if (!callback) return;
        if (!r.ok()) {
          callback(unexpected(r.error));
          return;
        }
        const xml::Element* query = r.stanza.child("query", kNsDiscoInfo);
        if (query == nullptr) {
          callback(unexpected(StanzaErrorInfo{"modify", "bad-request", "no disco#info query"}));
          return;
        }
        auto info = DiscoInfo::parse(*query);
        if (!info) {
          callback(unexpected(StanzaErrorInfo{"modify", "bad-request", info.error()}));
          return;
        }
        callback(std::move(*info));
      },
      std::nullopt);
}

void Client::ping(
    const Jid& target,
    std::function<void(Expected<std::chrono::milliseconds, StanzaErrorInfo>)> callback) {
  const auto start = std::chrono::steady_clock::now();
  impl_->sendIq(
      makeIq("get", impl_->newId(), target, xml::Element{"ping", std::string(kNsPing)}),
      [callback = std::move(callback), start](const IqResponse& r) {
        if (!callback) return;
        if (!r.ok()) {
          callback(unexpected(r.error));
          return;
        }
        callback(std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - start));
      },
      std::nullopt);
}

DiscoInfo Client::ownDiscoInfo() {
  DiscoInfo info;
  info.identities.push_back({"client", "pc", "Telex"});
  info.features = {std::string(kNsDiscoInfo), std::string(kNsPing), std::string(kNsReceipts),
                   std::string(kNsChatStates)};
  return info;
}

}  // namespace telex::client
