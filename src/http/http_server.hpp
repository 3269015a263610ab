// telexd's HTTP(S) listener: Boost.Beast connections on the worker loops, answered by a Router.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "http/router.hpp"
#include "net/listener.hpp"
#include "net/worker.hpp"
#include "util/expected.hpp"

namespace boost::asio::ssl {
class context;
}

namespace telex::http {

// Bounds every connection lives within.
struct Limits {
  std::size_t maxHeaderBytes = 16 * 1024;  // request line and headers; more gets 431
  std::chrono::seconds handshakeTimeout{15};
  std::chrono::seconds headerTimeout{30};  // for the next request header, keep-alive included
  std::chrono::seconds ioTimeout{60};      // for each piece of a body, read or written
};

struct Endpoint {
  std::string address;
  std::uint16_t port = 0;  // 0 = any free port (tests)
  bool tls = false;
};

class HttpServer {
 public:
  // Binds every endpoint now (a taken port is reported before the server starts). Plain endpoints
  // answer loopback peers only; TLS endpoints use the PEM certificate and key given.
  static Expected<std::unique_ptr<HttpServer>, std::string> open(
      net::WorkerPool& workers, const Router& router, const std::vector<Endpoint>& endpoints,
      const std::filesystem::path& certificate, const std::filesystem::path& key, Limits limits = {});
  ~HttpServer();

  void start();
  // Stops accepting; open connections end with their worker loops.
  void stop();
  // Closes the acceptors: call before the worker pool is destroyed (they live on worker 0's loop).
  void close() { listeners_.clear(); }

  struct Bound {
    std::string address;
    std::uint16_t port;
    bool tls;
  };
  std::vector<Bound> bound() const;

 private:
  HttpServer(const Router& router, Limits limits);

  const Router& router_;
  Limits limits_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::vector<std::unique_ptr<net::Listener>> listeners_;
  std::vector<bool> listenerTls_;
};

}  // namespace telex::http
