// Shared by the transform tests: build a transform or predicate by its Connect name from
// key/value text, as a pipeline file's block would give it.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "registry.h"
#include "transforms/transform.h"

namespace kpipe::testing {

using Keys = std::vector<std::pair<std::string, std::string>>;

inline const Registry& registry() {
  static const Registry r = [] {
    Registry out;
    register_builtins(out);
    return out;
  }();
  return r;
}

// The configure() outcome (spec parsing, then the transform's own checks) for `type` with `keys`.
inline Status configure_status(const std::string& type, const Keys& keys) {
  const auto* entry = registry().transform(type);
  REQUIRE_MESSAGE(entry, "no transform " << type);
  Config config;
  return parse_config(entry->spec, keys, "transforms.t", &config);  // the spec's check configures
}

// A configured transform; fails the test when configuration fails.
inline std::unique_ptr<Transform> transform(const std::string& type, const Keys& keys) {
  const auto* entry = registry().transform(type);
  REQUIRE_MESSAGE(entry, "no transform " << type);
  Config config;
  Status st = parse_config(entry->spec, keys, "transforms.t", &config);
  REQUIRE_MESSAGE(st.ok(), st.message());
  auto t = entry->make();
  st = t->configure(config);
  REQUIRE_MESSAGE(st.ok(), st.message());
  return t;
}

inline std::unique_ptr<Predicate> predicate(const std::string& type, const Keys& keys) {
  const auto* entry = registry().predicate(type);
  REQUIRE_MESSAGE(entry, "no predicate " << type);
  Config config;
  Status st = parse_config(entry->spec, keys, "predicates.p", &config);
  REQUIRE_MESSAGE(st.ok(), st.message());
  auto p = entry->make();
  st = p->configure(config);
  REQUIRE_MESSAGE(st.ok(), st.message());
  return p;
}

}  // namespace kpipe::testing
