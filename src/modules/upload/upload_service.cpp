// XEP-0363 HTTP File Upload: slots over XMPP, PUT and GET over telexd's HTTP listener. Storage and
// file-system work that may block (look-ups, fdatasync, renames, deletions) runs on the pool; the
// body itself is written and read in 64 KiB pieces on the connection's worker.
#include "modules/upload/upload_service.hpp"

#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/byte_range.hpp"
#include "http/router.hpp"
#include "http/url.hpp"
#include "util/crypto.hpp"

namespace telex::modules::upload {
namespace {

using router::StanzaError;
using http::Status;
namespace bh = boost::beast::http;

constexpr std::string_view kDiscoInfoNs = "http://jabber.org/protocol/disco#info";
constexpr std::string_view kDiscoItemsNs = "http://jabber.org/protocol/disco#items";
constexpr std::string_view kDataFormsNs = "jabber:x:data";
constexpr std::string_view kDefaultType = "application/octet-stream";
constexpr std::chrono::seconds kFirstCleanup{10};
constexpr std::chrono::seconds kCleanupInterval{3600};

std::int64_t nowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::optional<std::uint64_t> parseSize(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// Closes on destruction, so every path out of a transfer releases the descriptor.
struct FileDescriptor {
  int fd = -1;
  explicit FileDescriptor(int f) : fd(f) {}
  ~FileDescriptor() { close(); }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

xml::Element field(std::string_view var, std::string_view value, std::string_view type = {}) {
  xml::Element f("field", std::string(kDataFormsNs));
  f.setAttr("var", var);
  if (!type.empty()) f.setAttr("type", type);
  xml::Element v("value", std::string(kDataFormsNs));
  v.addText(value);
  f.addChild(std::move(v));
  return f;
}

http::Response plain(Status status, std::string_view text) {
  http::Response r = http::textResponse(status, text);
  addCorsHeaders(r.headers);
  return r;
}

bool writeAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

void addCorsHeaders(http::Fields& headers) {
  headers.set(bh::field::access_control_allow_origin, "*");
  headers.set(bh::field::access_control_expose_headers, "Content-Length, Content-Range, Accept-Ranges, ETag");
}

UploadService::UploadService(ModuleContext& ctx, UploadSettings settings, std::shared_ptr<UploadStore> store,
                             std::string secret)
    : ctx_(ctx), settings_(std::move(settings)), store_(std::move(store)), secret_(std::move(secret)) {}

// ---- XMPP side -------------------------------------------------------------------------------

void UploadService::onStanza(router::StanzaEvent& e) {
  const xml::Element& stanza = e.stanza;
  std::string_view type = stanza.attrOr("type", "");
  if (stanza.name() != "iq" || (type != "get" && type != "set")) return;  // nothing else is for us
  auto reply = [&](const IqReply& r) { replyToIq(e.router, stanza, e.from, r); };
  if (e.to.hasLocal() || e.to.hasResource()) return reply(unexpected(StanzaError::serviceUnavailable()));
  const xml::Element* payload = stanza.firstElement();
  if (type == "get" && payload->name() == "query" && payload->xmlns() == kDiscoInfoNs) {
    if (payload->attr("node")) return reply(unexpected(StanzaError::itemNotFound()));
    return reply(std::optional<xml::Element>(discoInfo()));
  }
  if (type == "get" && payload->name() == "query" && payload->xmlns() == kDiscoItemsNs) {
    return reply(std::optional<xml::Element>(xml::Element("query", std::string(kDiscoItemsNs))));
  }
  if (type == "get" && payload->name() == "request" && payload->xmlns() == kUploadNs) {
    return requestSlot(e, *payload);
  }
  reply(unexpected(StanzaError::serviceUnavailable()));
}

xml::Element UploadService::discoInfo() const {
  xml::Element query("query", std::string(kDiscoInfoNs));
  xml::Element identity("identity", std::string(kDiscoInfoNs));
  identity.setAttr("category", "store");
  identity.setAttr("type", "file");
  identity.setAttr("name", "HTTP File Upload");
  query.addChild(std::move(identity));
  for (auto var : {kDiscoInfoNs, kUploadNs}) {
    xml::Element feature("feature", std::string(kDiscoInfoNs));
    feature.setAttr("var", var);
    query.addChild(std::move(feature));
  }
  // XEP-0363 §3 / XEP-0128: the size limit, so clients can refuse too-large files up front.
  xml::Element form("x", std::string(kDataFormsNs));
  form.setAttr("type", "result");
  form.addChild(field("FORM_TYPE", kUploadNs, "hidden"));
  form.addChild(field("max-file-size", std::to_string(settings_.maxFileSize)));
  query.addChild(std::move(form));
  return query;
}

void UploadService::requestSlot(router::StanzaEvent& e, const xml::Element& request) {
  auto reply = [&](const IqReply& r) { replyToIq(e.router, e.stanza, e.from, r); };
  if (e.from.domain() != ctx_.router().domain() || !e.from.hasLocal()) {
    return reply(unexpected(StanzaError::forbidden("uploads are for users of this server")));
  }
  std::string_view filename = request.attrOr("filename", "");
  auto size = parseSize(request.attrOr("size", ""));
  std::string_view contentType = request.attrOr("content-type", "");
  if (filename.empty()) return reply(unexpected(StanzaError::badRequest("a file name is required")));
  if (!size) return reply(unexpected(StanzaError::badRequest("size must be a number of bytes")));
  if (!contentType.empty() && !validContentType(contentType)) {
    return reply(unexpected(StanzaError::badRequest("content-type is not a media type")));
  }
  if (*size > settings_.maxFileSize) {
    // XEP-0363 §5: not-acceptable, with the limit for the client to show.
    StanzaError error{"modify", "not-acceptable",
                      "File too large. The maximum file size is " + std::to_string(settings_.maxFileSize) + " bytes"};
    xml::Element response = router::makeErrorReply(e.stanza, error);
    xml::Element tooLarge("file-too-large", std::string(kUploadNs));
    xml::Element max("max-file-size", std::string(kUploadNs));
    max.addText(std::to_string(settings_.maxFileSize));
    tooLarge.addChild(std::move(max));
    if (xml::Element* err = response.child("error")) err->addChild(std::move(tooLarge));
    e.router.route(std::move(response));
    return;
  }

  Slot slot;
  slot.id = util::randomHex(16);
  slot.owner = e.from.local();
  slot.filename = sanitizeFilename(filename);
  slot.size = *size;
  slot.contentType = std::string(contentType);
  slot.created = nowUnix();
  auto self = shared_from_this();
  ctx_.runBlocking(
      [store = store_, slot, quota = settings_.quota] { return store->reserve(slot, quota, slot.created); },
      [self, slot, stanza = e.stanza, from = e.from](Expected<UploadStore::Reserve, std::string> reserved) {
        auto respond = [&](const IqReply& r) { replyToIq(self->ctx_.router(), stanza, from, r); };
        if (!reserved) {
          spdlog::error("upload: cannot record a slot: {}", reserved.error());
          return respond(unexpected(StanzaError::internalServerError()));
        }
        if (*reserved == UploadStore::Reserve::TooManySlots) {
          return respond(unexpected(StanzaError::resourceConstraint("Too many unfinished uploads; finish or wait "
                                                                    "for some first")));
        }
        if (*reserved == UploadStore::Reserve::OverQuota) {
          return respond(unexpected(StanzaError::resourceConstraint(
              "Quota reached: each user may keep " + std::to_string(self->settings_.quota) + " bytes of files")));
        }
        std::string url = self->settings_.baseUrl + "/upload/" + slot.id + "/" + http::percentEncode(slot.filename);
        xml::Element result("slot", std::string(kUploadNs));
        xml::Element put("put", std::string(kUploadNs));
        put.setAttr("url", url + "?token=" + slotToken(self->secret_, slot));
        xml::Element get("get", std::string(kUploadNs));
        get.setAttr("url", url);
        result.addChild(std::move(put));
        result.addChild(std::move(get));
        respond(std::optional<xml::Element>(std::move(result)));
      });
}

// ---- HTTP side -------------------------------------------------------------------------------

void UploadService::onHttp(std::shared_ptr<http::Exchange> ex) {
  std::string_view rest = ex->path().substr(std::string_view("/upload/").size());
  auto slash = rest.find('/');
  std::string id(rest.substr(0, slash));
  auto name = slash == std::string_view::npos ? std::nullopt : http::percentDecode(rest.substr(slash + 1));
  if (!isSlotId(id) || !name || name->empty() || name->find('/') != std::string::npos) {
    return ex->respond(plain(Status::not_found, "no such file"));
  }
  switch (ex->method()) {
    case http::Verb::options: {
      // CORS preflight: web clients on other origins may PUT with a Content-Type and read ranges.
      http::Response r;
      r.status = Status::no_content;
      addCorsHeaders(r.headers);
      r.headers.set(bh::field::access_control_allow_methods, "GET, HEAD, PUT, OPTIONS");
      r.headers.set(bh::field::access_control_allow_headers, "Content-Type, Range, If-Range");
      r.headers.set(bh::field::access_control_max_age, "86400");
      return ex->respond(std::move(r));
    }
    case http::Verb::get:
    case http::Verb::head:
      return serve(std::move(ex), std::move(id), std::move(*name));
    case http::Verb::put:
      return accept(std::move(ex), std::move(id), std::move(*name),
                    http::queryParam(ex->query(), "token").value_or(""));
    default: {
      http::Response r = plain(Status::method_not_allowed, "use GET, HEAD, PUT or OPTIONS");
      r.headers.set(bh::field::allow, "GET, HEAD, PUT, OPTIONS");
      return ex->respond(std::move(r));
    }
  }
}

void UploadService::serve(std::shared_ptr<http::Exchange> ex, std::string id, std::string name) {
  auto self = shared_from_this();
  ctx_.runBlocking([store = store_, id] { return store->find(id); },
                   [self, ex, name](Expected<std::optional<Slot>, std::string> found) {
    if (!found) return ex->respond(plain(Status::internal_server_error, "storage error"));
    const auto& slot = *found;
    if (!slot || slot->filename != name || !self->store_->fileLive(*slot, nowUnix())) {
      return ex->respond(plain(Status::not_found, "no such file"));
    }
    auto file = std::make_shared<FileDescriptor>(::open(self->store_->filePath(slot->id).c_str(), O_RDONLY | O_CLOEXEC));
    struct stat info {};
    if (file->fd < 0 || ::fstat(file->fd, &info) != 0) return ex->respond(plain(Status::not_found, "no such file"));
    auto size = static_cast<std::uint64_t>(info.st_size);
    std::string etag = "\"" + slot->id + "\"";

    http::Response head;
    addCorsHeaders(head.headers);
    head.headers.set(bh::field::content_type, slot->contentType.empty() ? std::string(kDefaultType) : slot->contentType);
    head.headers.set(bh::field::accept_ranges, "bytes");
    head.headers.set(bh::field::etag, etag);
    head.headers.set(bh::field::cache_control, "public, max-age=31536000, immutable");
    // Uploaded bytes are someone else's content on this origin: never let them run as a page here.
    head.headers.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; sandbox");
    head.headers.set("X-Content-Type-Options", "nosniff");
    head.headers.set(bh::field::content_disposition,
                     std::string(servedInline(slot->contentType) ? "inline" : "attachment") +
                         "; filename*=UTF-8''" + http::percentEncode(slot->filename));
    if (auto match = ex->header("If-None-Match"); match && *match == etag) {
      head.status = Status::not_modified;
      return ex->respond(std::move(head));
    }
    http::ByteRange range;
    auto rangeHeader = ex->header("Range");
    auto ifRange = ex->header("If-Range");
    if (rangeHeader && (!ifRange || *ifRange == etag)) range = http::parseRange(*rangeHeader, size);
    std::uint64_t first = 0;
    std::uint64_t length = size;
    if (range.kind == http::ByteRange::Kind::Unsatisfiable) {
      head.status = Status::range_not_satisfiable;
      head.headers.set(bh::field::content_range, "bytes */" + std::to_string(size));
      return ex->respond(std::move(head));
    }
    if (range.kind == http::ByteRange::Kind::Partial) {
      head.status = Status::partial_content;
      first = range.first;
      length = range.length();
      head.headers.set(bh::field::content_range, "bytes " + std::to_string(range.first) + "-" +
                                                        std::to_string(range.last) + "/" + std::to_string(size));
    }
    if (first > 0 && ::lseek(file->fd, static_cast<off_t>(first), SEEK_SET) < 0) {
      return ex->respond(plain(Status::internal_server_error, "cannot read the file"));
    }
    ex->respondStream(std::move(head), length, [file](char* buffer, std::size_t n) -> Expected<std::size_t, std::string> {
      for (;;) {
        ssize_t got = ::read(file->fd, buffer, n);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return unexpected(std::string(got == 0 ? "file shorter than expected" : std::strerror(errno)));
        return static_cast<std::size_t>(got);
      }
    });
  });
}

void UploadService::accept(std::shared_ptr<http::Exchange> ex, std::string id, std::string name, std::string token) {
  if (token.empty()) return ex->respond(plain(Status::forbidden, "this URL takes no uploads"));
  auto self = shared_from_this();
  ctx_.runBlocking([store = store_, id] { return store->find(id); },
                   [self, ex, name, token](Expected<std::optional<Slot>, std::string> found) {
    if (!found) return ex->respond(plain(Status::internal_server_error, "storage error"));
    const auto& slot = *found;
    if (!slot || slot->filename != name) return ex->respond(plain(Status::not_found, "no such slot"));
    if (!checkSlotToken(self->secret_, *slot, token)) return ex->respond(plain(Status::forbidden, "wrong token"));
    if (slot->complete) return ex->respond(plain(Status::conflict, "this slot was already used"));
    if (!self->store_->slotOpen(*slot, nowUnix())) return ex->respond(plain(Status::gone, "this slot expired"));
    auto length = ex->contentLength();
    if (length && *length > slot->size) return ex->respond(plain(Status::payload_too_large, "larger than the slot"));
    if (length && *length < slot->size) return ex->respond(plain(Status::bad_request, "smaller than the slot"));
    if (!length && !ex->hasBody() && slot->size > 0) return ex->respond(plain(Status::length_required, "no body"));
    auto type = ex->header("Content-Type");
    if (type && !slot->contentType.empty() && !sameContentType(*type, slot->contentType)) {
      return ex->respond(plain(Status::unsupported_media_type, "Content-Type differs from the slot's"));
    }
    if (!self->markBusy(slot->id)) return ex->respond(plain(Status::conflict, "an upload to this slot is running"));
    self->receive(ex, *slot);
  });
}

void UploadService::receive(std::shared_ptr<http::Exchange> ex, Slot slot) {
  auto file = std::make_shared<FileDescriptor>(
      ::open(store_->partPath(slot.id).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  if (file->fd < 0) {
    spdlog::error("upload: cannot create {}: {}", store_->partPath(slot.id).string(), std::strerror(errno));
    clearBusy(slot.id);
    return ex->respond(plain(Status::insufficient_storage, "cannot store the file"));
  }
  struct Progress {
    std::uint64_t written = 0;
    bool writeFailed = false;
  };
  auto progress = std::make_shared<Progress>();
  auto self = shared_from_this();
  ex->readBody(
      slot.size,
      [file, progress](std::string_view bytes) {
        if (!writeAll(file->fd, bytes)) {
          progress->writeFailed = true;
          return false;
        }
        progress->written += bytes.size();
        return true;
      },
      [self, ex, slot, file, progress](http::BodyEnd end) {
        if (end == http::BodyEnd::Complete && progress->written == slot.size) {
          return self->finishUpload(ex, slot, file);
        }
        file->close();
        self->ctx_.runBlocking([path = self->store_->partPath(slot.id)] { std::filesystem::remove(path); },
                               [self, id = slot.id](Expected<bool, std::string>) { self->clearBusy(id); });
        if (progress->writeFailed) {
          spdlog::error("upload: writing {} failed: {}", slot.id, std::strerror(errno));
          return ex->respond(plain(Status::insufficient_storage, "cannot store the file"));
        }
        if (end == http::BodyEnd::TooLarge) return ex->respond(plain(Status::payload_too_large, "larger than the slot"));
        ex->respond(plain(Status::bad_request, "the body did not match the slot's size"));
      });
}

void UploadService::finishUpload(std::shared_ptr<http::Exchange> ex, Slot slot, std::shared_ptr<void> handle) {
  auto file = std::static_pointer_cast<FileDescriptor>(handle);
  auto self = shared_from_this();
  ctx_.runSlow(
      [store = store_, slot, file] {
        // On disk before the client hears "created": the file is then announced to others.
        if (::fdatasync(file->fd) != 0) throw std::runtime_error(std::string("fdatasync: ") + std::strerror(errno));
        file->close();
        std::filesystem::rename(store->partPath(slot.id), store->filePath(slot.id));
        store->markComplete(slot);
      },
      [self, ex, slot](Expected<bool, std::string> done) {
        self->clearBusy(slot.id);
        if (!done) {
          spdlog::error("upload: cannot finish {}: {}", slot.id, done.error());
          return ex->respond(plain(Status::internal_server_error, "cannot store the file"));
        }
        spdlog::info("upload: {} stored {} bytes as {}", slot.owner, slot.size, slot.id);
        ex->respond(plain(Status::created, "created"));
      });
}

bool UploadService::markBusy(const std::string& id) {
  std::lock_guard lock(busyMutex_);
  return busy_.insert(id).second;
}

void UploadService::clearBusy(const std::string& id) {
  std::lock_guard lock(busyMutex_);
  busy_.erase(id);
}

// ---- expiry --------------------------------------------------------------------------------

void UploadService::startCleanup() {
  if (!ctx_.workers()) return;
  cleanupTimer_ = std::make_unique<boost::asio::steady_timer>(ctx_.workers()->at(0).context());
  scheduleCleanup(kFirstCleanup);
}

void UploadService::scheduleCleanup(std::chrono::seconds delay) {
  if (!cleanupTimer_) return;
  cleanupTimer_->expires_after(delay);
  cleanupTimer_->async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    std::set<std::string> busy;
    {
      std::lock_guard lock(self->busyMutex_);
      busy = self->busy_;
    }
    self->ctx_.runBlocking([store = self->store_, busy] { return store->expire(nowUnix(), busy); },
                           [weak](Expected<std::size_t, std::string> removed) {
                             auto self = weak.lock();
                             if (!self) return;
                             if (!removed) spdlog::warn("upload: clean-up failed: {}", removed.error());
                             else if (*removed > 0) spdlog::info("upload: removed {} expired uploads", *removed);
                             self->scheduleCleanup(kCleanupInterval);
                           });
  });
}

void UploadService::shutdown() { cleanupTimer_.reset(); }

}  // namespace telex::modules::upload
