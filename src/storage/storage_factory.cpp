// Maps a driver name from the configuration to a storage driver instance.
#include "storage/storage_factory.hpp"

#include <string>
#include <system_error>

#include "storage/memory/memory_driver.hpp"
#include "storage/sqlite/sqlite_driver.hpp"

namespace telex::storage {

std::unique_ptr<StorageDriver> openStorage(std::string_view driver, const std::filesystem::path& dataDir) {
  if (driver == "memory") return makeMemoryDriver();
  if (driver == "sqlite") {
    std::error_code ec;
    std::filesystem::create_directories(dataDir, ec);  // a fresh install has no data folder yet
    if (ec) throw StorageError("cannot create data directory " + dataDir.string() + ": " + ec.message());
    return openSqliteDriver(dataDir / "telex.db");
  }
  throw StorageError("unknown storage driver \"" + std::string(driver) + "\" (known: sqlite, memory)");
}

}  // namespace telex::storage
