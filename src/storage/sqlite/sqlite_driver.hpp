// The SQLite storage driver: one WAL-mode database file shared by telexd and the CLI.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string_view>

#include "storage/store.hpp"

namespace telex::storage {

// Opens (creating if needed) and migrates the database. Throws StorageError when the file cannot
// be opened, is not a database, or was written by a newer Telex (its schema version is unknown).
std::unique_ptr<StorageDriver> openSqliteDriver(const std::filesystem::path& file);

namespace detail {

// One schema upgrade step; `version` is what PRAGMA user_version becomes after `sql` runs.
struct SqliteMigration {
  int version;
  std::string_view sql;
};

// The schema steps this build knows, in order; the last version is the current schema version.
std::span<const SqliteMigration> sqliteMigrations();
int sqliteSchemaVersion();

// As openSqliteDriver but with an explicit migration list (versions 1, 2, 3...), for tests.
std::unique_ptr<StorageDriver> openSqliteDriver(const std::filesystem::path& file,
                                                std::span<const SqliteMigration> migrations);

}  // namespace detail
}  // namespace telex::storage
