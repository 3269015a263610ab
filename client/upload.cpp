// XEP-0363 HTTP File Upload on the client: service discovery data, slots, the streamed HTTP(S)
// PUT (Boost.Beast), and the Client's upload methods.
#include "client/upload.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <memory>

#include "client/client.hpp"
#include "client/features.hpp"
#include "client/transport.hpp"

namespace telex::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using Tcp = asio::ip::tcp;

namespace {

constexpr std::string_view kNsData = "jabber:x:data";
constexpr std::size_t kMaxResponseBytes = 64 * 1024;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool isIpLiteral(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

// ---- payloads ----------------------------------------------------------------------------------

Expected<UploadService, std::string> UploadService::fromDiscoInfo(const Jid& jid,
                                                                  const xml::Element& query) {
  auto info = DiscoInfo::parse(query);
  if (!info) return unexpected(info.error());
  if (!info->hasFeature(kNsHttpUpload)) {
    return unexpected(jid.full() + " does not offer " + std::string(kNsHttpUpload));
  }
  UploadService out;
  out.jid = jid;
  // XEP-0363 §2: max-file-size in an XEP-0128 form whose FORM_TYPE is the upload namespace.
  for (const auto& x : query.children()) {
    if (x.isText() || x.name() != "x" || x.xmlns() != kNsData) continue;
    bool uploadForm = false;
    std::optional<std::string> max;
    for (const auto& field : x.children()) {
      if (field.isText() || field.name() != "field") continue;
      const std::string_view var = field.attrOr("var", "");
      if (var == "FORM_TYPE") uploadForm = field.childText("value", kNsData) == kNsHttpUpload;
      if (var == "max-file-size") max = field.childText("value", kNsData);
    }
    if (!uploadForm || !max) continue;
    std::uint64_t size = 0;
    const auto [end, ec] = std::from_chars(max->data(), max->data() + max->size(), size);
    if (ec == std::errc() && end == max->data() + max->size()) out.maxFileSize = size;
  }
  return out;
}

Expected<UploadSlot, std::string> UploadSlot::parse(const xml::Element& slot) {
  if (slot.isText() || slot.name() != "slot" || slot.xmlns() != kNsHttpUpload) {
    return unexpected(std::string("not an upload <slot/>"));
  }
  const xml::Element* put = slot.child("put", kNsHttpUpload);
  const xml::Element* get = slot.child("get", kNsHttpUpload);
  if (put == nullptr || get == nullptr) {
    return unexpected(std::string("the slot lacks a <put/> or <get/> URL"));
  }
  UploadSlot out;
  out.putUrl = std::string(put->attrOr("url", ""));
  out.getUrl = std::string(get->attrOr("url", ""));
  for (const auto* url : {&out.putUrl, &out.getUrl}) {
    auto parsed = HttpUrl::parse(*url);
    if (!parsed) return unexpected("invalid slot URL '" + *url + "': " + parsed.error());
  }
  for (const auto& header : put->children()) {
    if (header.isText() || header.name() != "header") continue;
    const std::string name = lower(header.attrOr("name", ""));
    std::string value = header.textContent();
    // §4: only these may be passed on; newlines would let a server inject other headers.
    if (value.find_first_of("\r\n") != std::string::npos) continue;
    if (name == "authorization" || name == "cookie" || name == "expires") {
      out.putHeaders[name] = std::move(value);
    }
  }
  return out;
}

xml::Element makeUploadRequest(std::string_view filename, std::uint64_t size,
                               std::string_view contentType) {
  xml::Element request{"request", std::string(kNsHttpUpload)};
  request.setAttr("filename", filename);
  request.setAttr("size", std::to_string(size));
  if (!contentType.empty()) request.setAttr("content-type", contentType);
  return request;
}

std::string guessContentType(const std::filesystem::path& file) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {".txt", "text/plain"},        {".log", "text/plain"},       {".html", "text/html"},
      {".png", "image/png"},         {".jpg", "image/jpeg"},       {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},         {".webp", "image/webp"},      {".svg", "image/svg+xml"},
      {".pdf", "application/pdf"},   {".zip", "application/zip"},  {".json", "application/json"},
      {".mp3", "audio/mpeg"},        {".ogg", "audio/ogg"},        {".mp4", "video/mp4"},
      {".webm", "video/webm"},       {".csv", "text/csv"},         {".gz", "application/gzip"},
  };
  const std::string ext = lower(file.extension().string());
  for (const auto& [e, type] : kTypes) {
    if (e == ext) return std::string(type);
  }
  return "application/octet-stream";
}

Expected<HttpUrl, std::string> HttpUrl::parse(std::string_view url) {
  HttpUrl out;
  std::string_view rest;
  const std::string scheme = lower(url.substr(0, url.find("://")));
  if (url.find("://") == std::string_view::npos || (scheme != "http" && scheme != "https")) {
    return unexpected(std::string("not an http(s) URL"));
  }
  out.tls = scheme == "https";
  rest = url.substr(url.find("://") + 3);
  const std::size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!out.target.empty() && out.target[0] != '/') out.target = "/" + out.target;
  if (auto hash = out.target.find('#'); hash != std::string::npos) out.target.resize(hash);
  if (authority.find('@') != std::string_view::npos) {
    return unexpected(std::string("credentials in URLs are not supported"));
  }
  std::string_view portText;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return unexpected(std::string("bad IPv6 literal"));
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return unexpected(std::string("bad authority"));
      portText = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) portText = authority.substr(colon + 1);
  }
  if (out.host.empty()) return unexpected(std::string("no host"));
  for (char c : out.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return unexpected(std::string("control characters or spaces in the path"));
    }
  }
  out.port = out.tls ? 443 : 80;
  if (!portText.empty()) {
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
    if (ec != std::errc() || end != portText.data() + portText.size() || port == 0 ||
        port > 65535) {
      return unexpected(std::string("bad port"));
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  return out;
}

// ---- the PUT -----------------------------------------------------------------------------------

namespace {

// One HTTP(S) PUT of a file: resolve, connect, (TLS), write the request with the file streamed
// by file_body, read the (small) response. One shot; calls `done` exactly once.
class HttpPut : public std::enable_shared_from_this<HttpPut> {
 public:
  using Done = std::function<void(Expected<unsigned, std::string>)>;

  HttpPut(asio::io_context& io, HttpUrl url, std::shared_ptr<asio::ssl::context> tls, Done done)
      : resolver_(io), url_(std::move(url)), tlsContext_(std::move(tls)), done_(std::move(done)) {
    if (url_.tls) {
      tlsStream_.emplace(io, *tlsContext_);
    } else {
      plain_.emplace(io);
    }
  }

  void start(bhttp::request<bhttp::file_body> request, std::chrono::milliseconds timeout) {
    request_ = std::move(request);
    timeout_ = timeout;
    resolver_.async_resolve(
        url_.host, std::to_string(url_.port),
        [self = shared_from_this()](const boost::system::error_code& ec,
                                    Tcp::resolver::results_type results) {
          if (ec) return self->finish("cannot resolve " + self->url_.host + ": " + ec.message());
          self->connect(results);
        });
  }

 private:
  beast::tcp_stream& tcp() {
    return tlsStream_ ? beast::get_lowest_layer(*tlsStream_) : *plain_;
  }

  void connect(const Tcp::resolver::results_type& results) {
    tcp().expires_after(timeout_);
    tcp().async_connect(results, [self = shared_from_this()](const boost::system::error_code& ec,
                                                             const Tcp::endpoint&) {
      if (ec) {
        return self->finish("cannot connect to " + self->url_.host + ":" +
                            std::to_string(self->url_.port) + ": " + ec.message());
      }
      if (self->tlsStream_) {
        self->handshake();
      } else {
        self->write(*self->plain_);
      }
    });
  }

  void handshake() {
    SSL* ssl = tlsStream_->native_handle();
    if (!isIpLiteral(url_.host)) SSL_set_tlsext_host_name(ssl, url_.host.c_str());
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int ok = isIpLiteral(url_.host) ? X509_VERIFY_PARAM_set1_ip_asc(param, url_.host.c_str())
                                          : X509_VERIFY_PARAM_set1_host(param, url_.host.c_str(), 0);
    if (ok != 1) return finish("cannot set the certificate name to check");
    tlsStream_->async_handshake(
        asio::ssl::stream_base::client, [self = shared_from_this()](const boost::system::error_code& ec) {
          if (ec) {
            const long verify = SSL_get_verify_result(self->tlsStream_->native_handle());
            if (verify != X509_V_OK) {
              return self->finish(std::string("the upload server's certificate is not trusted: ") +
                                  X509_verify_cert_error_string(verify));
            }
            return self->finish("TLS handshake with the upload server failed: " + ec.message());
          }
          self->write(*self->tlsStream_);
        });
  }

  template <class Stream>
  void write(Stream& stream) {
    bhttp::async_write(stream, request_,
                       [self = shared_from_this(), &stream](const boost::system::error_code& ec,
                                                            std::size_t) {
                         if (ec) return self->finish("upload failed while sending: " + ec.message());
                         self->read(stream);
                       });
  }

  template <class Stream>
  void read(Stream& stream) {
    parser_.body_limit(kMaxResponseBytes);
    bhttp::async_read(stream, buffer_, parser_,
                      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                        if (ec) {
                          return self->finish("upload failed, no valid HTTP answer: " +
                                              ec.message());
                        }
                        const auto& response = self->parser_.get();
                        const unsigned status = response.result_int();
                        self->close();
                        if (status / 100 != 2) {
                          std::string body = response.body().substr(0, 200);
                          return self->finish("the upload server answered HTTP " +
                                              std::to_string(status) + " " +
                                              std::string(response.reason()) +
                                              (body.empty() ? "" : ": " + body));
                        }
                        self->succeed(status);
                      });
  }

  void close() {
    boost::system::error_code ignored;
    tcp().socket().shutdown(Tcp::socket::shutdown_both, ignored);
    tcp().close();
  }

  void finish(std::string error) {
    close();
    if (auto done = std::exchange(done_, {})) done(unexpected(std::move(error)));
  }
  void succeed(unsigned status) {
    if (auto done = std::exchange(done_, {})) done(status);
  }

  Tcp::resolver resolver_;
  HttpUrl url_;
  std::shared_ptr<asio::ssl::context> tlsContext_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tlsStream_;
  bhttp::request<bhttp::file_body> request_;
  beast::flat_buffer buffer_;
  bhttp::response_parser<bhttp::string_body> parser_;
  std::chrono::milliseconds timeout_{0};
  Done done_;
};

}  // namespace

void httpPutFile(asio::io_context& io, const UploadSlot& slot, const std::filesystem::path& file,
                 std::string contentType, const HttpTlsOptions& tls,
                 std::chrono::milliseconds timeout,
                 std::function<void(Expected<unsigned, std::string>)> done) {
  auto fail = [&io, &done](std::string error) {
    asio::post(io, [done = std::move(done), error = std::move(error)] {
      if (done) done(unexpected(error));
    });
  };
  auto url = HttpUrl::parse(slot.putUrl);
  if (!url) return fail("invalid upload URL: " + url.error());
  bhttp::request<bhttp::file_body> request{bhttp::verb::put, url->target, 11};
  beast::error_code ec;
  // file_body reads the file in buffer-sized pieces as the socket takes them: never all of it.
  request.body().open(file.c_str(), beast::file_mode::scan, ec);
  if (ec) return fail("cannot read " + file.string() + ": " + ec.message());
  const bool defaultPort = url->port == (url->tls ? 443 : 80);
  const std::string hostHeader =
      (url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host) +
      (defaultPort ? "" : ":" + std::to_string(url->port));
  request.set(bhttp::field::host, hostHeader);
  request.set(bhttp::field::user_agent, "telex");
  request.set(bhttp::field::content_type, contentType);
  for (const auto& [name, value] : slot.putHeaders) {
    // Known names in their usual spelling ("Authorization"); HTTP does not care, servers might.
    const bhttp::field field = bhttp::string_to_field(name);
    if (field != bhttp::field::unknown) {
      request.set(field, value);
    } else {
      request.set(name, value);
    }
  }
  request.prepare_payload();  // Content-Length from the file's size

  std::shared_ptr<asio::ssl::context> context;
  if (url->tls) {
    detail::TlsSettings settings;
    settings.verify = tls.verify;
    settings.caFile = tls.caFile;
    settings.serverName = url->host;
    auto made = detail::makeClientTlsContext(settings);
    if (!made) return fail(made.error());
    context = std::move(*made);
  }
  auto put = std::make_shared<HttpPut>(io, std::move(*url), std::move(context), std::move(done));
  put->start(std::move(request), timeout);
}

// ---- Client: upload ----------------------------------------------------------------------------

void Client::findUploadService(std::function<void(Expected<UploadService, std::string>)> done) {
  if (featureState().uploadService) {
    boost::asio::post(ioContext(), [guard = lifetime(), done = std::move(done),
                                    service = *featureState().uploadService] {
      if (!guard.expired() && done) done(service);
    });
    return;
  }
  auto domain = Jid::parse(options().jid.domain());
  if (!domain) {
    if (done) done(unexpected(std::string("invalid domain")));
    return;
  }
  struct Search {
    std::vector<Jid> candidates;  // the domain itself first, then its items in order
    std::vector<std::optional<std::optional<UploadService>>> answers;
    std::function<void(Expected<UploadService, std::string>)> done;
    bool finished = false;
  };
  auto search = std::make_shared<Search>();
  search->done = std::move(done);
  search->candidates.push_back(*domain);
  discoItems(*domain, [this, search](Expected<std::vector<DiscoItem>, StanzaErrorInfo> items) {
    if (!items && items.error().condition == "recipient-unavailable") {
      if (search->done) search->done(unexpected("not connected"));
      return;
    }
    if (items) {
      for (const auto& item : *items) {
        if (item.node.empty()) search->candidates.push_back(item.jid);
      }
    }
    search->answers.resize(search->candidates.size());
    for (std::size_t i = 0; i < search->candidates.size(); ++i) {
      const Jid target = search->candidates[i];
      sendIq(makeIq("get", newId(), target, xml::Element{"query", std::string(kNsDiscoInfo)}),
             [this, search, i, target](const IqResponse& r) {
               std::optional<UploadService> found;
               const xml::Element* query = r.ok() ? r.stanza.child("query", kNsDiscoInfo) : nullptr;
               if (query != nullptr) {
                 auto service = UploadService::fromDiscoInfo(target, *query);
                 if (service) found = std::move(*service);
               }
               search->answers[i] = found;
               if (search->finished) return;
               for (const auto& answer : search->answers) {
                 if (!answer) return;  // an earlier candidate has not answered yet
                 if (*answer) {
                   search->finished = true;
                   featureState().uploadService = **answer;
                   if (search->done) search->done(**answer);
                   return;
                 }
               }
               search->finished = true;
               if (search->done) {
                 search->done(unexpected(std::string("the server offers no HTTP file upload")));
               }
             });
    }
  });
}

void Client::uploadFile(const std::filesystem::path& file,
                        std::function<void(Expected<std::string, std::string>)> done) {
  auto fail = [this](std::function<void(Expected<std::string, std::string>)> cb, std::string e) {
    asio::post(ioContext(), [guard = lifetime(), cb = std::move(cb), e = std::move(e)] {
      if (!guard.expired() && cb) cb(unexpected(e));
    });
  };
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (ec || !std::filesystem::is_regular_file(status)) {
    return fail(std::move(done), "cannot upload " + file.string() + ": not a readable file");
  }
  const std::uint64_t size = std::filesystem::file_size(file, ec);
  if (ec) return fail(std::move(done), "cannot upload " + file.string() + ": " + ec.message());
  if (size == 0) return fail(std::move(done), "cannot upload " + file.string() + ": it is empty");
  std::string filename = file.filename().string();
  std::string contentType = guessContentType(file);
  findUploadService([this, file, size, filename, contentType, done = std::move(done)](
                        Expected<UploadService, std::string> service) mutable {
    if (!service) {
      if (done) done(unexpected(service.error()));
      return;
    }
    if (service->maxFileSize && size > *service->maxFileSize) {
      if (done) {
        done(unexpected(file.filename().string() + " is " + std::to_string(size) +
                        " bytes; the server takes at most " +
                        std::to_string(*service->maxFileSize)));
      }
      return;
    }
    sendIq(
        makeIq("get", newId(), service->jid, makeUploadRequest(filename, size, contentType)),
        [this, file, contentType, done = std::move(done)](const IqResponse& r) mutable {
          if (!r.ok()) {
            if (done) done(unexpected("no upload slot: " + r.error.describe()));
            return;
          }
          const xml::Element* slotElement = r.stanza.child("slot", kNsHttpUpload);
          auto slot = slotElement ? UploadSlot::parse(*slotElement)
                                  : Expected<UploadSlot, std::string>(
                                        unexpected(std::string("the answer has no <slot/>")));
          if (!slot) {
            if (done) done(unexpected("bad upload slot: " + slot.error()));
            return;
          }
          HttpTlsOptions tls;
          tls.verify = !options().insecureSkipVerify;
          tls.caFile = options().caFile;
          httpPutFile(ioContext(), *slot, file, contentType, tls, options().uploadTimeout,
                      [guard = lifetime(), getUrl = slot->getUrl,
                       done = std::move(done)](Expected<unsigned, std::string> put) {
                        if (guard.expired() || !done) return;
                        if (!put) {
                          done(unexpected(put.error()));
                          return;
                        }
                        done(getUrl);
                      });
        });
  });
}

void Client::sendFile(const Jid& to, const std::filesystem::path& file,
                      std::function<void(Expected<std::string, std::string>)> done) {
  uploadFile(file, [this, guard = lifetime(), to, done = std::move(done)](
                       Expected<std::string, std::string> url) {
    if (guard.expired()) return;
    if (!url) {
      if (done) done(std::move(url));
      return;
    }
    Message m;
    m.to = to;
    m.type = to.isBare() && featureState().rooms.isRoom(to) ? MessageType::Groupchat
                                                             : MessageType::Chat;
    m.body = *url;
    xml::Element oob{"x", std::string(kNsOob)};
    oob.addChild(xml::Element{"url", std::string(kNsOob)}).addText(*url);
    m.extensions.push_back(std::move(oob));
    if (sendMessage(std::move(m)).empty()) {
      if (done) done(unexpected("uploaded to " + *url + " but not connected to send the link"));
      return;
    }
    if (done) done(std::move(url));
  });
}

}  // namespace telex::client
