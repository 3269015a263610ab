// Picks and opens the configured storage driver by name.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "storage/store.hpp"

namespace telex::storage {

// "sqlite" opens <dataDir>/telex.db (creating dataDir if missing); "memory" keeps nothing.
// Any other name throws StorageError.
std::unique_ptr<StorageDriver> openStorage(std::string_view driver, const std::filesystem::path& dataDir);

}  // namespace telex::storage
