// Fuzz target: the JsonConverter reading arbitrary bytes, with and without schemas; whatever it
// accepts must serialize again.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "converters.h"

namespace {

std::unique_ptr<kpipe::Converter> make(bool schemas) {
  kpipe::Config config;
  config.values["schemas.enable"] = schemas;
  config.values["decimal.format"] = std::string("base64");
  auto c = kpipe::make_json_converter();
  if (!c->configure(config, false).ok()) throw std::logic_error("configure");
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto with_schemas = make(true);
  static auto without = make(false);
  const std::optional<std::string> bytes(std::string(reinterpret_cast<const char*>(data), size));
  for (auto* c : {with_schemas.get(), without.get()}) {
    kpipe::SchemaAndValue out;
    if (!c->from_bytes("t", bytes, &out).ok()) continue;
    std::optional<std::string> again;
    if (!c->to_bytes("t", out.schema, out.value, &again).ok())
      throw std::logic_error("a value from_bytes accepted could not be written back");
  }
  return 0;
}
