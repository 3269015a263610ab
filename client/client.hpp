// The Telex XMPP client library's public API: one event-driven session on a caller's io_context.
// (TCP or SOCKS proxy, STARTTLS or direct TLS, SASL, bind, stanzas, IQs, reconnect.)
//
// Contract
// - Everything runs on the io_context passed in; call the Client from that context's thread
//   only (or before io_context::run()). Nothing here blocks: connect() and friends return at
//   once and results come back through the callbacks below.
// - Callbacks are called from io_context::run(). A callback may call any method, including
//   disconnect(), and may destroy the Client; after the Client is destroyed no callback runs.
// - No exceptions are thrown for network or protocol failures: they end in onDisconnected with a
//   DisconnectInfo saying what happened (and whether a reconnect is scheduled).
// - Works with any RFC 6120/6121 server, not only telexd.
//
// Typical use:
//   boost::asio::io_context io;
//   telex::client::ClientOptions options;
//   options.jid = *telex::Jid::parse("alice@example.org");
//   options.password = ...;
//   telex::client::Client client(io, options);
//   client.onConnected([&](const telex::Jid&) { client.sendMessage(...); client.disconnect(); });
//   client.onDisconnected([&](const telex::client::DisconnectInfo& info) { ... });
//   client.connect();
//   io.run();
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/muc.hpp"
#include "client/socks.hpp"
#include "client/stanzas.hpp"
#include "client/upload.hpp"
#include "jid/jid.hpp"
#include "util/expected.hpp"
#include "xml/element.hpp"

namespace boost::asio {
class io_context;
}

namespace telex::client {

namespace detail {
struct FeatureState;  // MUC rooms, upload service cache (client/features.hpp)
}

enum class TlsMode {
  StartTls,   // plain TCP, then STARTTLS; fail when the server does not offer it (default)
  DirectTls,  // TLS from the first byte (XEP-0368), usually port 5223
  // STARTTLS when offered, plaintext otherwise, and PLAIN allowed without TLS. Only for test
  // servers on a trusted network: passwords and messages may cross the network in clear.
  InsecurePlaintextAllowed,
};

inline constexpr std::uint16_t kDefaultClientPort = 5222;
inline constexpr std::uint16_t kDefaultDirectTlsPort = 5223;

struct ClientOptions {
  Jid jid;               // user@domain, or user@domain/resource to ask for that resource
  std::string password;  // kept in memory for reconnects

  std::string host;        // where to connect; empty = the JID's domain (no SRV look-up)
  std::uint16_t port = 0;  // 0 = 5222, or 5223 with DirectTls
  TlsMode tls = TlsMode::StartTls;
  // Certificate checks: the chain must lead to a trusted certificate (the system store, plus
  // caFile when given) and name the JID's domain. SNI is always the JID's domain.
  std::string caFile;
  bool insecureSkipVerify = false;  // accept any certificate (callers should warn the user)
  std::optional<ProxyConfig> proxy;

  std::chrono::milliseconds connectTimeout{30'000};  // connect() until the resource is bound
  std::chrono::milliseconds iqTimeout{30'000};       // default for sendIq()
  std::chrono::milliseconds pingInterval{0};         // XEP-0199 keepalive to the server; 0 = off

  bool reconnect = false;  // after a lost connection or a failed attempt that may succeed later
  std::chrono::milliseconds reconnectInitialDelay{1'000};  // doubled per failed attempt...
  std::chrono::milliseconds reconnectMaxDelay{60'000};     // ...up to this (±20% jitter)

  // XEP-0198 stream management when the server offers it: acknowledged delivery, and (with
  // `reconnect`) after a lost connection the session is resumed (nothing lost, no new presence
  // needed); stanzas the server had not acknowledged are sent again (messages also into a fresh
  // session when it cannot resume).
  bool streamManagement = true;
  std::chrono::milliseconds smAckDelay{250};  // ask for an ack this long after sending stanzas

  std::chrono::milliseconds uploadTimeout{120'000};  // one HTTP PUT (XEP-0363), from connect on

  bool autoReceipts = true;  // answer XEP-0184 receipt requests on incoming messages
  std::size_t maxStanzaBytes = 1024 * 1024;  // larger incoming stanzas end the session
};

enum class DisconnectReason {
  Requested,            // disconnect() was called
  ConnectFailed,        // name resolution or TCP connect failed
  ProxyFailed,          // the SOCKS proxy refused or failed
  TlsFailed,            // TLS could not be set up (STARTTLS refused or not offered, handshake)
  CertificateRejected,  // the server's certificate is not trusted for the JID's domain
  AuthFailed,           // SASL failure (condition: e.g. "not-authorized"), or no usable mechanism
  StreamError,          // the server sent <stream:error/> (condition: e.g. "conflict")
  BindFailed,           // resource binding or session establishment was refused
  ProtocolError,        // the server broke the protocol (bad XML, bad SCRAM signature...)
  Timeout,              // sign-in took longer than connectTimeout, or a keepalive went unanswered
  ConnectionLost,       // the connection dropped
  ServerClosed,         // the server closed the stream without an error
};
std::string_view disconnectReasonName(DisconnectReason reason);

struct DisconnectInfo {
  DisconnectReason reason = DisconnectReason::Requested;
  std::string condition;      // SASL or stream error condition when there is one
  std::string text;           // human-readable detail
  bool wasConnected = false;  // the session had been bound before this
  bool willReconnect = false;
  std::chrono::milliseconds reconnectDelay{0};

  // Retrying will not help (wrong password, untrusted certificate, resource conflict...).
  bool permanent() const;
  // One line, e.g. "sign-in failed: not-authorized" or "connection lost: ...".
  std::string describe() const;
};

struct IqResponse {
  enum class Status { Result, Error, Timeout, Disconnected };
  Status status = Status::Result;
  xml::Element stanza;    // the <iq/> received (Result and Error)
  StanzaErrorInfo error;  // Error; also filled for Timeout/Disconnected with a fitting condition
  bool ok() const { return status == Status::Result; }
};

using IqCallback = std::function<void(const IqResponse&)>;

class Client {
 public:
  Client(boost::asio::io_context& io, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // ---- events (set before connect()) ----
  // The session is ready: authenticated and bound. Send initial presence here if wanted.
  void onConnected(std::function<void(const Jid& boundJid)> handler);
  // Every end of a connection or connection attempt, once each.
  void onDisconnected(std::function<void(const DisconnectInfo&)> handler);
  // A lost session was resumed (XEP-0198) instead of starting anew: presence, joined rooms and
  // the roster are as they were, and onConnected is NOT called. (onDisconnected did report the
  // lost connection, with willReconnect.) Stanzas the server missed have been sent again.
  void onResumed(std::function<void(const Jid& boundJid)> handler);
  // Incoming messages, including type Error (message.error says why) — e.g. a bounce of one we
  // sent, matched by id. Pure receipts and chat-state notifications arrive here too.
  void onMessage(std::function<void(const Message&)> handler);
  // Presence from contacts and other entities. Not: presence from joined rooms (onRoomPresence)
  // and subscription requests while onSubscriptionRequest is set.
  void onPresence(std::function<void(const Presence&)> handler);
  // Someone asks to see our presence (presence type 'subscribe'); answer with
  // approveSubscription or denySubscription. While this handler is set such presence does not
  // go to onPresence.
  void onSubscriptionRequest(std::function<void(const Jid& from, const Presence&)> handler);
  // The roster after requestRoster() (push = false), and each roster push (push = true).
  void onRoster(std::function<void(const Roster&, bool push)> handler);
  // XEP-0184: `from` confirmed it received our message `id`.
  void onReceipt(std::function<void(const Jid& from, const std::string& id)> handler);
  // XEP-0045: messages of type groupchat from a joined room (conversation, history replayed on
  // join with delayed = true, subject changes). They do not go to onMessage; private messages
  // from occupants (room@service/nick, type chat) and errors do.
  void onRoomMessage(std::function<void(const RoomMessage&)> handler);
  // Occupants of joined rooms: each join (the occupant list arrives this way after joinRoom),
  // change and leave, including our own (self = true). Not sent to onPresence.
  void onRoomPresence(std::function<void(const RoomPresence&)> handler);
  // Problems that do not end the session (an unparseable stanza, a failed keepalive send...).
  void onError(std::function<void(const std::string&)> handler);
  // Sees every stanza first once bound; return true to stop the built-in handling (for features
  // this library does not model yet).
  void onStanza(std::function<bool(const xml::Element&)> handler);
  // Protocol trace for debugging: raw XML in (incoming=true) and out. SASL data is masked.
  void onTrace(std::function<void(bool incoming, std::string_view xml)> handler);

  // ---- connection ----
  void connect();  // starts (or restarts) connecting; no-op while connecting or connected
  // Closes the stream politely (waits briefly for the server's closing tag) and cancels
  // reconnects; onDisconnected(Requested) follows. When no stream is open yet (still connecting,
  // or waiting to reconnect) that report comes before disconnect() returns.
  void disconnect();
  bool isConnected() const;
  const Jid& boundJid() const;         // valid while connected
  std::string tlsDescription() const;  // "TLSv1.3 TLS_AES_256_GCM_SHA384" or empty
  std::string mechanism() const;       // SASL mechanism used for the current session
  const ClientOptions& options() const;

  // ---- stanzas (all return false / empty when not connected; nothing is queued) ----
  std::string newId();
  // Sends the message (an id is assigned when empty) and returns its id.
  std::string sendMessage(Message message);
  bool sendPresence(const Presence& presence);
  bool sendStanza(const xml::Element& stanza);
  // Sends an IQ get/set (an id is assigned when missing) and calls `callback` exactly once:
  // with the result or error, on timeout, or when the connection ends first. Returns the id.
  std::string sendIq(xml::Element iq, IqCallback callback,
                     std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // RFC 6121 roster get; the result also goes to onRoster.
  void requestRoster(std::function<void(Expected<Roster, StanzaErrorInfo>)> callback = {});
  // XEP-0030 disco#info of `target` (e.g. the server: Jid of the domain).
  void discoInfo(const Jid& target,
                 std::function<void(Expected<DiscoInfo, StanzaErrorInfo>)> callback);
  // XEP-0199 ping; the callback gets the round trip or the error.
  void ping(const Jid& target,
            std::function<void(Expected<std::chrono::milliseconds, StanzaErrorInfo>)> callback);

  // XEP-0030 disco#items of `target`.
  void discoItems(const Jid& target,
                  std::function<void(Expected<std::vector<DiscoItem>, StanzaErrorInfo>)> callback);

  // ---- contacts (RFC 6121) ----
  // Puts `jid` on the roster (name, groups) and asks to see its presence (subscribe). `done`
  // gets true once the roster set succeeded (the subscription is answered later, by presence).
  void addContact(const Jid& jid, std::string name, std::vector<std::string> groups,
                  std::function<void(Expected<bool, StanzaErrorInfo>)> done = {});
  // Removes `jid` from the roster (the server cancels subscriptions both ways).
  void removeContact(const Jid& jid,
                     std::function<void(Expected<bool, StanzaErrorInfo>)> done = {});
  // Answers a subscription request: 'subscribed', then asks back ('subscribe'; a server ignores
  // that when we already see their presence).
  void approveSubscription(const Jid& jid);
  void denySubscription(const Jid& jid);  // 'unsubscribed'

  // ---- group chat (XEP-0045) ----
  // Finds the server's conference service: disco#items of our domain, then the first item whose
  // disco#info has identity conference/text. nullopt when there is none (or on errors).
  void findConferenceService(std::function<void(std::optional<Jid>)> done);
  // Joins `room` (bare room@service) as `nick`. `joined` gets true when our own presence comes
  // back (status 110; the occupants and history arrive before it through onRoomPresence and
  // onRoomMessage; a room that did not exist is created and, being ours, unlocked with the
  // service's default configuration first), or the error (e.g. conflict: nick in use; not-authorized: password;
  // registration-required; forbidden: banned). Joined rooms are joined again after a reconnect
  // that could not resume the session.
  void joinRoom(const Jid& room, std::string nick, std::optional<std::string> password,
                std::function<void(Expected<bool, StanzaErrorInfo>)> joined = {});
  // Leaves the room (unavailable presence); its self-presence comes through onRoomPresence.
  void leaveRoom(const Jid& room);
  // Sends a groupchat message to the room and returns its id (empty when not connected). The
  // room echoes it back through onRoomMessage with fromSelf = true.
  std::string sendRoomMessage(const Jid& room, std::string body);
  // Changes the room's subject (moderators, or anyone if the room allows it).
  std::string setRoomSubject(const Jid& room, std::string subject);
  // Rooms joined (or being joined) in this session, with our nick in each.
  std::vector<std::pair<Jid, std::string>> joinedRooms() const;

  // ---- HTTP File Upload (XEP-0363) ----
  // Finds the upload service: disco#items of our domain, first item with urn:xmpp:http:upload:0
  // (the server itself if it has the feature). The result is cached for the session.
  void findUploadService(std::function<void(Expected<UploadService, std::string>)> done);
  // Uploads `file`: asks the service for a slot, PUTs the file over HTTP(S) (streamed from disk;
  // HTTPS checks certificates like the XMPP connection: system store + caFile, or
  // insecureSkipVerify) and gives the URL to GET it, or a readable error.
  void uploadFile(const std::filesystem::path& file,
                  std::function<void(Expected<std::string, std::string>)> done);
  // uploadFile, then a message to `to` with the URL as body and <x xmlns='jabber:x:oob'><url/>
  // (type groupchat when `to` is a joined room, else chat). `done` gets the URL.
  void sendFile(const Jid& to, const std::filesystem::path& file,
                std::function<void(Expected<std::string, std::string>)> done);

  // ---- stream management (XEP-0198) ----
  bool streamManagementActive() const;  // enabled in the current session
  std::size_t unackedStanzas() const;   // sent but not yet acknowledged by the server

  // What this client answers to disco#info queries (receipts, chat states, ping, disco).
  static DiscoInfo ownDiscoInfo();

 private:
  class Impl;
  // For the feature files (muc.cpp, upload.cpp, contacts.cpp) that implement parts of this class.
  detail::FeatureState& featureState();
  const detail::FeatureState& featureState() const;
  boost::asio::io_context& ioContext();
  std::weak_ptr<void> lifetime() const;  // expires with the Client: guards async callbacks

  std::shared_ptr<Impl> impl_;
};

}  // namespace telex::client
