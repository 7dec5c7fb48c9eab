// Fuzz target: the reader of Kafka Connect's offsets file (a Java serialization stream) over
// arbitrary bytes. It may refuse them, but never crash; what it accepts it must write back so that
// it reads again the same, and offsets put into it must leave a file that reads again. (Putting
// back the offsets a file holds may change it when it lists a partition twice.)
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "connect/java_offsets.h"

namespace {

bool same(const kpipe::JavaOffsetsFile& a, const kpipe::JavaOffsetsFile& b) {
  return a.entries == b.entries && a.capacity == b.capacity && a.threshold == b.threshold &&
         std::memcmp(&a.load_factor, &b.load_factor, sizeof(float)) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  kpipe::JavaOffsetsFile file;
  kpipe::Status st = kpipe::parse_java_offsets(bytes, "fuzz", &file);
  if (!st.ok()) {
    if (st.message().rfind("fuzz: ", 0) != 0) throw std::logic_error("error without the path");
    return 0;
  }
  const std::string written = kpipe::serialize_java_offsets(file);
  kpipe::JavaOffsetsFile again;
  if (!kpipe::parse_java_offsets(written, "fuzz", &again).ok() || !same(file, again) ||
      kpipe::serialize_java_offsets(again) != written)
    throw std::logic_error("offsets file changed through a write and read");

  for (const std::string& connector : kpipe::connector_names(file)) {
    std::vector<std::pair<kpipe::Json, std::optional<kpipe::Json>>> offsets;
    for (auto& [partition, offset] : kpipe::connector_offsets(file, connector))
      offsets.emplace_back(partition, offset);
    kpipe::put_connector_offsets(&file, connector, offsets);
  }
  kpipe::put_connector_offsets(&file, "fuzz",
                               {{kpipe::Json{{"f", 1}}, kpipe::Json{{"position", 2}}}});
  if (!kpipe::parse_java_offsets(kpipe::serialize_java_offsets(file), "fuzz", &again).ok() ||
      kpipe::connector_offsets(again, "fuzz").empty())
    throw std::logic_error("a file with a new offset does not read back");
  return 0;
}
