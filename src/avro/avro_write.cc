#include "avro/avro_write.h"

#include <cstring>

#include "json_converter.h"

namespace kpipe {

namespace {

constexpr const char* kAvroNamespace = "io.confluent.connect.avro";
constexpr const char* kFieldDefaultParam = "io.confluent.connect.avro.field.default";
constexpr const char* kRecordDocParam = "io.confluent.connect.avro.record.doc";
constexpr const char* kFieldDocPrefix = "io.confluent.connect.avro.field.doc.";
constexpr int64_t kNanosPerMilli = 1000000;

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

std::string param(const Schema& s, const std::string& key) {
  for (const auto& [k, v] : s.parameters)
    if (k == key) return v;
  return "";
}

bool has_param(const Schema& s, const std::string& key) {
  for (const auto& [k, v] : s.parameters)
    if (k == key) return true;
  return false;
}

// Connect name "a.b.C" -> namespace "a.b", name "C" (AvroData.splitName: at the last dot).
std::pair<std::string, std::string> split_name(const std::string& full) {
  const size_t dot = full.rfind('.');
  if (dot == std::string::npos) return {"", full};
  return {full.substr(0, dot), full.substr(dot + 1)};
}

// AvroData.defaultValueFromConnect for the types kpipe's sources give defaults to; false for
// others (the default is then left out, as AvroData leaves out a default it cannot write).
bool default_json(const Schema& s, const Value& v, std::string* out) {
  if (v.is_null()) return false;
  if (s.logical() != Logical::kNone) return false;
  switch (s.type) {
    case Type::kInt8:
    case Type::kInt16:
    case Type::kInt32:
    case Type::kInt64:
      if (!v.is<int64_t>()) return false;
      *out = std::to_string(v.as<int64_t>());
      return true;
    case Type::kFloat32:
    case Type::kFloat64:
      if (!v.is<double>()) return false;
      *out = s.type == Type::kFloat32 ? java_float_to_string(static_cast<float>(v.as<double>()))
                                      : java_double_to_string(v.as<double>());
      return true;
    case Type::kBoolean:
      if (!v.is<bool>()) return false;
      *out = v.as<bool>() ? "true" : "false";
      return true;
    case Type::kString:
      if (!v.is<std::string>()) return false;
      out->clear();
      append_json_string(out, v.as<std::string>());
      return true;
    default:
      return false;
  }
}

class SchemaWriter {
 public:
  explicit SchemaWriter(const AvroDataOptions& options) : options_(options) {}

  // AvroData.fromConnectSchema with the optional union (maybeMakeOptional).
  Status type(const Schema& s, const std::string& space, std::string* out) {
    if (!s.optional) return base(s, space, out);
    const bool null_first = !s.default_value || s.default_value->is_null();
    out->append(null_first ? "[\"null\"," : "[");
    KPIPE_RETURN_IF_ERROR(base(s, space, out));
    out->append(null_first ? "]" : ",\"null\"]");
    return Status::Ok();
  }

 private:
  Status base(const Schema& s, const std::string& space, std::string* out) {
    switch (s.type) {
      case Type::kStruct:
        return record(s, space, out);
      case Type::kArray:
        out->append("{\"type\":\"array\",\"items\":");
        KPIPE_RETURN_IF_ERROR(type(*s.items, space, out));
        props(s, out);
        out->push_back('}');
        return Status::Ok();
      case Type::kMap:
        return map(s, space, out);
      default:
        return primitive(s, out);
    }
  }

  Status primitive(const Schema& s, std::string* out) {
    static const char* const kNames[] = {"int",    "int",     "int",    "long", "float",
                                         "double", "boolean", "string", "bytes"};
    std::string extra;
    props(s, &extra);
    if (extra.empty()) {
      out->append("\"").append(kNames[static_cast<int>(s.type)]).append("\"");
    } else {
      out->append("{\"type\":\"").append(kNames[static_cast<int>(s.type)]).append("\"");
      out->append(extra).push_back('}');
    }
    return Status::Ok();
  }

  Status map(const Schema& s, const std::string& space, std::string* out) {
    if (s.keys->type == Type::kString && !s.keys->optional) {
      out->append("{\"type\":\"map\",\"values\":");
      KPIPE_RETURN_IF_ERROR(type(*s.values, space, out));
      props(s, out);
      out->push_back('}');
      return Status::Ok();
    }
    // Other keys: an array of MapEntry records (AvroData's map-as-array).
    out->append("{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"MapEntry\"");
    if (space != kAvroNamespace)
      out->append(",\"namespace\":\"").append(kAvroNamespace).append("\"");
    out->append(",\"fields\":[{\"name\":\"key\",\"type\":");
    KPIPE_RETURN_IF_ERROR(type(*s.keys, kAvroNamespace, out));
    out->append("},{\"name\":\"value\",\"type\":");
    KPIPE_RETURN_IF_ERROR(type(*s.values, kAvroNamespace, out));
    out->append("}]}");
    props(s, out);
    out->push_back('}');
    return Status::Ok();
  }

  Status record(const Schema& s, const std::string& space, std::string* out) {
    Schema required = s;
    required.optional = false;
    for (const auto& [seen, full] : seen_) {
      if (!seen.equals(required)) continue;
      const auto [ns, name] = split_name(full);
      append_json_string(out, ns == space ? name : full);  // a reference to the record written
      return Status::Ok();
    }
    std::string ns, name;
    if (s.name && !s.name->empty()) {
      std::tie(ns, name) = split_name(*s.name);
    } else {
      ns = kAvroNamespace;
      name = "ConnectDefault" + (defaults_ == 0 ? std::string() : std::to_string(defaults_ + 1));
      ++defaults_;
    }
    seen_.emplace_back(std::move(required), ns.empty() ? name : ns + "." + name);
    out->append("{\"type\":\"record\",\"name\":");
    append_json_string(out, name);
    if (ns != space) {
      out->append(",\"namespace\":");
      append_json_string(out, ns);
    }
    if (has_param(s, kRecordDocParam)) {
      out->append(",\"doc\":");
      append_json_string(out, param(s, kRecordDocParam));
    }
    out->append(",\"fields\":[");
    for (size_t i = 0; i < s.fields.size(); ++i) {
      if (i > 0) out->push_back(',');
      KPIPE_RETURN_IF_ERROR(field(s, s.fields[i], ns, out));
    }
    out->push_back(']');
    props(s, out);
    out->push_back('}');
    return Status::Ok();
  }

  Status field(const Schema& record, const Field& f, const std::string& space, std::string* out) {
    out->append("{\"name\":");
    append_json_string(out, f.name);
    out->append(",\"type\":");
    KPIPE_RETURN_IF_ERROR(type(*f.schema, space, out));
    const std::string doc_key = kFieldDocPrefix + f.name;
    if (has_param(record, doc_key)) {
      out->append(",\"doc\":");
      append_json_string(out, param(record, doc_key));
    }
    std::string value;
    if (f.schema->default_value && default_json(*f.schema, *f.schema->default_value, &value)) {
      out->append(",\"default\":").append(value);
    } else if (f.schema->optional) {
      out->append(",\"default\":null");
    }
    out->push_back('}');
    return Status::Ok();
  }

  // The properties AvroData puts on a (non-union) schema, in its order.
  void props(const Schema& s, std::string* out) const {
    const Logical logical = s.logical();
    int32_t scale = 0, precision = 64;
    if (logical == Logical::kDecimal) {
      scale = s.decimal_scale();
      if (has_param(s, "connect.decimal.precision"))
        precision = std::atoi(param(s, "connect.decimal.precision").c_str());
      out->append(",\"scale\":").append(std::to_string(scale));
      out->append(",\"precision\":").append(std::to_string(precision));
    }
    if (options_.connect_meta_data) meta_props(s, out);
    if (logical == Logical::kDecimal && scale >= 0 && scale <= precision)
      out->append(",\"logicalType\":\"decimal\"");
    if (logical == Logical::kTime) out->append(",\"logicalType\":\"time-millis\"");
    if (logical == Logical::kTimestamp) out->append(",\"logicalType\":\"timestamp-millis\"");
    if (logical == Logical::kDate) out->append(",\"logicalType\":\"date\"");
    for (const auto& [k, v] : s.parameters) {
      if (k.rfind("avro", 0) != 0) continue;
      out->push_back(',');
      append_json_string(out, k);
      out->push_back(':');
      append_json_string(out, v);
    }
  }

  static void meta_props(const Schema& s, std::string* out) {
    if (s.doc) {
      out->append(",\"connect.doc\":");
      append_json_string(out, *s.doc);
    }
    if (s.version) out->append(",\"connect.version\":").append(std::to_string(*s.version));
    if (!s.parameters.empty()) {
      out->append(",\"connect.parameters\":{");
      for (size_t i = 0; i < s.parameters.size(); ++i) {
        if (i > 0) out->push_back(',');
        append_json_string(out, s.parameters[i].first);
        out->push_back(':');
        append_json_string(out, s.parameters[i].second);
      }
      out->push_back('}');
    }
    std::string value;
    if (s.default_value && !has_param(s, kFieldDefaultParam) &&
        default_json(s, *s.default_value, &value))
      out->append(",\"connect.default\":").append(value);
    if (s.name) {
      out->append(",\"connect.name\":");
      append_json_string(out, *s.name);
    }
    if (s.type == Type::kInt8) out->append(",\"connect.type\":\"int8\"");
    if (s.type == Type::kInt16) out->append(",\"connect.type\":\"int16\"");
  }

  const AvroDataOptions& options_;
  int defaults_ = 0;                                  // ConnectDefault names handed out
  std::vector<std::pair<Schema, std::string>> seen_;  // records written: schema, full name
};

// ---- binary encoding ---------------------------------------------------------------------------

void put_long(int64_t n, std::string* out) {
  uint64_t z = (static_cast<uint64_t>(n) << 1) ^ static_cast<uint64_t>(n >> 63);
  char buffer[10];
  size_t i = 0;
  while (z >= 0x80) {
    buffer[i++] = static_cast<char>((z & 0x7f) | 0x80);
    z >>= 7;
  }
  buffer[i++] = static_cast<char>(z);
  out->append(buffer, i);
}

void put_bytes(const std::string& data, std::string* out) {
  put_long(static_cast<int64_t>(data.size()), out);
  out->append(data);
}

template <typename T>
void put_little_endian(T value, std::string* out) {
  char buffer[sizeof(T)];
  std::memcpy(buffer, &value, sizeof(T));  // x86-64 and aarch64 are little-endian
  out->append(buffer, sizeof(T));
}

Status decimal_bytes(const Schema& s, const Value& v, std::string* out) {
  if (!v.is<Decimal>())
    return Status::Runtime("expected a decimal, got a " + std::string(v.kind_name()));
  Decimal d;
  if (!v.as<Decimal>().rescale(s.decimal_scale(), &d))
    return Status::Runtime("decimal " + v.as<Decimal>().to_string() +
                           " has more digits than scale " + std::to_string(s.decimal_scale()) +
                           " of its schema");
  *out = d.to_twos_complement();
  return Status::Ok();
}

Status encode(const Schema& s, const Value& v, std::string* out);

Status encode_base(const Schema& s, const Value& v, std::string* out) {
  const Logical logical = s.logical();
  if (logical == Logical::kDecimal) {
    std::string bytes;
    KPIPE_RETURN_IF_ERROR(decimal_bytes(s, v, &bytes));
    put_bytes(bytes, out);
    return Status::Ok();
  }
  auto expect = [&](bool ok) {
    return ok ? Status::Ok()
              : Status::Runtime(std::string("a ") + v.kind_name() + " value for a " +
                                type_name(s.type) + " schema");
  };
  switch (s.type) {
    case Type::kInt8:
    case Type::kInt16:
    case Type::kInt32:
    case Type::kInt64: {
      KPIPE_RETURN_IF_ERROR(expect(v.is<int64_t>()));
      const int64_t n = v.as<int64_t>();
      put_long(logical == Logical::kTime || logical == Logical::kTimestamp
                   ? floor_div(n, kNanosPerMilli)
                   : n,
               out);
      return Status::Ok();
    }
    case Type::kFloat32:
      KPIPE_RETURN_IF_ERROR(expect(v.is<double>()));
      put_little_endian(static_cast<float>(v.as<double>()), out);
      return Status::Ok();
    case Type::kFloat64:
      KPIPE_RETURN_IF_ERROR(expect(v.is<double>()));
      put_little_endian(v.as<double>(), out);
      return Status::Ok();
    case Type::kBoolean:
      KPIPE_RETURN_IF_ERROR(expect(v.is<bool>()));
      out->push_back(v.as<bool>() ? 1 : 0);
      return Status::Ok();
    case Type::kString:
      KPIPE_RETURN_IF_ERROR(expect(v.is<std::string>()));
      put_bytes(v.as<std::string>(), out);
      return Status::Ok();
    case Type::kBytes:
      KPIPE_RETURN_IF_ERROR(expect(v.is<Bytes>()));
      put_bytes(v.as<Bytes>().data, out);
      return Status::Ok();
    case Type::kArray: {
      KPIPE_RETURN_IF_ERROR(expect(v.is<List>()));
      const List& list = v.as<List>();
      if (!list.empty()) put_long(static_cast<int64_t>(list.size()), out);
      for (const Value& item : list) KPIPE_RETURN_IF_ERROR(encode(*s.items, item, out));
      out->push_back(0);
      return Status::Ok();
    }
    case Type::kMap: {
      KPIPE_RETURN_IF_ERROR(expect(v.is<Map>()));
      const Map& map = v.as<Map>();
      if (!map.keys.empty()) put_long(static_cast<int64_t>(map.keys.size()), out);
      for (size_t i = 0; i < map.keys.size(); ++i) {
        KPIPE_RETURN_IF_ERROR(encode(*s.keys, map.keys[i], out));
        KPIPE_RETURN_IF_ERROR(encode(*s.values, map.values[i], out));
      }
      out->push_back(0);
      return Status::Ok();
    }
    case Type::kStruct: {
      KPIPE_RETURN_IF_ERROR(expect(v.is<Struct>()));
      const Struct& st = v.as<Struct>();
      if (st.fields.size() != s.fields.size())
        return Status::Runtime("a struct of " + std::to_string(st.fields.size()) +
                               " values for a schema of " + std::to_string(s.fields.size()));
      for (size_t i = 0; i < s.fields.size(); ++i)
        KPIPE_RETURN_IF_ERROR(encode(*s.fields[i].schema, st.fields[i], out)
                                  .with_context("field '" + s.fields[i].name + "'"));
      return Status::Ok();
    }
  }
  return Status::Ok();
}

Status encode(const Schema& s, const Value& v, std::string* out) {
  if (!s.optional) {
    if (!v.is_null()) return encode_base(s, v, out);
    if (s.default_value) return encode_base(s, *s.default_value, out);
    return Status::Runtime("Found null value for non-optional schema");
  }
  // ["null", T], or [T, "null"] when the schema has a default.
  const bool null_first = !s.default_value || s.default_value->is_null();
  if (v.is_null()) {
    put_long(null_first ? 0 : 1, out);
    return Status::Ok();
  }
  put_long(null_first ? 1 : 0, out);
  return encode_base(s, v, out);
}

}  // namespace

Status avro_schema_json(const Schema& schema, const AvroDataOptions& options, std::string* out) {
  out->clear();
  SchemaWriter writer(options);
  return writer.type(schema, "", out);
}

Status avro_encode(const Schema& schema, const Value& value, std::string* out) {
  if (schema.type == Type::kBytes && !schema.optional && !value.is_null()) {
    // Confluent writes a top-level bytes schema raw, without the Avro length.
    if (schema.logical() == Logical::kDecimal) {
      std::string bytes;
      KPIPE_RETURN_IF_ERROR(decimal_bytes(schema, value, &bytes));
      out->append(bytes);
      return Status::Ok();
    }
    if (!value.is<Bytes>()) return Status::Runtime("a bytes schema with a non-bytes value");
    out->append(value.as<Bytes>().data);
    return Status::Ok();
  }
  return encode(schema, value, out);
}

}  // namespace kpipe
