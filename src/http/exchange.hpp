// One HTTP request as a route handler sees it, and the ways to answer it.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "net/worker.hpp"
#include "util/expected.hpp"

namespace telex::http {

using Verb = boost::beast::http::verb;
using Status = boost::beast::http::status;
using Fields = boost::beast::http::fields;

struct Response {
  Status status = Status::ok;
  Fields headers;
  std::string body;  // Content-Length is set from it (or from the streamed length)
};

// Pulls the next bytes of a streamed response body into `buffer` (at most `size`); returns how many
// were written, or an error that aborts the connection. It is called only while bytes remain.
using BodySource = std::function<Expected<std::size_t, std::string>(char* buffer, std::size_t size)>;

enum class BodyEnd {
  Complete,  // every byte of the body was handed to the chunk callback
  TooLarge,  // more than the limit: answer 413 if you like, the connection then closes
  Aborted,   // the chunk callback said stop
  Failed,    // the peer went away, timed out or sent a malformed body
};

// The connection behind the request implements this. Everything runs on worker(): call the methods
// from there (after blocking work, post back with StoragePool::run). Answer exactly once with
// respond() or respondStream(); an exchange dropped unanswered closes its connection.
class Exchange {
 public:
  virtual ~Exchange() = default;

  virtual Verb method() const = 0;
  virtual std::string_view path() const = 0;   // raw (still percent-encoded), without the query
  virtual std::string_view query() const = 0;  // after '?', raw
  virtual std::optional<std::string_view> header(std::string_view name) const = 0;
  virtual std::optional<std::uint64_t> contentLength() const = 0;
  // Whether a body follows the header (Content-Length > 0 or chunked).
  virtual bool hasBody() const = 0;
  virtual const std::string& remoteAddress() const = 0;
  virtual bool isTls() const = 0;
  virtual net::Worker& worker() = 0;

  // Streams the request body: `chunk` receives it in pieces of at most 64 KiB as they arrive (return
  // false to stop), then `done` says how it ended. Answers "Expect: 100-continue" first. Reading is
  // bounded by `limit` bytes and by an idle timeout per piece.
  using ChunkFn = std::function<bool(std::string_view bytes)>;
  using DoneFn = std::function<void(BodyEnd end)>;
  virtual void readBody(std::uint64_t limit, ChunkFn chunk, DoneFn done) = 0;

  virtual void respond(Response response) = 0;
  // Sends `head` with Content-Length `length`, then `length` bytes pulled from `source` in pieces
  // (none for HEAD requests), so large files never sit in memory whole.
  virtual void respondStream(Response head, std::uint64_t length, BodySource source) = 0;
};

}  // namespace telex::http
