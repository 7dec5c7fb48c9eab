#include "transforms/util.h"

#include <set>

namespace kpipe {

namespace {

const char* schema_class(const Schema& s) {
  switch (s.logical()) {
    case Logical::kDecimal:
      return "java.math.BigDecimal";
    case Logical::kDate:
    case Logical::kTime:
    case Logical::kTimestamp:
      return "java.util.Date";
    case Logical::kNone:
      break;
  }
  switch (s.type) {
    case Type::kInt8:
      return "java.lang.Byte";
    case Type::kInt16:
      return "java.lang.Short";
    case Type::kInt32:
      return "java.lang.Integer";
    case Type::kInt64:
      return "java.lang.Long";
    case Type::kFloat32:
      return "java.lang.Float";
    case Type::kFloat64:
      return "java.lang.Double";
    case Type::kBoolean:
      return "java.lang.Boolean";
    case Type::kString:
      return "java.lang.String";
    case Type::kBytes:
      return "[B";
    case Type::kArray:
      return "java.util.ArrayList";
    case Type::kMap:
      return "java.util.HashMap";
    case Type::kStruct:
      return "org.apache.kafka.connect.data.Struct";
  }
  return "java.lang.Object";
}

}  // namespace

std::string java_class(const Value& value, const Schema* schema) {
  if (value.is_null()) return "null";
  if (schema) return schema_class(*schema);
  switch (value.v.index()) {
    case 1:
      return "java.lang.Boolean";
    case 2:
      return "java.lang.Long";
    case 3:
      return "java.lang.Double";
    case 4:
      return "java.lang.String";
    case 5:
      return "[B";
    case 6:
      return "java.math.BigDecimal";
    case 7:
      return "java.util.ArrayList";
    case 8:
      return "java.util.HashMap";
    case 9:
      return "org.apache.kafka.connect.data.Struct";
  }
  return "java.lang.Object";
}

std::string upper_type_name(Type type) {
  static const char* const kNames[] = {"INT8",    "INT16",  "INT32", "INT64", "FLOAT32", "FLOAT64",
                                       "BOOLEAN", "STRING", "BYTES", "ARRAY", "MAP",     "STRUCT"};
  return kNames[static_cast<int>(type)];
}

Status require_map(const Value& value, const std::string& purpose) {
  if (value.is<Map>()) return Status::Ok();
  return Status::Runtime("Only Map objects supported in absence of schema for [" + purpose +
                         "], found: " + java_class(value));
}

Status require_struct(const Value& value, const Schema* schema, const std::string& purpose) {
  if (value.is<Struct>() && schema && schema->type == Type::kStruct) return Status::Ok();
  return Status::Runtime("Only Struct objects supported for [" + purpose +
                         "], found: " + java_class(value, schema));
}

Status require_schema(const SchemaPtr& schema, const std::string& purpose) {
  if (schema) return Status::Ok();
  return Status::Runtime("Schema required for [" + purpose + "]");
}

void copy_schema_basics(const Schema& source, Schema* target) {
  target->name = source.name;
  target->version = source.version;
  target->doc = source.doc;
  target->parameters = source.parameters;
}

Schema copy_schema_basics(const Schema& source) {
  Schema out;
  out.type = Type::kStruct;
  copy_schema_basics(source, &out);
  return out;
}

const Value& struct_get(const Struct& value, const Schema& schema, size_t field,
                        bool with_default) {
  const Value& stored = value.fields[field];
  if (!stored.is_null() || !with_default) return stored;
  const Schema& field_schema = *schema.fields[field].schema;
  return field_schema.default_value ? *field_schema.default_value : stored;
}

void fill_defaults(Struct& value, const Schema& schema, bool with_default) {
  if (!with_default) return;
  for (size_t i = 0; i < value.fields.size(); ++i)
    if (value.fields[i].is_null() && schema.fields[i].schema->default_value)
      value.fields[i] = *schema.fields[i].schema->default_value;
}

Status check_unique_fields(const Schema& schema) {
  std::set<std::string> seen;
  for (const auto& f : schema.fields)
    if (!seen.insert(f.name).second)
      return Status::Runtime("Cannot create field because of field name duplication " + f.name);
  return Status::Ok();
}

void add_transform(Registry& registry, ConfigSpec spec,
                   std::function<std::unique_ptr<Transform>()> make) {
  if (spec.connect_class.empty()) spec.connect_class = kTransformsPackage + spec.name;
  spec.kind = ComponentKind::kTransform;
  spec.check = [make](const Config& config) { return make()->configure(config); };
  registry.add_transform(std::move(spec), std::move(make));
}

void add_key_value_transform(Registry& registry, const std::string& name,
                             const std::string& summary, std::vector<FieldSpec> fields,
                             std::function<std::unique_ptr<Transform>(bool key)> make) {
  for (const bool key : {true, false}) {
    ConfigSpec spec;
    spec.name = name + (key ? "$Key" : "$Value");
    spec.summary = summary + (key ? " (the record key)" : " (the record value)");
    spec.fields = fields;
    add_transform(registry, std::move(spec), [make, key] { return make(key); });
  }
}

void add_predicate(Registry& registry, ConfigSpec spec,
                   std::function<std::unique_ptr<Predicate>()> make) {
  if (spec.connect_class.empty()) spec.connect_class = kPredicatesPackage + spec.name;
  spec.kind = ComponentKind::kPredicate;
  spec.check = [make](const Config& config) { return make()->configure(config); };
  registry.add_predicate(std::move(spec), std::move(make));
}

FieldSpec replace_null_with_default_field() {
  return {"replace.null.with.default", FieldType::kBool, "true", false,
          "Read a null field as its schema's default (Struct.get); false keeps the null "
          "(Struct.getWithoutDefault). Only for records with schemas"};
}

}  // namespace kpipe
