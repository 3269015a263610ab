// OpenSSL server context for client connections, and the self-signed certificate made on first start.
#pragma once

#include <filesystem>
#include <memory>
#include <openssl/ssl.h>
#include <string>

#include "util/expected.hpp"

namespace telex::net {

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using SslPtr = std::unique_ptr<SSL, SslDeleter>;

// Creates a P-256 key and a self-signed certificate for `domain` when `certFile` is missing.
// Returns true when it generated one.
Expected<bool, std::string> ensureSelfSignedCertificate(const std::filesystem::path& certFile,
                                                        const std::filesystem::path& keyFile,
                                                        const std::string& domain);

// TLS 1.2+ server context with SSL_MODE_RELEASE_BUFFERS (idle connections keep no TLS buffers)
// and ALPN "xmpp-client" for direct TLS (XEP-0368).
Expected<SslCtxPtr, std::string> makeServerTlsContext(const std::filesystem::path& certFile,
                                                      const std::filesystem::path& keyFile);

std::string lastOpenSslError();

}  // namespace telex::net
