// The audit log: who announced, alerted or changed the message of the day, when, to whom, and
// what became of it. Append-only (ArchiveStore "audit"), and each entry is also a server log line.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/store.hpp"

namespace telex::audit {

struct AuditEntry {
  std::int64_t when = 0;  // unix ms; 0 = now (set by append)
  std::string actor;      // "admin@example.org/laptop", "telexd CLI", "winpopup 10.0.0.5 BOB"
  std::string action;     // "announce", "motd-set", "motd-delete", "alert", ...
  std::string target;     // "online", "all", "group:staff", "alice@example.org", ...
  std::string outcome;    // "ok", "forbidden", "rate-limited", "failed", with details after ": "
  std::string text;       // what was sent (the announcement, the new MOTD)
};

// Blocking calls: run them on the storage pool (ModuleContext::runBlocking) or in the CLI.
class AuditLog {
 public:
  explicit AuditLog(storage::StorageDriver& storage);

  // Stores the entry and writes it to the server log; returns the stored entry (with `when`).
  AuditEntry append(AuditEntry entry);
  // The newest `limit` entries, oldest first.
  std::vector<AuditEntry> list(std::size_t limit);

  // One line for people: "2026-11-21T07:13:19.335Z announce actor=... target=... outcome=... text=..."
  // with control characters escaped and the text cut at `maxText` bytes (0 = whole).
  static std::string format(const AuditEntry& entry, std::size_t maxText = 0);
  static std::string encode(const AuditEntry& entry);
  static std::optional<AuditEntry> decode(std::string_view bytes);

 private:
  std::shared_ptr<storage::ArchiveStore> archive_;
};

}  // namespace telex::audit
