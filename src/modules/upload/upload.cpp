// Wires the upload service: its store and secret, the upload.<domain> component, the /upload/ route
// and the clean-up timer.
#include "modules/upload/upload.hpp"

#include <spdlog/spdlog.h>

#include "http/router.hpp"
#include "modules/upload/upload_service.hpp"
#include "util/crypto.hpp"

namespace telex::modules::upload {
namespace {

std::string baseUrl(const config::Config& config) {
  std::string url = config.http.externalUrl;
  if (url.empty()) {
    url = config.http.tlsPort != 0 ? "https://" + config.server.domain + ":" + std::to_string(config.http.tlsPort)
                                   : "http://" + config.server.domain + ":" + std::to_string(config.http.port);
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// The HMAC key of slot tokens, kept in storage so slots handed out survive a restart.
std::string loadSecret(storage::StorageDriver& storage) {
  auto store = storage.keyval("upload_secret");
  if (auto secret = store->get("hmac"); secret && secret->size() >= 32) return *secret;
  std::string secret = util::randomBytes(32);
  store->set("hmac", secret);
  return secret;
}

}  // namespace

void setup(ModuleContext& ctx) {
  const auto& config = ctx.config();
  if (!ctx.http() || (config.http.port == 0 && config.http.tlsPort == 0)) {
    spdlog::warn("upload: no HTTP listener (http.port and http.tls_port are 0), so no file upload");
    return;
  }
  std::filesystem::path dir = config.dataDirPath() / "upload";
  std::filesystem::create_directories(dir);  // throws with the reason; the server reports it

  UploadSettings settings;
  settings.jid = "upload." + ctx.router().domain();
  settings.baseUrl = baseUrl(config);
  settings.maxFileSize = static_cast<std::uint64_t>(config.upload.maxFileSize);
  settings.quota = static_cast<std::uint64_t>(config.upload.quotaPerUser);
  Lifetimes lifetimes;
  lifetimes.fileSeconds = config.upload.expireDays * 86400;
  auto store = std::make_shared<UploadStore>(ctx.storage(), dir, lifetimes);
  auto service = std::make_shared<UploadService>(ctx, settings, store, loadSecret(ctx.storage()));

  ctx.router().addComponent(settings.jid, [service](router::StanzaEvent& e) { service->onStanza(e); });
  ctx.http()->add("/upload/", [service](std::shared_ptr<http::Exchange> ex) { service->onHttp(std::move(ex)); });
  ctx.addDiscoItem(settings.jid, "HTTP File Upload");
  service->startCleanup();
  ctx.onShutdown([service] { service->shutdown(); });
}

}  // namespace telex::modules::upload
