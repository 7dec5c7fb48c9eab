// Fuzz target: the offsets file reader over arbitrary file contents. It may refuse a file, but
// never crash, and what it accepts it must write back and read again unchanged.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "offsets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/kpipe-fuzz-offsets-" + std::to_string(::getpid()) + ".json";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  std::unique_ptr<kpipe::OffsetStore> store;
  if (!kpipe::OffsetStore::open(path, "p", kpipe::OffsetStore::Mode::kRead, &store).ok()) return 0;
  const std::string before = store->to_kip875().dump();
  if (!store->commit({{kpipe::Json{{"fuzz", 1}}, kpipe::Json()}}).ok()) return 0;
  std::unique_ptr<kpipe::OffsetStore> again;
  if (!kpipe::OffsetStore::open(path, "p", kpipe::OffsetStore::Mode::kRead, &again).ok() ||
      again->to_kip875().dump() != before)
    throw std::logic_error("offsets changed through a write and read");
  return 0;
}
