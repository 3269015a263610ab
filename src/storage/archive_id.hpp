// Generates archive item ids shared by every storage driver.
#pragma once

#include <string>

namespace telex::storage {

// 16 lowercase base32 characters (80 bits from the kernel's CSPRNG), so ids are unguessable.
std::string newArchiveId();

}  // namespace telex::storage
