// What every transform shares, so none repeats it: the Key/Value and schemaful/schemaless
// dispatch (KeyValueTransform), Connect's Requirements messages, SchemaUtil.copySchemaBasics,
// Struct.get with the field's default, a per-input-schema cache of what a transform builds, and
// the registration of a transform under its short and Connect class names.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config.h"
#include "record.h"
#include "registry.h"
#include "schema.h"
#include "status.h"
#include "transforms/transform.h"
#include "value.h"

namespace kpipe {

// A transform with $Key and $Value variants: works on the record's key or value, through its
// schema when there is one (a Struct) and without (a Map).
class KeyValueTransform : public Transform {
 public:
  explicit KeyValueTransform(bool key) : key_(key) {}
  Status apply(Record& record) final {
    SchemaPtr& schema = key_ ? record.key_schema : record.value_schema;
    Value& value = key_ ? record.key : record.value;
    return schema ? apply_schemaful(record, schema, value) : apply_schemaless(record, value);
  }

 protected:
  virtual Status apply_schemaful(const Record& record, SchemaPtr& schema, Value& value) = 0;
  virtual Status apply_schemaless(const Record& record, Value& value) = 0;
  bool key_;
};

// The Java class Connect would hold the value as: "java.lang.Integer" (an int32 schema),
// "java.util.HashMap", "org.apache.kafka.connect.data.Struct", "null", ...
std::string java_class(const Value& value, const Schema* schema = nullptr);

// Connect's name of a type as Schema.Type prints it: "INT32", "STRUCT", ...
std::string upper_type_name(Type type);

// Connect's Requirements checks, with their exact messages.
Status require_map(const Value& value, const std::string& purpose);
Status require_struct(const Value& value, const Schema* schema, const std::string& purpose);
Status require_schema(const SchemaPtr& schema, const std::string& purpose);

// SchemaUtil.copySchemaBasics: a struct schema with `source`'s name, version, doc and
// parameters, and neither its optional flag nor its default.
Schema copy_schema_basics(const Schema& source);
// The same onto a schema of another type (Cast's whole-value cast).
void copy_schema_basics(const Schema& source, Schema* target);

// Struct.get(field): the stored value, or the field schema's default when it is null and
// `with_default` (replace.null.with.default); Struct.getWithoutDefault otherwise.
const Value& struct_get(const Struct& value, const Schema& schema, size_t field, bool with_default);

// Struct.get for every field at once: null fields become their schema's default where it has
// one (replace.null.with.default); a no-op otherwise.
void fill_defaults(Struct& value, const Schema& schema, bool with_default);

// Connect's "Cannot create field because of field name duplication <name>" check, for schemas a
// transform builds field by field.
Status check_unique_fields(const Schema& schema);

// What a transform builds from one input schema (output schema, field indexes), kept for the
// 16 schemas seen last (Connect's SynchronizedCache of an LRUCache of 16): no schema is built per
// record. The cache holds the input schema, so its address stays its own.
template <typename Plan>
class SchemaCache {
 public:
  // The plan for `input`, built by `build` (Status(Plan*)) on a miss; nullptr when it fails.
  template <typename Build>
  const Plan* get(const SchemaPtr& input, Build&& build, Status* status) {
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].first.get() != input.get()) continue;
      if (i != 0) std::swap(entries_[i], entries_[0]);
      return &entries_[0].second;
    }
    Plan plan;
    *status = build(&plan);
    if (!status->ok()) return nullptr;
    if (entries_.size() >= kSize) entries_.pop_back();
    entries_.emplace(entries_.begin(), input, std::move(plan));
    return &entries_[0].second;
  }

 private:
  static constexpr size_t kSize = 16;
  std::vector<std::pair<SchemaPtr, Plan>> entries_;
};

// Connect's package for a transform's short name: "InsertField$Value" ->
// "org.apache.kafka.connect.transforms.InsertField$Value".
inline const char* kTransformsPackage = "org.apache.kafka.connect.transforms.";
inline const char* kPredicatesPackage = "org.apache.kafka.connect.transforms.predicates.";

// Registers a transform: its spec's connect_class is set from the package, and its check runs
// configure() on a fresh instance, so `kpipe validate` reports what configure() refuses.
void add_transform(Registry& registry, ConfigSpec spec,
                   std::function<std::unique_ptr<Transform>()> make);
// Registers Name$Key and Name$Value with the same keys; make(true) builds the $Key variant.
void add_key_value_transform(Registry& registry, const std::string& name,
                             const std::string& summary, std::vector<FieldSpec> fields,
                             std::function<std::unique_ptr<Transform>(bool key)> make);
void add_predicate(Registry& registry, ConfigSpec spec,
                   std::function<std::unique_ptr<Predicate>()> make);

// Connect's replace.null.with.default key (3.9+).
FieldSpec replace_null_with_default_field();

}  // namespace kpipe
