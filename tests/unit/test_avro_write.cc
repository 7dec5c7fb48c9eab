// The avro converter's writing side: schema text exactly as Confluent's AvroData and Avro Java
// print it (the reference's worked examples, from Confluent's AvroDataTest), and the binary
// encoding of values (expected bytes from Apache Avro's Python implementation, python3-avro
// 1.11.1, encoding the same datum with the same schema text).
#include <doctest/doctest.h>

#include "avro/avro_write.h"

using namespace kpipe;

namespace {

std::string text(const SchemaPtr& schema, bool meta = true) {
  std::string out;
  AvroDataOptions options;
  options.connect_meta_data = meta;
  Status st = avro_schema_json(*schema, options, &out);
  REQUIRE_MESSAGE(st.ok(), st.message());
  return out;
}

std::string hex(const std::string& bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string encode(const SchemaPtr& schema, const Value& value) {
  std::string out;
  Status st = avro_encode(*schema, value, &out);
  REQUIRE_MESSAGE(st.ok(), st.message());
  return hex(out);
}

constexpr int64_t kNanosPerMilli = 1000000;

SchemaPtr login() {
  return StructBuilder("login")
      .field("id", Schema::primitive(Type::kInt32))
      .field("username", Schema::primitive(Type::kString))
      .field("login_time", Schema::timestamp())
      .build();
}

}  // namespace

TEST_CASE("avro write: the JDBC login table (reference example a)") {
  CHECK(
      text(login()) ==
      R"({"type":"record","name":"login","fields":[{"name":"id","type":"int"},{"name":"username","type":"string"},{"name":"login_time","type":{"type":"long","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Timestamp","logicalType":"timestamp-millis"}}],"connect.name":"login"})");
  CHECK(
      text(login(), false) ==
      R"({"type":"record","name":"login","fields":[{"name":"id","type":"int"},{"name":"username","type":"string"},{"name":"login_time","type":{"type":"long","logicalType":"timestamp-millis"}}]})");
  // id=1, username="alice", login_time=2024-01-02T03:04:05.678Z, kept in nanoseconds in memory.
  CHECK(encode(login(), Struct{{Value(int64_t{1}), Value("alice"),
                                Value(int64_t{1704164645678} * kNanosPerMilli + 999)}}) ==
        "020a616c696365dcec86829963");
}

TEST_CASE("avro write: optional decimal and string (reference example b)") {
  SchemaPtr item = StructBuilder("item")
                       .field("price", Schema::decimal(2, true, 10))
                       .field("note", Schema::primitive(Type::kString, true))
                       .build();
  CHECK(
      text(item) ==
      R"({"type":"record","name":"item","fields":[{"name":"price","type":["null",{"type":"bytes","scale":2,"precision":10,"connect.version":1,"connect.parameters":{"scale":"2","connect.decimal.precision":"10"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}],"default":null},{"name":"note","type":["null","string"],"default":null}],"connect.name":"item"})");
  CHECK(encode(item, Struct{{Value(Decimal{"1234", 2}), Value()}}) == "020404d200");
  // A value of another scale is written at the schema's scale; one that would lose digits fails.
  CHECK(encode(item, Struct{{Value(Decimal{"1234", 1}), Value("x")}}) ==
        "02043034"
        "020278");
  std::string out;
  CHECK_FALSE(avro_encode(*item, Struct{{Value(Decimal{"12345", 3}), Value()}}, &out).ok());
  // Without the precision parameter AvroData writes precision 64.
  CHECK(
      text(StructBuilder("d").field("x", Schema::decimal(0)).build()) ==
      R"({"type":"record","name":"d","fields":[{"name":"x","type":{"type":"bytes","scale":0,"precision":64,"connect.version":1,"connect.parameters":{"scale":"0"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}}],"connect.name":"d"})");
}

TEST_CASE("avro write: unnamed records are ConnectDefault, numbered, and reused by name") {
  SchemaPtr inner = StructBuilder().field("a", Schema::primitive(Type::kInt64)).build();
  SchemaPtr outer =
      StructBuilder()
          .field("x", inner)
          .field("y", inner)
          .field("z", StructBuilder().field("b", Schema::primitive(Type::kBoolean)).build())
          .build();
  CHECK(
      text(outer) ==
      R"({"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":[{"name":"x","type":{"type":"record","name":"ConnectDefault2","fields":[{"name":"a","type":"long"}]}},{"name":"y","type":"ConnectDefault2"},{"name":"z","type":{"type":"record","name":"ConnectDefault3","fields":[{"name":"b","type":"boolean"}]}}]})");
  // A named record inside: its namespace from the Connect name; none inside a namespaced one.
  SchemaPtr named =
      StructBuilder("com.acme.Order")
          .field("line", StructBuilder("Line").field("n", Schema::primitive(Type::kInt32)).build())
          .build();
  CHECK(
      text(named) ==
      R"({"type":"record","name":"Order","namespace":"com.acme","fields":[{"name":"line","type":{"type":"record","name":"Line","namespace":"","fields":[{"name":"n","type":"int"}],"connect.name":"Line"}}],"connect.name":"com.acme.Order"})");
}

TEST_CASE("avro write: every Connect type") {
  SchemaPtr all =
      StructBuilder("all")
          .field("i8", Schema::primitive(Type::kInt8))
          .field("i16", Schema::primitive(Type::kInt16, true))
          .field("f", Schema::primitive(Type::kFloat32))
          .field("d", Schema::primitive(Type::kFloat64))
          .field("b", Schema::primitive(Type::kBytes))
          .field("day", Schema::date(true))
          .field("t", Schema::time())
          .field("tags", Schema::array(Schema::primitive(Type::kString, true)))
          .field("m",
                 Schema::map(Schema::primitive(Type::kString), Schema::primitive(Type::kInt64)))
          .field("im",
                 Schema::map(Schema::primitive(Type::kInt32), Schema::primitive(Type::kString)))
          .build();
  CHECK(
      text(all) ==
      R"({"type":"record","name":"all","fields":[{"name":"i8","type":{"type":"int","connect.type":"int8"}},{"name":"i16","type":["null",{"type":"int","connect.type":"int16"}],"default":null},{"name":"f","type":"float"},{"name":"d","type":"double"},{"name":"b","type":"bytes"},{"name":"day","type":["null",{"type":"int","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Date","logicalType":"date"}],"default":null},{"name":"t","type":{"type":"int","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Time","logicalType":"time-millis"}},{"name":"tags","type":{"type":"array","items":["null","string"]}},{"name":"m","type":{"type":"map","values":"long"}},{"name":"im","type":{"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":"int"},{"name":"value","type":"string"}]}}}],"connect.name":"all"})");
  Map m;
  m.keys = {Value("k")};
  m.values = {Value(int64_t{-1})};
  Map im;
  im.keys = {Value(int64_t{7})};
  im.values = {Value("v")};
  const std::string bytes = encode(
      all, Struct{{Value(int64_t{-2}), Value(), Value(1.5), Value(0.25), Value(Bytes{"\x01\xff"}),
                   Value(int64_t{19000}), Value(int64_t{3723004} * kNanosPerMilli),
                   Value(List{Value("a"), Value()}), Value(m), Value(im)}});
  CHECK(bytes ==
        "03"                // int8 -2
        "00"                // optional int16: null
        "0000c03f"          // float 1.5
        "000000000000d03f"  // double 0.25
        "0401ff"            // bytes
        "02f0a802"          // optional date 19000
        "f8bbc603"          // time 3723004 ms
        "04"
        "0202"
        "61"
        "00"
        "00"  // array: 2 items ("a", null), end
        "02"
        "026b"
        "01"
        "00"  // map {"k": -1}
        "02"
        "0e"
        "0276"
        "00");  // MapEntry array [{7, "v"}]
}

TEST_CASE("avro write: defaults put the type first in the union; top-level bytes are raw") {
  Schema with_default = *Schema::primitive(Type::kInt32, true);
  with_default.default_value = Value(int64_t{5});
  SchemaPtr s = StructBuilder("r").field("n", std::make_shared<const Schema>(with_default)).build();
  CHECK(
      text(s) ==
      R"({"type":"record","name":"r","fields":[{"name":"n","type":[{"type":"int","connect.default":5},"null"],"default":5}],"connect.name":"r"})");
  CHECK(encode(s, Struct{{Value()}}) == "02");
  CHECK(encode(s, Struct{{Value(int64_t{1})}}) == "0002");
  CHECK(encode(Schema::primitive(Type::kBytes), Value(Bytes{"raw"})) == "726177");
  CHECK(text(Schema::primitive(Type::kString, true)) == R"(["null","string"])");
  std::string out;
  CHECK(avro_encode(*login(), Struct{{Value(), Value("a"), Value(int64_t{0})}}, &out).message() ==
        "field 'id': Found null value for non-optional schema");
}
