// OpenSSL setup: server context, ALPN, and self-signed certificate generation.
#include "net/tls_context.hpp"

#include <cstdio>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

namespace telex::net {
namespace {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct ExtDeleter {
  void operator()(X509_EXTENSION* e) const { X509_EXTENSION_free(e); }
};

bool addExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, ExtDeleter> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

int selectAlpn(SSL*, const unsigned char** out, unsigned char* outLen, const unsigned char* in,
               unsigned int inLen, void*) {
  static const unsigned char kProtocols[] = "\x0bxmpp-client";
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outLen, kProtocols, sizeof(kProtocols) - 1, in, inLen) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
  // Clients offering other protocols (or none) are still served: ALPN is advisory for c2s.
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

std::string lastOpenSslError() {
  unsigned long code = ERR_get_error();
  if (code == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

Expected<bool, std::string> ensureSelfSignedCertificate(const std::filesystem::path& certFile,
                                                        const std::filesystem::path& keyFile,
                                                        const std::string& domain) {
  std::error_code ec;
  if (std::filesystem::exists(certFile, ec) && std::filesystem::exists(keyFile, ec)) return false;
  std::filesystem::create_directories(certFile.parent_path(), ec);
  if (ec) return unexpected("cannot create " + certFile.parent_path().string() + ": " + ec.message());

  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(EVP_EC_gen("P-256"));
  if (!key) return unexpected("key generation failed: " + lastOpenSslError());
  std::unique_ptr<X509, X509Deleter> cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Telex"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(domain.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  std::string san = "DNS:" + domain + ",DNS:*." + domain;
  if (!addExtension(cert.get(), NID_subject_alt_name, san.c_str()) ||
      !addExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !addExtension(cert.get(), NID_ext_key_usage, "serverAuth")) {
    return unexpected("certificate extensions failed: " + lastOpenSslError());
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return unexpected("certificate signing failed: " + lastOpenSslError());
  }

  mode_t old = umask(077);  // the key is readable by its owner only
  std::unique_ptr<FILE, FileCloser> keyOut(std::fopen(keyFile.c_str(), "wb"));
  umask(old);
  if (!keyOut) return unexpected("cannot write " + keyFile.string());
  if (PEM_write_PrivateKey(keyOut.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return unexpected("cannot write " + keyFile.string() + ": " + lastOpenSslError());
  }
  std::unique_ptr<FILE, FileCloser> certOut(std::fopen(certFile.c_str(), "wb"));
  if (!certOut || PEM_write_X509(certOut.get(), cert.get()) != 1) {
    return unexpected("cannot write " + certFile.string());
  }
  return true;
}

Expected<SslCtxPtr, std::string> makeServerTlsContext(const std::filesystem::path& certFile,
                                                      const std::filesystem::path& keyFile) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return unexpected("TLS context: " + lastOpenSslError());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                                  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                     SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Session tickets would need key rotation to be safe; clients reconnecting pay a full handshake.
  SSL_CTX_set_num_tickets(ctx.get(), 0);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), certFile.c_str()) != 1) {
    return unexpected("cannot load certificate " + certFile.string() + ": " + lastOpenSslError());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), keyFile.c_str(), SSL_FILETYPE_PEM) != 1) {
    return unexpected("cannot load key " + keyFile.string() + ": " + lastOpenSslError());
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return unexpected("certificate and key do not match: " + lastOpenSslError());
  }
  SSL_CTX_set_alpn_select_cb(ctx.get(), selectAlpn, nullptr);
  return ctx;
}

}  // namespace telex::net
