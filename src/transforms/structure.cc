// Transforms of the data's shape and schema: Flatten (nested structs and maps into one level,
// names joined by a delimiter) and SetSchemaMetadata (a new schema name and/or version).
#include "transforms/transforms.h"
#include "transforms/util.h"

namespace kpipe {

namespace {

class Flatten : public KeyValueTransform {
 public:
  using KeyValueTransform::KeyValueTransform;

  Status configure(const Config& config) override {
    delimiter_ = config.str("delimiter");
    return Status::Ok();
  }

 private:
  static constexpr const char* kPurpose = "flattening";

  std::string name(const std::string& prefix, const std::string& field) const {
    return prefix.empty() ? field : prefix + delimiter_ + field;
  }

  Status flatten_map(Map& in, const std::string& prefix, Map* out) const {
    for (size_t i = 0; i < in.keys.size(); ++i) {
      const std::string key = in.keys[i].is<std::string>() ? in.keys[i].as<std::string>() : "";
      const std::string field = name(prefix, key);
      Value& v = in.values[i];
      if (v.is<Map>()) {
        KPIPE_RETURN_IF_ERROR(flatten_map(v.as<Map>(), field, out));
      } else if (v.is<Decimal>()) {
        // ConnectSchema.schemaType knows no BigDecimal.
        return Status::Runtime(
            "Flatten transformation was passed a value of type class java.math.BigDecimal which "
            "is not supported by Connect's data API");
      } else if (v.is<Struct>()) {
        return Status::Runtime("Flatten transformation does not support class " + java_class(v) +
                               " for record without schemas (for field " + field + ").");
      } else {
        out->keys.emplace_back(field);
        out->values.push_back(std::move(v));
      }
    }
    return Status::Ok();
  }

  Status apply_schemaless(const Record&, Value& value) override {
    if (value.is_null()) return Status::Ok();
    KPIPE_RETURN_IF_ERROR(require_map(value, kPurpose));
    Map out;
    KPIPE_RETURN_IF_ERROR(flatten_map(value.as<Map>(), "", &out));
    value = Value(std::move(out));
    return Status::Ok();
  }

  // Flatten.buildUpdatedSchema: leaves optional when they or an ancestor are, their default
  // their own or else the enclosing struct default's.
  Status build(const Schema& in, const std::string& prefix, bool optional,
               const Value* parent_default, Schema* out) const {
    for (size_t i = 0; i < in.fields.size(); ++i) {
      const Field& f = in.fields[i];
      const std::string field = name(prefix, f.name);
      const bool field_optional = optional || f.schema->optional;
      const Value* fallback = nullptr;
      if (f.schema->default_value && !f.schema->default_value->is_null()) {
        fallback = &*f.schema->default_value;
      } else if (parent_default && parent_default->is<Struct>()) {
        fallback = &parent_default->as<Struct>().fields[i];
      }
      if (f.schema->type == Type::kStruct) {
        KPIPE_RETURN_IF_ERROR(build(*f.schema, field, field_optional, fallback, out));
      } else if (f.schema->type == Type::kMap) {
        return Status::Runtime(
            "Flatten transformation does not support MAP for record with schemas (for field " +
            field + ").");
      } else {
        Schema leaf;
        leaf.type = f.schema->type;
        copy_schema_basics(*f.schema, &leaf);
        leaf.items = f.schema->items;
        leaf.optional = field_optional;
        if (fallback && !fallback->is_null()) leaf.default_value = *fallback;
        out->fields.push_back(Field{field, std::make_shared<const Schema>(std::move(leaf))});
      }
    }
    return Status::Ok();
  }

  // Flatten.buildWithSchema reads fields with Struct.get: a null field, a nested struct too, is
  // its schema's default (a null nested struct with a default struct flattens that default).
  static void flatten_struct(const Schema& schema, Value* value, Struct* out) {
    for (size_t i = 0; i < schema.fields.size(); ++i) {
      const Schema& field = *schema.fields[i].schema;
      Value* v = value ? &value->as<Struct>().fields[i] : nullptr;
      Value fallback;
      if (v && v->is_null() && field.default_value) {
        fallback = *field.default_value;
        v = &fallback;
      }
      if (field.type == Type::kStruct) {
        flatten_struct(field, v && v->is<Struct>() ? v : nullptr, out);
      } else {
        out->fields.push_back(v ? std::move(*v) : Value());
      }
    }
  }

  Status apply_schemaful(const Record&, SchemaPtr& schema, Value& value) override {
    if (value.is_null()) return Status::Ok();
    KPIPE_RETURN_IF_ERROR(require_struct(value, schema.get(), kPurpose));
    Status st;
    const SchemaPtr* updated = cache_.get(
        schema,
        [&](SchemaPtr* out) {
          Schema s = copy_schema_basics(*schema);
          const Value* d = schema->default_value ? &*schema->default_value : nullptr;
          KPIPE_RETURN_IF_ERROR(build(*schema, "", schema->optional, d, &s));
          KPIPE_RETURN_IF_ERROR(check_unique_fields(s));
          *out = std::make_shared<const Schema>(std::move(s));
          return Status::Ok();
        },
        &st);
    if (!updated) return st;
    Struct out;
    out.fields.reserve((*updated)->fields.size());
    flatten_struct(*schema, &value, &out);
    value = Value(std::move(out));
    schema = *updated;
    return Status::Ok();
  }

  std::string delimiter_;
  SchemaCache<SchemaPtr> cache_;
};

class SetSchemaMetadata : public KeyValueTransform {
 public:
  using KeyValueTransform::KeyValueTransform;

  Status configure(const Config& config) override {
    if (config.has("schema.name")) name_ = config.str("schema.name");
    if (config.has("schema.version"))
      version_ = static_cast<int32_t>(config.integer("schema.version"));
    if (!name_ && !version_)
      return Status::Invalid(config.location.to_string() + ": " + config.scope +
                             ": Neither schema name nor version configured");
    with_default_ = config.boolean("replace.null.with.default");
    return Status::Ok();
  }

 private:
  Status apply_schemaless(const Record&, Value& value) override {
    if (value.is_null()) return Status::Ok();
    return require_schema(nullptr, "updating schema metadata");
  }

  Status apply_schemaful(const Record&, SchemaPtr& schema, Value& value) override {
    Status st;
    const SchemaPtr* updated = cache_.get(
        schema,
        [&](SchemaPtr* out) {
          Schema s = *schema;
          if (name_) s.name = name_;
          if (version_) s.version = version_;
          *out = std::make_shared<const Schema>(std::move(s));
          return Status::Ok();
        },
        &st);
    if (value.is<Struct>() && schema->type == Type::kStruct) {
      Struct& s = value.as<Struct>();
      for (size_t i = 0; i < s.fields.size(); ++i)
        s.fields[i] = struct_get(s, *schema, i, with_default_);
    }
    schema = *updated;
    return Status::Ok();
  }

  std::optional<std::string> name_;
  std::optional<int32_t> version_;
  bool with_default_ = true;
  SchemaCache<SchemaPtr> cache_;
};

}  // namespace

void register_structure_transforms(Registry& registry) {
  add_key_value_transform(
      registry, "Flatten",
      "Flatten nested structs and maps into one level, names joined by the "
      "delimiter",
      {{"delimiter", FieldType::kString, ".", false, "Joins a parent's and a child's field names"}},
      [](bool key) { return std::make_unique<Flatten>(key); });
  add_key_value_transform(
      registry, "SetSchemaMetadata", "Set the schema's name and/or version",
      {{"schema.name", FieldType::kString, std::nullopt, false, "Schema name to set"},
       {"schema.version", FieldType::kInt, std::nullopt, false, "Schema version to set"},
       replace_null_with_default_field()},
      [](bool key) { return std::make_unique<SetSchemaMetadata>(key); });
}

}  // namespace kpipe
