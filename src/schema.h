// Schema: Kafka Connect's type system (org.apache.kafka.connect.data.Schema). Immutable and shared:
// build one per table or file, never one per record.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "value.h"

namespace kpipe {

enum class Type {
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kFloat32,
  kFloat64,
  kBoolean,
  kString,
  kBytes,
  kArray,
  kMap,
  kStruct,
};

// Connect's name for a type: "int32", "float" (float32), "double" (float64), "struct", ...
const char* type_name(Type type);
// Accepts Connect's JSON names and also "float32"/"float64" (the Cast transform's spelling).
std::optional<Type> type_from_name(const std::string& name);

// Logical type names (version 1), as Connect writes them.
inline constexpr const char* kDecimalName = "org.apache.kafka.connect.data.Decimal";
inline constexpr const char* kDateName = "org.apache.kafka.connect.data.Date";
inline constexpr const char* kTimeName = "org.apache.kafka.connect.data.Time";
inline constexpr const char* kTimestampName = "org.apache.kafka.connect.data.Timestamp";

enum class Logical { kNone, kDecimal, kDate, kTime, kTimestamp };

class Schema;
using SchemaPtr = std::shared_ptr<const Schema>;

struct Field {
  std::string name;
  SchemaPtr schema;
};

class Schema {
 public:
  Type type = Type::kString;
  bool optional = false;
  std::optional<Value> default_value;
  std::optional<std::string> name;
  std::optional<int32_t> version;
  std::optional<std::string> doc;
  std::vector<std::pair<std::string, std::string>> parameters;  // in insertion order
  SchemaPtr items;                                              // array
  SchemaPtr keys, values;                                       // map
  std::vector<Field> fields;                                    // struct

  // The logical type named by `name`, when `type` is its underlying type (Decimal: bytes,
  // Date/Time: int32, Timestamp: int64); computed from the fields, so hand-built schemas work.
  Logical logical() const;
  // Decimal scale from parameters ("scale"), 0 when absent.
  int32_t decimal_scale() const;
  // Index of a struct field by name, or -1.
  int field_index(const std::string& field_name) const;
  // Deep structural equality (names, parameters, fields, optional, defaults).
  bool equals(const Schema& other) const;

  // Shared primitive schemas (required and optional variants). Throws std::invalid_argument for
  // array, map and struct, which need their children.
  static SchemaPtr primitive(Type type, bool optional = false);
  // Logical types: name set, version 1. Decimal has parameters {"scale": "N"} and, when
  // `precision` is given, "connect.decimal.precision" (as Confluent's JDBC connector adds it).
  // Date, time and timestamp schemas are shared instances.
  static SchemaPtr decimal(int32_t scale, bool optional = false,
                           std::optional<int32_t> precision = std::nullopt);
  static SchemaPtr date(bool optional = false);
  static SchemaPtr time(bool optional = false);
  static SchemaPtr timestamp(bool optional = false);
  static SchemaPtr array(SchemaPtr items, bool optional = false);
  static SchemaPtr map(SchemaPtr keys, SchemaPtr values, bool optional = false);
};

// Builds a struct schema field by field: SchemaBuilder::structure("login").field("id",
// ...).build().
class StructBuilder {
 public:
  explicit StructBuilder(std::optional<std::string> name = std::nullopt) {
    schema_.type = Type::kStruct;
    schema_.name = std::move(name);
  }
  StructBuilder& field(std::string name, SchemaPtr schema) {
    schema_.fields.push_back(Field{std::move(name), std::move(schema)});
    return *this;
  }
  StructBuilder& optional(bool value = true) {
    schema_.optional = value;
    return *this;
  }
  SchemaPtr build() const { return std::make_shared<const Schema>(schema_); }

 private:
  Schema schema_;
};

}  // namespace kpipe
