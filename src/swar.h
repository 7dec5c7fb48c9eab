// Eight bytes at a time ("SIMD within a register"): tests for the byte scans that run once per
// byte of every record (JSON and COPY escaping, COPY field and line splitting). Each returns a
// word whose high bits mark matching bytes; it is non-zero exactly when some byte matches.
#pragma once

#include <cstdint>
#include <cstring>

namespace kpipe::swar {

inline constexpr uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr uint64_t kHighs = 0x8080808080808080ULL;

inline uint64_t load(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
// Some byte equals c.
inline uint64_t equal(uint64_t v, unsigned char c) {
  const uint64_t x = v ^ (kOnes * c);
  return (x - kOnes) & ~x & kHighs;
}
// Some byte is below n (n <= 128).
inline uint64_t below(uint64_t v, unsigned char n) {
  return (v - kOnes * n) & ~v & kHighs;
}
// Some byte is 0x80 or above.
inline uint64_t high(uint64_t v) {
  return v & kHighs;
}

}  // namespace kpipe::swar
