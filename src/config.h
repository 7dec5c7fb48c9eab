// ConfigSpec and Config: every component declares one ConfigSpec; that spec alone drives YAML
// parsing into typed values, `kpipe validate`, `kpipe describe` and `kpipe plugins`. No component
// parses its YAML block by hand.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
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

// What a connector stands for in Kafka Connect, read by `kpipe connect-standalone`, `kpipe
// convert` and `kpipe connect export` (src/connect/). Each connector declares its own; the
// Connect side of the pipeline (the Kafka sink of a source connector, the Kafka source of a sink
// connector) is the worker's, not the connector's.
struct ConnectSpec {
  std::string connector_class;       // written on export, e.g. io.confluent...JdbcSourceConnector
  std::vector<std::string> aliases;  // other names a connector file may use (FileStreamSource)
  // Connect keys kpipe names differently: {Connect key, kpipe key}.
  std::vector<std::pair<std::string, std::string>> renamed;
  // Connect keys kpipe accepts and does not use: {key, why}; a run logs the reason.
  std::vector<std::pair<std::string, std::string>> ignored;
  // kpipe keys a Connect connector implies where kpipe's default differs: {key, value}.
  std::vector<std::pair<std::string, std::string>> implied;
  // kpipe keys the Connect connector has no counterpart for: an export refuses them when set.
  std::vector<std::string> kpipe_only;
  // kpipe keys (a trailing '.' names a prefix) for kpipe's own way to the system, left out of an
  // export, and the Connect keys that take their place (the user passes them with --set).
  std::vector<std::string> not_exported;
  std::vector<std::string> export_needs;
  // Connect keys an export sets when the pipeline leaves them to kpipe's default: {key, value};
  // "${pipeline}" in a value is the pipeline's name (the file source's topic).
  std::vector<std::pair<std::string, std::string>> export_defaults;
  // Source partitions, where Connect's form differs from kpipe's (a relative file name).
  std::function<nlohmann::json(const class Config&, const nlohmann::json&)> partition_to_kpipe;
  std::function<nlohmann::json(const class Config&, const nlohmann::json&)> partition_to_connect;

  bool empty() const { return connector_class.empty(); }
  // The class itself, an alias, or either's simple name, with or without "Connector" (Connect's
  // resolution rule).
  bool matches(const std::string& name) const;
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
  ConnectSpec connect;  // connectors only

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

// A value as text: lists as [a, b], objects as [{k: v}], booleans as true/false.
std::string value_text(const ConfigValue& v);

// A key whose value is a secret by its name (password, secret; any case), for keys no spec
// declares: librdkafka pass-through keys, Connect connector keys.
bool looks_secret_key(const std::string& key);

// The closest string by edit distance, or "" when nothing is close.
std::string closest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace kpipe
