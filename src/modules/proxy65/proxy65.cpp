// The bytestream proxy. A SOCKS5 connection that named a stream hash is parked (its descriptor taken
// out of its worker's loop) until the initiator activates the stream; both parked descriptors then
// move to the worker that handles the activation and are relayed there, so one stream never spans
// two loops.
#include "modules/proxy65/proxy65.hpp"

#include <array>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <map>
#include <mutex>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include "modules/proxy65/relay.hpp"
#include "modules/proxy65/socks5.hpp"
#include "net/listener.hpp"

namespace telex::modules::proxy65 {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using router::StanzaError;

constexpr std::string_view kDiscoInfoNs = "http://jabber.org/protocol/disco#info";
constexpr std::string_view kDiscoItemsNs = "http://jabber.org/protocol/disco#items";

// A SOCKS5 negotiation must finish this fast; a parked connection waits this long for activation;
// a relay with no bytes either way for this long is closed.
constexpr std::chrono::seconds kHandshakeTimeout{10};
constexpr std::chrono::seconds kActivationTimeout{60};
constexpr std::chrono::seconds kRelayIdleTimeout{300};
constexpr std::chrono::seconds kSweepInterval{5};
constexpr std::size_t kMaxParked = 4096;

struct Parked {
  int fd;
  tcp protocol;
  std::chrono::steady_clock::time_point since;
};

class ProxyService : public std::enable_shared_from_this<ProxyService> {
 public:
  ProxyService(net::WorkerPool& workers, std::string jid) : workers_(workers), jid_(std::move(jid)) {}

  Expected<bool, std::string> listen(const std::vector<std::string>& interfaces, std::uint16_t port);
  void start();
  void shutdown();
  std::uint16_t port() const { return listeners_.empty() ? 0 : listeners_.front()->port(); }
  const std::string& jid() const { return jid_; }

  // Parks a negotiated connection under `hash` and sends the SOCKS5 success reply; false (the
  // caller then refuses) when two connections already wait under that hash or too many wait.
  bool park(tcp::socket& socket, const std::string& hash);
  // Takes both parties of `hash` and starts relaying them on `worker`.
  bool activate(const std::string& hash, net::Worker& worker);

 private:
  void sweep();

  net::WorkerPool& workers_;
  std::string jid_;
  std::vector<std::unique_ptr<net::Listener>> listeners_;
  std::unique_ptr<asio::steady_timer> sweepTimer_;
  std::mutex mutex_;
  std::map<std::string, std::vector<Parked>> parked_;
  std::size_t parkedCount_ = 0;
};

// One SOCKS5 negotiation, on the worker that accepted it.
class Handshake : public std::enable_shared_from_this<Handshake> {
 public:
  Handshake(tcp::socket socket, net::Worker& worker, std::shared_ptr<ProxyService> service)
      : socket_(std::move(socket)), timer_(worker.context()), service_(std::move(service)) {}

  void start() {
    timer_.expires_after(kHandshakeTimeout);
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->close();
    });
    read(2, [](Handshake& h) { h.onGreetingHead(); });
  }

 private:
  template <class Next>
  void read(std::size_t n, Next next) {
    asio::async_read(socket_, asio::buffer(buffer_.data(), n),
                     [self = shared_from_this(), next](const boost::system::error_code& ec, std::size_t) {
                       if (ec) return self->close();
                       next(*self);
                     });
  }
  template <class Next>
  void write(std::string bytes, Next next) {
    out_ = std::move(bytes);
    asio::async_write(socket_, asio::buffer(out_), [self = shared_from_this(), next](const boost::system::error_code& ec,
                                                                                    std::size_t) {
      if (ec) return self->close();
      next(*self);
    });
  }

  void onGreetingHead() {
    if (buffer_[0] != kSocksVersion || buffer_[1] == 0) return close();
    std::size_t methods = buffer_[1];
    read(methods, [methods](Handshake& h) { h.onMethods(methods); });
  }

  void onMethods(std::size_t count) {
    if (!greetingOffersNoAuth(std::span<const std::uint8_t>(buffer_.data(), count))) {
      return write(std::string{char(kSocksVersion), char(kNoAcceptableMethod)}, [](Handshake& h) { h.close(); });
    }
    write(std::string{char(kSocksVersion), char(kNoAuth)}, [](Handshake& h) { h.read(5, [](Handshake& h2) { h2.onRequestHead(); }); });
  }

  void onRequestHead() {
    auto rest = connectRequestRest(std::span<const std::uint8_t, 5>(buffer_.data(), 5));
    if (!rest) return refuse(rest.error(), "");
    std::size_t n = *rest;
    read(n, [n](Handshake& h) { h.onRequestRest(n); });
  }

  void onRequestRest(std::size_t n) {
    auto hash = connectRequestHash(std::span<const std::uint8_t>(buffer_.data(), n));
    if (!hash) return refuse(hash.error(), "");
    timer_.cancel();
    if (!service_->park(socket_, *hash)) refuse(SocksReply::NotAllowed, *hash);
  }

  void refuse(SocksReply code, const std::string& hash) {
    write(socksReply(code, hash), [](Handshake& h) { h.close(); });
  }

  void close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  std::shared_ptr<ProxyService> service_;
  std::array<std::uint8_t, 257> buffer_{};
  std::string out_;
};

Expected<bool, std::string> ProxyService::listen(const std::vector<std::string>& interfaces, std::uint16_t port) {
  for (const auto& address : interfaces) {
    std::weak_ptr<ProxyService> weak = weak_from_this();
    auto listener = net::Listener::open(workers_, address, port, [weak](net::AcceptedSocket socket, net::Worker& worker) {
      auto self = weak.lock();
      if (!self) return;
      std::make_shared<Handshake>(std::move(socket).toAsio(worker.context()), worker, self)->start();
    });
    if (!listener) return unexpected("proxy65: " + listener.error());
    listeners_.push_back(std::move(*listener));
  }
  return true;
}

void ProxyService::start() {
  for (auto& l : listeners_) l->start();
  sweepTimer_ = std::make_unique<asio::steady_timer>(workers_.at(0).context());
  sweep();
}

void ProxyService::sweep() {
  {
    std::lock_guard lock(mutex_);
    auto cutoff = std::chrono::steady_clock::now() - kActivationTimeout;
    for (auto it = parked_.begin(); it != parked_.end();) {
      std::erase_if(it->second, [&](const Parked& p) {
        if (p.since > cutoff) return false;
        ::close(p.fd);
        --parkedCount_;
        return true;
      });
      it = it->second.empty() ? parked_.erase(it) : std::next(it);
    }
  }
  sweepTimer_->expires_after(kSweepInterval);
  sweepTimer_->async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->sweep();
  });
}

bool ProxyService::park(tcp::socket& socket, const std::string& hash) {
  std::lock_guard lock(mutex_);
  auto& waiting = parked_[hash];
  if (waiting.size() >= 2 || parkedCount_ >= kMaxParked) {
    if (waiting.empty()) parked_.erase(hash);
    return false;
  }
  boost::system::error_code ec;
  auto protocol = socket.local_endpoint(ec).protocol();
  if (ec) return false;
  int fd = socket.release(ec);
  if (ec) return false;
  // The reply goes out under the lock: nobody can activate (and so take the descriptor) before
  // the party holding it learned it may. It is a few dozen bytes on a fresh socket, never blocked.
  std::string reply = socksReply(SocksReply::Succeeded, hash);
  if (::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT) != static_cast<ssize_t>(reply.size())) {
    ::close(fd);
    if (waiting.empty()) parked_.erase(hash);
    return true;  // the peer is gone; nothing to refuse
  }
  waiting.push_back({fd, protocol, std::chrono::steady_clock::now()});
  ++parkedCount_;
  return true;
}

bool ProxyService::activate(const std::string& hash, net::Worker& worker) {
  std::vector<Parked> pair;
  {
    std::lock_guard lock(mutex_);
    auto it = parked_.find(hash);
    if (it == parked_.end() || it->second.size() != 2) return false;
    pair = std::move(it->second);
    parked_.erase(it);
    parkedCount_ -= 2;
  }
  std::vector<tcp::socket> sockets;
  for (const auto& p : pair) {
    tcp::socket s(worker.context());
    boost::system::error_code ec;
    s.assign(p.protocol, p.fd, ec);
    if (ec) {
      ::close(p.fd);
      continue;
    }
    sockets.push_back(std::move(s));
  }
  if (sockets.size() != 2) return false;
  std::make_shared<Relay>(worker, std::move(sockets[0]), std::move(sockets[1]), kRelayIdleTimeout)->start();
  return true;
}

void ProxyService::shutdown() {
  listeners_.clear();
  sweepTimer_.reset();
  std::lock_guard lock(mutex_);
  for (auto& [hash, waiting] : parked_) {
    for (const auto& p : waiting) ::close(p.fd);
  }
  parked_.clear();
  parkedCount_ = 0;
}

std::string advertisedHost(const config::Config& config) {
  const auto& options = config.proxy65;
  if (!options.host.empty()) return options.host;
  const std::string& first = options.interfaces.front();
  if (first == "0.0.0.0" || first == "::") return config.server.domain;
  return first;
}

IqReply discoInfo(const xml::Element& payload) {
  if (payload.attr("node")) return unexpected(StanzaError::itemNotFound());
  xml::Element query("query", std::string(kDiscoInfoNs));
  xml::Element identity("identity", std::string(kDiscoInfoNs));
  identity.setAttr("category", "proxy");
  identity.setAttr("type", "bytestreams");
  identity.setAttr("name", "SOCKS5 bytestreams proxy");
  query.addChild(std::move(identity));
  for (auto var : {kDiscoInfoNs, kBytestreamsNs}) {
    xml::Element feature("feature", std::string(kDiscoInfoNs));
    feature.setAttr("var", var);
    query.addChild(std::move(feature));
  }
  return std::optional<xml::Element>(std::move(query));
}

}  // namespace

void setup(ModuleContext& ctx) {
  const auto& config = ctx.config();
  if (config.proxy65.port == 0 || config.proxy65.interfaces.empty() || !ctx.workers()) return;
  std::string jid = "proxy." + ctx.router().domain();
  auto service = std::make_shared<ProxyService>(*ctx.workers(), jid);
  auto ok = service->listen(config.proxy65.interfaces, static_cast<std::uint16_t>(config.proxy65.port));
  if (!ok) {
    // A taken port must stop the server like a taken c2s port does.
    throw std::runtime_error(ok.error());
  }
  service->start();
  ctx.onShutdown([service] { service->shutdown(); });
  ctx.addDiscoItem(jid, "SOCKS5 bytestreams proxy");
  std::string host = advertisedHost(config);
  std::string domain = ctx.router().domain();

  ctx.router().addComponent(jid, [service, host, domain](router::StanzaEvent& e) {
    xml::Element& stanza = e.stanza;
    std::string_view type = stanza.attrOr("type", "");
    if (stanza.name() != "iq" || (type != "get" && type != "set")) return;  // nothing else is for us
    auto reply = [&](const IqReply& r) { replyToIq(e.router, stanza, e.from, r); };
    if (e.to.hasLocal() || e.to.hasResource()) return reply(unexpected(StanzaError::serviceUnavailable()));
    const xml::Element* payload = stanza.firstElement();
    if (type == "get" && payload->name() == "query" && payload->xmlns() == kDiscoInfoNs) return reply(discoInfo(*payload));
    if (type == "get" && payload->name() == "query" && payload->xmlns() == kDiscoItemsNs) {
      return reply(std::optional<xml::Element>(xml::Element("query", std::string(kDiscoItemsNs))));
    }
    if (payload->name() != "query" || payload->xmlns() != kBytestreamsNs) {
      return reply(unexpected(StanzaError::serviceUnavailable()));
    }
    if (e.from.domain() != domain || !e.from.hasLocal()) {
      return reply(unexpected(StanzaError::forbidden("the proxy serves users of this server only")));
    }
    if (type == "get") {
      // XEP-0065 §6.3.1: the address clients should connect to.
      xml::Element query("query", std::string(kBytestreamsNs));
      xml::Element streamhost("streamhost", std::string(kBytestreamsNs));
      streamhost.setAttr("jid", service->jid());
      streamhost.setAttr("host", host);
      streamhost.setAttr("port", std::to_string(service->port()));
      query.addChild(std::move(streamhost));
      return reply(std::optional<xml::Element>(std::move(query)));
    }
    // XEP-0065 §6.3.2: the initiator activates the stream it and the target connected for.
    std::string sid(payload->attrOr("sid", ""));
    auto target = Jid::parse(payload->childText("activate", kBytestreamsNs));
    if (sid.empty() || !target || !target->hasResource()) {
      return reply(unexpected(StanzaError::badRequest("activation needs a sid and a full target JID")));
    }
    std::string hash = streamHash(sid, e.from.full(), target->full());
    net::Worker* worker = net::Worker::current();
    if (!worker || !service->activate(hash, *worker)) {
      return reply(unexpected(StanzaError::itemNotFound("both parties must be connected to the proxy first")));
    }
    reply(std::optional<xml::Element>());
  });
}

}  // namespace telex::modules::proxy65
