#include "schema.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>
#include <string_view>

namespace kpipe {
namespace {

constexpr std::array<Type, 12> kAllTypes = {
    Type::kInt8,    Type::kInt16,  Type::kInt32, Type::kInt64, Type::kFloat32, Type::kFloat64,
    Type::kBoolean, Type::kString, Type::kBytes, Type::kArray, Type::kMap,     Type::kStruct,
};

bool is_primitive(Type type) {
  return type != Type::kArray && type != Type::kMap && type != Type::kStruct;
}

SchemaPtr make_logical(Type type, const char* name, bool optional) {
  Schema schema;
  schema.type = type;
  schema.optional = optional;
  schema.name = name;
  schema.version = 1;
  return std::make_shared<const Schema>(std::move(schema));
}

bool same_schema(const SchemaPtr& a, const SchemaPtr& b) {
  if (a == b) return true;
  if (!a || !b) return false;
  return a->equals(*b);
}

}  // namespace

const char* type_name(Type type) {
  switch (type) {
    case Type::kInt8:
      return "int8";
    case Type::kInt16:
      return "int16";
    case Type::kInt32:
      return "int32";
    case Type::kInt64:
      return "int64";
    case Type::kFloat32:
      return "float";
    case Type::kFloat64:
      return "double";
    case Type::kBoolean:
      return "boolean";
    case Type::kString:
      return "string";
    case Type::kBytes:
      return "bytes";
    case Type::kArray:
      return "array";
    case Type::kMap:
      return "map";
    case Type::kStruct:
      return "struct";
  }
  return "unknown";
}

std::optional<Type> type_from_name(const std::string& name) {
  for (Type type : kAllTypes) {
    if (name == type_name(type)) return type;
  }
  // Connect's enum names, as the Cast transform spells them.
  if (name == "float32") return Type::kFloat32;
  if (name == "float64") return Type::kFloat64;
  return std::nullopt;
}

Logical Schema::logical() const {
  // Connect keys logical types by name; the type check keeps a misnamed schema from being
  // converted as something its values cannot be.
  // Called per value: the type first, then whole-name comparisons (lengths first).
  if (!name) return Logical::kNone;
  static constexpr std::string_view kDecimal = kDecimalName, kTimestamp = kTimestampName,
                                    kDate = kDateName, kTime = kTimeName;
  const std::string_view n = *name;
  switch (type) {
    case Type::kBytes:
      return n == kDecimal ? Logical::kDecimal : Logical::kNone;
    case Type::kInt64:
      return n == kTimestamp ? Logical::kTimestamp : Logical::kNone;
    case Type::kInt32:
      return n == kDate ? Logical::kDate : n == kTime ? Logical::kTime : Logical::kNone;
    default:
      return Logical::kNone;
  }
}

int32_t Schema::decimal_scale() const {
  for (const auto& [key, value] : parameters) {
    if (key == "scale") {
      // Called per value: plain digits without std::stol's locale and exceptions.
      int32_t scale = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), scale);
      if (ec == std::errc() && end == value.data() + value.size()) return scale;
      try {
        return static_cast<int32_t>(std::stol(value));
      } catch (const std::exception&) {
        return 0;
      }
    }
  }
  return 0;
}

int Schema::field_index(const std::string& field_name) const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == field_name) return static_cast<int>(i);
  }
  return -1;
}

bool Schema::equals(const Schema& other) const {
  if (this == &other) return true;
  if (type != other.type || optional != other.optional || name != other.name ||
      version != other.version || doc != other.doc || default_value != other.default_value) {
    return false;
  }
  // Connect compares parameters as maps: order does not matter.
  if (parameters.size() != other.parameters.size()) return false;
  auto mine = parameters;
  auto theirs = other.parameters;
  std::sort(mine.begin(), mine.end());
  std::sort(theirs.begin(), theirs.end());
  if (mine != theirs) return false;
  if (!same_schema(items, other.items) || !same_schema(keys, other.keys) ||
      !same_schema(values, other.values)) {
    return false;
  }
  if (fields.size() != other.fields.size()) return false;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name != other.fields[i].name ||
        !same_schema(fields[i].schema, other.fields[i].schema)) {
      return false;
    }
  }
  return true;
}

SchemaPtr Schema::primitive(Type type, bool optional) {
  static const auto shared = [] {
    std::array<std::array<SchemaPtr, 2>, kAllTypes.size()> table;
    for (Type t : kAllTypes) {
      for (bool opt : {false, true}) {
        Schema schema;
        schema.type = t;
        schema.optional = opt;
        table[static_cast<size_t>(t)][opt ? 1 : 0] = std::make_shared<const Schema>(schema);
      }
    }
    return table;
  }();
  if (!is_primitive(type)) {
    throw std::invalid_argument(std::string("Schema::primitive: ") + type_name(type) +
                                " is not a primitive type");
  }
  return shared[static_cast<size_t>(type)][optional ? 1 : 0];
}

SchemaPtr Schema::decimal(int32_t scale, bool optional, std::optional<int32_t> precision) {
  Schema schema;
  schema.type = Type::kBytes;
  schema.optional = optional;
  schema.name = kDecimalName;
  schema.version = 1;
  schema.parameters.emplace_back("scale", std::to_string(scale));
  if (precision) {
    schema.parameters.emplace_back("connect.decimal.precision", std::to_string(*precision));
  }
  return std::make_shared<const Schema>(std::move(schema));
}

SchemaPtr Schema::date(bool optional) {
  static const SchemaPtr shared[2] = {make_logical(Type::kInt32, kDateName, false),
                                      make_logical(Type::kInt32, kDateName, true)};
  return shared[optional ? 1 : 0];
}

SchemaPtr Schema::time(bool optional) {
  static const SchemaPtr shared[2] = {make_logical(Type::kInt32, kTimeName, false),
                                      make_logical(Type::kInt32, kTimeName, true)};
  return shared[optional ? 1 : 0];
}

SchemaPtr Schema::timestamp(bool optional) {
  static const SchemaPtr shared[2] = {make_logical(Type::kInt64, kTimestampName, false),
                                      make_logical(Type::kInt64, kTimestampName, true)};
  return shared[optional ? 1 : 0];
}

SchemaPtr Schema::array(SchemaPtr items, bool optional) {
  Schema schema;
  schema.type = Type::kArray;
  schema.optional = optional;
  schema.items = std::move(items);
  return std::make_shared<const Schema>(std::move(schema));
}

SchemaPtr Schema::map(SchemaPtr keys, SchemaPtr values, bool optional) {
  Schema schema;
  schema.type = Type::kMap;
  schema.optional = optional;
  schema.keys = std::move(keys);
  schema.values = std::move(values);
  return std::make_shared<const Schema>(std::move(schema));
}

}  // namespace kpipe
