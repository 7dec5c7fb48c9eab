// Fuzz target: the avro converter's reader on untrusted datums. The first byte picks a writer
// schema (records, unions, arrays, maps, decimals, nested and named records, enums, fixed, a
// MapEntry array, zero-byte items, a raw top-level bytes); the rest is the datum. Whatever it
// accepts must fit the Connect schema. First byte 0xff: the rest is schema text, a NUL, a datum.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "avro/avro_read.h"

namespace {

const char* const kSchemas[] = {
    // The reference's login record (a timestamp).
    R"({"type":"record","name":"login","fields":[{"name":"id","type":"int"},{"name":"username","type":"string"},{"name":"login_time","type":{"type":"long","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Timestamp","logicalType":"timestamp-millis"}}],"connect.name":"login"})",
    // Optional decimal and string.
    R"({"type":"record","name":"item","fields":[{"name":"price","type":["null",{"type":"bytes","scale":2,"precision":10,"logicalType":"decimal"}],"default":null},{"name":"note","type":["string","null"],"default":"x"}]})",
    // A general union with null, a record and an array.
    R"({"type":"record","name":"U","namespace":"ns","fields":[{"name":"u","type":["int","null","string",{"type":"record","name":"Point","fields":[{"name":"x","type":"int"}]},{"type":"array","items":"long"}]},{"name":"single","type":["Point"]}]})",
    // Nested records, named references, an array, a map, a MapEntry array.
    R"({"type":"record","name":"Outer","namespace":"com.acme","fields":[{"name":"home","type":{"type":"record","name":"Address","fields":[{"name":"city","type":"string"},{"name":"zip","type":["null","int"]}]}},{"name":"work","type":"Address"},{"name":"other","type":["null","com.acme.Address"]},{"name":"tags","type":{"type":"array","items":"string"}},{"name":"attrs","type":{"type":"map","values":"long"}},{"name":"byid","type":{"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":"int"},{"name":"value","type":["null","com.acme.Address"]}]}}}]})",
    // Enum, fixed, a decimal fixed, every other logical type.
    R"({"type":"record","name":"E","fields":[{"name":"suit","type":{"type":"enum","name":"Suit","symbols":["SPADES","HEARTS","CLUBS"]}},{"name":"fx","type":{"type":"fixed","name":"MD5","size":4}},{"name":"fdec","type":{"type":"fixed","name":"F8","size":8,"logicalType":"decimal","precision":18,"scale":4}},{"name":"date","type":{"type":"int","logicalType":"date"}},{"name":"time","type":{"type":"int","logicalType":"time-millis"}}]})",
    // Every primitive, int8, int16.
    R"({"type":"record","name":"P","fields":[{"name":"b","type":"boolean"},{"name":"i","type":"int"},{"name":"l","type":"long"},{"name":"f","type":"float"},{"name":"d","type":"double"},{"name":"y","type":"bytes"},{"name":"s","type":"string"},{"name":"i8","type":{"type":"int","connect.type":"int8"}},{"name":"i16","type":{"type":"int","connect.type":"int16"}}]})",
    // Items that take no bytes.
    R"({"type":"array","items":{"type":"record","name":"Empty","fields":[{"name":"z","type":{"type":"fixed","name":"Z","size":0}}]}})",
    // Maps of arrays of optional doubles, in an array.
    R"({"type":"array","items":{"type":"map","values":{"type":"array","items":["null","double"]}}})",
    // Top-level bytes (raw) and a top-level decimal (raw).
    R"("bytes")",
    R"({"type":"bytes","logicalType":"decimal","precision":30,"scale":5})",
    // A MapEntry array with value-first fields and record keys.
    R"({"type":"array","items":{"type":"record","name":"KV","connect.internal.type":"MapEntry","fields":[{"name":"value","type":{"type":"map","values":"string"}},{"name":"key","type":{"type":"record","name":"K","fields":[{"name":"a","type":"long"},{"name":"b","type":"string"}]}}]}})",
};
constexpr size_t kSchemaCount = sizeof(kSchemas) / sizeof(kSchemas[0]);

void check(bool ok) {
  if (!ok) throw std::logic_error("a decoded value does not fit its Connect schema");
}

// The value has the shape kpipe's conventions give the schema.
void conforms(const kpipe::Schema& s, const kpipe::Value& v) {
  using kpipe::Type;
  if (v.is_null()) return check(s.optional);
  switch (s.logical()) {
    case kpipe::Logical::kDecimal:
      return check(v.is<kpipe::Decimal>() && v.as<kpipe::Decimal>().scale == s.decimal_scale());
    case kpipe::Logical::kNone:
      break;
    default:
      return check(v.is<int64_t>());
  }
  switch (s.type) {
    case Type::kInt8:
      return check(v.is<int64_t>() && v.as<int64_t>() >= -128 && v.as<int64_t>() <= 127);
    case Type::kInt16:
    case Type::kInt32:
    case Type::kInt64:
      return check(v.is<int64_t>());
    case Type::kFloat32:
    case Type::kFloat64:
      return check(v.is<double>());
    case Type::kBoolean:
      return check(v.is<bool>());
    case Type::kString:
      return check(v.is<std::string>());
    case Type::kBytes:
      return check(v.is<kpipe::Bytes>());
    case Type::kArray:
      check(v.is<kpipe::List>());
      for (const auto& item : v.as<kpipe::List>()) conforms(*s.items, item);
      return;
    case Type::kMap: {
      check(v.is<kpipe::Map>());
      const auto& m = v.as<kpipe::Map>();
      check(m.keys.size() == m.values.size());
      for (size_t i = 0; i < m.keys.size(); ++i) {
        conforms(*s.keys, m.keys[i]);
        conforms(*s.values, m.values[i]);
      }
      return;
    }
    case Type::kStruct: {
      check(v.is<kpipe::Struct>());
      const auto& fields = v.as<kpipe::Struct>().fields;
      check(fields.size() == s.fields.size());
      for (size_t i = 0; i < fields.size(); ++i) conforms(*s.fields[i].schema, fields[i]);
      return;
    }
  }
}

void decode(const kpipe::AvroReader& reader, const std::string& body) {
  kpipe::Value value;
  if (reader.decode(body, &value).ok()) conforms(*reader.connect_schema(), value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<std::unique_ptr<kpipe::AvroReader>> readers = [] {
    std::vector<std::unique_ptr<kpipe::AvroReader>> out(kSchemaCount);
    for (size_t i = 0; i < kSchemaCount; ++i)
      if (!kpipe::AvroReader::create(kSchemas[i], 1, &out[i]).ok())
        throw std::logic_error(std::string("fixed schema refused: ") + kSchemas[i]);
    return out;
  }();
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] != 0xff) {
    decode(*readers[data[0] % kSchemaCount], rest);
    return 0;
  }
  const size_t nul = rest.find('\0');
  std::unique_ptr<kpipe::AvroReader> reader;
  if (!kpipe::AvroReader::create(rest.substr(0, nul), 1, &reader).ok()) return 0;
  decode(*reader, nul == std::string::npos ? std::string() : rest.substr(nul + 1));
  return 0;
}
