// ConfigSpec and Config: every component declares one ConfigSpec; that spec alone drives YAML
// parsing into typed values, `kpipe validate`, `kpipe describe` and `kpipe plugins`. No component
// parses its YAML block by hand.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "status.h"

namespace YAML {
class Node;
}

namespace kpipe {

// kObjects: a list of flat mappings, e.g. field.mapping: [{source: "cf:id", target: id}].
enum class FieldType { kString, kInt, kDouble, kBool, kList, kObjects };
const char* field_type_name(FieldType type);

struct FieldSpec {
  std::string name;
  FieldType type = FieldType::kString;
  std::optional<std::string> default_value;  // text form, parsed like YAML input; nullopt = none
  bool required = false;
  std::string description;
  std::vector<std::string> allowed;  // allowed values for strings; empty = any
  bool secret = false;               // never printed: validate, describe, logs, errors
  std::optional<int64_t> min, max;   // bounds for kInt
};

// kPipeline: a block of the pipeline file itself (errors:), not a plugin.
enum class ComponentKind { kSource, kSink, kConverter, kTransform, kPredicate, kPipeline };
const char* kind_name(ComponentKind kind);

struct ConfigSpec {
  std::string name;
  ComponentKind kind = ComponentKind::kSource;
  std::string summary;
  std::vector<FieldSpec> fields;
  // Keys not in `fields` are kept in Config::passthrough instead of rejected (e.g. librdkafka
  // properties handed to the client, which validates them itself).
  bool passthrough = false;
  std::string passthrough_description;
  // Rules across keys (mode timestamp needs timestamp.column.name, ...), run after parsing, so
  // `kpipe validate` reports them too.
  std::function<Status(const class Config&)> check;
  // What the component is called in Kafka Connect, where it is one of Connect's own (a
  // transform's class name); the pipeline file accepts it as well as `name`.
  std::string connect_class;

  const FieldSpec* find(const std::string& key) const;
};

// One mapping of a kObjects list: keys and values as written, in file order.
using ConfigObject = std::vector<std::pair<std::string, std::string>>;
using ConfigValue = std::variant<std::string, int64_t, double, bool, std::vector<std::string>,
                                 std::vector<ConfigObject>>;

// Where a key was written, for error messages: "pipeline.yaml:12:5".
struct Location {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based
  std::string to_string() const;
};

class Config {
 public:
  // Typed getters; the spec guarantees the type and the presence of defaults. Asking for a key
  // the spec does not declare is a programming error (throws std::logic_error).
  const std::string& str(const std::string& key) const;
  int64_t integer(const std::string& key) const;
  double real(const std::string& key) const;
  bool boolean(const std::string& key) const;
  const std::vector<std::string>& list(const std::string& key) const;
  const std::vector<ConfigObject>& objects(const std::string& key) const;
  // True when the user set the key or it has a default.
  bool has(const std::string& key) const;
  // True when the user wrote the key.
  bool user_set(const std::string& key) const;
  Location where(const std::string& key) const;
  // Error naming the key and where it was written: "pipeline.yaml:7:3: source.file: <msg>".
  Status invalid(const std::string& key, const std::string& msg) const;

  // Keys outside the spec (spec.passthrough), in file order, values as written.
  std::vector<std::pair<std::string, std::string>> passthrough;

  std::string scope;  // "source", "sink", "converter.value", ...
  Location location;  // where the block starts
  std::map<std::string, ConfigValue> values;
  std::map<std::string, Location> locations;
  std::map<std::string, bool> set_by_user;
};

// Parses a YAML mapping against `spec`. Errors name file:line:column and the key; an unknown key
// names the closest allowed key. `skip` lists keys the caller handles (e.g. "connector").
Status parse_config(const ConfigSpec& spec, const YAML::Node& block, const std::string& file,
                    const std::string& scope, const std::vector<std::string>& skip, Config* out);

// Parses a flat key → text map (CLI flags, converter options) against `spec`.
Status parse_config(const ConfigSpec& spec,
                    const std::vector<std::pair<std::string, std::string>>& entries,
                    const std::string& scope, Config* out);

// The closest string by edit distance, or "" when nothing is close.
std::string closest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace kpipe
