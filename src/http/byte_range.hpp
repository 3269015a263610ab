// The Range request header (RFC 9110 §14): which bytes of a resource a GET asks for.
#pragma once

#include <cstdint>
#include <string_view>

namespace telex::http {

struct ByteRange {
  enum class Kind {
    Full,           // no usable Range: send the whole resource with 200
    Partial,        // send [first, last] with 206 and Content-Range
    Unsatisfiable,  // 416 with "Content-Range: bytes */<size>"
  };
  Kind kind = Kind::Full;
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
  std::uint64_t length() const { return last - first + 1; }
};

// Interprets `header` for a resource of `size` bytes. Only one range is served: a header with
// several ranges, another unit or bad syntax is ignored (the whole resource is sent, which RFC 9110
// allows). "bytes=a-b", "bytes=a-" and "bytes=-n" (the last n bytes) are understood; `last` is
// clipped to the end of the resource.
ByteRange parseRange(std::string_view header, std::uint64_t size);

}  // namespace telex::http
