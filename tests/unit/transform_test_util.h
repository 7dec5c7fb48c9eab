// Shared by the transform tests: build a transform or predicate by its Connect name from
// key/value text, as a pipeline file's block would give it.
#pragma once

#include <doctest/doctest.h>

#include <functional>
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

// ---- helpers the transform tests share -----------------------------------------------------

inline bool has(const Status& st, const std::string& text) {
  return st.message().find(text) != std::string::npos;
}

inline Map map_of(std::initializer_list<std::pair<std::string, Value>> entries) {
  Map m;
  for (const auto& [k, v] : entries) {
    m.keys.emplace_back(k);
    m.values.push_back(v);
  }
  return m;
}

inline std::vector<std::string> map_keys(const Value& value) {
  std::vector<std::string> out;
  for (const auto& k : value.as<Map>().keys) out.push_back(k.as<std::string>());
  return out;
}

inline Value map_get(const Value& value, const std::string& key) {
  const Map& m = value.as<Map>();
  for (size_t i = 0; i < m.keys.size(); ++i)
    if (m.keys[i].is<std::string>() && m.keys[i].as<std::string>() == key) return m.values[i];
  return Value("<absent>");
}

inline SchemaPtr with(const SchemaPtr& base, const std::function<void(Schema&)>& edit) {
  Schema copy = *base;
  edit(copy);
  return std::make_shared<const Schema>(std::move(copy));
}

inline SchemaPtr prim(Type type, bool optional = false) {
  return Schema::primitive(type, optional);
}

inline std::vector<std::string> field_names(const Schema& s) {
  std::vector<std::string> out;
  for (const auto& f : s.fields) out.push_back(f.name);
  return out;
}

inline Record apply_ok(const std::string& type, const Keys& keys, Record r) {
  auto t = transform(type, keys);
  Status st = t->apply(r);
  INFO(st.message());
  REQUIRE(st.ok());
  return r;
}

}  // namespace kpipe::testing
