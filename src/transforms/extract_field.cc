// ExtractField$Key / $Value: the key or value becomes one of its fields; with
// field.syntax.version V2 (KIP-821) the field is a dotted path into nested structs or maps,
// names with dots wrapped in backticks (`a.b`.c), a backtick inside escaped with a backslash.
#include <algorithm>

#include "transforms/transforms.h"
#include "transforms/util.h"

namespace kpipe {

namespace {

Status incomplete_backticks(const std::string& path, size_t at) {
  return Status::Invalid("Incomplete backtick pair in path: [" + path +
                         "], consider adding a backslash before backtick at position " +
                         std::to_string(at) + " to escape it");
}

// The steps of a V2 path, as SingleFieldPath.buildFieldPathV2 splits it.
Status split_v2(const std::string& path, std::vector<std::string>* steps) {
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] != '`') {
      const size_t dot = path.find('.', i);
      steps->push_back(path.substr(i, dot == std::string::npos ? std::string::npos : dot - i));
      i = dot == std::string::npos ? path.size() : dot + 1;
      continue;
    }
    const size_t opened = i++;
    std::string field;
    size_t start = i;
    for (;;) {
      i = path.find('`', i);
      if (i == std::string::npos) return incomplete_backticks(path, opened);
      const bool escaped = path[i - 1] == '\\';
      if (i + 1 >= path.size()) {
        if (escaped) return incomplete_backticks(path, opened);
        steps->push_back(field + path.substr(start, i - start));
        ++i;
        break;
      }
      if (path[i + 1] != '.') {
        ++i;
        continue;
      }
      if (escaped) {
        field += path.substr(start, i - 1 - start) + '`';
        start = ++i;
        continue;
      }
      steps->push_back(field + path.substr(start, i - start));
      i += 2;
      break;
    }
  }
  if (!path.empty() && path.back() == '.') steps->emplace_back();
  return Status::Ok();
}

const Value* map_find(const Map& map, const std::string& key) {
  for (size_t i = 0; i < map.keys.size(); ++i)
    if (map.keys[i].is<std::string>() && map.keys[i].as<std::string>() == key)
      return &map.values[i];
  return nullptr;
}

class ExtractField : public KeyValueTransform {
 public:
  using KeyValueTransform::KeyValueTransform;

  Status configure(const Config& config) override {
    field_ = config.str("field");
    std::string version = config.str("field.syntax.version");
    std::transform(version.begin(), version.end(), version.begin(), ::toupper);
    if (version != "V1" && version != "V2")
      return config.invalid("field.syntax.version",
                            "Invalid value " + config.str("field.syntax.version") +
                                " for configuration field.syntax.version: String must be one of "
                                "(case insensitive): V1, V2");
    if (version == "V2") {
      Status st = split_v2(field_, &steps_);
      if (!st.ok()) return config.invalid("field", st.message());
    } else {
      steps_ = {field_};
    }
    if (steps_.empty()) steps_.emplace_back();
    with_default_ = config.boolean("replace.null.with.default");
    return Status::Ok();
  }

 private:
  static constexpr const char* kPurpose = "field extraction";

  Status apply_schemaless(const Record&, Value& value) override {
    if (value.is_null()) return Status::Ok();
    KPIPE_RETURN_IF_ERROR(require_map(value, kPurpose));
    const Value* current = &value;
    for (size_t i = 0; i < steps_.size(); ++i) {
      if (i > 0) {
        if (current->is_null()) break;
        KPIPE_RETURN_IF_ERROR(require_map(*current, "nested field access"));
      }
      current = map_find(current->as<Map>(), steps_[i]);
      if (!current) break;
    }
    value = current ? Value(*current) : Value();
    return Status::Ok();
  }

  struct Plan {
    SchemaPtr schema;          // the extracted field's schema
    std::vector<size_t> path;  // field index at each step
  };

  Status build(const Schema& in, Plan* plan) const {
    const Schema* current = &in;
    for (const auto& step : steps_) {
      // ConnectSchema.field() on a schema that is not a struct.
      if (current->type != Type::kStruct)
        return Status::Runtime("Cannot look up fields on non-struct type");
      const int i = current->field_index(step);
      if (i < 0) return Status::Runtime("Unknown field: " + field_);
      plan->path.push_back(static_cast<size_t>(i));
      plan->schema = current->fields[i].schema;
      current = plan->schema.get();
    }
    return Status::Ok();
  }

  Status apply_schemaful(const Record&, SchemaPtr& schema, Value& value) override {
    if (!value.is_null()) KPIPE_RETURN_IF_ERROR(require_struct(value, schema.get(), kPurpose));
    Status st;
    const Plan* plan = cache_.get(
        schema, [&](Plan* out) { return build(*schema, out); }, &st);
    if (!plan) return st;
    const Value* current = &value;
    const Schema* current_schema = schema.get();
    for (size_t i = 0; i < plan->path.size() && !current->is_null(); ++i) {
      if (!current->is<Struct>())
        return require_struct(*current, current_schema, "nested field access");
      // SingleFieldPath.valueFrom reads the steps before the last with Struct.get (defaults
      // applied), and only the last one as replace.null.with.default says.
      const bool last = i + 1 == plan->path.size();
      current = &struct_get(current->as<Struct>(), *current_schema, plan->path[i],
                            last ? with_default_ : true);
      current_schema = current_schema->fields[plan->path[i]].schema.get();
    }
    Value extracted = current->is_null() ? Value() : Value(*current);
    value = std::move(extracted);
    schema = plan->schema;
    return Status::Ok();
  }

  std::string field_;
  std::vector<std::string> steps_;
  bool with_default_ = true;
  SchemaCache<Plan> cache_;
};

}  // namespace

void register_extract_field(Registry& registry) {
  add_key_value_transform(
      registry, "ExtractField", "Replace the data with one of its fields",
      {{"field", FieldType::kString, std::nullopt, true,
        "Field name; with field.syntax.version V2 a dotted path into nested fields"},
       {"field.syntax.version",
        FieldType::kString,
        "V1",
        false,
        "V1: the field is one top-level name; V2: a dotted path, `backticks` around names with "
        "dots (any case)",
        {}},
       replace_null_with_default_field()},
      [](bool key) { return std::make_unique<ExtractField>(key); });
}

}  // namespace kpipe
