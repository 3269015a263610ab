#include "admin/cli_support.hpp"

#include <cstdio>
#include <exception>

#include "storage/storage_factory.hpp"

namespace telex::admin {

int cliFail(const std::string& message) {
  std::fprintf(stderr, "telexd: %s\n", message.c_str());
  return 1;
}

std::unique_ptr<storage::StorageDriver> openStoreForCli(const config::Config& config, std::string& error) {
  if (config.storage.driver == "memory") {
    error = "the memory store lives inside a running server; this command needs storage.driver = \"sqlite\"";
    return nullptr;
  }
  try {
    return storage::openStorage(config.storage.driver, config.dataDirPath());
  } catch (const std::exception& e) {
    error = std::string("cannot open storage: ") + e.what();
    return nullptr;
  }
}

std::optional<Jid> localUser(const std::string& text, const config::Config& config, std::string& error) {
  const std::string& domain = config.server.domain;
  std::string full = text.find('@') == std::string::npos ? text + "@" + domain : text;
  auto jid = Jid::parse(full);
  if (!jid || !jid->hasLocal() || jid->hasResource() || jid->domain() != domain) {
    error = "\"" + text + "\" is not a user of " + domain + " (expected user@" + domain + ")";
    return std::nullopt;
  }
  return jid;
}

}  // namespace telex::admin
