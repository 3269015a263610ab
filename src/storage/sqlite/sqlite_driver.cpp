// SQLite-backed keyval/map/archive stores: one connection per driver, serialized by a recursive mutex.
#include "storage/sqlite/sqlite_driver.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "storage/archive_id.hpp"

namespace telex::storage {
namespace detail {
namespace {

// Append-only: never edit a shipped step, add a new one (databases in the field record which ran).
constexpr SqliteMigration kMigrations[] = {
    {1, R"sql(
CREATE TABLE keyval (
  store TEXT NOT NULL,
  user  TEXT NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (store, user)
);
CREATE TABLE map (
  store TEXT NOT NULL,
  user  TEXT NOT NULL,
  "key" TEXT NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (store, user, "key")
);
-- AUTOINCREMENT so a deleted newest item's seq is never reused: ids must keep their order.
CREATE TABLE archive (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  store    TEXT NOT NULL,
  user     TEXT NOT NULL,
  id       TEXT NOT NULL UNIQUE,
  when_ms  INTEGER NOT NULL,
  with_jid TEXT NOT NULL,
  value    BLOB NOT NULL
);
-- Every index implicitly ends with seq (the rowid), so each one also serves ORDER BY seq.
CREATE INDEX archive_by_user ON archive (store, user);
CREATE INDEX archive_by_when ON archive (store, user, when_ms);
CREATE INDEX archive_by_with ON archive (store, user, with_jid);
)sql"},
};

}  // namespace

std::span<const SqliteMigration> sqliteMigrations() { return kMigrations; }
int sqliteSchemaVersion() { return kMigrations[std::size(kMigrations) - 1].version; }

}  // namespace detail

namespace {

using detail::SqliteMigration;

constexpr int kBusyTimeoutMs = 5000;  // lets the CLI and the running server share the file

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

class Connection;

// A cached statement lent out for one call; resetting on destruction makes it reusable.
class Statement {
 public:
  Statement(Connection& conn, sqlite3_stmt* stmt) : conn_(conn), stmt_(stmt) {}
  ~Statement() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void bindText(int index, std::string_view text);
  void bindBlob(int index, std::string_view bytes);
  void bindInt(int index, std::int64_t value);
  bool step();  // true while rows come; throws on error
  int stepRaw() { return sqlite3_step(stmt_); }

  std::string columnText(int col) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col));
    return p ? std::string(p, n) : std::string();
  }
  std::string columnBlob(int col) {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
    auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col));
    return p ? std::string(p, n) : std::string();  // a zero-length blob comes back as nullptr
  }
  std::int64_t columnInt(int col) { return sqlite3_column_int64(stmt_, col); }

 private:
  Connection& conn_;
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  Connection(std::filesystem::path path, std::span<const SqliteMigration> migrations);

  // Every use of the handle, its statements and its error message happens under this lock.
  std::unique_lock<std::recursive_mutex> lock() { return std::unique_lock(mutex_); }

  Statement prepare(std::string_view sql);
  void exec(std::string_view sql) {
    Statement st = prepare(sql);
    while (st.step()) {
    }
  }
  std::size_t changes() { return static_cast<std::size_t>(sqlite3_changes64(db_.get())); }

  // Nested calls become savepoints, so an inner failure only undoes the inner part.
  void transaction(const std::function<void()>& fn, bool write);

  [[noreturn]] void fail(std::string_view what) {
    throw StorageError("sqlite " + path_.string() + ": " + std::string(what) + ": " + sqlite3_errmsg(db_.get()));
  }

 private:
  void migrate(std::span<const SqliteMigration> migrations);
  int userVersion();
  void execScript(const std::string& sql, std::string_view what);
  void rollbackQuietly(bool nested) noexcept;

  std::filesystem::path path_;
  std::recursive_mutex mutex_;
  DbPtr db_;                                           // declared before the cache: statements die first
  std::map<std::string, StmtPtr, std::less<>> cache_;  // keyed by SQL text
  int depth_ = 0;                                      // open transaction levels on this connection
};

void Statement::bindText(int index, std::string_view text) {
  // A null pointer would bind SQL NULL, so empty views get a real (empty) string.
  if (sqlite3_bind_text64(stmt_, index, text.data() ? text.data() : "", text.size(), SQLITE_STATIC,
                          SQLITE_UTF8) != SQLITE_OK) {
    conn_.fail("bind");
  }
}

void Statement::bindBlob(int index, std::string_view bytes) {
  if (sqlite3_bind_blob64(stmt_, index, bytes.data() ? bytes.data() : "", bytes.size(), SQLITE_STATIC) !=
      SQLITE_OK) {
    conn_.fail("bind");
  }
}

void Statement::bindInt(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) conn_.fail("bind");
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  conn_.fail(sqlite3_sql(stmt_));
}

Connection::Connection(std::filesystem::path path, std::span<const SqliteMigration> migrations)
    : path_(std::move(path)) {
  sqlite3* raw = nullptr;
  // NOMUTEX: our own mutex already serializes every use of this handle.
  int rc = sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  db_.reset(raw);  // owns the handle even when opening failed
  if (rc != SQLITE_OK) fail("cannot open database");
  sqlite3_extended_result_codes(db_.get(), 1);
  sqlite3_busy_timeout(db_.get(), kBusyTimeoutMs);
  // A file that is not a database only shows up on first read, so report these as open failures.
  execScript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", "cannot open database");
  migrate(migrations);
}

Statement Connection::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                &raw, nullptr);
    StmtPtr stmt(raw);
    if (rc != SQLITE_OK) fail("prepare " + std::string(sql));
    it = cache_.emplace(std::string(sql), std::move(stmt)).first;
  }
  return Statement(*this, it->second.get());
}

void Connection::execScript(const std::string& sql, std::string_view what) {
  char* err = nullptr;
  if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_.get());
    sqlite3_free(err);
    throw StorageError("sqlite " + path_.string() + ": " + std::string(what) + ": " + msg);
  }
}

int Connection::userVersion() {
  Statement st = prepare("PRAGMA user_version");
  return st.step() ? static_cast<int>(st.columnInt(0)) : 0;
}

void Connection::migrate(std::span<const SqliteMigration> migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i + 1)) {
      throw StorageError("sqlite migrations must be numbered 1, 2, 3...");
    }
  }
  const int known = static_cast<int>(migrations.size());
  auto checkNotNewer = [&](int current) {
    if (current > known) {
      throw StorageError("sqlite " + path_.string() + ": database schema version " + std::to_string(current) +
                         " is newer than this Telex supports (" + std::to_string(known) +
                         "); it was written by a newer Telex, upgrade Telex to use it");
    }
  };
  auto lockGuard = lock();
  int current = userVersion();
  checkNotNewer(current);
  if (current == known) return;
  // Re-read inside the write transaction: another process may have migrated in the meantime.
  transaction(
      [&] {
        int now = userVersion();
        checkNotNewer(now);
        for (const auto& m : migrations) {
          if (m.version <= now) continue;
          execScript(std::string(m.sql), "migration to schema version " + std::to_string(m.version) + " failed");
          execScript("PRAGMA user_version = " + std::to_string(m.version), "recording schema version");
        }
      },
      true);
}

void Connection::rollbackQuietly(bool nested) noexcept {
  // sqlite may already have rolled back by itself after some errors; failures here change nothing.
  if (sqlite3_get_autocommit(db_.get())) return;
  sqlite3_exec(db_.get(), nested ? "ROLLBACK TO telex_nested; RELEASE telex_nested" : "ROLLBACK", nullptr,
               nullptr, nullptr);
}

void Connection::transaction(const std::function<void()>& fn, bool write) {
  auto guard = lock();
  const bool nested = depth_ > 0;
  if (nested) {
    exec("SAVEPOINT telex_nested");
  } else {
    // IMMEDIATE takes the write lock up front (honouring the busy timeout) instead of failing
    // with SQLITE_BUSY when a read transaction later tries to write.
    exec(write ? "BEGIN IMMEDIATE" : "BEGIN");
  }
  ++depth_;
  try {
    fn();
    exec(nested ? "RELEASE telex_nested" : "COMMIT");
  } catch (...) {
    --depth_;
    rollbackQuietly(nested);
    throw;
  }
  --depth_;
}

class SqliteKeyValStore final : public KeyValStore {
 public:
  SqliteKeyValStore(std::shared_ptr<Connection> conn, std::string store)
      : conn_(std::move(conn)), store_(std::move(store)) {}

  std::optional<std::string> get(std::string_view user) override {
    auto guard = conn_->lock();
    Statement st = conn_->prepare("SELECT value FROM keyval WHERE store = ?1 AND user = ?2");
    st.bindText(1, store_);
    st.bindText(2, user);
    if (!st.step()) return std::nullopt;
    return st.columnBlob(0);
  }

  void set(std::string_view user, std::string_view value) override {
    auto guard = conn_->lock();
    Statement st = conn_->prepare(
        "INSERT INTO keyval (store, user, value) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (store, user) DO UPDATE SET value = excluded.value");
    st.bindText(1, store_);
    st.bindText(2, user);
    st.bindBlob(3, value);
    st.step();
  }

  bool remove(std::string_view user) override {
    auto guard = conn_->lock();
    Statement st = conn_->prepare("DELETE FROM keyval WHERE store = ?1 AND user = ?2");
    st.bindText(1, store_);
    st.bindText(2, user);
    st.step();
    return conn_->changes() > 0;
  }

  std::vector<std::string> users() override {
    auto guard = conn_->lock();
    Statement st = conn_->prepare("SELECT user FROM keyval WHERE store = ?1 ORDER BY user");
    st.bindText(1, store_);
    std::vector<std::string> out;
    while (st.step()) out.push_back(st.columnText(0));
    return out;
  }

 private:
  std::shared_ptr<Connection> conn_;
  std::string store_;
};

class SqliteMapStore final : public MapStore {
 public:
  SqliteMapStore(std::shared_ptr<Connection> conn, std::string store)
      : conn_(std::move(conn)), store_(std::move(store)) {}

  std::optional<std::string> get(std::string_view user, std::string_view key) override {
    auto guard = conn_->lock();
    Statement st = conn_->prepare("SELECT value FROM map WHERE store = ?1 AND user = ?2 AND \"key\" = ?3");
    st.bindText(1, store_);
    st.bindText(2, user);
    st.bindText(3, key);
    if (!st.step()) return std::nullopt;
    return st.columnBlob(0);
  }

  void set(std::string_view user, std::string_view key, std::string_view value) override {
    auto guard = conn_->lock();
    Statement st = conn_->prepare(
        "INSERT INTO map (store, user, \"key\", value) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (store, user, \"key\") DO UPDATE SET value = excluded.value");
    st.bindText(1, store_);
    st.bindText(2, user);
    st.bindText(3, key);
    st.bindBlob(4, value);
    st.step();
  }

  bool remove(std::string_view user, std::string_view key) override {
    auto guard = conn_->lock();
    Statement st = conn_->prepare("DELETE FROM map WHERE store = ?1 AND user = ?2 AND \"key\" = ?3");
    st.bindText(1, store_);
    st.bindText(2, user);
    st.bindText(3, key);
    st.step();
    return conn_->changes() > 0;
  }

  std::vector<std::pair<std::string, std::string>> all(std::string_view user) override {
    auto guard = conn_->lock();
    Statement st = conn_->prepare("SELECT \"key\", value FROM map WHERE store = ?1 AND user = ?2 ORDER BY \"key\"");
    st.bindText(1, store_);
    st.bindText(2, user);
    std::vector<std::pair<std::string, std::string>> out;
    while (st.step()) out.emplace_back(st.columnText(0), st.columnBlob(1));
    return out;
  }

  void removeAll(std::string_view user) override {
    auto guard = conn_->lock();
    Statement st = conn_->prepare("DELETE FROM map WHERE store = ?1 AND user = ?2");
    st.bindText(1, store_);
    st.bindText(2, user);
    st.step();
  }

  std::vector<std::string> usersWithKey(std::string_view key) override {
    auto guard = conn_->lock();
    Statement st = conn_->prepare("SELECT user FROM map WHERE store = ?1 AND \"key\" = ?2 ORDER BY user");
    st.bindText(1, store_);
    st.bindText(2, key);
    std::vector<std::string> out;
    while (st.step()) out.push_back(st.columnText(0));
    return out;
  }

 private:
  std::shared_ptr<Connection> conn_;
  std::string store_;
};

class SqliteArchiveStore final : public ArchiveStore {
 public:
  SqliteArchiveStore(std::shared_ptr<Connection> conn, std::string store)
      : conn_(std::move(conn)), store_(std::move(store)) {}

  std::string append(std::string_view user, std::int64_t when, std::string_view with,
                     std::string_view value) override {
    auto guard = conn_->lock();
    for (int attempt = 0; attempt < 8; ++attempt) {
      std::string id = newArchiveId();
      Statement st = conn_->prepare(
          "INSERT INTO archive (store, user, id, when_ms, with_jid, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
      st.bindText(1, store_);
      st.bindText(2, user);
      st.bindText(3, id);
      st.bindInt(4, when);
      st.bindText(5, with);
      st.bindBlob(6, value);
      int rc = st.stepRaw();
      if (rc == SQLITE_DONE) return id;
      if (rc != SQLITE_CONSTRAINT_UNIQUE) conn_->fail("append");
      // An 80-bit id collided: astronomically rare, so simply draw another.
    }
    throw StorageError("sqlite: could not allocate a unique archive id");
  }

  ArchivePage query(std::string_view user, const ArchiveQuery& q) override {
    ArchivePage page;
    // One read transaction so the count and the page see the same snapshot.
    conn_->transaction([&] { page = queryLocked(user, q); }, false);
    return page;
  }

  std::size_t count(std::string_view user) override {
    auto guard = conn_->lock();
    Statement st = conn_->prepare("SELECT count(*) FROM archive WHERE store = ?1 AND user = ?2");
    st.bindText(1, store_);
    st.bindText(2, user);
    return st.step() ? static_cast<std::size_t>(st.columnInt(0)) : 0;
  }

  bool remove(std::string_view user, std::string_view id) override {
    auto guard = conn_->lock();
    Statement st = conn_->prepare("DELETE FROM archive WHERE store = ?1 AND user = ?2 AND id = ?3");
    st.bindText(1, store_);
    st.bindText(2, user);
    st.bindText(3, id);
    st.step();
    return conn_->changes() > 0;
  }

  std::size_t removeBefore(std::string_view user, std::int64_t when) override {
    auto guard = conn_->lock();
    Statement st = conn_->prepare(user.empty()
                                      ? "DELETE FROM archive WHERE store = ?1 AND when_ms < ?2"
                                      : "DELETE FROM archive WHERE store = ?1 AND when_ms < ?2 AND user = ?3");
    st.bindText(1, store_);
    st.bindInt(2, when);
    if (!user.empty()) st.bindText(3, user);
    st.step();
    return conn_->changes();
  }

  void removeAll(std::string_view user) override {
    auto guard = conn_->lock();
    Statement st = conn_->prepare("DELETE FROM archive WHERE store = ?1 AND user = ?2");
    st.bindText(1, store_);
    st.bindText(2, user);
    st.step();
  }

  std::vector<std::string> owners() override {
    auto guard = conn_->lock();
    Statement st = conn_->prepare("SELECT DISTINCT user FROM archive WHERE store = ?1 ORDER BY user");
    st.bindText(1, store_);
    std::vector<std::string> out;
    while (st.step()) out.push_back(st.columnText(0));
    return out;
  }

 private:
  std::int64_t seqOf(std::string_view user, std::string_view id) {
    Statement st = conn_->prepare("SELECT seq FROM archive WHERE store = ?1 AND user = ?2 AND id = ?3");
    st.bindText(1, store_);
    st.bindText(2, user);
    st.bindText(3, id);
    if (!st.step()) throw ItemNotFoundError();
    return st.columnInt(0);
  }

  // Binds the parameters named by filterSql(); numbering is fixed so each SQL variant caches once.
  void bindFilters(Statement& st, std::string_view user, const ArchiveQuery& q) {
    st.bindText(1, store_);
    st.bindText(2, user);
    if (q.with) st.bindText(3, *q.with);
    if (q.start) st.bindInt(4, *q.start);
    if (q.end) st.bindInt(5, *q.end);
  }

  static std::string filterSql(const ArchiveQuery& q) {
    std::string sql = "store = ?1 AND user = ?2";
    if (q.with) sql += " AND with_jid = ?3";
    if (q.start) sql += " AND when_ms >= ?4";
    if (q.end) sql += " AND when_ms <= ?5";
    return sql;
  }

  ArchivePage queryLocked(std::string_view user, const ArchiveQuery& q) {
    std::optional<std::int64_t> after, before;
    if (q.afterId) after = seqOf(user, *q.afterId);
    if (q.beforeId) before = seqOf(user, *q.beforeId);
    const std::string filters = filterSql(q);

    ArchivePage page;
    {
      Statement st = conn_->prepare("SELECT count(*) FROM archive WHERE " + filters);
      bindFilters(st, user, q);
      if (st.step()) page.total = static_cast<std::size_t>(st.columnInt(0));
    }

    const bool backward = q.reverse || q.beforeId.has_value();
    std::string sql = "SELECT id, when_ms, with_jid, value FROM archive WHERE " + filters;
    if (after) sql += " AND seq > ?6";
    if (before) sql += " AND seq < ?7";
    sql += backward ? " ORDER BY seq DESC LIMIT ?8" : " ORDER BY seq ASC LIMIT ?8";
    Statement st = conn_->prepare(sql);
    bindFilters(st, user, q);
    if (after) st.bindInt(6, *after);
    if (before) st.bindInt(7, *before);
    // One row more than asked for tells whether the page is the last one.
    constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
    st.bindInt(8, q.limit >= kMax ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(q.limit) + 1);
    page.complete = true;
    while (st.step()) {
      if (page.items.size() == q.limit) {
        page.complete = false;
        break;
      }
      page.items.push_back(ArchiveItem{st.columnText(0), st.columnInt(1), st.columnText(2), st.columnBlob(3)});
    }
    if (backward) std::reverse(page.items.begin(), page.items.end());
    return page;
  }

  std::shared_ptr<Connection> conn_;
  std::string store_;
};

class SqliteDriver final : public StorageDriver {
 public:
  explicit SqliteDriver(std::shared_ptr<Connection> conn) : conn_(std::move(conn)) {}

  std::string_view name() const override { return "sqlite"; }
  std::shared_ptr<KeyValStore> keyval(std::string_view store) override {
    return std::make_shared<SqliteKeyValStore>(conn_, std::string(store));
  }
  std::shared_ptr<MapStore> map(std::string_view store) override {
    return std::make_shared<SqliteMapStore>(conn_, std::string(store));
  }
  std::shared_ptr<ArchiveStore> archive(std::string_view store) override {
    return std::make_shared<SqliteArchiveStore>(conn_, std::string(store));
  }
  void transaction(const std::function<void()>& fn) override { conn_->transaction(fn, true); }
  void snapshot(const std::function<void()>& fn) override { conn_->transaction(fn, false); }
  void removeUser(std::string_view user) override {
    conn_->transaction(
        [&] {
          for (const char* sql : {"DELETE FROM keyval WHERE user = ?1", "DELETE FROM map WHERE user = ?1",
                                  "DELETE FROM archive WHERE user = ?1"}) {
            Statement st = conn_->prepare(sql);
            st.bindText(1, user);
            while (st.step()) {
            }
          }
        },
        true);
  }

 private:
  std::shared_ptr<Connection> conn_;  // shared with the stores so they may outlive the driver
};

}  // namespace

namespace detail {

std::unique_ptr<StorageDriver> openSqliteDriver(const std::filesystem::path& file,
                                                std::span<const SqliteMigration> migrations) {
  return std::make_unique<SqliteDriver>(std::make_shared<Connection>(file, migrations));
}

}  // namespace detail

std::unique_ptr<StorageDriver> openSqliteDriver(const std::filesystem::path& file) {
  return detail::openSqliteDriver(file, detail::sqliteMigrations());
}

}  // namespace telex::storage
