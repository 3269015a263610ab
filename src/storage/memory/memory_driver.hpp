// The in-memory storage driver: thread-safe, nothing persisted; used by tests and throwaway servers.
#pragma once

#include <memory>

#include "storage/store.hpp"

namespace telex::storage {

std::unique_ptr<StorageDriver> makeMemoryDriver();

}  // namespace telex::storage
