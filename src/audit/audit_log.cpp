// Audit entries stored as JSON in one server-wide archive, and their one-line rendering.
#include "audit/audit_log.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "util/timestamp.hpp"

namespace telex::audit {
namespace {
// Every entry lives under one archive key: the log is server-wide, not per user.
constexpr std::string_view kKey = "server";

std::int64_t nowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Log lines and CLI output must stay one line each, whatever an announcement contains.
std::string escapeLine(std::string_view text, std::size_t max) {
  std::string out;
  std::size_t used = 0;
  for (unsigned char c : text) {
    if (max != 0 && used >= max) {
      out += "...";
      break;
    }
    ++used;
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}
}  // namespace

AuditLog::AuditLog(storage::StorageDriver& storage) : archive_(storage.archive("audit")) {}

AuditEntry AuditLog::append(AuditEntry entry) {
  if (entry.when == 0) entry.when = nowMillis();
  spdlog::info("audit: {}", format(entry, 200));
  archive_->append(kKey, entry.when, entry.actor, encode(entry));
  return entry;
}

std::vector<AuditEntry> AuditLog::list(std::size_t limit) {
  storage::ArchiveQuery query;
  query.limit = limit;
  query.reverse = true;  // the newest page, still returned oldest -> newest
  std::vector<AuditEntry> out;
  for (const auto& item : archive_->query(kKey, query).items) {
    if (auto entry = decode(item.value)) out.push_back(std::move(*entry));
  }
  return out;
}

std::string AuditLog::encode(const AuditEntry& entry) {
  nlohmann::json j = {{"when", entry.when},       {"actor", entry.actor},     {"action", entry.action},
                      {"target", entry.target},   {"outcome", entry.outcome}, {"text", entry.text}};
  // Invalid UTF-8 (from a hostile client) is replaced rather than failing the whole entry.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<AuditEntry> AuditLog::decode(std::string_view bytes) {
  auto j = nlohmann::json::parse(bytes, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  AuditEntry e;
  e.when = j.value("when", std::int64_t{0});
  e.actor = j.value("actor", std::string());
  e.action = j.value("action", std::string());
  e.target = j.value("target", std::string());
  e.outcome = j.value("outcome", std::string());
  e.text = j.value("text", std::string());
  return e;
}

std::string AuditLog::format(const AuditEntry& entry, std::size_t maxText) {
  auto when = std::chrono::system_clock::time_point(std::chrono::milliseconds(entry.when));
  return util::utcTimestamp(when) + " " + escapeLine(entry.action, 64) + " actor=\"" +
         escapeLine(entry.actor, 256) + "\" target=\"" + escapeLine(entry.target, 256) + "\" outcome=\"" +
         escapeLine(entry.outcome, 256) + "\" text=\"" + escapeLine(entry.text, maxText) + "\"";
}

}  // namespace telex::audit
