// What the two halves of AvroReader share (avro_read.cc builds the plan, avro_decode.cc runs
// it): the limits that keep a hostile schema or datum cheap, and a message builder.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

namespace kpipe::avro_read_detail {

constexpr uint32_t kNullBranch = UINT32_MAX;  // a union branch that is null
constexpr uint64_t kMaxEmptyItems = 1 << 16;  // items that take no bytes, per datum
constexpr uint64_t kMaxReserve = 4096;        // items reserved ahead of a block
constexpr size_t kMaxDecimalBytes = 65536;    // decimal digits are quadratic in the bytes
constexpr int64_t kNanosPerMilli = 1000000;
constexpr int64_t kMillisPerDay = 86400000;

// Concatenates strings and numbers, for messages.
template <typename... Args>
std::string cat(const Args&... args) {
  std::string out;
  auto add = [&out](const auto& a) {
    if constexpr (std::is_arithmetic_v<std::decay_t<decltype(a)>>)
      out += std::to_string(a);
    else
      out += a;
  };
  (add(args), ...);
  return out;
}

}  // namespace kpipe::avro_read_detail
