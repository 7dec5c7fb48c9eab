#include "connectors/hbase/codec.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace kpipe::hbase {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr int64_t kNanosPerMs = 1000000;

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

std::string big_endian(uint64_t bits, int size) {
  std::string out(static_cast<size_t>(size), '\0');
  for (int i = size - 1; i >= 0; --i, bits >>= 8) out[static_cast<size_t>(i)] = char(bits & 0xff);
  return out;
}

uint64_t from_big_endian(const std::string& bytes) {
  uint64_t bits = 0;
  for (unsigned char c : bytes) bits = (bits << 8) | c;
  return bits;
}

std::string shortest(double d) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, res.ptr);
}

bool parse_int(const std::string& text, int64_t* out) {
  auto res = std::from_chars(text.data(), text.data() + text.size(), *out);
  return res.ec == std::errc() && res.ptr == text.data() + text.size() && !text.empty();
}

bool parse_double(const std::string& text, double* out) {
  auto res = std::from_chars(text.data(), text.data() + text.size(), *out);
  return res.ec == std::errc() && res.ptr == text.data() + text.size() && !text.empty();
}

// A value in the unit a Java client stores: Timestamp and Time as ms (the engine holds ns).
Value java_units(const Value& value, const Schema* schema) {
  if (!schema || !value.is<int64_t>()) return value;
  switch (schema->logical()) {
    case Logical::kTimestamp:
    case Logical::kTime:
      return Value(floor_div(value.as<int64_t>(), kNanosPerMs));
    default:
      return value;
  }
}

bool as_integer(const Value& v, int64_t* out) {
  if (v.is<int64_t>()) {
    *out = v.as<int64_t>();
    return true;
  }
  if (v.is<double>()) {
    double d = v.as<double>();
    if (std::trunc(d) != d || std::fabs(d) > 9.2e18) return false;
    *out = static_cast<int64_t>(d);
    return true;
  }
  if (v.is<std::string>()) return parse_int(v.as<std::string>(), out);
  if (v.is<Decimal>()) {
    Decimal whole;
    return v.as<Decimal>().rescale(0, &whole) && parse_int(whole.unscaled, out);
  }
  return false;
}

bool as_double(const Value& v, double* out) {
  if (v.is<double>())
    *out = v.as<double>();
  else if (v.is<int64_t>())
    *out = static_cast<double>(v.as<int64_t>());
  else if (v.is<std::string>())
    return parse_double(v.as<std::string>(), out);
  else if (v.is<Decimal>())
    return parse_double(v.as<Decimal>().to_string(), out);
  else
    return false;
  return true;
}

bool as_text(const Value& v, std::string* out) {
  if (v.is<std::string>())
    *out = v.as<std::string>();
  else if (v.is<int64_t>())
    *out = std::to_string(v.as<int64_t>());
  else if (v.is<double>())
    *out = shortest(v.as<double>());
  else if (v.is<bool>())
    *out = v.as<bool>() ? "true" : "false";
  else if (v.is<Decimal>())
    *out = v.as<Decimal>().to_string();
  else if (v.is<Bytes>())
    *out = v.as<Bytes>().data;
  else
    return false;
  return true;
}

}  // namespace

std::string base64_encode(const std::string& bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) |
                 uint8_t(bytes[i + 2]);
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) n |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool base64_decode(const std::string& text, std::string* out) {
  out->clear();
  out->reserve(text.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  size_t end = text.size();
  while (end > 0 && text[end - 1] == '=') --end;
  for (size_t i = 0; i < end; ++i) {
    const char* p = std::strchr(kAlphabet, text[i]);
    if (!p || text[i] == '\0') return false;
    acc = (acc << 6) | uint32_t(p - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *out += char((acc >> bits) & 0xff);
    }
  }
  return true;
}

Status parse_cell_set(const std::string& body, std::vector<Row>* rows) {
  Json doc = Json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Status::Runtime("CellSet is not JSON");
  if (!doc.contains("Row")) return Status::Ok();
  if (!doc["Row"].is_array()) return Status::Runtime("CellSet: Row is not a list");
  for (const Json& r : doc["Row"]) {
    Row& row = rows->emplace_back();
    if (!r.is_object() || !r.contains("key") || !r["key"].is_string() ||
        !base64_decode(r["key"].get<std::string>(), &row.key))
      return Status::Runtime("CellSet: a row without a base64 key");
    if (!r.contains("Cell")) continue;
    // A JSON object or scalar would iterate as if it were a list of cells.
    if (!r["Cell"].is_array()) return Status::Runtime("CellSet: a row's Cell is not a list");
    for (const Json& c : r["Cell"]) {
      Cell& cell = row.cells.emplace_back();
      if (!c.is_object() || !c.contains("column") || !c["column"].is_string() ||
          !base64_decode(c["column"].get<std::string>(), &cell.column))
        return Status::Runtime("CellSet: a cell without a base64 column");
      if (c.contains("timestamp") && c["timestamp"].is_number_integer())
        cell.timestamp = c["timestamp"].get<int64_t>();
      if (c.contains("$") &&
          !(c["$"].is_string() && base64_decode(c["$"].get<std::string>(), &cell.value)))
        return Status::Runtime("CellSet: a cell value is not base64");
    }
  }
  return Status::Ok();
}

std::string write_cell_set(const std::vector<Row>& rows) {
  Json out_rows = Json::array();
  for (const Row& row : rows) {
    Json cells = Json::array();
    for (const Cell& c : row.cells) {
      Json cell{{"column", base64_encode(c.column)}, {"$", base64_encode(c.value)}};
      if (c.timestamp != 0) cell["timestamp"] = c.timestamp;
      cells.push_back(std::move(cell));
    }
    out_rows.push_back(Json{{"key", base64_encode(row.key)}, {"Cell", std::move(cells)}});
  }
  return Json{{"Row", std::move(out_rows)}}.dump();
}

std::optional<CellType> cell_type_from_name(const std::string& name) {
  if (name == "string") return CellType::kString;
  if (name == "int" || name == "integer") return CellType::kInt;
  if (name == "long" || name == "bigint") return CellType::kLong;
  if (name == "short" || name == "smallint") return CellType::kShort;
  if (name == "double") return CellType::kDouble;
  if (name == "float") return CellType::kFloat;
  if (name == "boolean") return CellType::kBoolean;
  if (name == "bytes") return CellType::kBytes;
  if (name == "decimal") return CellType::kDecimal;
  return std::nullopt;
}

const char* cell_type_name(CellType type) {
  switch (type) {
    case CellType::kString:
      return "string";
    case CellType::kInt:
      return "int";
    case CellType::kLong:
      return "long";
    case CellType::kShort:
      return "short";
    case CellType::kDouble:
      return "double";
    case CellType::kFloat:
      return "float";
    case CellType::kBoolean:
      return "boolean";
    case CellType::kBytes:
      return "bytes";
    case CellType::kDecimal:
      return "decimal";
  }
  return "?";
}

SchemaPtr cell_schema(CellType type, int32_t scale, bool optional) {
  switch (type) {
    case CellType::kString:
      return Schema::primitive(Type::kString, optional);
    case CellType::kInt:
      return Schema::primitive(Type::kInt32, optional);
    case CellType::kLong:
      return Schema::primitive(Type::kInt64, optional);
    case CellType::kShort:
      return Schema::primitive(Type::kInt16, optional);
    case CellType::kDouble:
      return Schema::primitive(Type::kFloat64, optional);
    case CellType::kFloat:
      return Schema::primitive(Type::kFloat32, optional);
    case CellType::kBoolean:
      return Schema::primitive(Type::kBoolean, optional);
    case CellType::kBytes:
      return Schema::primitive(Type::kBytes, optional);
    case CellType::kDecimal:
      return Schema::decimal(scale, optional);
  }
  return nullptr;
}

bool decode_cell(const std::string& bytes, CellType type, int32_t scale, Value* out,
                 std::string* error) {
  auto need = [&](size_t size) {
    if (bytes.size() == size) return true;
    *error = std::to_string(bytes.size()) + " bytes, expected " + std::to_string(size);
    return false;
  };
  switch (type) {
    case CellType::kString:
      *out = Value(bytes);
      return true;
    case CellType::kBytes:
      *out = Value(Bytes{bytes});
      return true;
    case CellType::kInt:
      if (!need(4)) return false;
      *out = Value(static_cast<int32_t>(from_big_endian(bytes)));
      return true;
    case CellType::kLong:
      if (!need(8)) return false;
      *out = Value(static_cast<int64_t>(from_big_endian(bytes)));
      return true;
    case CellType::kShort:
      if (!need(2)) return false;
      *out = Value(static_cast<int16_t>(from_big_endian(bytes)));
      return true;
    case CellType::kDouble: {
      if (!need(8)) return false;
      uint64_t bits = from_big_endian(bytes);
      double d;
      std::memcpy(&d, &bits, sizeof d);
      *out = Value(d);
      return true;
    }
    case CellType::kFloat: {
      if (!need(4)) return false;
      uint32_t bits = static_cast<uint32_t>(from_big_endian(bytes));
      float f;
      std::memcpy(&f, &bits, sizeof f);
      *out = Value(static_cast<double>(f));
      return true;
    }
    case CellType::kBoolean:
      if (!need(1)) return false;
      *out = Value(bytes[0] != 0);  // Bytes.toBytes(true) is 0xFF; toBoolean accepts any non-zero
      return true;
    case CellType::kDecimal: {
      Decimal parsed, scaled;
      if (!Decimal::parse(bytes, &parsed)) {
        *error = "not a decimal number: \"" + printable(bytes) + "\"";
        return false;
      }
      if (!parsed.rescale(scale, &scaled)) {
        *error = "\"" + printable(bytes) + "\" has more than " + std::to_string(scale) +
                 " decimal places";
        return false;
      }
      *out = Value(std::move(scaled));
      return true;
    }
  }
  return false;
}

bool encode_cell(const Value& raw, const Schema* schema, CellType type, std::string* out,
                 std::string* error) {
  const Value value = java_units(raw, schema);
  auto fail = [&] {
    *error = std::string("a ") + value.kind_name() + " value cannot be written as " +
             cell_type_name(type);
    return false;
  };
  int64_t i = 0;
  double d = 0;
  switch (type) {
    case CellType::kString:
    case CellType::kBytes:
      return as_text(value, out) || fail();
    case CellType::kDecimal: {
      std::string text;
      Decimal check;
      if (!as_text(value, &text) || value.is<bool>() || !Decimal::parse(text, &check))
        return fail();
      *out = check.to_string();
      return true;
    }
    case CellType::kInt:
      if (!as_integer(value, &i) || i < INT32_MIN || i > INT32_MAX) return fail();
      *out = big_endian(static_cast<uint32_t>(static_cast<int32_t>(i)), 4);
      return true;
    case CellType::kLong:
      if (!as_integer(value, &i)) return fail();
      *out = big_endian(static_cast<uint64_t>(i), 8);
      return true;
    case CellType::kShort:
      if (!as_integer(value, &i) || i < INT16_MIN || i > INT16_MAX) return fail();
      *out = big_endian(static_cast<uint16_t>(static_cast<int16_t>(i)), 2);
      return true;
    case CellType::kDouble: {
      if (!as_double(value, &d)) return fail();
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      *out = big_endian(bits, 8);
      return true;
    }
    case CellType::kFloat: {
      if (!as_double(value, &d)) return fail();
      float f = static_cast<float>(d);
      uint32_t bits;
      std::memcpy(&bits, &f, sizeof bits);
      *out = big_endian(bits, 4);
      return true;
    }
    case CellType::kBoolean:
      if (value.is<bool>()) {
        *out = std::string(1, value.as<bool>() ? '\xff' : '\0');
        return true;
      }
      if (value.is<std::string>() &&
          (value.as<std::string>() == "true" || value.as<std::string>() == "false")) {
        *out = std::string(1, value.as<std::string>() == "true" ? '\xff' : '\0');
        return true;
      }
      return fail();
  }
  return fail();
}

std::optional<CellType> natural_cell_type(const Schema& schema) {
  if (schema.logical() == Logical::kDecimal) return CellType::kDecimal;
  if (schema.logical() == Logical::kDate) return CellType::kInt;  // days, as Java's int
  switch (schema.type) {
    case Type::kInt8:
    case Type::kInt16:
      return CellType::kShort;
    case Type::kInt32:
      return CellType::kInt;
    case Type::kInt64:
      return CellType::kLong;
    case Type::kFloat32:
      return CellType::kFloat;
    case Type::kFloat64:
      return CellType::kDouble;
    case Type::kBoolean:
      return CellType::kBoolean;
    case Type::kString:
      return CellType::kString;
    case Type::kBytes:
      return CellType::kBytes;
    default:
      return std::nullopt;
  }
}

Status parse_field_mapping(const Config& config, const std::string& key,
                           std::vector<FieldMapping>* out) {
  for (const ConfigObject& entry : config.objects(key)) {
    FieldMapping m;
    std::string type = "string";
    bool has_scale = false;
    for (const auto& [k, v] : entry) {
      if (k == "source")
        m.source = v;
      else if (k == "target")
        m.target = v;
      else if (k == "type")
        type = v;
      else if (k == "pk")
        m.pk = (v == "true" || v == "1");
      else if (k == "scale") {
        int64_t s = 0;
        if (!parse_int(v, &s) || s < 0 || s > 1000)
          return config.invalid(key, "scale must be a number from 0 to 1000, not '" + v + "'");
        m.scale = static_cast<int32_t>(s);
        has_scale = true;
      } else {
        return config.invalid(
            key, "unknown key '" + k + "' in a mapping (allowed: source, target, type, pk, scale)");
      }
    }
    if (m.source.empty()) return config.invalid(key, "every mapping needs a source");
    if (m.target.empty()) m.target = m.source.substr(m.source.find(':') + 1);
    auto t = cell_type_from_name(type);
    if (!t)
      return config.invalid(key, "unknown type '" + type + "' for " + m.source +
                                     " (allowed: string, int, long, short, double, float, "
                                     "boolean, bytes, decimal)");
    m.type = *t;
    if (m.type == CellType::kDecimal && !has_scale)
      return config.invalid(key, "decimal mapping " + m.source + " needs a scale");
    out->push_back(std::move(m));
  }
  return Status::Ok();
}

std::string printable(const std::string& bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += char(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace kpipe::hbase
