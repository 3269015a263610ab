// One client-to-server stream (RFC 6120): stream header, features, STARTTLS, SASL, resource
// binding, then stanzas to the router. Lives on one worker; every method runs there.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>

#include "auth/account_store.hpp"
#include "auth/auth_throttle.hpp"
#include "auth/invite_store.hpp"
#include "config/config.hpp"
#include "net/connection.hpp"
#include "net/heap_trim.hpp"
#include "router/session.hpp"
#include "router/stanza_router.hpp"
#include "sasl/scram.hpp"
#include "storage/storage_pool.hpp"
#include "stream/stream_features.hpp"
#include "stream/stream_management.hpp"
#include "stream/xml_stream_parser.hpp"

namespace telex::stream {

class C2sSession;

// Everything a client stream needs from the server, shared by all streams.
struct C2sContext {
  const config::Config& config;
  SSL_CTX* tls;
  router::StanzaRouter& router;
  auth::AccountStore& accounts;
  storage::StoragePool& pool;
  auth::AuthThrottle& throttle;
  std::string decoySecret;  // makes SCRAM answers for unknown users look like real ones
  StreamFeatures features;
  ResumptionRegistry<C2sSession>& resumption;
  std::chrono::seconds resumeTimeout;
  auth::InviteStore& invites;
  auth::AuthThrottle& registrations;  // accounts registered per address in the last hour
  net::HeapTrim& heapTrim;            // told when an idle stream gives its parser back
};

class C2sSession : public router::Session,
                   public net::ConnectionHandler,
                   public StreamParserHandler,
                   public std::enable_shared_from_this<C2sSession> {
 public:
  // directTls: TLS from the first byte (XEP-0368) rather than STARTTLS.
  C2sSession(C2sContext& context, net::AcceptedSocket socket, net::Worker& worker, bool directTls);
  ~C2sSession() override;

  void start();
  bool isOpen() const { return connection_.isOpen(); }

  // router::Session
  const Jid& jid() const override { return jid_; }
  net::Worker& worker() override { return connection_.worker(); }
  void deliver(const net::SharedBytes& stanza) override;
  void deliverPieces(const net::StanzaBytes& stanza) override;
  void closeWithError(StreamErrorCondition condition, std::string_view text) override;
  // Server shutdown: a session waiting for its client to resume never will be; end it now (on its
  // worker), so what the client never acknowledged goes to offline storage. No-op otherwise.
  void endIfHibernating();

  // net::ConnectionHandler
  void onData(std::string_view bytes) override;
  void onClosed(std::string_view reason) override;

  // StreamParserHandler
  void onStreamOpen(const xml::Element& header, std::string_view contentNamespace) override;
  void onStanza(xml::Element stanza) override;
  void onStreamClose() override;
  void onStreamError(StreamError error) override;

  // Called with the registry's hook when the session ends, so the owner can forget it.
  void setOnEnded(std::function<void(C2sSession&)> fn) { onEnded_ = std::move(fn); }

 private:
  enum class Phase { Header, Features, Sasl, Bind, Bound, Closed };

  void sendHeader(const std::string& streamId);
  void sendFeatures();
  bool plaintextAllowed() const;
  void handleStartTls(const xml::Element& stanza);
  void handleAuth(const xml::Element& stanza);
  void startAuth(std::string mechanism, std::string initial);
  void handleSaslResponse(const xml::Element& stanza);
  void saslFailure(std::string_view condition, std::string_view text = {}, bool countsAsFailure = true);
  void saslSuccess(std::string username, std::string additionalData);
  void handleBound(xml::Element stanza);
  void handleBind(const xml::Element& iq);
  void sendElement(const xml::Element& element);
  void armAuthTimer();
  void noteInput();
  void waitIdle();

  // XEP-0198 Stream Management and XEP-0352 Client State Indication.
  struct ResumeState {
    bool ok = false;
    Jid jid;
    bool available = false;
    std::unique_ptr<StreamManagement> sm;
    std::shared_ptr<C2sSession> old;
  };
  // XEP-0077 before authentication (stream/c2s_registration.cpp).
  void handlePreAuthIq(const xml::Element& iq);
  void sendIqError(const xml::Element& iq, const router::StanzaError& error);
  void handleSm(const xml::Element& element);
  void handleResume(const xml::Element& element);
  std::shared_ptr<ResumeState> detachForResume(const std::shared_ptr<C2sSession>& by, std::uint32_t h);
  void completeResume(std::shared_ptr<ResumeState> state);
  void transmit(const net::StanzaBytes& stanza);
  void requestAckSoon();
  void hibernate();
  void endSession();
  void flushCsiBuffer();

  C2sContext& ctx_;
  net::Connection connection_;
  XmlStreamParser parser_;
  boost::asio::steady_timer authTimer_;  // authentication deadline; once bound, the idle check
  std::chrono::steady_clock::time_point lastInput_;  // last bytes from the client, once bound
  bool idleWaitArmed_ = false;
  std::unique_ptr<boost::asio::steady_timer> delayTimer_;  // only while an attempt is throttled
  Phase phase_ = Phase::Header;
  bool headerSent_ = false;
  bool authenticated_ = false;
  bool feeding_ = false;         // inside parser_.feed()
  bool restartPending_ = false;  // stream restart after STARTTLS / SASL success
  bool bound_ = false;
  bool available_ = false;
  int saslAttempts_ = 0;
  std::string username_;  // nodeprepped localpart, after authentication
  Jid jid_;
  std::unique_ptr<sasl::ScramServer> scram_;
  std::optional<sasl::HashAlgo> scramAlgo_;
  bool scramUserKnown_ = false;
  std::function<void(C2sSession&)> onEnded_;

  std::unique_ptr<StreamManagement> sm_;
  std::unique_ptr<boost::asio::steady_timer> smTimer_;  // ack request, or hibernation deadline
  bool hibernating_ = false;     // connection lost, waiting for the client to resume
  bool closingByUs_ = false;     // stream ended on purpose: no hibernation
  bool resuming_ = false;
  std::weak_ptr<C2sSession> resumedBy_;  // deliveries that still reach us go there
  bool inactive_ = false;                // XEP-0352
  std::string inviteToken_;              // a valid XEP-0401 token presented on this stream
  // Presence held back while inactive, with its sender's from='…' (one kept per sender).
  std::vector<std::pair<std::string, net::StanzaBytes>> csiBuffer_;
};

}  // namespace telex::stream
