// Fuzz target: pipeline YAML text through parsing, substitution and every component's spec.
#include <cstddef>
#include <cstdint>
#include <string>

#include "pipeline.h"
#include "registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const kpipe::Registry* registry = [] {
    auto* r = new kpipe::Registry();
    kpipe::register_builtins(*r);
    return r;
  }();
  kpipe::Pipeline pipeline;
  (void)kpipe::parse_pipeline(std::string(reinterpret_cast<const char*>(data), size),
                              "/fuzz/p.yaml", *registry, &pipeline);
  return 0;
}
