// HBase data as the REST gateway carries it: base64 in JSON CellSets, values as Java's
// Bytes.toBytes wrote them, and the field mapping that gives cells names and types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "record.h"
#include "schema.h"
#include "status.h"
#include "value.h"

namespace kpipe::hbase {

std::string base64_encode(const std::string& bytes);
// False on characters outside the standard alphabet (padding optional).
bool base64_decode(const std::string& text, std::string* out);

struct Cell {
  std::string column;  // "family:qualifier", raw bytes
  int64_t timestamp = 0;
  std::string value;
};
struct Row {
  std::string key;
  std::vector<Cell> cells;
};

// {"Row":[{"key":b64,"Cell":[{"column":b64,"timestamp":n,"$":b64}]}]} -> rows in body order.
Status parse_cell_set(const std::string& body, std::vector<Row>* rows);
// The same form; a cell with timestamp 0 is written without one (the server's clock applies).
std::string write_cell_set(const std::vector<Row>& rows);

// Bytes.toBytes encodings. kDecimal is BigDecimal.toString()'s text as UTF-8.
enum class CellType { kString, kInt, kLong, kShort, kDouble, kFloat, kBoolean, kBytes, kDecimal };
// Accepts the Java names and SQL spellings: string, int/integer, long/bigint, short/smallint,
// double, float, boolean, bytes, decimal.
std::optional<CellType> cell_type_from_name(const std::string& name);
const char* cell_type_name(CellType type);

// Connect schema of a decoded cell (always optional: a row may lack the column).
SchemaPtr cell_schema(CellType type, int32_t scale, bool optional = true);
// Decodes `bytes`; false (with *error saying why) when the length or text does not fit the type.
bool decode_cell(const std::string& bytes, CellType type, int32_t scale, Value* out,
                 std::string* error);
// Encodes a value of `schema` as `type` (numbers convert when they fit; strings parse);
// false with *error when it cannot.
bool encode_cell(const Value& value, const Schema* schema, CellType type, std::string* out,
                 std::string* error);
// The natural cell type for a Connect schema (int32 -> int, int64 -> long, Decimal -> decimal,
// Timestamp/Date/Time -> long ms/days/ms, ...); nullopt for arrays, maps and structs.
std::optional<CellType> natural_cell_type(const Schema& schema);

// One entry of field.mapping: source -> target, decoded/encoded as `type`.
struct FieldMapping {
  std::string source;
  std::string target;
  CellType type = CellType::kString;
  int32_t scale = 0;  // decimal only
  bool pk = false;
};
// Reads config.objects(key). Entries need source and type (target defaults to source's
// qualifier); decimal needs scale.
Status parse_field_mapping(const Config& config, const std::string& key,
                           std::vector<FieldMapping>* out);

// The smallest row key greater than `key` (scans resume after the last complete row).
inline std::string key_after(const std::string& key) {
  return key + std::string(1, '\0');
}

// Text of possibly binary bytes for messages: printable ASCII as is, others as \xNN.
std::string printable(const std::string& bytes);

}  // namespace kpipe::hbase
