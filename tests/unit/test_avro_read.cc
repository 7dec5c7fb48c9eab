// The avro converter's reading side: Connect schemas as Confluent's AvroData.toConnectSchema
// makes them, and decoded values. Expected datum bytes come from Apache Avro's Python
// implementation (Debian python3-avro 1.11.1, DatumWriter + BinaryEncoder with the same schema
// text), except the hand-made negative block counts and the malformed inputs.
#include <doctest/doctest.h>

#include "avro/avro_read.h"

using namespace kpipe;

namespace {

using Params = std::vector<std::pair<std::string, std::string>>;
constexpr int64_t kNanosPerMilli = 1000000;

std::string unhex(std::string_view hex) {
  std::string out;
  int high = -1;
  for (char c : hex) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) continue;  // spaces and '|' separate fields
    if (high < 0) {
      high = d;
    } else {
      out += static_cast<char>(high * 16 + d);
      high = -1;
    }
  }
  return out;
}

std::unique_ptr<AvroReader> reader(const std::string& schema,
                                   std::optional<int32_t> version = std::nullopt) {
  std::unique_ptr<AvroReader> r;
  Status st = AvroReader::create(schema, version, &r);
  REQUIRE_MESSAGE(st.ok(), st.message());
  return r;
}

std::string schema_error(const std::string& schema, int32_t version = 1) {
  std::unique_ptr<AvroReader> r;
  Status st = AvroReader::create(schema, version, &r);
  CHECK(!st.ok());
  CHECK(st.code() == Code::kRuntime);
  CHECK(st.message().rfind("invalid Avro schema: ", 0) == 0);
  return st.message();
}

Value decode(const AvroReader& r, std::string_view hex) {
  Value v;
  Status st = r.decode(unhex(hex), &v);
  REQUIRE_MESSAGE(st.ok(), st.message());
  return v;
}

std::string decode_error(const AvroReader& r, const std::string& body) {
  Value v = Value(1);
  Status st = r.decode(body, &v);
  CHECK(!st.ok());
  CHECK(st.code() == Code::kRuntime);
  CHECK(v.is_null());
  return st.message();
}

const Schema& field(const SchemaPtr& s, const std::string& name) {
  const int i = s->field_index(name);
  REQUIRE(i >= 0);
  return *s->fields[i].schema;
}

Value s(const char* text) {
  return Value(std::string(text));
}

const char* const kLogin =
    R"({"type":"record","name":"login","fields":[{"name":"id","type":"int"},{"name":"username","type":"string"},{"name":"login_time","type":{"type":"long","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Timestamp","logicalType":"timestamp-millis"}}],"connect.name":"login"})";

}  // namespace

TEST_CASE("avro read: the JDBC login record (reference example a)") {
  auto r = reader(kLogin, 7);
  const SchemaPtr& schema = r->connect_schema();
  CHECK(schema->type == Type::kStruct);
  CHECK(schema->name == "login");
  CHECK(schema->version == 7);  // no connect.version on the record: the registry version
  CHECK(!schema->optional);
  CHECK(schema->parameters.empty());
  REQUIRE(schema->fields.size() == 3);
  CHECK(schema->fields[0].name == "id");
  CHECK(schema->fields[1].name == "username");
  CHECK(schema->fields[2].name == "login_time");
  CHECK(schema->fields[0].schema->equals(*Schema::primitive(Type::kInt32)));
  CHECK(schema->fields[1].schema->equals(*Schema::primitive(Type::kString)));
  CHECK(schema->fields[2].schema->equals(*Schema::timestamp()));
  // 00 00000001 | 02 | 0a 616c696365 | dcec86829963, after the 5-byte frame.
  Value v = decode(*r, "02 | 0a 616c696365 | dcec86829963");
  CHECK(v == Value(Struct{{1, s("alice"), Value(int64_t{1704164645678} * kNanosPerMilli)}}));
  CHECK(&r->connect_schema() == &r->connect_schema());
}

TEST_CASE("avro read: optional decimal and string (reference example b)") {
  auto r = reader(
      R"({"type":"record","name":"item","fields":[{"name":"price","type":["null",{"type":"bytes","scale":2,"precision":10,"connect.version":1,"connect.parameters":{"scale":"2","connect.decimal.precision":"10"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}],"default":null},{"name":"note","type":["null","string"],"default":null}],"connect.name":"item"})",
      2);
  const SchemaPtr& schema = r->connect_schema();
  CHECK(schema->name == "item");
  CHECK(schema->version == 2);
  const Schema& price = field(schema, "price");
  CHECK(price.equals(*Schema::decimal(2, true, 10)));
  CHECK(price.parameters == Params{{"scale", "2"}, {"connect.decimal.precision", "10"}});
  CHECK(price.version == 1);
  CHECK(!price.default_value);
  CHECK(field(schema, "note").equals(*Schema::primitive(Type::kString, true)));
  CHECK(decode(*r, "02 04 04d2 | 00") == Value(Struct{{Decimal{"1234", 2}, Value()}}));
}

TEST_CASE("avro read: every primitive, int8 and int16") {
  auto r = reader(
      R"({"type":"record","name":"Prims","namespace":"com.acme","fields":[{"name":"b","type":"boolean"},{"name":"i","type":"int"},{"name":"l","type":"long"},{"name":"f","type":"float"},{"name":"d","type":"double"},{"name":"y","type":"bytes"},{"name":"s","type":"string"},{"name":"i8","type":{"type":"int","connect.type":"int8"}},{"name":"i16","type":{"type":"int","connect.type":"int16"}}]})",
      3);
  const SchemaPtr& schema = r->connect_schema();
  CHECK(schema->name == "com.acme.Prims");
  CHECK(schema->version == 3);
  const Type types[] = {Type::kBoolean, Type::kInt32,  Type::kInt64, Type::kFloat32, Type::kFloat64,
                        Type::kBytes,   Type::kString, Type::kInt8,  Type::kInt16};
  REQUIRE(schema->fields.size() == 9);
  for (size_t i = 0; i < 9; ++i) {
    CHECK(schema->fields[i].schema->equals(*Schema::primitive(types[i])));
  }
  CHECK(decode(*r,
               "01 ffffffff0f feffffffffffffffff01 0000c03f 9a9999999999b9bf 0400ff 0668c3a9 ff01 "
               "feff03") ==
        Value(Struct{{true, INT32_MIN, INT64_MAX, 1.5, -0.1, Bytes{std::string("\0\xff", 2)},
                      s("h\xc3\xa9"), -128, 32767}}));
  CHECK(decode(*r,
               "00 feffffff0f ffffffffffffffffff01 000050c0 9c7500883ce4377e 00 00 fe01 ffff03") ==
        Value(Struct{{false, INT32_MAX, INT64_MIN, -3.25, 1e300, Bytes{}, s(""), 127, -32768}}));
}

TEST_CASE("avro read: logical types") {
  auto r = reader(
      R"({"type":"record","name":"L","fields":[{"name":"date","type":{"type":"int","logicalType":"date"}},{"name":"time","type":{"type":"int","logicalType":"time-millis"}},{"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":20,"scale":3}},{"name":"fdec","type":{"type":"fixed","name":"F8","size":8,"logicalType":"decimal","precision":18,"scale":4}},{"name":"micros","type":{"type":"long","logicalType":"timestamp-micros"}},{"name":"uuid","type":{"type":"string","logicalType":"uuid"}}]})");
  const SchemaPtr& schema = r->connect_schema();
  CHECK(!schema->version);
  CHECK(field(schema, "date").equals(*Schema::date()));
  CHECK(field(schema, "time").equals(*Schema::time()));
  CHECK(field(schema, "ts").equals(*Schema::timestamp()));
  CHECK(field(schema, "dec").equals(*Schema::decimal(3, false, 20)));
  const Schema& fdec = field(schema, "fdec");
  CHECK(fdec.logical() == Logical::kDecimal);
  CHECK(fdec.name == kDecimalName);  // a decimal fixed keeps Decimal's name, not F8
  CHECK(fdec.parameters ==
        Params{{"scale", "4"}, {"connect.decimal.precision", "18"}, {"connect.fixed.size", "8"}});
  CHECK(field(schema, "micros").equals(*Schema::primitive(Type::kInt64)));
  CHECK(field(schema, "uuid").equals(*Schema::primitive(Type::kString)));
  // 2024-01-02, 03:04:05.678, 1969-12-31T23:59:59.999Z, -12345678901234.567, -1.0000.
  Value v = decode(*r,
                   "98b402 dcacc40a 01 0ed423aba294b479 ffffffffffffd8f0 eabcc185b8fb8606 "
                   "4831323365343536372d653839622d313264332d613435362d343236363134313734303030");
  CHECK(v == Value(Struct{{19724, int64_t{11045678} * kNanosPerMilli, -kNanosPerMilli,
                           Decimal{"-12345678901234567", 3}, Decimal{"-10000", 4},
                           int64_t{1704164645678901}, s("123e4567-e89b-12d3-a456-426614174000")}}));
}

TEST_CASE("avro read: optional unions in both orders") {
  auto r = reader(
      R"({"type":"record","name":"O","fields":[{"name":"a","type":["null","int"],"default":null},{"name":"b","type":["string","null"],"default":"x"}]})");
  const SchemaPtr& schema = r->connect_schema();
  CHECK(field(schema, "a").equals(*Schema::primitive(Type::kInt32, true)));
  // AvroData drops a field default on a union (it converts the member without it).
  CHECK(field(schema, "b").equals(*Schema::primitive(Type::kString, true)));
  CHECK(decode(*r, "020e 02") == Value(Struct{{7, Value()}}));
  CHECK(decode(*r, "00 00046869") == Value(Struct{{Value(), s("hi")}}));
  auto top = reader(R"(["null","string"])", 4);
  CHECK(top->connect_schema()->equals(*Schema::primitive(Type::kString, true)));
  CHECK(decode(*top, "00").is_null());
  CHECK(decode(*top, "020261") == s("a"));
  auto single = reader(R"({"type":"record","name":"S","fields":[{"name":"x","type":["long"]}]})");
  CHECK(field(single->connect_schema(), "x").equals(*Schema::primitive(Type::kInt64)));
  CHECK(decode(*single, "0006") == Value(Struct{{3}}));
}

TEST_CASE("avro read: a general union is an io.confluent.connect.avro.Union struct") {
  auto r = reader(
      R"({"type":"record","name":"U","namespace":"ns","fields":[{"name":"u","type":["int","null","string",{"type":"record","name":"Point","fields":[{"name":"x","type":"int"}]},{"type":"array","items":"long"}]}]})");
  const Schema& u = field(r->connect_schema(), "u");
  CHECK(u.type == Type::kStruct);
  CHECK(u.name == "io.confluent.connect.avro.Union");
  CHECK(u.optional);
  REQUIRE(u.fields.size() == 4);
  CHECK(u.fields[0].name == "int");
  CHECK(u.fields[1].name == "string");
  CHECK(u.fields[2].name == "Point");
  CHECK(u.fields[3].name == "array");
  CHECK(u.fields[0].schema->equals(*Schema::primitive(Type::kInt32, true)));
  CHECK(u.fields[2].schema->name == "ns.Point");
  CHECK(u.fields[2].schema->optional);
  CHECK(u.fields[3].schema->equals(*Schema::array(Schema::primitive(Type::kInt64), true)));
  const Value n;
  CHECK(decode(*r, "000a") == Value(Struct{{Struct{{5, n, n, n}}}}));
  CHECK(decode(*r, "02") == Value(Struct{{n}}));
  CHECK(decode(*r, "040273") == Value(Struct{{Struct{{n, s("s"), n, n}}}}));
  CHECK(decode(*r, "0606") == Value(Struct{{Struct{{n, n, Struct{{3}}, n}}}}));
  CHECK(decode(*r, "0804020400") == Value(Struct{{Struct{{n, n, n, List{1, 2}}}}}));
  CHECK(decode_error(*r, unhex("0a")).find("union index 5 out of range (5 branches)") !=
        std::string::npos);
  CHECK(
      schema_error(
          R"(["int",{"type":"fixed","name":"a.F","size":1},{"type":"fixed","name":"b.F","size":2}])")
          .find("Multiple union schemas map to the Connect union field name F") !=
      std::string::npos);
}

TEST_CASE("avro read: enums and fixed") {
  auto r = reader(
      R"({"type":"record","name":"E","fields":[{"name":"suit","type":{"type":"enum","name":"Suit","namespace":"cards","doc":"card suit","symbols":["SPADES","HEARTS"],"default":"SPADES"}},{"name":"fx","type":{"type":"fixed","name":"MD5","size":4}}]})");
  const Schema& suit = field(r->connect_schema(), "suit");
  CHECK(suit.type == Type::kString);
  CHECK(suit.name == "cards.Suit");
  CHECK(suit.parameters == Params{{"io.confluent.connect.avro.enum.doc.Suit", "card suit"},
                                  {"io.confluent.connect.avro.enum.default.Suit", "SPADES"},
                                  {"io.confluent.connect.avro.Enum", "cards.Suit"},
                                  {"io.confluent.connect.avro.Enum.SPADES", "SPADES"},
                                  {"io.confluent.connect.avro.Enum.HEARTS", "HEARTS"}});
  const Schema& fx = field(r->connect_schema(), "fx");
  CHECK(fx.type == Type::kBytes);
  CHECK(fx.name == "MD5");
  CHECK(fx.parameters == Params{{"connect.fixed.size", "4"}});
  CHECK(decode(*r, "02 01020304") == Value(Struct{{s("HEARTS"), Bytes{"\x01\x02\x03\x04"}}}));
  CHECK(decode_error(*r, unhex("04 01020304")) ==
        "invalid Avro data at byte offset 0: enum index 2 out of range (2 symbols)");
  CHECK(decode_error(*r, unhex("00 010203")) ==
        "invalid Avro data at byte offset 1: truncated fixed: 4 bytes needed, 3 left");
}

TEST_CASE("avro read: nested records, named references, arrays, maps and MapEntry arrays") {
  auto r = reader(
      R"({"type":"record","name":"Outer","namespace":"com.acme","fields":[{"name":"home","type":{"type":"record","name":"Address","fields":[{"name":"city","type":"string"},{"name":"zip","type":["null","int"]}]}},{"name":"work","type":"Address"},{"name":"other","type":["null","com.acme.Address"]},{"name":"tags","type":{"type":"array","items":"string"}},{"name":"attrs","type":{"type":"map","values":"long"}},{"name":"byid","type":{"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":"int"},{"name":"value","type":"string"}]}}}]})");
  const SchemaPtr& schema = r->connect_schema();
  const Schema& home = field(schema, "home");
  CHECK(home.name == "com.acme.Address");
  CHECK(home.fields.size() == 2);
  CHECK(field(schema, "work").equals(home));
  CHECK(field(schema, "other").optional);
  CHECK(field(schema, "other").name == "com.acme.Address");
  CHECK(field(schema, "tags").equals(*Schema::array(Schema::primitive(Type::kString))));
  CHECK(
      field(schema, "attrs")
          .equals(*Schema::map(Schema::primitive(Type::kString), Schema::primitive(Type::kInt64))));
  CHECK(
      field(schema, "byid")
          .equals(*Schema::map(Schema::primitive(Type::kInt32), Schema::primitive(Type::kString))));
  const Value n;
  CHECK(decode(*r,
               "084f736c6f 02ac02 | 0c42657267656e 00 | 00 | 04 0261 046263 00 | "
               "04 026b 02 026d 01 00 | 04 02 066f6e65 03 0674776f 00") ==
        Value(Struct{{Struct{{s("Oslo"), 150}}, Struct{{s("Bergen"), n}}, n, List{s("a"), s("bc")},
                      Map{{s("k"), s("m")}, {1, -1}}, Map{{1, -2}, {s("one"), s("two")}}}}));
  CHECK(decode(*r, "00 00 | 00 00 | 02 0278 0202 | 00 | 00 | 00") ==
        Value(Struct{
            {Struct{{s(""), n}}, Struct{{s(""), n}}, Struct{{s("x"), 1}}, List{}, Map{}, Map{}}}));
}

TEST_CASE("avro read: negative block counts carry a byte size") {
  auto array = reader(R"({"type":"array","items":"int"})", 9);
  CHECK(array->connect_schema()->version == 9);  // any top-level type takes the version
  // Blocks: -2 items in 2 bytes (1, 2), then 1 item (3), then the end.
  CHECK(decode(*array, "03 04 0204 | 02 06 | 00") == Value(List{1, 2, 3}));
  CHECK(decode(*array, "00") == Value(List{}));
  auto map = reader(R"({"type":"map","values":"boolean"})");
  CHECK(decode(*map, "01 06 0261 01 | 00") == Value(Map{{s("a")}, {true}}));
  CHECK(decode_error(*array, unhex("03 0a 0204 00")) ==
        "invalid Avro data at byte offset 1: array block length 5 is beyond the 3 bytes left");
  // A MapEntry by connect.internal.type, value field first.
  auto entries = reader(
      R"({"type":"array","items":{"type":"record","name":"E","connect.internal.type":"MapEntry","fields":[{"name":"value","type":"string"},{"name":"key","type":"long"}]}})");
  CHECK(entries->connect_schema()->equals(
      *Schema::map(Schema::primitive(Type::kInt64), Schema::primitive(Type::kString))));
  CHECK(decode(*entries, "01 06 026102 | 00") == Value(Map{{1}, {s("a")}}));
}

TEST_CASE("avro read: field defaults and connect.default") {
  auto r = reader(
      R"({"type":"record","name":"D","fields":[
    {"name":"i","type":"int","default":42},
    {"name":"s","type":"string","default":"x","doc":"the s"},
    {"name":"o","type":["null","string"],"default":null},
    {"name":"o2","type":[{"type":"string","connect.default":"dflt"},"null"],"default":"dflt"},
    {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":5,"scale":2},"default":"\u0004\u00d2"},
    {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"},"default":1000},
    {"name":"arr","type":{"type":"array","items":"int"},"default":[1,2]},
    {"name":"m","type":{"type":"map","values":"double"},"default":{"a":1.5}},
    {"name":"rec","type":{"type":"record","name":"R","fields":[{"name":"x","type":"int","default":1},{"name":"y","type":"string"}]},"default":{"y":"why"}},
    {"name":"u","type":["int","string"],"default":7},
    {"name":"e","type":{"type":"enum","name":"Color","symbols":["RED","GREEN"]},"default":"GREEN"},
    {"name":"f","type":"float","default":0.1},
    {"name":"bad","type":"int","default":"nope"}]})");
  const SchemaPtr& schema = r->connect_schema();
  CHECK(schema->parameters == Params{{"io.confluent.connect.avro.field.doc.s", "the s"}});
  const Params flag{{"io.confluent.connect.avro.field.default", "true"}};
  CHECK(field(schema, "i").default_value == Value(42));
  CHECK(field(schema, "i").parameters == flag);
  CHECK(field(schema, "s").default_value == s("x"));
  CHECK(!field(schema, "o").default_value);
  CHECK(field(schema, "o").parameters.empty());
  CHECK(field(schema, "o2").default_value == s("dflt"));
  CHECK(field(schema, "o2").parameters.empty());
  CHECK(field(schema, "dec").default_value == Value(Decimal{"1234", 2}));
  CHECK(field(schema, "dec").parameters ==
        Params{{"scale", "2"},
               {"connect.decimal.precision", "5"},
               {"io.confluent.connect.avro.field.default", "true"}});
  CHECK(field(schema, "ts").default_value == Value(1000 * kNanosPerMilli));
  CHECK(field(schema, "arr").default_value == Value(List{1, 2}));
  CHECK(field(schema, "m").default_value == Value(Map{{s("a")}, {1.5}}));
  CHECK(field(schema, "rec").default_value == Value(Struct{{1, s("why")}}));
  CHECK(field(schema, "rec").fields[0].schema->default_value == Value(1));
  CHECK(field(schema, "u").default_value == Value(Struct{{7, Value()}}));
  CHECK(field(schema, "u").parameters == flag);
  CHECK(field(schema, "e").default_value == s("GREEN"));
  CHECK(field(schema, "e").parameters.back() == flag[0]);
  CHECK(field(schema, "f").default_value == Value(static_cast<double>(0.1f)));
  CHECK(!field(schema, "bad").default_value);  // AvroData ignores a default it cannot read
}

TEST_CASE("avro read: connect.* properties, names and versions") {
  auto r = reader(
      R"({"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","doc":"rec doc","fields":[{"name":"a","type":{"type":"int","connect.doc":"an a","connect.version":2,"connect.parameters":{"k":"v"},"connect.name":"my.Int","avro.java.string":"String"}},{"name":"b","type":{"type":"string","connect.default":"z"}}],"connect.version":5,"connect.doc":"top"})",
      8);
  const SchemaPtr& schema = r->connect_schema();
  CHECK(!schema->name);  // io.confluent.connect.avro.ConnectDefault* is unnamed
  CHECK(schema->version == 5);
  CHECK(schema->doc == "top");
  CHECK(schema->parameters == Params{{"io.confluent.connect.avro.record.doc", "rec doc"}});
  const Schema& a = field(schema, "a");
  CHECK(a.name == "my.Int");
  CHECK(a.version == 2);
  CHECK(a.doc == "an a");
  CHECK(a.parameters == Params{{"k", "v"}, {"avro.java.string", "String"}});
  CHECK(field(schema, "b").default_value == s("z"));
  CHECK(field(schema, "b").parameters.empty());
  CHECK(decode(*r, "0e 0278") == Value(Struct{{7, s("x")}}));
  // A top-level type of any kind takes the registry version; a logical type's version is 1.
  CHECK(reader(R"("string")", 4)->connect_schema()->version == 4);
  CHECK(schema_error(R"({"type":"int","logicalType":"date"})", 4).find("Mismatched versions") !=
        std::string::npos);
  CHECK(reader(R"({"type":"int","logicalType":"date","connect.version":1})", 4)
            ->connect_schema()
            ->equals(*Schema::date()));
}

TEST_CASE("avro read: a top-level bytes schema takes the body raw") {
  auto r = reader(R"("bytes")");
  CHECK(decode(*r, "000102") == Value(Bytes{std::string("\0\x01\x02", 3)}));
  CHECK(decode(*r, "") == Value(Bytes{}));
  auto dec = reader(R"({"type":"bytes","logicalType":"decimal","precision":9,"scale":1})");
  CHECK(decode(*dec, "ff38") == Value(Decimal{"-200", 1}));
  CHECK(decode_error(*dec, "") == "invalid Avro data at byte offset 0: empty decimal");
  // Up to 8 bytes in 64 bits, longer through Decimal::from_twos_complement.
  const std::pair<const char*, const char*> cases[] = {
      {"00", "0"},
      {"0080", "128"},
      {"9c", "-100"},
      {"8000000000000000", "-9223372036854775808"},
      {"7fffffffffffffff", "9223372036854775807"},
      {"008000000000000000", "9223372036854775808"},
      {"ff7fffffffffffffff", "-9223372036854775809"},
      {"0000000000000000000001", "1"}};
  for (const auto& [hex, digits] : cases) CHECK(decode(*dec, hex) == Value(Decimal{digits, 1}));
}

TEST_CASE("avro read: malformed data fails with the problem and the byte offset") {
  auto login = reader(kLogin);
  CHECK(decode_error(*login, unhex("02 0a616c696365 dcec8682")) ==
        "invalid Avro data at byte offset 7: truncated varint");
  CHECK(decode_error(*login, unhex("02 0a616c")) ==
        "invalid Avro data at byte offset 1: string length 5 is beyond the 2 bytes left");
  CHECK(decode_error(*login, unhex("02 0a616c696365 dcec86829963 00")) ==
        "invalid Avro data at byte offset 13: 1 trailing bytes after the datum");
  CHECK(decode_error(*login, "") == "invalid Avro data at byte offset 0: truncated varint");
  auto along = reader(R"("long")");
  CHECK(decode_error(*along, unhex("ffffffffffffffffff ff 01")) ==
        "invalid Avro data at byte offset 0: varint longer than 10 bytes");
  auto str = reader(R"("string")");
  CHECK(decode_error(*str, unhex("01")) ==
        "invalid Avro data at byte offset 0: negative string length -1");
  CHECK(decode_error(*str, unhex("80c8afa025 616263")) ==  // 5,000,000,000 bytes
        "invalid Avro data at byte offset 0: string length 5000000000 is beyond the 3 bytes "
        "left");
  auto ints = reader(R"({"type":"array","items":"int"})");
  CHECK(decode_error(*ints, unhex("80c8afa025 0202")) ==
        "invalid Avro data at byte offset 0: array count 5000000000 is beyond the 2 bytes left");
  auto anint = reader(R"("int")");
  CHECK(decode_error(*anint, unhex("8080808020")) ==
        "invalid Avro data at byte offset 0: int 4294967296 out of range");
  auto opt = reader(R"(["null","int"])");
  CHECK(decode_error(*opt, unhex("04")) ==
        "invalid Avro data at byte offset 0: union index 2 out of range (2 branches)");
  auto time = reader(R"({"type":"int","logicalType":"time-millis","connect.version":1})");
  CHECK(decode_error(*time, unhex("82f0b252")) ==
        "invalid Avro data at byte offset 0: time-millis 86400001 is not within a day");
  // Items that take no bytes: a count is not bounded by the input, so by a limit.
  auto empties = reader(R"({"type":"array","items":{"type":"record","name":"E","fields":[]}})");
  CHECK(decode(*empties, "06 00") == Value(List{Struct{}, Struct{}, Struct{}}));
  CHECK(decode_error(*empties, unhex("808080808040 00")).find("over the limit") !=
        std::string::npos);
}

TEST_CASE("avro read: schemas it refuses") {
  CHECK(schema_error("{").find("not JSON") != std::string::npos);
  CHECK(schema_error(R"("Nope")").find("undefined name: \"Nope\"") != std::string::npos);
  CHECK(schema_error(R"("null")").find("standalone null") != std::string::npos);
  CHECK(schema_error(
            R"({"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]})")
            .find("recursive type Node") != std::string::npos);
  CHECK(schema_error(R"(["int","int"])").find("duplicate in union: int") != std::string::npos);
  CHECK(schema_error(R"({"type":"int","connect.type":"int4"})").find("int4") != std::string::npos);
  CHECK(schema_error(R"({"type":"long","connect.name":"x","logicalType":"timestamp-millis"})")
            .find("Mismatched names") != std::string::npos);
  CHECK(
      schema_error(
          R"({"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":"int"}]}})")
          .find("Found map encoded as array") != std::string::npos);
  std::string deep = "\"int\"";
  for (int i = 0; i < 200; ++i) deep = R"({"type":"array","items":)" + deep + "}";
  CHECK(schema_error(deep).find("nested deeper than") != std::string::npos);
}
