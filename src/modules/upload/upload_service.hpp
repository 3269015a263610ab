// The upload service: slot requests on upload.<domain> and the /upload/ paths of the HTTP listener.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "http/exchange.hpp"
#include "modules/module.hpp"
#include "modules/upload/upload_store.hpp"

namespace telex::modules::upload {

struct UploadSettings {
  std::string jid;      // upload.<domain>
  std::string baseUrl;  // e.g. https://example.org:5281 (no trailing slash)
  std::uint64_t maxFileSize = 0;
  std::uint64_t quota = 0;  // 0 = unlimited
  std::int64_t fileSeconds = 0;
};

class UploadService : public std::enable_shared_from_this<UploadService> {
 public:
  UploadService(ModuleContext& ctx, UploadSettings settings, std::shared_ptr<UploadStore> store,
                std::string secret);

  // Everything sent to upload.<domain>.
  void onStanza(router::StanzaEvent& event);
  // Everything under /upload/.
  void onHttp(std::shared_ptr<http::Exchange> exchange);
  // Removes expired slots and files on the pool, then again an hour later.
  void startCleanup();
  void shutdown();

 private:
  void requestSlot(router::StanzaEvent& event, const xml::Element& request);
  xml::Element discoInfo() const;
  void serve(std::shared_ptr<http::Exchange> exchange, std::string id, std::string name);
  void accept(std::shared_ptr<http::Exchange> exchange, std::string id, std::string name, std::string token);
  void receive(std::shared_ptr<http::Exchange> exchange, Slot slot);
  void finishUpload(std::shared_ptr<http::Exchange> exchange, Slot slot, std::shared_ptr<void> file);
  bool markBusy(const std::string& id);
  void clearBusy(const std::string& id);
  void scheduleCleanup(std::chrono::seconds delay);

  ModuleContext& ctx_;
  UploadSettings settings_;
  std::shared_ptr<UploadStore> store_;
  std::string secret_;
  std::mutex busyMutex_;
  std::set<std::string> busy_;  // ids with a PUT in progress
  std::unique_ptr<boost::asio::steady_timer> cleanupTimer_;
};

// CORS headers every /upload/ answer carries, so web clients on other origins can use the files.
void addCorsHeaders(http::Fields& headers);

}  // namespace telex::modules::upload
