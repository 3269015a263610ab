// Archive item id generation from getrandom(2).
#include "storage/archive_id.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "storage/store.hpp"

namespace telex::storage {

std::string newArchiveId() {
  constexpr std::size_t kBytes = 10;  // 80 bits = 16 base32 characters exactly
  unsigned char bytes[kBytes];
  std::size_t got = 0;
  while (got < kBytes) {
    ssize_t n = ::getrandom(bytes + got, kBytes - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw StorageError(std::string("getrandom failed: ") + std::strerror(errno));
    }
    got += static_cast<std::size_t>(n);
  }
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string id;
  id.reserve(16);
  for (std::size_t i = 0; i < kBytes; i += 5) {
    std::uint64_t chunk = 0;
    for (std::size_t j = 0; j < 5; ++j) chunk = (chunk << 8) | bytes[i + j];
    for (int k = 7; k >= 0; --k) id.push_back(kAlphabet[(chunk >> (k * 5)) & 31]);
  }
  return id;
}

}  // namespace telex::storage
