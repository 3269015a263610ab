// WinPopup connections: allow-list check, NetBIOS session setup, SMB messenger exchange, and
// delivery of each finished message as an XMPP message.
#include "modules/winpopup/winpopup_gateway.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <map>
#include <spdlog/spdlog.h>

#include "audit/audit_log.hpp"
#include "modules/announce/rate_limiter.hpp"
#include "modules/winpopup/allow_list.hpp"
#include "modules/winpopup/netbios.hpp"
#include "modules/winpopup/smb_message.hpp"
#include "net/connection.hpp"
#include "util/crypto.hpp"

namespace telex::modules::winpopup {
namespace {
// Messenger packets are small (smbclient sends 127-byte text blocks); anything bigger is not one.
constexpr std::size_t kMaxFramePayload = 4096;
// WinPopup itself stopped at about 1600 characters; longer text is cut, not refused, because
// a cut alert is more use than none.
constexpr std::size_t kMaxTextBytes = 4000;
constexpr auto kIdleTimeout = std::chrono::seconds(30);
constexpr int kMaxProtocolErrors = 5;
// Concurrent connections: the protocol is unauthenticated, so keep what it can cost bounded.
constexpr std::size_t kMaxConnections = 64;
// Refusal log lines per minute, so a flood from outside cannot flood the log.
constexpr int kLogRefusalsPerMinute = 20;

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

}  // namespace

struct GatewayState {
  router::StanzaRouter& router;
  storage::StoragePool& pool;
  std::shared_ptr<audit::AuditLog> audit;
  AllowList allow;
  std::map<std::string, Jid> names;  // upper-case NetBIOS name -> recipient
  announce::RateLimiter limiter;
  std::string domain;  // winpopup.<server domain>
  std::atomic<std::size_t> connections{0};
  std::mutex logMutex;
  std::chrono::steady_clock::time_point logWindow{};
  int logged = 0;

  GatewayState(router::StanzaRouter& r, storage::StoragePool& p, std::shared_ptr<audit::AuditLog> a, AllowList al,
               std::map<std::string, Jid> n, std::size_t rate, std::string d)
      : router(r), pool(p), audit(std::move(a)), allow(std::move(al)), names(std::move(n)),
        limiter(rate, std::chrono::seconds(60)), domain(std::move(d)) {}

  const Jid* recipient(std::string_view name) const {
    auto it = names.find(upper(cleanName(name)));
    return it == names.end() ? nullptr : &it->second;
  }

  // Logs a refusal unless too many were logged this minute.
  template <class... Args>
  void logRefusal(fmt::format_string<Args...> format, Args&&... args) {
    {
      std::lock_guard lock(logMutex);
      auto now = std::chrono::steady_clock::now();
      if (now - logWindow >= std::chrono::minutes(1)) {
        if (logged > kLogRefusalsPerMinute) {
          spdlog::warn("winpopup: {} more refusals were not logged", logged - kLogRefusalsPerMinute);
        }
        logWindow = now;
        logged = 0;
      }
      if (++logged > kLogRefusalsPerMinute) return;
    }
    spdlog::warn(format, std::forward<Args>(args)...);
  }
};

namespace {

// One client connection. Lives on its worker; kept alive by its pending I/O and timer.
class PopupSession : public net::ConnectionHandler, public std::enable_shared_from_this<PopupSession> {
 public:
  PopupSession(net::AcceptedSocket socket, net::Worker& worker, std::shared_ptr<GatewayState> state)
      : state_(std::move(state)), connection_(std::move(socket), worker, *this), timer_(worker.context()) {}

  void start() {
    const std::string& address = connection_.remoteAddress();
    if (!state_->allow.allows(address)) {
      state_->logRefusal("winpopup: refused a connection from {} (not in winpopup.allow)", address);
      connection_.abort("not in winpopup.allow");
      return;
    }
    if (state_->connections.fetch_add(1) >= kMaxConnections) {
      state_->connections.fetch_sub(1);
      state_->logRefusal("winpopup: refused a connection from {} (too many connections)", address);
      connection_.abort("too many connections");
      return;
    }
    counted_ = true;
    connection_.start(weak_from_this());
    armTimer();
  }

  ~PopupSession() override {
    if (counted_) state_->connections.fetch_sub(1);
  }

  // Network::ConnectionHandler
  void onData(std::string_view bytes) override {
    if (closing_) return;
    buffer_.append(bytes);
    armTimer();
    while (!closing_) {
      Frame frame;
      auto status = parseFrame(buffer_, kMaxFramePayload, frame);
      if (status == FrameStatus::NeedMore) break;
      if (status == FrameStatus::Invalid) {
        fail("not a NetBIOS session frame");
        return;
      }
      handleFrame(frame);
      buffer_.erase(0, frame.size);
      ++frames_;
    }
  }

  void onClosed(std::string_view) override {
    closing_ = true;
    timer_.cancel();
  }

 private:
  void armTimer() {
    timer_.expires_after(kIdleTimeout);
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->close();
    });
  }

  void close() {
    if (closing_) return;
    closing_ = true;
    timer_.cancel();
    connection_.close();
  }

  void fail(std::string_view why) {
    spdlog::debug("winpopup: closing {}: {}", connection_.remoteAddress(), why);
    closing_ = true;
    timer_.cancel();
    connection_.abort(why);
  }

  void handleFrame(const Frame& frame) {
    switch (frame.type) {
      case kSessionRequest: return sessionRequest(frame.payload);
      case kSessionMessage: return smbMessage(frame.payload);
      case kKeepAlive: return;
      default: fail("unexpected NetBIOS packet type");
    }
  }

  void sessionRequest(std::string_view payload) {
    // Only as the first packet (port 139 style); port-445 style clients skip it.
    if (frames_ != 0) return fail("session request after the session started");
    auto request = parseSessionRequest(payload);
    if (!request) {
      connection_.send(makeFrame(kNegativeResponse, std::string(1, static_cast<char>(kUnspecifiedError))));
      close();
      return;
    }
    calledName_ = request->called.name;
    callingName_ = cleanName(request->calling.name);
    // "*SMBSERVER" is what clients call when they only know an address.
    if (calledName_ != "*SMBSERVER" && !state_->recipient(calledName_)) {
      connection_.send(makeFrame(kNegativeResponse, std::string(1, static_cast<char>(kCalledNameNotPresent))));
      close();
      return;
    }
    connection_.send(makeFrame(kPositiveResponse, {}));
  }

  void reply(const SmbRequest& request, SmbStatus status, std::string_view words = {}) {
    connection_.send(makeSmbResponse(request, status, words));
    if (status.errorClass != 0 && ++errors_ > kMaxProtocolErrors) close();
  }

  void smbMessage(std::string_view payload) {
    auto request = parseSmb(payload);
    if (!request) return fail("not an SMB1 request");
    switch (request->command) {
      case kSmbSendSingle: {
        auto message = parseSendSingle(*request);
        if (!message) return reply(*request, kErrGeneral);
        const Jid* to = admit(*request, message->header);
        if (!to) return;
        deliver(message->header, *to, message->text);
        return reply(*request, kSmbOk);
      }
      case kSmbSendStart: {
        auto header = parseSendStart(*request);
        if (!header) return reply(*request, kErrGeneral);
        pending_.reset();
        const Jid* to = admit(*request, *header);
        if (!to) return;
        pending_ = Pending{*header, *to, ++group_, {}};
        std::string words{static_cast<char>(group_ & 0xFF), static_cast<char>(group_ >> 8)};
        return reply(*request, kSmbOk, words);
      }
      case kSmbSendText: {
        auto text = parseSendText(*request);
        if (!text || !pending_ || text->first != pending_->group) return reply(*request, kErrGeneral);
        std::size_t room = kMaxTextBytes - std::min(kMaxTextBytes, pending_->text.size());
        if (text->second.size() > room) pending_->truncated = true;
        pending_->text.append(text->second.substr(0, room));
        return reply(*request, kSmbOk);
      }
      case kSmbSendEnd: {
        auto group = parseSendEnd(*request);
        if (!group || !pending_ || *group != pending_->group) return reply(*request, kErrGeneral);
        Pending done = std::move(*pending_);
        pending_.reset();
        deliver(done.header, done.to, done.text, done.truncated);
        return reply(*request, kSmbOk);
      }
      default:
        // File sharing, printing, negotiation: not what this listener is for.
        return reply(*request, kErrUnknownCommand);
    }
  }

  // The recipient for a new message, or null after answering with the refusal.
  const Jid* admit(const SmbRequest& request, const MessageHeader& header) {
    const Jid* to = state_->recipient(header.destination);
    if (!to && header.destination.empty()) to = state_->recipient(calledName_);
    if (!to) {
      state_->logRefusal("winpopup: message from {} for unknown name \"{}\"", connection_.remoteAddress(),
                         cleanName(header.destination));
      reply(request, kErrNotReceiving);
      return nullptr;
    }
    if (!state_->limiter.allow(connection_.remoteAddress())) {
      state_->logRefusal("winpopup: {} is over winpopup.rate_per_minute", connection_.remoteAddress());
      reply(request, kErrNoResources);
      return nullptr;
    }
    return to;
  }

  void deliver(const MessageHeader& header, const Jid& to, std::string_view oem, bool truncated = false) {
    std::string text = messageText(oem.substr(0, kMaxTextBytes));
    // smbclient ends what it read from stdin with a newline; a chat message does not need it.
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\t')) text.pop_back();
    if (truncated || oem.size() > kMaxTextBytes) text += "\n[message cut at " + std::to_string(kMaxTextBytes) + " bytes]";
    std::string sender = cleanName(header.originator);
    if (sender.empty()) sender = callingName_;
    if (sender.empty()) sender = connection_.remoteAddress();
    std::string destination = cleanName(header.destination).empty() ? calledName_ : cleanName(header.destination);

    // From <sender>@winpopup.<domain> when the name makes a valid localpart, so each sender is
    // its own conversation in the client; replies reach the gateway and bounce (one-way protocol).
    std::string lower = sender;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto from = Jid::make(lower, state_->domain);
    const std::string ns(router::kClientNs);
    xml::Element message("message", ns);
    message.setAttr("from", from ? from->full() : state_->domain);
    message.setAttr("to", to.full());
    // 'normal', not 'headline': like the pop-ups it replaces, it must not vanish when the user is
    // away, so it goes to offline storage then.
    message.setAttr("type", "normal");
    message.setAttr("id", "winpopup-" + util::randomHex(8));
    message.addChild(xml::Element("subject", ns)).addText("WinPopup message from " + sender + " to " + destination);
    message.addChild(xml::Element("body", ns)).addText(text);
    message.addChild(xml::Element("nick", "http://jabber.org/protocol/nick")).addText(sender);
    state_->router.route(std::move(message));

    spdlog::info("winpopup: {} ({}) -> {} ({}), {} bytes", connection_.remoteAddress(), sender, destination,
                 to.full(), text.size());
    audit::AuditEntry entry{0, "winpopup " + connection_.remoteAddress() + " " + sender, "winpopup", to.full(),
                            "ok", text};
    state_->pool.run(connection_.worker(), [log = state_->audit, entry = std::move(entry)]() mutable {
      log->append(std::move(entry));
    }, [](auto result) {
      if (!result) spdlog::error("audit log: could not store an entry: {}", result.error());
    });
  }

  struct Pending {
    MessageHeader header;
    Jid to;
    std::uint16_t group = 0;
    std::string text;
    bool truncated = false;
  };

  std::shared_ptr<GatewayState> state_;
  net::Connection connection_;
  boost::asio::steady_timer timer_;
  std::string buffer_;
  std::string calledName_;
  std::string callingName_;
  std::optional<Pending> pending_;
  std::uint16_t group_ = 0;
  std::size_t frames_ = 0;
  int errors_ = 0;
  bool closing_ = false;
  bool counted_ = false;
};

}  // namespace

Expected<std::unique_ptr<Gateway>, std::string> Gateway::open(net::WorkerPool& workers, router::StanzaRouter& router,
                                                             const config::Config& config,
                                                             storage::StorageDriver& storage,
                                                             storage::StoragePool& pool) {
  const auto& options = config.winpopup;
  auto allow = AllowList::parse(options.allow);
  if (!allow) return unexpected(allow.error());
  if (allow->empty()) return unexpected(std::string("winpopup.allow is empty: no one could send"));
  std::map<std::string, Jid> names;
  for (const auto& [name, target] : options.names) {
    auto jid = Jid::parse(target);
    if (!jid || !jid->hasLocal() || jid->domain() != config.server.domain) {
      return unexpected("winpopup.names: \"" + name + "\" must map to a user of " + config.server.domain +
                        " (user@" + config.server.domain + " or user@" + config.server.domain + "/machine), not \"" +
                        target + "\"");
    }
    std::string key = upper(cleanName(name));
    if (key.empty() || key.size() > 15) {
      return unexpected("winpopup.names: \"" + name + "\" is not a NetBIOS name (1 to 15 characters)");
    }
    names.emplace(std::move(key), std::move(*jid));
  }
  if (names.empty()) spdlog::warn("winpopup.enabled is on but winpopup.names maps no name: every message is refused");

  std::unique_ptr<Gateway> gateway(new Gateway());
  gateway->state_ = std::make_shared<GatewayState>(router, pool, std::make_shared<audit::AuditLog>(storage),
                                                   std::move(*allow), std::move(names),
                                                   static_cast<std::size_t>(options.ratePerMinute),
                                                   config.winpopupDomain());
  for (const auto& address : options.interfaces) {
    auto listener = net::Listener::open(
        workers, address, static_cast<std::uint16_t>(options.port),
        [state = gateway->state_](net::AcceptedSocket socket, net::Worker& worker) {
          std::make_shared<PopupSession>(std::move(socket), worker, state)->start();
        });
    if (!listener) return unexpected("winpopup: " + listener.error());
    gateway->listeners_.push_back(std::move(*listener));
  }
  return gateway;
}

Gateway::~Gateway() = default;

void Gateway::start() {
  for (auto& l : listeners_) {
    l->start();
    spdlog::info("listening on {}:{} (WinPopup gateway, NetBIOS session service)", l->address(), l->port());
  }
}

void Gateway::stop() {
  for (auto& l : listeners_) l->stop();
}

}  // namespace telex::modules::winpopup
