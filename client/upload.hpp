// XEP-0363 HTTP File Upload at the client's edge: service discovery data, slot request and
// response, and the HTTP PUT of the file (Boost.Beast, plain HTTP or HTTPS, streamed from disk).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "client/stanzas.hpp"
#include "jid/jid.hpp"
#include "util/expected.hpp"
#include "xml/element.hpp"

namespace boost::asio {
class io_context;
}

namespace telex::client {

inline constexpr std::string_view kNsHttpUpload = "urn:xmpp:http:upload:0";
inline constexpr std::string_view kNsOob = "jabber:x:oob";  // XEP-0066 out-of-band URL

// An upload service found by disco: its JID and the largest file it takes (data form field
// max-file-size in its disco#info), when it says.
struct UploadService {
  Jid jid;
  std::optional<std::uint64_t> maxFileSize;

  // From the service's disco#info <query/>; fails when it lacks urn:xmpp:http:upload:0.
  static Expected<UploadService, std::string> fromDiscoInfo(const Jid& jid,
                                                            const xml::Element& query);
};

// A slot granted by the service: where to PUT (with which extra headers) and where to GET.
struct UploadSlot {
  std::string putUrl;
  std::map<std::string, std::string> putHeaders;  // only Authorization, Cookie, Expires
  std::string getUrl;

  // From <slot xmlns='urn:xmpp:http:upload:0'>; fails when a URL is missing or not http(s).
  static Expected<UploadSlot, std::string> parse(const xml::Element& slot);
};

// <request xmlns='urn:xmpp:http:upload:0' filename='...' size='...' content-type='...'/>
xml::Element makeUploadRequest(std::string_view filename, std::uint64_t size,
                               std::string_view contentType);
// A content type guessed from the file name's extension ("application/octet-stream" otherwise).
std::string guessContentType(const std::filesystem::path& file);

// A parsed http(s) URL.
struct HttpUrl {
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
  std::string target;  // path and query, at least "/"
  static Expected<HttpUrl, std::string> parse(std::string_view url);
};

// TLS settings for the PUT, taken from the XMPP connection's (ClientOptions caFile/insecure).
struct HttpTlsOptions {
  bool verify = true;
  std::string caFile;
};

// PUTs `file` to the slot's URL, streaming it from disk in chunks (never all in memory), and
// calls `done` with the HTTP status on a 2xx answer or a readable error. Runs on `io`.
void httpPutFile(boost::asio::io_context& io, const UploadSlot& slot,
                 const std::filesystem::path& file, std::string contentType,
                 const HttpTlsOptions& tls, std::chrono::milliseconds timeout,
                 std::function<void(Expected<unsigned, std::string>)> done);

}  // namespace telex::client
