// Helpers shared by telexd's operator commands (`announce`, `group`, `token`, `alert`, `pager`):
// the error line and exit code, opening the store of a server that may not be running, and
// naming a local user.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "jid/jid.hpp"
#include "storage/store.hpp"

namespace telex::admin {

// Prints "telexd: <message>" to stderr; returns exit code 1.
int cliFail(const std::string& message);

// The configured store, for commands that work without the server. Null (with `error` set) for
// the memory store, which exists only inside a running server, or when it cannot be opened.
std::unique_ptr<storage::StorageDriver> openStoreForCli(const config::Config& config, std::string& error);

// "alice" or "alice@<domain>" as a bare JID of this server; null (with `error` set) otherwise.
std::optional<Jid> localUser(const std::string& text, const config::Config& config, std::string& error);

}  // namespace telex::admin
