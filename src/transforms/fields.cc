// Transforms that add, drop, rename, mask, move or wrap fields: InsertField, ReplaceField,
// MaskField, ValueToKey, HoistField (ExtractField lives in extract_field.cc).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include "transforms/transforms.h"
#include "transforms/util.h"

namespace kpipe {

namespace {

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// A field's value in a schemaless map (null when absent), and a map put that replaces a key in
// place or appends it, as HashMap.put does.
const Value* map_get(const Map& map, const std::string& key) {
  for (size_t i = 0; i < map.keys.size(); ++i)
    if (map.keys[i].is<std::string>() && map.keys[i].as<std::string>() == key)
      return &map.values[i];
  return nullptr;
}

void map_put(Map& map, const std::string& key, Value value) {
  for (size_t i = 0; i < map.keys.size(); ++i) {
    if (map.keys[i].is<std::string>() && map.keys[i].as<std::string>() == key) {
      map.values[i] = std::move(value);
      return;
    }
  }
  map.keys.emplace_back(key);
  map.values.push_back(std::move(value));
}

// ---- InsertField -------------------------------------------------------------------------------

// "name!" is a required field, "name?" or "name" an optional one.
struct Insertion {
  std::string name;
  bool optional = true;
  static std::optional<Insertion> parse(const Config& config, const std::string& key) {
    if (!config.has(key) || config.str(key).empty()) return std::nullopt;
    std::string spec = config.str(key);
    Insertion out;
    if (spec.back() == '!' || spec.back() == '?') {
      out.optional = spec.back() == '?';
      spec.pop_back();
    }
    out.name = spec;
    return out;
  }
};

class InsertField : public KeyValueTransform {
 public:
  using KeyValueTransform::KeyValueTransform;

  Status configure(const Config& config) override {
    topic_ = Insertion::parse(config, "topic.field");
    partition_ = Insertion::parse(config, "partition.field");
    offset_ = Insertion::parse(config, "offset.field");
    timestamp_ = Insertion::parse(config, "timestamp.field");
    static_ = Insertion::parse(config, "static.field");
    if (config.has("static.value")) static_value_ = config.str("static.value");
    with_default_ = config.boolean("replace.null.with.default");
    if (!topic_ && !partition_ && !offset_ && !timestamp_ && !static_)
      return Status::Invalid(config.location.to_string() + ": " + config.scope +
                             ": No field insertion configured");
    if (static_ && !static_value_)
      return config.invalid("static.field",
                            "No value specified for static field: " + static_->name);
    return Status::Ok();
  }

 private:
  static constexpr const char* kPurpose = "field insertion";

  Status offset_of(const Record& r, int64_t* out) const {
    if (!r.kafka_offset)
      return Status::Runtime(
          "Only SinkRecord supported for [field insertion], found: "
          "org.apache.kafka.connect.source.SourceRecord");
    *out = *r.kafka_offset;
    return Status::Ok();
  }

  Status apply_schemaless(const Record& r, Value& value) override {
    if (value.is_null()) return Status::Ok();
    KPIPE_RETURN_IF_ERROR(require_map(value, kPurpose));
    Map& map = value.as<Map>();
    if (topic_) map_put(map, topic_->name, Value(r.topic));
    if (partition_ && r.partition) map_put(map, partition_->name, Value(*r.partition));
    if (offset_) {
      int64_t offset = 0;
      KPIPE_RETURN_IF_ERROR(offset_of(r, &offset));
      map_put(map, offset_->name, Value(offset));
    }
    if (timestamp_ && r.timestamp_ms) map_put(map, timestamp_->name, Value(*r.timestamp_ms));
    if (static_) map_put(map, static_->name, Value(*static_value_));
    return Status::Ok();
  }

  Status build(const Schema& in, SchemaPtr* out) const {
    Schema s = copy_schema_basics(in);
    s.fields = in.fields;
    auto add = [&](const std::optional<Insertion>& f, SchemaPtr schema) {
      if (f) s.fields.push_back(Field{f->name, std::move(schema)});
    };
    add(topic_, Schema::primitive(Type::kString, topic_ && topic_->optional));
    add(partition_, Schema::primitive(Type::kInt32, partition_ && partition_->optional));
    add(offset_, Schema::primitive(Type::kInt64, offset_ && offset_->optional));
    add(timestamp_, Schema::timestamp(timestamp_ && timestamp_->optional));
    add(static_, Schema::primitive(Type::kString, static_ && static_->optional));
    KPIPE_RETURN_IF_ERROR(check_unique_fields(s));
    *out = std::make_shared<const Schema>(std::move(s));
    return Status::Ok();
  }

  Status apply_schemaful(const Record& r, SchemaPtr& schema, Value& value) override {
    if (value.is_null()) return Status::Ok();
    KPIPE_RETURN_IF_ERROR(require_struct(value, schema.get(), kPurpose));
    Status st;
    const SchemaPtr* updated = cache_.get(
        schema, [&](SchemaPtr* out) { return build(*schema, out); }, &st);
    if (!updated) return st;
    Struct& s = value.as<Struct>();
    fill_defaults(s, *schema, with_default_);
    if (topic_) s.fields.emplace_back(r.topic);
    if (partition_) s.fields.push_back(r.partition ? Value(*r.partition) : Value());
    if (offset_) {
      int64_t offset = 0;
      KPIPE_RETURN_IF_ERROR(offset_of(r, &offset));
      s.fields.emplace_back(offset);
    }
    if (timestamp_) s.fields.push_back(r.timestamp_ms ? Value(*r.timestamp_ms * 1000000) : Value());
    if (static_) s.fields.emplace_back(*static_value_);
    schema = *updated;
    return Status::Ok();
  }

  std::optional<Insertion> topic_, partition_, offset_, timestamp_, static_;
  std::optional<std::string> static_value_;
  bool with_default_ = true;
  SchemaCache<SchemaPtr> cache_;
};

// ---- ReplaceField ------------------------------------------------------------------------------

class ReplaceField : public KeyValueTransform {
 public:
  using KeyValueTransform::KeyValueTransform;

  Status configure(const Config& config) override {
    exclude_ = aliased(config, "exclude", "blacklist");
    include_ = aliased(config, "include", "whitelist");
    for (const auto& mapping : config.list("renames")) {
      // Java's mapping.split(":") must give 2 parts; split drops trailing empty strings, so
      // "a:b:" is a -> b and "a:" is invalid.
      const size_t end = mapping.find_last_not_of(':');
      const std::string trimmed = end == std::string::npos ? "" : mapping.substr(0, end + 1);
      const size_t colon = trimmed.find(':');
      if (colon == std::string::npos || trimmed.find(':', colon + 1) != std::string::npos)
        return config.invalid("renames", "Invalid rename mapping: " + mapping);
      renames_[trimmed.substr(0, colon)] = trimmed.substr(colon + 1);
      reverse_[trimmed.substr(colon + 1)] = trimmed.substr(0, colon);
    }
    with_default_ = config.boolean("replace.null.with.default");
    return Status::Ok();
  }

 private:
  static constexpr const char* kPurpose = "field replacement";

  // Kafka 3.x: the deprecated key is used when the new one is not set.
  static std::vector<std::string> aliased(const Config& config, const std::string& key,
                                          const std::string& old_key) {
    if (config.user_set(old_key)) {
      if (config.user_set(key)) {
        spdlog::error("{}: both {} and the deprecated {} are set; using {}", config.scope, key,
                      old_key, key);
      } else {
        spdlog::warn("{}: {} is deprecated; use {}", config.scope, old_key, key);
        return config.list(old_key);
      }
    }
    return config.list(key);
  }

  bool keep(const std::string& name) const {
    return !contains(exclude_, name) && (include_.empty() || contains(include_, name));
  }
  const std::string& renamed(const std::string& name) const {
    auto it = renames_.find(name);
    return it == renames_.end() ? name : it->second;
  }

  Status apply_schemaless(const Record&, Value& value) override {
    if (value.is_null()) return Status::Ok();
    KPIPE_RETURN_IF_ERROR(require_map(value, kPurpose));
    Map in = std::move(value.as<Map>());
    Map out;
    for (size_t i = 0; i < in.keys.size(); ++i) {
      if (!in.keys[i].is<std::string>() || !keep(in.keys[i].as<std::string>())) continue;
      map_put(out, renamed(in.keys[i].as<std::string>()), std::move(in.values[i]));
    }
    value = Value(std::move(out));
    return Status::Ok();
  }

  struct Plan {
    SchemaPtr schema;
    std::vector<size_t> from;  // input field of each output field
  };

  Status build(const Schema& in, Plan* plan) const {
    Schema s = copy_schema_basics(in);
    for (size_t i = 0; i < in.fields.size(); ++i) {
      if (!keep(in.fields[i].name)) continue;
      s.fields.push_back(Field{renamed(in.fields[i].name), in.fields[i].schema});
      plan->from.push_back(i);
    }
    KPIPE_RETURN_IF_ERROR(check_unique_fields(s));
    plan->schema = std::make_shared<const Schema>(std::move(s));
    return Status::Ok();
  }

  Status apply_schemaful(const Record&, SchemaPtr& schema, Value& value) override {
    if (value.is_null()) return Status::Ok();
    KPIPE_RETURN_IF_ERROR(require_struct(value, schema.get(), kPurpose));
    Status st;
    const Plan* plan = cache_.get(
        schema, [&](Plan* out) { return build(*schema, out); }, &st);
    if (!plan) return st;
    Struct& in = value.as<Struct>();
    fill_defaults(in, *schema, with_default_);
    Struct out;
    out.fields.reserve(plan->from.size());
    for (const size_t i : plan->from) out.fields.push_back(std::move(in.fields[i]));
    value = Value(std::move(out));
    schema = plan->schema;
    return Status::Ok();
  }

  std::vector<std::string> exclude_, include_;
  std::map<std::string, std::string> renames_, reverse_;
  bool with_default_ = true;
  SchemaCache<Plan> cache_;
};

// ---- MaskField ---------------------------------------------------------------------------------

// What MaskField writes for a value of `schema` (or, schemaless, of the value's own kind):
// Connect's "null value" of the Java class, or the replacement converted to that class.
class Masker {
 public:
  std::optional<std::string> replacement;

  Status mask(const Schema* schema, const Value& in, Value* out) const {
    if (in.is_null()) {
      *out = Value();
      return Status::Ok();
    }
    const std::string cls = java_class(in, schema);
    return replacement ? custom(cls, out) : zero(cls, out);
  }

 private:
  static Status zero(const std::string& cls, Value* out) {
    if (cls == "java.lang.Boolean") {
      *out = Value(false);
    } else if (cls == "java.lang.Byte" || cls == "java.lang.Short" || cls == "java.lang.Integer" ||
               cls == "java.lang.Long" || cls == "java.util.Date") {
      *out = Value(int64_t{0});
    } else if (cls == "java.lang.Float" || cls == "java.lang.Double") {
      *out = Value(0.0);
    } else if (cls == "java.math.BigDecimal") {
      *out = Value(Decimal{"0", 0});
    } else if (cls == "java.lang.String") {
      *out = Value(std::string());
    } else if (cls == "java.util.ArrayList") {
      *out = Value(List());
    } else if (cls == "java.util.HashMap") {
      *out = Value(Map());
    } else {
      return Status::Runtime("Cannot mask value of type: class " + cls);
    }
    return Status::Ok();
  }

  Status custom(const std::string& cls, Value* out) const {
    const std::string& r = *replacement;
    if (cls == "java.lang.String") {
      *out = Value(r);
      return Status::Ok();
    }
    if (cls == "java.math.BigDecimal") {
      Decimal d;
      if (!Decimal::parse(r, &d)) return not_a_number();
      *out = Value(std::move(d));
      return Status::Ok();
    }
    const bool floating = cls == "java.lang.Float" || cls == "java.lang.Double";
    const bool integral = cls == "java.lang.Byte" || cls == "java.lang.Short" ||
                          cls == "java.lang.Integer" || cls == "java.lang.Long";
    if (!floating && !integral)
      return Status::Runtime("Cannot mask value of type class " + cls +
                             " with custom replacement.");
    // Values.convertTo*: new BigDecimal(text), then doubleValue() or longValue(); a malformed
    // number fails in Values.asLong ("to a number"), not in MaskField's own catch.
    Decimal d;
    if (!Decimal::parse(r, &d))
      return Status::Runtime("Unable to convert " + r + " (class java.lang.String) to a number");
    if (floating) {
      const double number = std::strtod(d.to_java_string().c_str(), nullptr);
      *out = Value(cls == "java.lang.Float" ? static_cast<double>(static_cast<float>(number))
                                            : number);
      return Status::Ok();
    }
    // BigDecimal.longValue(): the integer part's low 64 bits, then Java's narrowing cast.
    const bool negative = d.unscaled[0] == '-';
    const std::string digits = d.unscaled.substr(negative ? 1 : 0);
    const int64_t whole_digits = static_cast<int64_t>(digits.size()) - d.scale;
    uint64_t bits = 0;
    for (int64_t i = 0; i < whole_digits; ++i) {
      // Past 64 trailing zeros the low 64 bits are all 0 (2^64 divides 10^64).
      if (i >= static_cast<int64_t>(digits.size()) + 64) break;
      const size_t at = static_cast<size_t>(i);
      bits = bits * 10 + (at < digits.size() ? static_cast<uint64_t>(digits[at] - '0') : 0);
    }
    const int64_t n = static_cast<int64_t>(negative ? 0 - bits : bits);
    if (cls == "java.lang.Byte") {
      *out = Value(static_cast<int64_t>(static_cast<int8_t>(n)));
    } else if (cls == "java.lang.Short") {
      *out = Value(static_cast<int64_t>(static_cast<int16_t>(n)));
    } else if (cls == "java.lang.Integer") {
      *out = Value(static_cast<int64_t>(static_cast<int32_t>(n)));
    } else {
      *out = Value(n);
    }
    return Status::Ok();
  }

  Status not_a_number() const {
    return Status::Runtime("Unable to convert " + *replacement +
                           " (class java.lang.String) to number");
  }
};

class MaskField : public KeyValueTransform {
 public:
  using KeyValueTransform::KeyValueTransform;

  Status configure(const Config& config) override {
    fields_ = config.list("fields");
    if (fields_.empty()) return config.invalid("fields", "Empty list");
    if (config.has("replacement")) {
      if (config.str("replacement").empty())
        return config.invalid("replacement", "String must be non-empty");
      masker_.replacement = config.str("replacement");
    }
    with_default_ = config.boolean("replace.null.with.default");
    return Status::Ok();
  }

 private:
  static constexpr const char* kPurpose = "mask fields";

  Status apply_schemaless(const Record&, Value& value) override {
    KPIPE_RETURN_IF_ERROR(require_map(value, kPurpose));
    Map& map = value.as<Map>();
    for (const auto& field : fields_) {
      const Value* current = map_get(map, field);
      Value masked;
      KPIPE_RETURN_IF_ERROR(masker_.mask(nullptr, current ? *current : Value(), &masked));
      map_put(map, field, std::move(masked));
    }
    return Status::Ok();
  }

  Status apply_schemaful(const Record&, SchemaPtr& schema, Value& value) override {
    KPIPE_RETURN_IF_ERROR(require_struct(value, schema.get(), kPurpose));
    Struct& s = value.as<Struct>();
    for (size_t i = 0; i < s.fields.size(); ++i) {
      Value current = struct_get(s, *schema, i, with_default_);
      if (contains(fields_, schema->fields[i].name)) {
        KPIPE_RETURN_IF_ERROR(masker_.mask(schema->fields[i].schema.get(), current, &s.fields[i]));
      } else {
        s.fields[i] = std::move(current);
      }
    }
    return Status::Ok();
  }

  std::vector<std::string> fields_;
  Masker masker_;
  bool with_default_ = true;
};

// ---- ValueToKey --------------------------------------------------------------------------------

class ValueToKey : public Transform {
 public:
  Status configure(const Config& config) override {
    fields_ = config.list("fields");
    if (fields_.empty()) return config.invalid("fields", "Empty list");
    with_default_ = config.boolean("replace.null.with.default");
    return Status::Ok();
  }

  Status apply(Record& r) override {
    static const std::string kPurpose = "copying fields from value to key";
    if (!r.value_schema) {
      KPIPE_RETURN_IF_ERROR(require_map(r.value, kPurpose));
      Map key;
      for (const auto& field : fields_) {
        const Value* v = map_get(r.value.as<Map>(), field);
        map_put(key, field, v ? *v : Value());
      }
      r.key_schema = nullptr;
      r.key = Value(std::move(key));
      return Status::Ok();
    }
    KPIPE_RETURN_IF_ERROR(require_struct(r.value, r.value_schema.get(), kPurpose));
    Status st;
    const Plan* plan = cache_.get(
        r.value_schema, [&](Plan* out) { return build(*r.value_schema, out); }, &st);
    if (!plan) return st;
    const Struct& value = r.value.as<Struct>();
    Struct key;
    key.fields.reserve(plan->from.size());
    for (const size_t i : plan->from)
      key.fields.push_back(struct_get(value, *r.value_schema, i, with_default_));
    r.key_schema = plan->schema;
    r.key = Value(std::move(key));
    return Status::Ok();
  }

 private:
  struct Plan {
    SchemaPtr schema;
    std::vector<size_t> from;
  };

  Status build(const Schema& value, Plan* plan) const {
    StructBuilder key;
    for (const auto& field : fields_) {
      const int i = value.field_index(field);
      if (i < 0) return Status::Runtime("Field does not exist: " + field);
      key.field(field, value.fields[i].schema);
      plan->from.push_back(static_cast<size_t>(i));
    }
    plan->schema = key.build();
    return check_unique_fields(*plan->schema);
  }

  std::vector<std::string> fields_;
  bool with_default_ = true;
  SchemaCache<Plan> cache_;
};

// ---- HoistField --------------------------------------------------------------------------------

class HoistField : public KeyValueTransform {
 public:
  using KeyValueTransform::KeyValueTransform;

  Status configure(const Config& config) override {
    field_ = config.str("field");
    return Status::Ok();
  }

 private:
  Status apply_schemaless(const Record&, Value& value) override {
    Map map;
    map.keys.emplace_back(field_);
    map.values.push_back(std::move(value));
    value = Value(std::move(map));
    return Status::Ok();
  }

  Status apply_schemaful(const Record&, SchemaPtr& schema, Value& value) override {
    if (value.is_null() && !schema->optional)
      return Status::Runtime("Invalid value: null used for required field: \"" + field_ +
                             "\", schema type: " + upper_type_name(schema->type));
    Status st;
    const SchemaPtr* updated = cache_.get(
        schema,
        [&](SchemaPtr* out) {
          *out = StructBuilder().field(field_, schema).build();
          return Status::Ok();
        },
        &st);
    Struct s;
    s.fields.push_back(std::move(value));
    value = Value(std::move(s));
    schema = *updated;
    return Status::Ok();
  }

  std::string field_;
  SchemaCache<SchemaPtr> cache_;
};

}  // namespace

void register_field_transforms(Registry& registry) {
  const FieldSpec null_default = replace_null_with_default_field();
  add_key_value_transform(
      registry, "InsertField", "Insert the topic, partition, offset, timestamp or a static value",
      {{"topic.field", FieldType::kString, std::nullopt, false,
        "Field for the topic; suffix ! for a required field, ? (or none) for an optional one"},
       {"partition.field", FieldType::kString, std::nullopt, false,
        "Field for the Kafka partition (int32); suffix ! or ?"},
       {"offset.field", FieldType::kString, std::nullopt, false,
        "Field for the Kafka offset (int64); records read from Kafka only; suffix ! or ?"},
       {"timestamp.field", FieldType::kString, std::nullopt, false,
        "Field for the record timestamp (Timestamp); suffix ! or ?"},
       {"static.field", FieldType::kString, std::nullopt, false,
        "Field for a static value; suffix ! or ?"},
       {"static.value", FieldType::kString, std::nullopt, false, "The static value"},
       null_default},
      [](bool key) { return std::make_unique<InsertField>(key); });
  add_key_value_transform(
      registry, "ReplaceField", "Filter or rename fields",
      {{"exclude", FieldType::kList, "", false, "Fields to drop; wins over include"},
       {"include", FieldType::kList, "", false, "Fields to keep (all when empty)"},
       {"renames", FieldType::kList, "", false, "Renames, old:new pairs, e.g. foo:bar,abc:xyz"},
       {"blacklist", FieldType::kList, std::nullopt, false, "Deprecated alias of exclude"},
       {"whitelist", FieldType::kList, std::nullopt, false, "Deprecated alias of include"},
       null_default},
      [](bool key) { return std::make_unique<ReplaceField>(key); });
  add_key_value_transform(
      registry, "MaskField",
      "Replace fields with their type's null value (0, false, \"\", empty) or a replacement",
      {{"fields", FieldType::kList, std::nullopt, true, "Names of the fields to mask"},
       {"replacement", FieldType::kString, std::nullopt, false,
        "Replacement for numeric and string fields (converted to the field's type)"},
       null_default},
      [](bool key) { return std::make_unique<MaskField>(key); });
  add_transform(registry,
                ConfigSpec{"ValueToKey",
                           ComponentKind::kTransform,
                           "Replace the record key with a struct (or map) of value fields",
                           {{"fields", FieldType::kList, std::nullopt, true,
                             "Field names of the value to put in the key"},
                            null_default}},
                [] { return std::make_unique<ValueToKey>(); });
  add_key_value_transform(registry, "HoistField", "Wrap the data in a struct (or map) of one field",
                          {{"field", FieldType::kString, std::nullopt, true,
                            "Name of the field that holds the original data"}},
                          [](bool key) { return std::make_unique<HoistField>(key); });
}

}  // namespace kpipe
