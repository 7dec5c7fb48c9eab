// Golden bytes for the JSON, string and bytearray converters. Every expected string is what Kafka
// Connect's JsonConverter (Jackson) writes for the same schema and value.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "converters.h"
#include "json_converter.h"

using kpipe::Bytes;
using kpipe::Config;
using kpipe::Converter;
using kpipe::Decimal;
using kpipe::List;
using kpipe::Map;
using kpipe::Schema;
using kpipe::SchemaAndValue;
using kpipe::SchemaPtr;
using kpipe::Status;
using kpipe::Struct;
using kpipe::StructBuilder;
using kpipe::Type;
using kpipe::Value;

namespace {

constexpr int64_t kNanosPerMilli = 1000000;

Config json_config(bool schemas_enable, const std::string& decimal_format) {
  Config config;
  config.values["schemas.enable"] = schemas_enable;
  config.values["decimal.format"] = decimal_format;
  return config;
}

std::unique_ptr<Converter> json(bool schemas_enable = true,
                                const std::string& decimal_format = "base64") {
  auto converter = kpipe::make_json_converter();
  Status st = converter->configure(json_config(schemas_enable, decimal_format), false);
  REQUIRE(st.ok());
  return converter;
}

std::string write(Converter& converter, const SchemaPtr& schema, const Value& value) {
  std::optional<std::string> out;
  Status st = converter.to_bytes("topic", schema, value, &out);
  INFO(st.message());
  REQUIRE(st.ok());
  REQUIRE(out.has_value());
  return *out;
}

std::string write(const SchemaPtr& schema, const Value& value) {
  return write(*json(), schema, value);
}

std::string payload(const SchemaPtr& schema, const Value& value) {
  return write(*json(false), schema, value);
}

std::string numeric(const SchemaPtr& schema, const Value& value) {
  return write(*json(true, "numeric"), schema, value);
}

Status write_error(const SchemaPtr& schema, const Value& value) {
  std::optional<std::string> out;
  return json()->to_bytes("topic", schema, value, &out);
}

SchemaAndValue read(Converter& converter, const std::string& bytes) {
  SchemaAndValue out;
  Status st = converter.from_bytes("topic", bytes, &out);
  INFO(st.message());
  REQUIRE(st.ok());
  return out;
}

Status read_error(const std::string& bytes, bool schemas_enable = true) {
  SchemaAndValue out;
  return json(schemas_enable)->from_bytes("topic", bytes, &out);
}

// to_bytes -> from_bytes -> to_bytes gives the same bytes.
void check_round_trip(const std::string& bytes, const std::string& decimal_format = "base64") {
  auto converter = json(true, decimal_format);
  SchemaAndValue back = read(*converter, bytes);
  CHECK(write(*converter, back.schema, back.value) == bytes);
}

SchemaPtr prim(Type type, bool optional = false) {
  return Schema::primitive(type, optional);
}

SchemaPtr with(const SchemaPtr& base, void (*edit)(Schema&)) {
  Schema copy = *base;
  edit(copy);
  return std::make_shared<const Schema>(std::move(copy));
}

}  // namespace

TEST_CASE("JsonConverter: the examples in REFERENCE.md, byte for byte") {
  CHECK(write(prim(Type::kString), "broker.id=0") ==
        R"({"schema":{"type":"string","optional":false},"payload":"broker.id=0"})");

  SchemaPtr login = StructBuilder("login")
                        .field("username", prim(Type::kString, true))
                        .field("login_time", Schema::timestamp(true))
                        .build();
  Value value = Struct{{Value("gwenshap"), Value(int64_t{1476423962000} * kNanosPerMilli)}};
  const std::string expected =
      R"({"schema":{"type":"struct","fields":[{"type":"string","optional":true,"field":"username"},)"
      R"({"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp",)"
      R"("version":1,"field":"login_time"}],"optional":false,"name":"login"},)"
      R"("payload":{"username":"gwenshap","login_time":1476423962000}})";
  CHECK(write(login, value) == expected);
  check_round_trip(expected);
  CHECK(payload(login, value) == R"({"username":"gwenshap","login_time":1476423962000})");
}

TEST_CASE("JsonConverter: every primitive type, required and optional") {
  struct Case {
    Type type;
    Value value;
    const char* type_json;
    const char* payload_json;
  };
  const Case cases[] = {
      {Type::kInt8, Value(int64_t{-128}), "int8", "-128"},
      {Type::kInt16, Value(int64_t{32767}), "int16", "32767"},
      {Type::kInt32, Value(int64_t{-2147483648LL}), "int32", "-2147483648"},
      {Type::kInt64, Value(std::numeric_limits<int64_t>::max()), "int64", "9223372036854775807"},
      {Type::kFloat32, Value(1.5), "float", "1.5"},
      {Type::kFloat64, Value(0.1), "double", "0.1"},
      {Type::kBoolean, Value(true), "boolean", "true"},
      {Type::kBoolean, Value(false), "boolean", "false"},
      {Type::kString, Value("hello"), "string", "\"hello\""},
      {Type::kString, Value(""), "string", "\"\""},
      {Type::kBytes, Value(Bytes{std::string("\x00\x01\xff", 3)}), "bytes", "\"AAH/\""},
      {Type::kBytes, Value(Bytes{"hi"}), "bytes", "\"aGk=\""},
      {Type::kBytes, Value(Bytes{"h"}), "bytes", "\"aA==\""},
      {Type::kBytes, Value(Bytes{""}), "bytes", "\"\""},
  };
  for (const Case& c : cases) {
    for (bool optional : {false, true}) {
      CAPTURE(c.type_json);
      CAPTURE(optional);
      std::string expected = std::string(R"({"schema":{"type":")") + c.type_json +
                             R"(","optional":)" + (optional ? "true" : "false") +
                             R"(},"payload":)" + c.payload_json + "}";
      CHECK(write(prim(c.type, optional), c.value) == expected);
      CHECK(payload(prim(c.type, optional), c.value) == c.payload_json);
      check_round_trip(expected);
    }
  }
}

TEST_CASE("JsonConverter: logical types") {
  SUBCASE("Timestamp: nanoseconds in memory, floor to milliseconds on the wire") {
    const std::string schema =
        R"({"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1})";
    CHECK(write(Schema::timestamp(), Value(int64_t{1476423962123456789})) ==
          R"({"schema":)" + schema + R"(,"payload":1476423962123})");
    CHECK(payload(Schema::timestamp(), Value(int64_t{-1})) == "-1");
    CHECK(payload(Schema::timestamp(), Value(int64_t{-1500000})) == "-2");
    CHECK(payload(Schema::timestamp(), Value(int64_t{0})) == "0");
    check_round_trip(R"({"schema":)" + schema + R"(,"payload":-86400001})");
    SchemaAndValue back = read(*json(), R"({"schema":)" + schema + R"(,"payload":1000})");
    CHECK(back.value == Value(int64_t{1000} * kNanosPerMilli));
    CHECK(back.schema->logical() == kpipe::Logical::kTimestamp);
  }
  SUBCASE("Time: milliseconds since midnight, int32") {
    int64_t nanos = (int64_t{13} * 3600 + 45 * 60 + 30) * 1000000000 + 123456789;
    const std::string expected =
        R"({"schema":{"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Time","version":1},"payload":49530123})";
    CHECK(write(Schema::time(true), Value(nanos)) == expected);
    check_round_trip(expected);
    CHECK(read(*json(), expected).value == Value(int64_t{49530123} * kNanosPerMilli));
  }
  SUBCASE("Date: days since the epoch, int32") {
    const std::string expected =
        R"({"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1},"payload":19000})";
    CHECK(write(Schema::date(), Value(int64_t{19000})) == expected);
    CHECK(payload(Schema::date(), Value(int64_t{-1})) == "-1");
    check_round_trip(expected);
    CHECK(read(*json(), expected).value == Value(int64_t{19000}));
  }
  SUBCASE("Decimal: base64 of the two's-complement unscaled value") {
    const std::string schema =
        R"({"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}})";
    struct Case {
      const char* unscaled;
      const char* base64;
      const char* number;
    };
    const Case cases[] = {
        {"12345", "MDk=", "123.45"},
        {"-12345", "z8c=", "-123.45"},
        {"0", "AA==", "0.00"},
        {"1", "AQ==", "0.01"},
        {"128", "AIA=", "1.28"},
        {"-129", "/38=", "-1.29"},
        {"-1", "/w==", "-0.01"},
        {"-128", "gA==", "-1.28"},
        {"123456789012345678901234567890",
         "AY7pD/bDc+DuTj8K0g==", "1234567890123456789012345678.90"},
        {"-123456789012345678901234567890",
         "/nEW8Ak8jB8RscD1Lg==", "-1234567890123456789012345678.90"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.unscaled);
      Value value = Decimal{c.unscaled, 2};
      std::string b64 = R"({"schema":)" + schema + R"(,"payload":")" + c.base64 + R"("})";
      std::string num = R"({"schema":)" + schema + R"(,"payload":)" + c.number + "}";
      CHECK(write(Schema::decimal(2), value) == b64);
      CHECK(numeric(Schema::decimal(2), value) == num);
      check_round_trip(b64);
      check_round_trip(num, "numeric");
      CHECK(read(*json(), b64).value == value);
      CHECK(read(*json(true, "numeric"), num).value == value);
      // Either payload form is accepted whatever decimal.format says, as in Connect.
      CHECK(read(*json(), num).value == value);
    }
  }
  SUBCASE("Decimal: precision parameter, optional, and a value at another scale") {
    CHECK(
        write(Schema::decimal(3, true, 10), Value(Decimal{"15", 1})) ==
        R"({"schema":{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"3","connect.decimal.precision":"10"}},"payload":"Bdw="})");
    CHECK(
        numeric(Schema::decimal(10), Value(Decimal{"0", 10})) ==
        R"({"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"10"}},"payload":0E-10})");
    CHECK_FALSE(write_error(Schema::decimal(1), Value(Decimal{"123", 2})).ok());
  }
}

TEST_CASE("JsonConverter: defaults, doc, parameters, name and version") {
  SchemaPtr with_default = with(prim(Type::kInt32), [](Schema& s) { s.default_value = Value(42); });
  CHECK(write(with_default, Value(7)) ==
        R"({"schema":{"type":"int32","optional":false,"default":42},"payload":7})");

  SchemaPtr everything = with(prim(Type::kInt32, true), [](Schema& s) {
    s.name = "com.example.Count";
    s.version = 2;
    s.doc = "how many \"things\"";
    s.parameters = {{"b", "1"}, {"a", "2"}};
    s.default_value = Value(7);
  });
  SchemaPtr st = StructBuilder("with.fields").field("n", everything).build();
  const std::string expected =
      R"({"schema":{"type":"struct","fields":[{"type":"int32","optional":true,"name":"com.example.Count","version":2,"doc":"how many \"things\"","parameters":{"b":"1","a":"2"},"default":7,"field":"n"}],"optional":false,"name":"with.fields"},"payload":{"n":5}})";
  CHECK(write(st, Value(Struct{{Value(5)}})) == expected);
  check_round_trip(expected);

  // A null field takes its default (replace.null.with.default, Connect's default).
  const std::string defaulted =
      R"({"schema":{"type":"struct","fields":[{"type":"int32","optional":true,"name":"com.example.Count","version":2,"doc":"how many \"things\"","parameters":{"b":"1","a":"2"},"default":7,"field":"n"}],"optional":false,"name":"with.fields"},"payload":{"n":7}})";
  CHECK(write(st, Value(Struct{{Value()}})) == defaulted);

  SchemaPtr ts_default = with(Schema::timestamp(), [](Schema& s) {
    s.default_value = Value(int64_t{1476423962000} * kNanosPerMilli);
  });
  const std::string ts_expected =
      R"({"schema":{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"default":1476423962000},"payload":0})";
  CHECK(write(ts_default, Value(int64_t{0})) == ts_expected);
  check_round_trip(ts_expected);

  SchemaPtr dec_default = with(Schema::decimal(2), [](Schema& s) {
    s.default_value = Value(Decimal{"-129", 2});
  });
  CHECK(
      write(dec_default, Value(Decimal{"1", 2})) ==
      R"({"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"default":"/38="},"payload":"AQ=="})");
  CHECK(
      numeric(dec_default, Value(Decimal{"1", 2})) ==
      R"({"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"default":-1.29},"payload":0.01})");

  SchemaPtr str_default = with(prim(Type::kString, true), [](Schema& s) {
    s.default_value = Value("n/a");
    s.doc = "a doc";
  });
  const std::string str_expected =
      R"({"schema":{"type":"string","optional":true,"doc":"a doc","default":"n/a"},"payload":"x"})";
  CHECK(write(str_default, Value("x")) == str_expected);
  check_round_trip(str_expected);
}

TEST_CASE("JsonConverter: arrays, maps and nested structs") {
  SUBCASE("array") {
    const std::string expected =
        R"({"schema":{"type":"array","items":{"type":"int32","optional":false},"optional":false},"payload":[1,2,3]})";
    CHECK(write(Schema::array(prim(Type::kInt32)), Value(List{Value(1), Value(2), Value(3)})) ==
          expected);
    check_round_trip(expected);
    CHECK(payload(Schema::array(prim(Type::kString, true)), Value(List{Value("a"), Value()})) ==
          R"(["a",null])");
    CHECK(payload(Schema::array(prim(Type::kInt32)), Value(List{})) == "[]");
  }
  SUBCASE("map with string keys is an object") {
    Map m;
    m.keys = {Value("a"), Value("b")};
    m.values = {Value(int64_t{1}), Value()};
    const std::string expected =
        R"({"schema":{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int64","optional":true},"optional":false},"payload":{"a":1,"b":null}})";
    CHECK(write(Schema::map(prim(Type::kString), prim(Type::kInt64, true)), Value(m)) == expected);
    check_round_trip(expected);
  }
  SUBCASE("map with non-string keys is an array of pairs") {
    Map m;
    m.keys = {Value(1), Value(2)};
    m.values = {Value("one"), Value("two")};
    const std::string expected =
        R"({"schema":{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"string","optional":false},"optional":true},"payload":[[1,"one"],[2,"two"]]})";
    CHECK(write(Schema::map(prim(Type::kInt32), prim(Type::kString), true), Value(m)) == expected);
    check_round_trip(expected);
  }
  SUBCASE("map with optional string keys is an array of pairs too, as in Connect") {
    Map m;
    m.keys = {Value("k")};
    m.values = {Value(true)};
    const std::string expected =
        R"({"schema":{"type":"map","keys":{"type":"string","optional":true},"values":{"type":"boolean","optional":false},"optional":false},"payload":[["k",true]]})";
    CHECK(write(Schema::map(prim(Type::kString, true), prim(Type::kBoolean)), Value(m)) ==
          expected);
    check_round_trip(expected);
  }
  SUBCASE("nested struct") {
    SchemaPtr inner = StructBuilder("inner").field("x", prim(Type::kInt32)).build();
    SchemaPtr outer =
        StructBuilder("outer")
            .field("inner", inner)
            .field("tags", Schema::array(prim(Type::kString), true))
            .field("scores", Schema::map(prim(Type::kString), prim(Type::kFloat64)))
            .field("maybe", StructBuilder().field("y", prim(Type::kBytes)).optional().build())
            .build();
    Map scores;
    scores.keys = {Value("math")};
    scores.values = {Value(9.5)};
    Value value = Struct{
        {Value(Struct{{Value(1)}}), Value(List{Value("a"), Value("b")}), Value(scores), Value()}};
    const std::string expected =
        R"({"schema":{"type":"struct","fields":[)"
        R"({"type":"struct","fields":[{"type":"int32","optional":false,"field":"x"}],"optional":false,"name":"inner","field":"inner"},)"
        R"({"type":"array","items":{"type":"string","optional":false},"optional":true,"field":"tags"},)"
        R"({"type":"map","keys":{"type":"string","optional":false},"values":{"type":"double","optional":false},"optional":false,"field":"scores"},)"
        R"({"type":"struct","fields":[{"type":"bytes","optional":false,"field":"y"}],"optional":true,"field":"maybe"}],)"
        R"("optional":false,"name":"outer"},)"
        R"("payload":{"inner":{"x":1},"tags":["a","b"],"scores":{"math":9.5},"maybe":null}})";
    CHECK(write(outer, value) == expected);
    check_round_trip(expected);
    SchemaAndValue back = read(*json(), expected);
    CHECK(back.schema->equals(*outer));
    CHECK(back.value == value);
  }
}

TEST_CASE("JsonConverter: strings are escaped as Jackson does") {
  auto str = [](const std::string& s) { return payload(prim(Type::kString), Value(s)); };
  CHECK(str("say \"hi\"") == R"("say \"hi\"")");
  CHECK(str("back\\slash") == R"("back\\slash")");
  CHECK(str("a/b") == R"("a/b")");
  CHECK(str("\b\f\n\r\t") == R"("\b\f\n\r\t")");
  CHECK(str(std::string("\x00\x01\x1f\x7f", 4)) == "\"\\u0000\\u0001\\u001F\x7f\"");
  CHECK(str("\x0b\x1b") == R"("\u000B\u001B")");
  CHECK(str("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x80\xa8") ==
        "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x80\xa8\"");
  CHECK(str("<script>&'") == R"("<script>&'")");
  // Invalid UTF-8 becomes U+FFFD, as Java's decoder would have made it.
  CHECK(str("a\xff"
            "b") ==
        "\"a\xef\xbf\xbd"
        "b\"");
  CHECK(str("\xc3") == "\"\xef\xbf\xbd\"");
  CHECK(str("\xe2\x82"
            "x") ==
        "\"\xef\xbf\xbd"
        "x\"");
  CHECK(str("\xed\xa0\x80") == "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  // a surrogate
  CHECK(str("\xc0\xaf") == "\"\xef\xbf\xbd\xef\xbf\xbd\"");                  // overlong '/'
  // Keys and schema strings are escaped the same way.
  SchemaPtr st = StructBuilder("n\"ame").field("f\n", prim(Type::kString)).build();
  CHECK(
      write(st, Value(Struct{{Value("\t")}})) ==
      R"({"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"f\n"}],"optional":false,"name":"n\"ame"},"payload":{"f\n":"\t"}})");

  const std::string escaped =
      R"({"schema":{"type":"string","optional":false},"payload":"q\" b\\ \b\f\n\r\t \u0001 / é €"})";
  check_round_trip(escaped);
  CHECK(read(*json(), escaped).value == Value("q\" b\\ \b\f\n\r\t \x01 / é €"));
}

TEST_CASE("JsonConverter: doubles print as Java's Double.toString") {
  auto dbl = [](double d) { return payload(prim(Type::kFloat64), Value(d)); };
  CHECK(dbl(1.0) == "1.0");
  CHECK(dbl(0.1) == "0.1");
  CHECK(dbl(100.0) == "100.0");
  CHECK(dbl(100.5) == "100.5");
  CHECK(dbl(-2.5) == "-2.5");
  CHECK(dbl(1e7) == "1.0E7");
  CHECK(dbl(9999999.0) == "9999999.0");
  CHECK(dbl(123456789.0) == "1.23456789E8");
  CHECK(dbl(1.234e-5) == "1.234E-5");
  CHECK(dbl(0.001) == "0.001");
  CHECK(dbl(0.0001) == "1.0E-4");
  CHECK(dbl(-1.5e10) == "-1.5E10");
  CHECK(dbl(1e21) == "1.0E21");
  CHECK(dbl(1e23) == "1.0E23");
  CHECK(dbl(0.0) == "0.0");
  CHECK(dbl(-0.0) == "-0.0");
  CHECK(dbl(1.0 / 3) == "0.3333333333333333");
  CHECK(dbl(2.0 / 3) == "0.6666666666666666");
  CHECK(dbl(0.1 + 0.2) == "0.30000000000000004");
  CHECK(dbl(std::numeric_limits<double>::max()) == "1.7976931348623157E308");
  CHECK(dbl(std::numeric_limits<double>::min()) == "2.2250738585072014E-308");
  CHECK(dbl(std::numeric_limits<double>::denorm_min()) == "4.9E-324");
  // Jackson quotes the non-finite values.
  CHECK(dbl(std::nan("")) == R"("NaN")");
  CHECK(dbl(std::numeric_limits<double>::infinity()) == R"("Infinity")");
  CHECK(dbl(-std::numeric_limits<double>::infinity()) == R"("-Infinity")");

  auto flt = [](float f) { return payload(prim(Type::kFloat32), Value(static_cast<double>(f))); };
  CHECK(flt(0.1f) == "0.1");
  CHECK(flt(1.1f) == "1.1");
  CHECK(flt(1.0e10f) == "1.0E10");
  CHECK(flt(16777216.0f) == "1.6777216E7");
  CHECK(flt(std::numeric_limits<float>::max()) == "3.4028235E38");
  CHECK(flt(std::numeric_limits<float>::denorm_min()) == "1.4E-45");
  CHECK(flt(-0.0f) == "-0.0");

  for (const char* text : {"1.0", "0.1", "1.0E7", "1.234E-5", "-0.0", "4.9E-324",
                           "1.7976931348623157E308", "0.30000000000000004"}) {
    CAPTURE(text);
    check_round_trip(std::string(R"({"schema":{"type":"double","optional":false},"payload":)") +
                     text + "}");
  }
  check_round_trip(R"({"schema":{"type":"float","optional":false},"payload":1.1})");
}

TEST_CASE("JsonConverter: schemaless values and schemas.enable=false") {
  Map m;
  m.keys = {Value("a"), Value("b")};
  m.values = {Value(List{Value(int64_t{1}), Value(2.5), Value("x"), Value(true), Value()}),
              Value(Map{})};
  CHECK(write(nullptr, Value(m)) ==
        R"({"schema":null,"payload":{"a":[1,2.5,"x",true,null],"b":{}}})");
  CHECK(payload(nullptr, Value(m)) == R"({"a":[1,2.5,"x",true,null],"b":{}})");

  Map int_keys;
  int_keys.keys = {Value(int64_t{1})};
  int_keys.values = {Value(Bytes{"hi"})};
  CHECK(payload(nullptr, Value(int_keys)) == R"([[1,"aGk="]])");
  CHECK(payload(nullptr, Value(Decimal{"1234", 2})) == "12.34");
  CHECK(payload(nullptr, Value("plain")) == R"("plain")");
  CHECK(payload(prim(Type::kString), Value("plain")) == R"("plain")");

  // Reading without schemas: objects become maps with string keys, integers int64.
  SchemaAndValue back = read(*json(false), R"({"a":[1,2.5,"x",true,null],"b":{}})");
  CHECK_FALSE(back.schema);
  CHECK(back.value == Value(m));
  CHECK(payload(nullptr, back.value) == R"({"a":[1,2.5,"x",true,null],"b":{}})");
  CHECK(read(*json(false), "42").value == Value(int64_t{42}));
  CHECK(read(*json(false), "\"s\"").value == Value("s"));
  CHECK(read(*json(false), "1e3").value == Value(1000.0));
  CHECK(read(*json(false), "null").value.is_null());

  // schema null inside an envelope is schemaless too.
  check_round_trip(R"({"schema":null,"payload":{"k":[1,"v"]}})");
}

TEST_CASE("JsonConverter: nulls") {
  // Only a null without a schema is Kafka's null; with one it is a value, as in Connect.
  std::optional<std::string> out = std::string("stale");
  REQUIRE(json()->to_bytes("t", nullptr, Value(), &out).ok());
  CHECK_FALSE(out.has_value());
  REQUIRE(json()->to_bytes("t", prim(Type::kString, true), Value(), &out).ok());
  CHECK(out == R"({"schema":{"type":"string","optional":true},"payload":null})");
  REQUIRE(json(false)->to_bytes("t", prim(Type::kString, true), Value(), &out).ok());
  CHECK(out == "null");
  SchemaPtr with_default = std::make_shared<const Schema>([] {
    Schema s = *Schema::primitive(Type::kString, true);
    s.default_value = Value(std::string("d"));
    return s;
  }());
  REQUIRE(json(false)->to_bytes("t", with_default, Value(), &out).ok());
  CHECK(out == R"("d")");
  Status required = json()->to_bytes("t", prim(Type::kString), Value(), &out);
  CHECK(required.code() == kpipe::Code::kRuntime);
  CHECK(required.message().find("null value for a required string") != std::string::npos);

  SchemaAndValue back;
  REQUIRE(json()->from_bytes("t", std::nullopt, &back).ok());
  CHECK_FALSE(back.schema);
  CHECK(back.value.is_null());

  // A required field with no default cannot be null.
  SchemaPtr st = StructBuilder("s").field("id", prim(Type::kInt64)).build();
  Status st_null = write_error(st, Value(Struct{{Value()}}));
  CHECK_FALSE(st_null.ok());
  CHECK(st_null.message().find("'id'") != std::string::npos);

  // Reading: a missing optional field is null, a missing required one an error.
  SchemaAndValue opt = read(
      *json(),
      R"({"schema":{"type":"struct","fields":[{"type":"string","optional":true,"field":"a"}],"optional":false},"payload":{}})");
  CHECK(opt.value == Value(Struct{{Value()}}));
  CHECK_FALSE(
      read_error(
          R"({"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"a"}],"optional":false},"payload":{}})")
          .ok());
}

TEST_CASE("JsonConverter: to_bytes type errors") {
  CHECK_FALSE(write_error(prim(Type::kInt32), Value("1")).ok());
  CHECK_FALSE(write_error(prim(Type::kInt8), Value(int64_t{128})).ok());
  CHECK_FALSE(write_error(prim(Type::kInt32), Value(int64_t{1} << 31)).ok());
  CHECK_FALSE(write_error(prim(Type::kString), Value(int64_t{1})).ok());
  CHECK_FALSE(write_error(prim(Type::kBytes), Value("text")).ok());
  CHECK_FALSE(write_error(Schema::timestamp(), Value(1.0)).ok());
  CHECK_FALSE(write_error(Schema::decimal(2), Value(int64_t{1})).ok());
  CHECK_FALSE(write_error(nullptr, Value(Struct{})).ok());
  SchemaPtr st = StructBuilder("s").field("a", prim(Type::kInt32)).build();
  Status wrong_count = write_error(st, Value(Struct{{Value(1), Value(2)}}));
  CHECK_FALSE(wrong_count.ok());
  Status message = write_error(prim(Type::kInt32), Value("1"));
  CHECK(message.message().find("int32") != std::string::npos);
  CHECK(message.message().find("string") != std::string::npos);
}

TEST_CASE("JsonConverter: from_bytes errors") {
  auto fails_with = [](const std::string& bytes, const std::string& needle) {
    Status st = read_error(bytes);
    CAPTURE(bytes);
    CAPTURE(st.message());
    CHECK_FALSE(st.ok());
    CHECK(st.message().find(needle) != std::string::npos);
  };
  fails_with("not json", "invalid JSON");
  fails_with("", "invalid JSON");
  fails_with(R"({"schema":{"type":"string","optional":false}})", R"(missing "payload")");
  fails_with(R"({"payload":"x"})", R"(missing "schema")");
  fails_with(R"({"a":1})", R"(missing "schema" and "payload")");
  fails_with(R"({"schema":null,"payload":1,"extra":2})", R"(unexpected field "extra")");
  fails_with(R"(["schema","payload"])", "instead of an object");
  fails_with(R"({"x":1})", "schemas.enable=false");
  fails_with(R"({"schema":{"optional":false},"payload":1})", "'type'");
  fails_with(R"({"schema":{"type":"int128"},"payload":1})", "Unknown schema type: int128");
  fails_with(R"({"schema":{"type":"array"},"payload":[]})", "element type");
  fails_with(R"({"schema":{"type":"map","keys":{"type":"string"}},"payload":{}})", "value type");
  fails_with(R"({"schema":{"type":"struct","fields":{}},"payload":{}})", "not an array");
  fails_with(R"({"schema":{"type":"struct","fields":[{"type":"string"}]},"payload":{}})",
             "field name");
  fails_with(R"({"schema":{"type":"string","parameters":{"a":1}},"payload":"x"})", "string values");
  fails_with(R"({"schema":{"type":"string","optional":false},"payload":null})",
             "Invalid null value for required string field");
  fails_with(R"({"schema":{"type":"int32","optional":false},"payload":"1"})", "STRING");
  fails_with(R"({"schema":{"type":"int8","optional":false},"payload":300})", "out of range");
  fails_with(R"({"schema":{"type":"bytes","optional":false},"payload":"!!"})", "bytes");
  fails_with(R"({"schema":{"type":"struct","fields":[],"optional":false},"payload":[]})",
             "Structs should be encoded as JSON objects");
  fails_with(
      R"({"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"payload":true})",
      "Decimal");
  fails_with(
      R"({"schema":{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"int32","optional":false},"optional":false},"payload":[[1]]})",
      "invalid map entry");
  fails_with(std::string(2000, '[') + std::string(2000, ']'), "nested");
}

TEST_CASE("JsonConverter: from_bytes rebuilds the schema and shares it between records") {
  const std::string bytes =
      R"({"schema":{"type":"struct","fields":[{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"10"},"field":"amt"}],"optional":false,"name":"row","version":3,"doc":"d"},"payload":{"amt":"MDk="}})";
  auto converter = json();
  SchemaAndValue first = read(*converter, bytes);
  SchemaAndValue second = read(*converter, bytes);
  CHECK(first.schema.get() == second.schema.get());
  CHECK(first.schema->name == std::string("row"));
  CHECK(first.schema->version == 3);
  CHECK(first.schema->doc == std::string("d"));
  const SchemaPtr& amt = first.schema->fields.at(0).schema;
  CHECK(amt->equals(*Schema::decimal(2, true, 10)));
  CHECK(first.value == Value(Struct{{Value(Decimal{"12345", 2})}}));
  CHECK(write(*converter, first.schema, first.value) == bytes);
}

TEST_CASE("JsonConverter: a repeated schema text skips to the payload, errors stay the same") {
  // A struct parameter named "payload": the first ,"payload": is inside the schema.
  const std::string schema =
      R"({"type":"struct","fields":[{"type":"int32","optional":false,"field":"n"}],"optional":false,"parameters":{"x":"1","payload":"2"}})";
  auto envelope = [&](const std::string& payload) {
    return R"({"schema":)" + schema + R"(,"payload":)" + payload + "}";
  };
  auto converter = json();
  SchemaAndValue first = read(*converter, envelope(R"({"n":1})"));
  SchemaAndValue second = read(*converter, envelope(R"({"n":2})"));
  CHECK(second.schema.get() == first.schema.get());
  CHECK(second.value == Value(Struct{{Value(int64_t{2})}}));
  SchemaAndValue out;
  Status st = converter->from_bytes("t", envelope(R"({"n":3},"extra":1)"), &out);
  CHECK(st.message().find(R"(unexpected field "extra")") != std::string::npos);
  st = converter->from_bytes("t", envelope(R"({"n":"x"})"), &out);
  CHECK_FALSE(st.ok());
  st = converter->from_bytes("t", envelope(R"({"n":4)"), &out);
  CHECK(st.message().find("invalid JSON") != std::string::npos);
  // A different schema is parsed in full.
  SchemaAndValue other =
      read(*converter, R"({"schema":{"type":"string","optional":false},"payload":"s"})");
  CHECK(other.value == Value(std::string("s")));
  CHECK(read(*converter, envelope(R"({"n":5})")).value == Value(Struct{{Value(int64_t{5})}}));
}

TEST_CASE("JsonConverter: configure reads decimal.format in any case") {
  auto converter = kpipe::make_json_converter();
  CHECK(converter->configure(json_config(true, "NUMERIC"), false).ok());
  CHECK(
      write(*converter, Schema::decimal(1), Value(Decimal{"5", 1})) ==
      R"({"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"1"}},"payload":0.5})");
  CHECK_FALSE(converter->configure(json_config(true, "hex"), false).ok());
}

TEST_CASE("StringConverter writes the value's string form") {
  auto converter = kpipe::make_string_converter();
  REQUIRE(converter->configure(Config{}, false).ok());
  auto str = [&](const SchemaPtr& schema, const Value& value) {
    return write(*converter, schema, value);
  };
  CHECK(str(prim(Type::kString), Value("broker.id=0")) == "broker.id=0");
  CHECK(str(nullptr, Value("caf\xc3\xa9\n")) == "caf\xc3\xa9\n");
  CHECK(str(prim(Type::kInt32), Value(-42)) == "-42");
  CHECK(str(nullptr, Value(1e7)) == "1.0E7");
  CHECK(str(prim(Type::kFloat32), Value(static_cast<double>(0.1f))) == "0.1");
  CHECK(str(nullptr, Value(true)) == "true");
  CHECK(str(nullptr, Value(Bytes{std::string("\x00\xff", 2)})) == std::string("\x00\xff", 2));
  CHECK(str(Schema::decimal(3), Value(Decimal{"-5", 3})) == "-0.005");
  CHECK(str(Schema::timestamp(), Value(int64_t{1476423962000} * kNanosPerMilli)) ==
        "1476423962000");
  SchemaPtr st = StructBuilder("s").field("a", prim(Type::kInt32)).build();
  CHECK(str(st, Value(Struct{{Value(1)}})) == R"({"a":1})");

  std::optional<std::string> out = std::string("stale");
  REQUIRE(converter->to_bytes("t", nullptr, Value(), &out).ok());
  CHECK_FALSE(out.has_value());

  SchemaAndValue back;
  REQUIRE(converter->from_bytes("t", std::string("text"), &back).ok());
  CHECK(back.schema.get() == Schema::primitive(Type::kString, true).get());
  CHECK(back.value == Value("text"));
  REQUIRE(converter->from_bytes("t", std::nullopt, &back).ok());
  CHECK(back.value.is_null());
}

TEST_CASE("ByteArrayConverter passes bytes through") {
  auto converter = kpipe::make_bytearray_converter();
  REQUIRE(converter->configure(Config{}, false).ok());
  const std::string raw("\x00\x01\xfe", 3);
  CHECK(write(*converter, prim(Type::kBytes), Value(Bytes{raw})) == raw);
  CHECK(write(*converter, nullptr, Value(Bytes{raw})) == raw);
  CHECK(write(*converter, prim(Type::kString), Value("text")) == "text");

  std::optional<std::string> out;
  Status st = converter->to_bytes("t", nullptr, Value(int64_t{1}), &out);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("int64") != std::string::npos);
  st = converter->to_bytes("t", prim(Type::kInt32), Value(Bytes{raw}), &out);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("int32") != std::string::npos);

  SchemaAndValue back;
  REQUIRE(converter->from_bytes("t", raw, &back).ok());
  CHECK(back.schema.get() == Schema::primitive(Type::kBytes, true).get());
  CHECK(back.value == Value(Bytes{raw}));
}

TEST_CASE("register_converters adds json, string and bytearray") {
  kpipe::Registry registry;
  kpipe::register_converters(registry);
  for (const char* name : {"json", "string", "bytearray"}) {
    CAPTURE(name);
    const auto* entry = registry.converter(name);
    REQUIRE(entry != nullptr);
    CHECK(entry->spec.kind == kpipe::ComponentKind::kConverter);
    CHECK(entry->make().get() != nullptr);
  }
  const auto& spec = registry.converter("json")->spec;
  REQUIRE(spec.find("schemas.enable") != nullptr);
  CHECK(spec.find("schemas.enable")->default_value == std::string("true"));
  REQUIRE(spec.find("decimal.format") != nullptr);
  CHECK(spec.find("decimal.format")->default_value == std::string("base64"));
}

TEST_CASE("json strings: a byte to escape is found wherever it is in a long string") {
  // Plain runs are scanned eight bytes at a time: every position and both sides of a word.
  const std::pair<std::string, std::string> specials[] = {
      {"\"", "\\\""},   {"\\", "\\\\"},           {"\n", "\\n"},           {"\x01", "\\u0001"},
      {"\x7f", "\x7f"}, {"\xc3\xa9", "\xc3\xa9"}, {"\xff", "\xEF\xBF\xBD"}};
  for (const auto& [raw, escaped] : specials) {
    for (size_t at = 0; at <= 20; ++at) {
      std::string out;
      kpipe::append_json_string(&out, std::string(at, 'a') + raw + std::string(20 - at, 'b'));
      CHECK(out == "\"" + std::string(at, 'a') + escaped + std::string(20 - at, 'b') + "\"");
    }
  }
}
