// Cast$Key / Cast$Value, tested against Kafka Connect's Cast (connect/transforms Cast.java):
// config errors, every target type, Java's narrowing and parse rules, boolean rules, Decimal,
// Date/Time/Timestamp and bytes inputs, output schemas field by field, nulls and the schema cache.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "record.h"
#include "schema.h"
#include "transform_test_util.h"
#include "value.h"

using namespace kpipe;
using namespace kpipe::testing;  // NOLINT: the shared transform test helpers

namespace {

constexpr int64_t kNanosPerMilli = 1000000;
constexpr int64_t kMillisPerDay = 86400000;
constexpr int64_t kMillisPerHour = 3600000;
// 2016-10-14T05:46:02.123Z
constexpr int64_t kInstantMs = 1476423962123;

const char* const kInputTypes =
    "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]";
const char* const kOutputTypes = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]";

// A readable form of a value for failure messages.
std::string show(const Value& v) {
  switch (v.v.index()) {
    case 0:
      return "null";
    case 1:
      return v.as<bool>() ? "true" : "false";
    case 2:
      return std::to_string(v.as<int64_t>()) + "L";
    case 3: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", v.as<double>());
      return std::string(buf) + "d";
    }
    case 4:
      return "\"" + v.as<std::string>() + "\"";
    case 5:
      return "bytes(" + std::to_string(v.as<Bytes>().data.size()) + ")";
    case 6:
      return "decimal(" + v.as<Decimal>().unscaled + "e-" + std::to_string(v.as<Decimal>().scale) +
             ")";
    default:
      return v.kind_name();
  }
}

#define CHECK_VALUE(actual, expected)                                         \
  do {                                                                        \
    const Value a_ = (actual);                                                \
    const Value e_ = (expected);                                              \
    CHECK_MESSAGE(a_ == e_, "got " << show(a_) << ", expected " << show(e_)); \
  } while (0)

Record value_record(SchemaPtr schema, Value value) {
  Record r;
  r.topic = "orders";
  r.value_schema = std::move(schema);
  r.value = std::move(value);
  return r;
}

// A primitive schema exactly as SchemaBuilder.<type>() builds it: no name, version, doc,
// parameters or default.
void check_plain(const SchemaPtr& s, Type type, bool optional) {
  REQUIRE(s);
  CHECK(s->type == type);
  CHECK(s->optional == optional);
  CHECK_FALSE(s->name.has_value());
  CHECK_FALSE(s->version.has_value());
  CHECK_FALSE(s->doc.has_value());
  CHECK(s->parameters.empty());
  CHECK_FALSE(s->default_value.has_value());
  CHECK(s->fields.empty());
}

// Cast the whole value `value` of `schema` (null: schemaless) with spec `type`.
Record whole(const std::string& type, SchemaPtr schema, Value value) {
  auto t = transform("Cast$Value", {{"spec", type}});
  Record r = value_record(std::move(schema), std::move(value));
  Status st = t->apply(r);
  INFO(st.message());
  REQUIRE(st.ok());
  return r;
}

Status whole_error(const std::string& type, SchemaPtr schema, Value value) {
  auto t = transform("Cast$Value", {{"spec", type}});
  Record r = value_record(std::move(schema), std::move(value));
  return t->apply(r);
}

// Cast one struct field `f` of `field_schema` holding `value`; returns the record.
Record field_cast(const std::string& target, SchemaPtr field_schema, Value value) {
  SchemaPtr s = StructBuilder("rec").field("f", std::move(field_schema)).build();
  auto t = transform("Cast$Value", {{"spec", "f:" + target}});
  Record r = value_record(s, Struct{{std::move(value)}});
  Status st = t->apply(r);
  INFO(st.message());
  REQUIRE(st.ok());
  return r;
}

Value field0(const Record& r) {
  return r.value.as<Struct>().fields.at(0);
}

double f32(double d) {
  return static_cast<double>(static_cast<float>(d));
}

}  // namespace

// ---- configuration -----------------------------------------------------------------------------

TEST_CASE("Cast$Value: an empty spec is refused") {
  Status st = configure_status("Cast$Value", {{"spec", ""}});
  CHECK_FALSE(st.ok());
  CHECK_MESSAGE(has(st, "Must specify at least one field to cast."), st.message());
  CHECK_FALSE(configure_status("Cast$Value", {}).ok());
  CHECK_FALSE(configure_status("Cast$Key", {{"spec", ""}}).ok());
}

TEST_CASE("Cast$Value: an unknown type name is refused") {
  Status st = configure_status("Cast$Value", {{"spec", "foo:faketype"}});
  CHECK_FALSE(st.ok());
  CHECK(st.code() == Code::kInvalid);
  CHECK_MESSAGE(has(st, "Invalid type found in casting spec: faketype"), st.message());
  // The whole-value form too (3.8+: a ConfigException as well).
  st = configure_status("Cast$Value", {{"spec", "faketype"}});
  CHECK_FALSE(st.ok());
  CHECK_MESSAGE(has(st, "Invalid type found in casting spec: faketype"), st.message());
  // The name is trimmed before it is shown.
  st = configure_status("Cast$Value", {{"spec", "foo: bogus "}});
  CHECK_MESSAGE(has(st, "Invalid type found in casting spec: bogus"), st.message());
}

TEST_CASE("Cast$Value: a known type that is not a cast target is refused") {
  for (const std::string spec :
       {"foo:bytes", "foo:array", "foo:map", "foo:struct", "array", "bytes", "struct", "map"}) {
    CAPTURE(spec);
    Status st = configure_status("Cast$Value", {{"spec", spec}});
    CHECK_FALSE(st.ok());
    CHECK(st.code() == Code::kInvalid);
  }
  Status st = configure_status("Cast$Value", {{"spec", "foo:bytes"}});
  CHECK_MESSAGE(has(st, std::string("Cast transformation does not support casting to BYTES; "
                                    "supported types are ") +
                            kOutputTypes),
                st.message());
  st = configure_status("Cast$Value", {{"spec", "array"}});
  CHECK_MESSAGE(has(st, std::string("Cast transformation does not support casting to ARRAY; "
                                    "supported types are ") +
                            kOutputTypes),
                st.message());
}

TEST_CASE("Cast$Value: a whole-value cast must be the only entry") {
  const std::string msg =
      "Cast transformations that specify a type to cast the entire value to may only specify a "
      "single cast in their spec";
  for (const std::string spec : {"foo:int8,int32", "int32,foo:int8", "int32,int64"}) {
    CAPTURE(spec);
    Status st = configure_status("Cast$Value", {{"spec", spec}});
    CHECK_FALSE(st.ok());
    CHECK_MESSAGE(has(st, msg), st.message());
  }
}

TEST_CASE("Cast$Value: more than one colon is an invalid rename mapping") {
  Status st = configure_status("Cast$Value", {{"spec", "foo:int8:extra"}});
  CHECK_FALSE(st.ok());
  CHECK_MESSAGE(has(st, "Invalid rename mapping: foo:int8:extra"), st.message());
}

TEST_CASE("Cast$Value: type names are case-insensitive and trimmed") {
  for (const std::string spec :
       {"int8", "INT16", "Int32", "iNT64", "FLOAT32", "Float64", "BOOLEAN", "String",
        "a:int8,b:FLOAT64", "a : int32", " a:string , b:boolean "}) {
    CAPTURE(spec);
    Status st = configure_status("Cast$Value", {{"spec", spec}});
    CHECK_MESSAGE(st.ok(), st.message());
  }
  // "a : int32" casts the field named "a" (both halves are trimmed).
  SchemaPtr s = StructBuilder("rec").field("a", prim(Type::kInt64)).build();
  auto t = transform("Cast$Value", {{"spec", "a : INT32"}});
  Record r = value_record(s, Struct{{int64_t{7}}});
  REQUIRE(t->apply(r).ok());
  CHECK(r.value_schema->fields.at(0).schema->type == Type::kInt32);
}

// ---- whole-value casts -------------------------------------------------------------------------

TEST_CASE("Cast$Value: whole value with a schema to every target type") {
  struct Case {
    const char* spec;
    Type type;
    Value expected;
  };
  const std::vector<Case> cases = {
      {"int8", Type::kInt8, Value(int64_t{42})},   {"int16", Type::kInt16, Value(int64_t{42})},
      {"int32", Type::kInt32, Value(int64_t{42})}, {"int64", Type::kInt64, Value(int64_t{42})},
      {"float32", Type::kFloat32, Value(42.0)},    {"float64", Type::kFloat64, Value(42.0)},
      {"boolean", Type::kBoolean, Value(true)},    {"string", Type::kString, Value("42")},
  };
  for (const auto& c : cases) {
    CAPTURE(c.spec);
    Record r = whole(c.spec, prim(Type::kInt32), Value(int64_t{42}));
    CHECK_VALUE(r.value, c.expected);
    check_plain(r.value_schema, c.type, false);
  }
  // Zero is false.
  CHECK_VALUE(whole("boolean", prim(Type::kInt32), Value(int64_t{0})).value, Value(false));
}

TEST_CASE("Cast$Value: whole value without a schema to every target type") {
  CHECK_VALUE(whole("int8", nullptr, Value(int64_t{42})).value, Value(int64_t{42}));
  CHECK_VALUE(whole("int16", nullptr, Value(int64_t{42})).value, Value(int64_t{42}));
  CHECK_VALUE(whole("int32", nullptr, Value(int64_t{42})).value, Value(int64_t{42}));
  CHECK_VALUE(whole("int64", nullptr, Value(int64_t{42})).value, Value(int64_t{42}));
  CHECK_VALUE(whole("float32", nullptr, Value(int64_t{42})).value, Value(42.0));
  CHECK_VALUE(whole("float64", nullptr, Value(int64_t{42})).value, Value(42.0));
  CHECK_VALUE(whole("boolean", nullptr, Value(int64_t{42})).value, Value(true));
  CHECK_VALUE(whole("boolean", nullptr, Value(int64_t{0})).value, Value(false));
  CHECK_VALUE(whole("string", nullptr, Value(int64_t{42})).value, Value("42"));
  // The schema stays null.
  CHECK_FALSE(whole("int8", nullptr, Value(int64_t{42})).value_schema);
  // Schemaless doubles and strings and booleans are inferred from the Java class.
  CHECK_VALUE(whole("int32", nullptr, Value(42.9)).value, Value(int64_t{42}));
  CHECK_VALUE(whole("string", nullptr, Value(1.5)).value, Value("1.5"));
  CHECK_VALUE(whole("int16", nullptr, Value("-42")).value, Value(int64_t{-42}));
  CHECK_VALUE(whole("float64", nullptr, Value(true)).value, Value(1.0));
  CHECK_VALUE(whole("string", nullptr, Value(false)).value, Value("false"));
}

TEST_CASE("Cast$Value: whole-value cast schema keeps name, version, doc, parameters, optional") {
  SchemaPtr in = with(prim(Type::kInt64, true), [](Schema& s) {
    s.name = "com.acme.Count";
    s.version = 4;
    s.doc = "how many";
    s.parameters = {{"k2", "v2"}, {"k1", "v1"}};
    s.default_value = Value(int64_t{-42});
  });
  Record r = whole("int32", in, Value(int64_t{7}));
  const Schema& out = *r.value_schema;
  CHECK(out.type == Type::kInt32);
  CHECK(out.name == std::optional<std::string>("com.acme.Count"));
  CHECK(out.version == std::optional<int32_t>(4));
  CHECK(out.doc == std::optional<std::string>("how many"));
  CHECK(out.parameters ==
        std::vector<std::pair<std::string, std::string>>{{"k2", "v2"}, {"k1", "v1"}});
  CHECK(out.optional);
  // The default is cast too.
  REQUIRE(out.default_value.has_value());
  CHECK_VALUE(*out.default_value, Value(int64_t{-42}));
  CHECK_VALUE(r.value, Value(int64_t{7}));

  // A default narrowed like a value.
  SchemaPtr big = with(prim(Type::kInt64), [](Schema& s) { s.default_value = Value(300); });
  Record r2 = whole("int8", big, Value(int64_t{1}));
  REQUIRE(r2.value_schema->default_value.has_value());
  CHECK_VALUE(*r2.value_schema->default_value, Value(int64_t{44}));
  CHECK_FALSE(r2.value_schema->optional);

  // A float64 default cast to boolean: longValue() != 0 (CastTest castFieldsWithSchema).
  SchemaPtr dbl = with(prim(Type::kFloat64), [](Schema& s) { s.default_value = Value(-1.125); });
  Record rb = whole("boolean", dbl, Value(0.0));
  REQUIRE(rb.value_schema->default_value.has_value());
  CHECK_VALUE(*rb.value_schema->default_value, Value(true));
  CHECK_VALUE(rb.value, Value(false));

  // Decimal -> float64 keeps the Decimal name and scale parameter (copySchemaBasics).
  Record r3 = whole("float64", Schema::decimal(2, true), Value(Decimal{"12345", 2}));
  CHECK(r3.value_schema->type == Type::kFloat64);
  CHECK(r3.value_schema->name == std::optional<std::string>(kDecimalName));
  CHECK(r3.value_schema->version == std::optional<int32_t>(1));
  CHECK(r3.value_schema->parameters ==
        std::vector<std::pair<std::string, std::string>>{{"scale", "2"}});
  CHECK(r3.value_schema->optional);
  CHECK_VALUE(r3.value, Value(123.45));
}

TEST_CASE("Cast$Key: whole key cast leaves the value alone") {
  auto t = transform("Cast$Key", {{"spec", "int8"}});
  Record r;
  r.topic = "t";
  r.key_schema = prim(Type::kInt32);
  r.key = Value(int64_t{42});
  SchemaPtr value_schema = prim(Type::kInt64);
  r.value_schema = value_schema;
  r.value = Value(int64_t{300});
  REQUIRE(t->apply(r).ok());
  check_plain(r.key_schema, Type::kInt8, false);
  CHECK_VALUE(r.key, Value(int64_t{42}));
  CHECK(r.value_schema == value_schema);
  CHECK_VALUE(r.value, Value(int64_t{300}));

  // Schemaless key.
  auto t2 = transform("Cast$Key", {{"spec", "string"}});
  Record r2;
  r2.key = Value(int64_t{42});
  r2.value = Value("v");
  REQUIRE(t2->apply(r2).ok());
  CHECK_FALSE(r2.key_schema);
  CHECK_VALUE(r2.key, Value("42"));
  CHECK_VALUE(r2.value, Value("v"));
}

TEST_CASE("Cast$Key: field casts on a key struct") {
  SchemaPtr ks = StructBuilder("key").field("id", prim(Type::kInt64)).build();
  auto t = transform("Cast$Key", {{"spec", "id:string"}});
  Record r;
  r.key_schema = ks;
  r.key = Value(Struct{{int64_t{99}}});
  r.value = Value("untouched");
  REQUIRE(t->apply(r).ok());
  check_plain(r.key_schema->fields.at(0).schema, Type::kString, false);
  CHECK_VALUE(r.key.as<Struct>().fields.at(0), Value("99"));
  CHECK_VALUE(r.value, Value("untouched"));
}

// ---- Java narrowing and widening ---------------------------------------------------------------

TEST_CASE("Cast$Value: integers narrow as Java's (byte)/(short)/(int) casts") {
  CHECK_VALUE(whole("int8", prim(Type::kInt64), Value(int64_t{300})).value, Value(int64_t{44}));
  CHECK_VALUE(whole("int8", prim(Type::kInt64), Value(int64_t{128})).value, Value(int64_t{-128}));
  CHECK_VALUE(whole("int8", prim(Type::kInt64), Value(int64_t{-129})).value, Value(int64_t{127}));
  CHECK_VALUE(whole("int8", prim(Type::kInt16), Value(int64_t{255})).value, Value(int64_t{-1}));
  CHECK_VALUE(whole("int16", prim(Type::kInt64), Value(int64_t{70000})).value,
              Value(int64_t{4464}));
  CHECK_VALUE(whole("int16", prim(Type::kInt32), Value(int64_t{32768})).value,
              Value(int64_t{-32768}));
  CHECK_VALUE(whole("int32", prim(Type::kInt64), Value(int64_t{2147483648})).value,
              Value(int64_t{-2147483648LL}));
  CHECK_VALUE(whole("int32", prim(Type::kInt64), Value(int64_t{4294967297})).value,
              Value(int64_t{1}));
  CHECK_VALUE(whole("int64", prim(Type::kInt8), Value(int64_t{-5})).value, Value(int64_t{-5}));
  // Widening keeps the value.
  CHECK_VALUE(whole("int64", prim(Type::kInt32), Value(int64_t{-2147483648LL})).value,
              Value(int64_t{-2147483648LL}));
}

TEST_CASE("Cast$Value: floating point to integers truncates and saturates like Java") {
  // Double.byteValue() is (byte)(int)d: truncate toward zero, then wrap.
  CHECK_VALUE(whole("int8", prim(Type::kFloat64), Value(300.7)).value, Value(int64_t{44}));
  CHECK_VALUE(whole("int32", prim(Type::kFloat64), Value(-3.9)).value, Value(int64_t{-3}));
  CHECK_VALUE(whole("int64", prim(Type::kFloat64), Value(3.99)).value, Value(int64_t{3}));
  // (int) saturates at Integer.MAX_VALUE, then (short)/(byte) wrap that.
  CHECK_VALUE(whole("int32", prim(Type::kFloat64), Value(1e10)).value, Value(int64_t{2147483647}));
  CHECK_VALUE(whole("int32", prim(Type::kFloat64), Value(-1e10)).value,
              Value(int64_t{-2147483648LL}));
  CHECK_VALUE(whole("int16", prim(Type::kFloat64), Value(1e10)).value, Value(int64_t{-1}));
  CHECK_VALUE(whole("int8", prim(Type::kFloat64), Value(1e10)).value, Value(int64_t{-1}));
  CHECK_VALUE(whole("int16", prim(Type::kFloat64), Value(-1e10)).value, Value(int64_t{0}));
  // (long) saturates at Long.MIN/MAX_VALUE.
  CHECK_VALUE(whole("int64", prim(Type::kFloat64), Value(1e20)).value,
              Value(std::numeric_limits<int64_t>::max()));
  CHECK_VALUE(whole("int64", prim(Type::kFloat64), Value(-1e20)).value,
              Value(std::numeric_limits<int64_t>::min()));
  // NaN is 0; infinities saturate.
  CHECK_VALUE(whole("int32", prim(Type::kFloat64), Value(std::nan(""))).value, Value(int64_t{0}));
  CHECK_VALUE(whole("int64", prim(Type::kFloat64), Value(std::nan(""))).value, Value(int64_t{0}));
  CHECK_VALUE(whole("int32", prim(Type::kFloat64), Value(HUGE_VAL)).value,
              Value(int64_t{2147483647}));
  CHECK_VALUE(whole("int64", prim(Type::kFloat32), Value(-HUGE_VAL)).value,
              Value(std::numeric_limits<int64_t>::min()));
}

TEST_CASE("Cast$Value: float32 targets round to float precision") {
  // 2^24 + 1 is not a float.
  CHECK_VALUE(whole("float32", prim(Type::kInt64), Value(int64_t{16777217})).value,
              Value(16777216.0));
  CHECK_VALUE(whole("float32", prim(Type::kFloat64), Value(0.1)).value, Value(f32(0.1)));
  CHECK_VALUE(whole("float64", prim(Type::kFloat64), Value(0.1)).value, Value(0.1));
  // int64 -> float64 is (double)long.
  CHECK_VALUE(whole("float64", prim(Type::kInt64), Value(int64_t{9007199254740993})).value,
              Value(9007199254740992.0));
  // float32 -> float64 widens the float exactly.
  CHECK_VALUE(whole("float64", prim(Type::kFloat32), Value(f32(0.1))).value, Value(f32(0.1)));
}

// ---- strings -----------------------------------------------------------------------------------

TEST_CASE("Cast$Value: strings parse with Byte/Short/Integer/Long.parseX") {
  SchemaPtr s = prim(Type::kString);
  CHECK_VALUE(whole("int8", s, Value("42")).value, Value(int64_t{42}));
  CHECK_VALUE(whole("int8", s, Value("-128")).value, Value(int64_t{-128}));
  CHECK_VALUE(whole("int8", s, Value("127")).value, Value(int64_t{127}));
  CHECK_VALUE(whole("int16", s, Value("32767")).value, Value(int64_t{32767}));
  CHECK_VALUE(whole("int16", s, Value("-32768")).value, Value(int64_t{-32768}));
  CHECK_VALUE(whole("int32", s, Value("+7")).value, Value(int64_t{7}));
  CHECK_VALUE(whole("int32", s, Value("-2147483648")).value, Value(int64_t{-2147483648LL}));
  CHECK_VALUE(whole("int32", s, Value("007")).value, Value(int64_t{7}));
  CHECK_VALUE(whole("int64", s, Value("9223372036854775807")).value,
              Value(std::numeric_limits<int64_t>::max()));
  CHECK_VALUE(whole("int64", s, Value("-9223372036854775808")).value,
              Value(std::numeric_limits<int64_t>::min()));
}

TEST_CASE("Cast$Value: an unparseable or out-of-range string is 'was out of range'") {
  struct Case {
    const char* spec;
    const char* text;
  };
  const std::vector<Case> cases = {
      {"int8", "128"},     {"int8", "-129"},        {"int8", "300"},
      {"int16", "32768"},  {"int32", "2147483648"}, {"int64", "9223372036854775808"},
      {"int32", "7.0"},    {"int32", " 7"},         {"int32", "7 "},
      {"int32", ""},       {"int32", "-"},          {"int32", "+"},
      {"int64", "1e3"},    {"int32", "0x10"},       {"int8", "abc"},
      {"float64", "abc"},  {"float32", ""},         {"float64", "1.2.3"},
      {"float64", "0x10"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.spec);
    CAPTURE(c.text);
    Status st = whole_error(c.spec, prim(Type::kString), Value(c.text));
    CHECK_FALSE(st.ok());
    CHECK(st.message() ==
          std::string("Value (") + c.text + ") was out of range for requested data type");
  }
  // Schemaless strings fail the same way.
  Status st = whole_error("int8", nullptr, Value("1000"));
  CHECK(st.message() == "Value (1000) was out of range for requested data type");
  // And inside a struct field.
  SchemaPtr rec = StructBuilder("rec").field("f", prim(Type::kString)).build();
  auto t = transform("Cast$Value", {{"spec", "f:int16"}});
  Record r = value_record(rec, Struct{{Value("99999")}});
  st = t->apply(r);
  CHECK(st.message() == "Value (99999) was out of range for requested data type");
}

TEST_CASE("Cast$Value: strings parse with Float/Double.parseX") {
  SchemaPtr s = prim(Type::kString);
  CHECK_VALUE(whole("float64", s, Value("2.5")).value, Value(2.5));
  CHECK_VALUE(whole("float64", s, Value("-1e3")).value, Value(-1000.0));
  CHECK_VALUE(whole("float64", s, Value(".5")).value, Value(0.5));
  CHECK_VALUE(whole("float64", s, Value("5.")).value, Value(5.0));
  // parseDouble trims whitespace and accepts a d/f suffix.
  CHECK_VALUE(whole("float64", s, Value("  2.5  ")).value, Value(2.5));
  CHECK_VALUE(whole("float64", s, Value("1.5f")).value, Value(1.5));
  CHECK_VALUE(whole("float64", s, Value("1.5D")).value, Value(1.5));
  CHECK_VALUE(whole("float64", s, Value("Infinity")).value, Value(HUGE_VAL));
  CHECK_VALUE(whole("float64", s, Value("-Infinity")).value, Value(-HUGE_VAL));
  Record nan = whole("float64", s, Value("NaN"));
  REQUIRE(nan.value.is<double>());
  CHECK(std::isnan(nan.value.as<double>()));
  CHECK_VALUE(whole("float32", s, Value("0.1")).value, Value(f32(0.1)));
  CHECK_VALUE(whole("float32", s, Value("3.4028235E38")).value,
              Value(static_cast<double>(std::numeric_limits<float>::max())));
}

TEST_CASE("Cast$Value: values cast to string with Java's toString") {
  CHECK_VALUE(whole("string", prim(Type::kFloat64), Value(1.0)).value, Value("1.0"));
  CHECK_VALUE(whole("string", prim(Type::kFloat64), Value(100.0)).value, Value("100.0"));
  CHECK_VALUE(whole("string", prim(Type::kFloat64), Value(0.1)).value, Value("0.1"));
  CHECK_VALUE(whole("string", prim(Type::kFloat64), Value(1e21)).value, Value("1.0E21"));
  CHECK_VALUE(whole("string", prim(Type::kFloat64), Value(1e7)).value, Value("1.0E7"));
  CHECK_VALUE(whole("string", prim(Type::kFloat64), Value(1234567.0)).value, Value("1234567.0"));
  CHECK_VALUE(whole("string", prim(Type::kFloat64), Value(0.001)).value, Value("0.001"));
  CHECK_VALUE(whole("string", prim(Type::kFloat64), Value(1e-5)).value, Value("1.0E-5"));
  CHECK_VALUE(whole("string", prim(Type::kFloat64), Value(-0.0)).value, Value("-0.0"));
  CHECK_VALUE(whole("string", prim(Type::kFloat64), Value(std::nan(""))).value, Value("NaN"));
  CHECK_VALUE(whole("string", prim(Type::kFloat64), Value(-HUGE_VAL)).value, Value("-Infinity"));
  // Float.toString: the shortest float digits, not the double's.
  CHECK_VALUE(whole("string", prim(Type::kFloat32), Value(f32(0.1))).value, Value("0.1"));
  CHECK_VALUE(whole("string", prim(Type::kFloat32), Value(f32(123.45))).value, Value("123.45"));
  CHECK_VALUE(whole("string", prim(Type::kFloat32), Value(f32(1e10))).value, Value("1.0E10"));
  CHECK_VALUE(whole("string", prim(Type::kInt64), Value(int64_t{-5})).value, Value("-5"));
  CHECK_VALUE(whole("string", prim(Type::kInt8), Value(int64_t{127})).value, Value("127"));
  CHECK_VALUE(whole("string", prim(Type::kBoolean), Value(true)).value, Value("true"));
  CHECK_VALUE(whole("string", prim(Type::kString), Value("same")).value, Value("same"));
  // float64 -> float32 -> string shows the float.
  CHECK_VALUE(whole("float32", prim(Type::kFloat64), Value(3.3)).value, Value(f32(3.3)));
}

// ---- booleans ----------------------------------------------------------------------------------

TEST_CASE("Cast$Value: boolean rules") {
  SchemaPtr s = prim(Type::kString);
  // Boolean.parseBoolean: "true" in any case, everything else false.
  CHECK_VALUE(whole("boolean", s, Value("true")).value, Value(true));
  CHECK_VALUE(whole("boolean", s, Value("TRUE")).value, Value(true));
  CHECK_VALUE(whole("boolean", s, Value("True")).value, Value(true));
  CHECK_VALUE(whole("boolean", s, Value("false")).value, Value(false));
  CHECK_VALUE(whole("boolean", s, Value("yes")).value, Value(false));
  CHECK_VALUE(whole("boolean", s, Value("1")).value, Value(false));
  CHECK_VALUE(whole("boolean", s, Value("")).value, Value(false));
  CHECK_VALUE(whole("boolean", s, Value(" true")).value, Value(false));
  // Numbers: longValue() != 0.
  CHECK_VALUE(whole("boolean", prim(Type::kInt8), Value(int64_t{-1})).value, Value(true));
  CHECK_VALUE(whole("boolean", prim(Type::kInt64), Value(int64_t{0})).value, Value(false));
  CHECK_VALUE(whole("boolean", prim(Type::kFloat64), Value(0.5)).value, Value(false));
  CHECK_VALUE(whole("boolean", prim(Type::kFloat64), Value(-0.9)).value, Value(false));
  CHECK_VALUE(whole("boolean", prim(Type::kFloat64), Value(1.5)).value, Value(true));
  CHECK_VALUE(whole("boolean", prim(Type::kFloat32), Value(std::nan(""))).value, Value(false));
  CHECK_VALUE(whole("boolean", Schema::decimal(2), Value(Decimal{"1", 2})).value, Value(false));
  CHECK_VALUE(whole("boolean", Schema::decimal(2), Value(Decimal{"-100", 2})).value, Value(true));
  // Booleans to numbers: 1 / 0.
  CHECK_VALUE(whole("int8", prim(Type::kBoolean), Value(true)).value, Value(int64_t{1}));
  CHECK_VALUE(whole("int16", prim(Type::kBoolean), Value(false)).value, Value(int64_t{0}));
  CHECK_VALUE(whole("int32", prim(Type::kBoolean), Value(true)).value, Value(int64_t{1}));
  CHECK_VALUE(whole("int64", prim(Type::kBoolean), Value(true)).value, Value(int64_t{1}));
  CHECK_VALUE(whole("float32", prim(Type::kBoolean), Value(true)).value, Value(1.0));
  CHECK_VALUE(whole("float64", prim(Type::kBoolean), Value(false)).value, Value(0.0));
  CHECK_VALUE(whole("boolean", prim(Type::kBoolean), Value(false)).value, Value(false));
}

// ---- Decimal, Date, Time, Timestamp, bytes -----------------------------------------------------

TEST_CASE("Cast$Value: Decimal inputs to every numeric type and string") {
  SchemaPtr d2 = Schema::decimal(2);
  const Value v(Decimal{"12345", 2});  // 123.45
  CHECK_VALUE(whole("float64", d2, v).value, Value(123.45));
  CHECK_VALUE(whole("float32", d2, v).value, Value(f32(123.45)));
  CHECK_VALUE(whole("int64", d2, v).value, Value(int64_t{123}));
  CHECK_VALUE(whole("int32", d2, v).value, Value(int64_t{123}));
  CHECK_VALUE(whole("int16", d2, v).value, Value(int64_t{123}));
  CHECK_VALUE(whole("int8", d2, v).value, Value(int64_t{123}));
  CHECK_VALUE(whole("string", d2, v).value, Value("123.45"));
  CHECK_VALUE(whole("boolean", d2, v).value, Value(true));
  // Truncation toward zero.
  CHECK_VALUE(whole("int32", d2, Value(Decimal{"-12399", 2})).value, Value(int64_t{-123}));
  // intValue() keeps the low 32 bits: 2^31 -> Integer.MIN_VALUE (CastTest castLogicalToPrimitive).
  CHECK_VALUE(whole("int32", Schema::decimal(0), Value(Decimal{"2147483648", 0})).value,
              Value(int64_t{-2147483648LL}));
  // byteValue() is (byte)intValue(): 300.99 -> 300 -> 44.
  CHECK_VALUE(whole("int8", d2, Value(Decimal{"30099", 2})).value, Value(int64_t{44}));
  // longValue() of a value beyond 64 bits keeps the low 64 bits: 2^64 + 5 -> 5.
  CHECK_VALUE(whole("int64", Schema::decimal(0), Value(Decimal{"18446744073709551621", 0})).value,
              Value(int64_t{5}));
  // BigDecimal.toString: scientific notation when the exponent is small.
  CHECK_VALUE(whole("string", Schema::decimal(10), Value(Decimal{"1", 10})).value, Value("1E-10"));
  CHECK_VALUE(whole("string", Schema::decimal(0), Value(Decimal{"42", 0})).value, Value("42"));
  CHECK_VALUE(whole("string", Schema::decimal(3), Value(Decimal{"-5", 3})).value, Value("-0.005"));
  CHECK_VALUE(whole("string", Schema::decimal(2), Value(Decimal{"0", 2})).value, Value("0.00"));
}

TEST_CASE("Cast$Value: a Decimal field cast to float64 gets a plain optional float64 schema") {
  SchemaPtr amount = with(Schema::decimal(2, true, 10), [](Schema& s) {
    s.default_value = Value(Decimal{"-150", 2});
  });
  SchemaPtr in =
      StructBuilder("orders").field("id", prim(Type::kInt32)).field("amount", amount).build();
  auto t = transform("Cast$Value", {{"spec", "amount:float64"}});
  Record r = value_record(in, Struct{{int64_t{1}, Value(Decimal{"12345", 2})}});
  REQUIRE(t->apply(r).ok());
  const Schema& out = *r.value_schema;
  const SchemaPtr& f = out.fields.at(1).schema;
  REQUIRE(f);
  CHECK(f->type == Type::kFloat64);
  CHECK(f->optional);
  CHECK_FALSE(f->name.has_value());
  CHECK_FALSE(f->version.has_value());
  CHECK(f->parameters.empty());
  REQUIRE(f->default_value.has_value());
  CHECK_VALUE(*f->default_value, Value(-1.5));
  CHECK_VALUE(r.value.as<Struct>().fields.at(1), Value(123.45));
}

TEST_CASE("Cast$Value: Date/Time/Timestamp become their internal int32/int64 before a number") {
  // Timestamp: epoch milliseconds (sub-millisecond digits are not part of Connect's value).
  const Value ts(int64_t{(kMillisPerDay + 1) * kNanosPerMilli + 999});
  // A whole Timestamp cast to a number keeps its logical name (copySchemaBasics), which no
  // converter can write (Connect fails in its converter): kpipe refuses in the transform.
  CHECK(whole_error("int64", Schema::timestamp(), ts)
            .message()
            .find("Cast keeps the name org.apache.kafka.connect.data.Timestamp") == 0);
  CHECK(whole_error("int32", Schema::date(), Value(int64_t{1})).message().find("Cast keeps") == 0);
  CHECK_VALUE(whole("string", Schema::timestamp(), ts).value, Value("1970-01-02T00:00:00.001Z"));
  CHECK_VALUE(field0(field_cast("int64", Schema::timestamp(), ts)), Value(kMillisPerDay + 1));
  CHECK_VALUE(field0(field_cast("float64", Schema::timestamp(), ts)),
              Value(static_cast<double>(kMillisPerDay + 1)));
  // (int) of the long: the low 32 bits.
  CHECK_VALUE(field0(field_cast("int32", Schema::timestamp(), Value(kInstantMs * kNanosPerMilli))),
              Value(int64_t{static_cast<int32_t>(kInstantMs)}));
  CHECK_VALUE(field0(field_cast("boolean", Schema::timestamp(), Value(int64_t{0}))), Value(false));
  // Time: milliseconds since midnight, an int32.
  CHECK_VALUE(field0(field_cast("int64", Schema::time(), Value(kMillisPerHour * kNanosPerMilli))),
              Value(kMillisPerHour));
  CHECK_VALUE(field0(field_cast("int32", Schema::time(), Value(int64_t{1} * kNanosPerMilli))),
              Value(int64_t{1}));
  // Date: days since the epoch, an int32.
  CHECK_VALUE(field0(field_cast("int32", Schema::date(), Value(int64_t{1}))), Value(int64_t{1}));
  CHECK_VALUE(field0(field_cast("int64", Schema::date(), Value(int64_t{17088}))),
              Value(int64_t{17088}));
  CHECK_VALUE(field0(field_cast("float32", Schema::date(), Value(int64_t{-3}))), Value(-3.0));
  // A null optional timestamp stays null; the field schema is plain int32.
  Record n = field_cast("int32", Schema::timestamp(true), Value());
  CHECK(field0(n).is_null());
  check_plain(n.value_schema->fields.at(0).schema, Type::kInt32, true);
  // Field schemas after a cast are plain primitives: no logical name.
  check_plain(field_cast("int64", Schema::timestamp(), ts).value_schema->fields.at(0).schema,
              Type::kInt64, false);
  check_plain(
      field_cast("int32", Schema::date(), Value(int64_t{1})).value_schema->fields.at(0).schema,
      Type::kInt32, false);
}

TEST_CASE("Cast$Value: Date/Time/Timestamp to string use Values.dateFormatFor (UTC)") {
  // A timestamp: yyyy-MM-dd'T'HH:mm:ss.SSS'Z'.
  CHECK_VALUE(field0(field_cast("string", Schema::timestamp(), Value(kInstantMs * kNanosPerMilli))),
              Value("2016-10-14T05:46:02.123Z"));
  CHECK_VALUE(field0(field_cast("string", Schema::timestamp(),
                                Value((kMillisPerDay + 1) * kNanosPerMilli))),
              Value("1970-01-02T00:00:00.001Z"));
  // Whole days use yyyy-MM-dd, whatever the logical type.
  CHECK_VALUE(
      field0(field_cast("string", Schema::timestamp(), Value(2 * kMillisPerDay * kNanosPerMilli))),
      Value("1970-01-03"));
  CHECK_VALUE(field0(field_cast("string", Schema::date(), Value(int64_t{1}))), Value("1970-01-02"));
  CHECK_VALUE(field0(field_cast("string", Schema::date(), Value(int64_t{17088}))),
              Value("2016-10-14"));
  // Anything before the end of the first day uses HH:mm:ss.SSS'Z': times, but also the epoch day
  // itself and every instant before 1970.
  CHECK_VALUE(field0(field_cast("string", Schema::time(), Value(kMillisPerHour * kNanosPerMilli))),
              Value("01:00:00.000Z"));
  CHECK_VALUE(field0(field_cast("string", Schema::time(),
                                Value((13 * kMillisPerHour + 30 * 60000 + 123) * kNanosPerMilli))),
              Value("13:30:00.123Z"));
  CHECK_VALUE(field0(field_cast("string", Schema::date(), Value(int64_t{0}))),
              Value("00:00:00.000Z"));
  CHECK_VALUE(
      field0(field_cast("string", Schema::timestamp(), Value(int64_t{-1000} * kNanosPerMilli))),
      Value("23:59:59.000Z"));
  // The cast field schema is a plain string.
  check_plain(
      field_cast("string", Schema::date(true), Value(int64_t{1})).value_schema->fields.at(0).schema,
      Type::kString, true);
}

TEST_CASE("Cast$Value: bytes cast to a Base64 string, and to nothing else") {
  CHECK_VALUE(whole("string", prim(Type::kBytes), Value(Bytes{"hello"})).value, Value("aGVsbG8="));
  CHECK_VALUE(whole("string", prim(Type::kBytes), Value(Bytes{std::string("\x00\xff", 2)})).value,
              Value("AP8="));
  CHECK_VALUE(whole("string", prim(Type::kBytes), Value(Bytes{""})).value, Value(""));
  CHECK_VALUE(whole("string", nullptr, Value(Bytes{"abc"})).value, Value("YWJj"));
  CHECK_VALUE(field0(field_cast("string", prim(Type::kBytes, true), Value(Bytes{"ab"}))),
              Value("YWI="));
  for (const std::string target :
       {"int8", "int16", "int32", "int64", "float32", "float64", "boolean"}) {
    CAPTURE(target);
    Status st = whole_error(target, prim(Type::kBytes), Value(Bytes{"x"}));
    CHECK_FALSE(st.ok());
    CHECK(st.message() == "Unexpected type in Cast transformation: class [B");
  }
}

TEST_CASE("Cast$Value: structs, arrays and maps cannot be cast") {
  SchemaPtr inner = StructBuilder("inner").field("x", prim(Type::kInt32)).build();
  SchemaPtr arr = Schema::array(prim(Type::kInt32));
  SchemaPtr map = Schema::map(prim(Type::kString), prim(Type::kInt32));
  SchemaPtr rec = StructBuilder("rec").field("s", inner).field("a", arr).field("m", map).build();
  const Value value(Struct{{Value(Struct{{int64_t{1}}}), Value(List{Value(int64_t{1})}),
                            Value(Map{{Value("k")}, {Value(int64_t{1})}})}});
  struct Case {
    const char* spec;
    const char* type;
  };
  for (const Case& c :
       {Case{"s:string", "STRUCT"}, Case{"a:string", "ARRAY"}, Case{"m:int32", "MAP"}}) {
    CAPTURE(c.spec);
    auto t = transform("Cast$Value", {{"spec", c.spec}});
    Record r = value_record(rec, value);
    Status st = t->apply(r);
    CHECK_FALSE(st.ok());
    CHECK(st.message() == std::string("Cast transformation does not support casting from ") +
                              c.type + "; supported types are " + kInputTypes);
  }
  // Whole values: a struct with its schema, a map and a list without.
  Status st = whole_error("string", inner, Value(Struct{{int64_t{1}}}));
  CHECK(st.message() ==
        std::string("Cast transformation does not support casting from STRUCT; supported types "
                    "are ") +
            kInputTypes);
  st = whole_error("int32", nullptr, Value(Map{}));
  CHECK(st.message() ==
        std::string("Cast transformation does not support casting from MAP; supported types are ") +
            kInputTypes);
  st = whole_error("string", nullptr, Value(List{}));
  CHECK(st.message() ==
        std::string("Cast transformation does not support casting from ARRAY; supported types "
                    "are ") +
            kInputTypes);
}

// ---- struct field casts ------------------------------------------------------------------------

TEST_CASE("Cast$Value: field cast output schema, field by field") {
  SchemaPtr id = prim(Type::kInt64);
  SchemaPtr flag = with(prim(Type::kBoolean, true), [](Schema& s) {
    s.default_value = Value(true);
    s.doc = "dropped by the cast";
  });
  SchemaPtr name = prim(Type::kString, true);
  SchemaPtr score = with(prim(Type::kFloat64), [](Schema& s) {
    s.name = "com.acme.Score";
    s.parameters = {{"p", "v"}};
  });
  Schema in_schema;
  in_schema.type = Type::kStruct;
  in_schema.name = "com.acme.Order";
  in_schema.version = 3;
  in_schema.doc = "an order";
  in_schema.parameters = {{"p1", "v1"}};
  in_schema.optional = true;
  in_schema.fields = {{"id", id}, {"flag", flag}, {"name", name}, {"score", score}};
  SchemaPtr in = std::make_shared<const Schema>(in_schema);

  auto t = transform("Cast$Value", {{"spec", "id:int8,flag:string,score:int32,not_there:int16"}});
  Record r = value_record(in, Struct{{int64_t{300}, Value(false), Value("bob"), Value(7.9)}});
  REQUIRE(t->apply(r).ok());
  const Schema& out = *r.value_schema;
  // The struct keeps its name, version, doc, parameters and optional flag.
  CHECK(out.type == Type::kStruct);
  CHECK(out.name == std::optional<std::string>("com.acme.Order"));
  CHECK(out.version == std::optional<int32_t>(3));
  CHECK(out.doc == std::optional<std::string>("an order"));
  CHECK(out.parameters == std::vector<std::pair<std::string, std::string>>{{"p1", "v1"}});
  CHECK(out.optional);
  CHECK_FALSE(out.default_value.has_value());
  // Fields in input order; a spec field that does not exist is ignored.
  REQUIRE(out.fields.size() == 4);
  CHECK(out.fields[0].name == "id");
  CHECK(out.fields[1].name == "flag");
  CHECK(out.fields[2].name == "name");
  CHECK(out.fields[3].name == "score");
  check_plain(out.fields[0].schema, Type::kInt8, false);
  // A cast field keeps only optional and the (cast) default.
  const SchemaPtr& f = out.fields[1].schema;
  CHECK(f->type == Type::kString);
  CHECK(f->optional);
  CHECK_FALSE(f->doc.has_value());
  REQUIRE(f->default_value.has_value());
  CHECK_VALUE(*f->default_value, Value("true"));
  // An untouched field keeps its schema object.
  CHECK(out.fields[2].schema == name);
  // The logical-looking name of a cast field is gone.
  check_plain(out.fields[3].schema, Type::kInt32, false);
  // Values.
  const Struct& v = r.value.as<Struct>();
  REQUIRE(v.fields.size() == 4);
  CHECK_VALUE(v.fields[0], Value(int64_t{44}));
  CHECK_VALUE(v.fields[1], Value("false"));
  CHECK_VALUE(v.fields[2], Value("bob"));
  CHECK_VALUE(v.fields[3], Value(int64_t{7}));
}

TEST_CASE("Cast$Value: field casts on a struct schema with a default fail as in Connect") {
  // getOrBuildSchema casts the struct default with castValueToType(schema, default, STRUCT),
  // whose input check refuses STRUCT. A null value still passes through untouched.
  SchemaPtr in = with(StructBuilder("rec").field("a", prim(Type::kInt64)).optional().build(),
                      [](Schema& s) { s.default_value = Value(Struct{{int64_t{1}}}); });
  auto t = transform("Cast$Value", {{"spec", "a:int32"}});
  Record r = value_record(in, Struct{{int64_t{2}}});
  Status st = t->apply(r);
  CHECK_FALSE(st.ok());
  CHECK(st.message() ==
        std::string("Cast transformation does not support casting from STRUCT; supported types "
                    "are ") +
            kInputTypes);
  Record tomb = value_record(in, Value());
  REQUIRE(t->apply(tomb).ok());
  CHECK(tomb.value_schema == in);
}

TEST_CASE("Cast$Value: every target type on struct fields") {
  SchemaPtr in = StructBuilder("rec")
                     .field("a", prim(Type::kInt32))
                     .field("b", prim(Type::kInt32))
                     .field("c", prim(Type::kInt32))
                     .field("d", prim(Type::kInt32))
                     .field("e", prim(Type::kInt32))
                     .field("f", prim(Type::kInt32))
                     .field("g", prim(Type::kInt32))
                     .field("h", prim(Type::kInt32))
                     .build();
  auto t = transform("Cast$Value", {{"spec",
                                     "a:int8,b:int16,c:int32,d:int64,e:float32,f:float64,"
                                     "g:boolean,h:string"}});
  Struct s;
  for (int i = 0; i < 8; ++i) s.fields.emplace_back(int64_t{42});
  Record r = value_record(in, s);
  REQUIRE(t->apply(r).ok());
  const Type types[] = {Type::kInt8,    Type::kInt16,   Type::kInt32,   Type::kInt64,
                        Type::kFloat32, Type::kFloat64, Type::kBoolean, Type::kString};
  for (size_t i = 0; i < 8; ++i) {
    CAPTURE(i);
    check_plain(r.value_schema->fields.at(i).schema, types[i], false);
  }
  const Struct& v = r.value.as<Struct>();
  CHECK_VALUE(v.fields[0], Value(int64_t{42}));
  CHECK_VALUE(v.fields[1], Value(int64_t{42}));
  CHECK_VALUE(v.fields[2], Value(int64_t{42}));
  CHECK_VALUE(v.fields[3], Value(int64_t{42}));
  CHECK_VALUE(v.fields[4], Value(42.0));
  CHECK_VALUE(v.fields[5], Value(42.0));
  CHECK_VALUE(v.fields[6], Value(true));
  CHECK_VALUE(v.fields[7], Value("42"));
}

TEST_CASE("Cast$Value: field casts on a value whose schema is not a struct fail") {
  // Connect builds the output schema first, and ConnectSchema.fields() refuses a non-struct.
  auto t = transform("Cast$Value", {{"spec", "a:int8"}});
  Record r = value_record(prim(Type::kString), Value("x"));
  Status st = t->apply(r);
  CHECK_FALSE(st.ok());
  CHECK(st.message() == "Cannot list fields on non-struct type");
  auto k = transform("Cast$Key", {{"spec", "id:int32"}});
  Record r2;
  r2.key_schema = prim(Type::kInt64);
  r2.key = Value(int64_t{5});
  st = k->apply(r2);
  CHECK(st.message() == "Cannot list fields on non-struct type");
  CHECK_VALUE(r2.key, Value(int64_t{5}));
}

// ---- nulls -------------------------------------------------------------------------------------

TEST_CASE("Cast$Value: a null value passes through, schema and all") {
  SchemaPtr s = StructBuilder("rec").field("a", prim(Type::kInt64)).optional().build();
  auto t = transform("Cast$Value", {{"spec", "a:int8"}});
  Record r = value_record(s, Value());
  REQUIRE(t->apply(r).ok());
  CHECK(r.value.is_null());
  CHECK(r.value_schema == s);

  auto w = transform("Cast$Value", {{"spec", "int8"}});
  SchemaPtr opt = prim(Type::kInt64, true);
  Record r2 = value_record(opt, Value());
  REQUIRE(w->apply(r2).ok());
  CHECK(r2.value.is_null());
  CHECK(r2.value_schema == opt);

  Record r3 = value_record(nullptr, Value());
  REQUIRE(t->apply(r3).ok());
  CHECK(r3.value.is_null());
  CHECK_FALSE(r3.value_schema);
  REQUIRE(w->apply(r3).ok());
  CHECK(r3.value.is_null());

  // Cast$Key: a null key.
  auto k = transform("Cast$Key", {{"spec", "string"}});
  Record r4;
  r4.key_schema = prim(Type::kInt32, true);
  r4.value = Value("v");
  REQUIRE(k->apply(r4).ok());
  CHECK(r4.key.is_null());
}

TEST_CASE("Cast$Value: a null field stays null; replace.null.with.default picks the default") {
  SchemaPtr with_default =
      with(prim(Type::kInt64, true), [](Schema& s) { s.default_value = Value(int64_t{300}); });
  SchemaPtr in = StructBuilder("rec")
                     .field("plain", prim(Type::kInt64, true))
                     .field("defaulted", with_default)
                     .build();
  {
    auto t = transform("Cast$Value", {{"spec", "plain:string,defaulted:int8"}});
    Record r = value_record(in, Struct{{Value(), Value()}});
    REQUIRE(t->apply(r).ok());
    CHECK(r.value.as<Struct>().fields[0].is_null());
    // Struct.get returns the default (300), which is then cast (44).
    CHECK_VALUE(r.value.as<Struct>().fields[1], Value(int64_t{44}));
    REQUIRE(r.value_schema->fields[1].schema->default_value.has_value());
    CHECK_VALUE(*r.value_schema->fields[1].schema->default_value, Value(int64_t{44}));
    CHECK(r.value_schema->fields[0].schema->optional);
  }
  {
    auto t = transform("Cast$Value", {{"spec", "plain:string,defaulted:int8"},
                                      {"replace.null.with.default", "false"}});
    Record r = value_record(in, Struct{{Value(), Value()}});
    REQUIRE(t->apply(r).ok());
    CHECK(r.value.as<Struct>().fields[0].is_null());
    CHECK(r.value.as<Struct>().fields[1].is_null());
    // The schema default is still cast.
    REQUIRE(r.value_schema->fields[1].schema->default_value.has_value());
    CHECK_VALUE(*r.value_schema->fields[1].schema->default_value, Value(int64_t{44}));
  }
  {
    // Uncast fields get their default too (Struct.get on every field), unless disabled.
    auto t = transform("Cast$Value", {{"spec", "plain:string"}});
    Record r = value_record(in, Struct{{Value(int64_t{1}), Value()}});
    REQUIRE(t->apply(r).ok());
    CHECK_VALUE(r.value.as<Struct>().fields[0], Value("1"));
    CHECK_VALUE(r.value.as<Struct>().fields[1], Value(int64_t{300}));
    auto t2 =
        transform("Cast$Value", {{"spec", "plain:string"}, {"replace.null.with.default", "false"}});
    Record r2 = value_record(in, Struct{{Value(int64_t{1}), Value()}});
    REQUIRE(t2->apply(r2).ok());
    CHECK(r2.value.as<Struct>().fields[1].is_null());
  }
}

// ---- schemaless field casts --------------------------------------------------------------------

TEST_CASE("Cast$Value: schemaless field casts; a missing field is added as null") {
  auto t =
      transform("Cast$Value",
                {{"spec", "a:int8,b:int32,c:string,d:int32,e:float64,n:string,missing:string"}});
  Record r = value_record(nullptr, map_of({{"a", int64_t{300}},
                                           {"b", Value("12")},
                                           {"c", Value(1.5)},
                                           {"d", Value(true)},
                                           {"e", Value("2.5")},
                                           {"n", Value()},
                                           {"keep", Value("as is")}}));
  REQUIRE(t->apply(r).ok());
  CHECK_FALSE(r.value_schema);
  CHECK_VALUE(map_get(r.value, "a"), Value(int64_t{44}));
  CHECK_VALUE(map_get(r.value, "b"), Value(int64_t{12}));
  CHECK_VALUE(map_get(r.value, "c"), Value("1.5"));
  CHECK_VALUE(map_get(r.value, "d"), Value(int64_t{1}));
  CHECK_VALUE(map_get(r.value, "e"), Value(2.5));
  CHECK(map_get(r.value, "n").is_null());
  CHECK(map_get(r.value, "missing").is_null());
  CHECK_VALUE(map_get(r.value, "keep"), Value("as is"));
  CHECK(r.value.as<Map>().keys.size() == 8);
}

TEST_CASE("Cast$Value: schemaless field casts need a map") {
  auto t = transform("Cast$Value", {{"spec", "a:int8"}});
  Record r = value_record(nullptr, Value("not a map"));
  Status st = t->apply(r);
  CHECK_FALSE(st.ok());
  CHECK(st.message() ==
        "Only Map objects supported in absence of schema for [cast types], found: "
        "java.lang.String");
  Record r2 = value_record(nullptr, Value(int64_t{1}));
  st = t->apply(r2);
  CHECK(st.message() ==
        "Only Map objects supported in absence of schema for [cast types], found: java.lang.Long");
  // Without a schema a Decimal has no Connect type (ConnectSchema.schemaType(BigDecimal) is null).
  Record r4 = value_record(nullptr, map_of({{"a", Value(Decimal{"1", 0})}}));
  st = t->apply(r4);
  CHECK(st.message() ==
        "Cast transformation was passed a value of type class java.math.BigDecimal which is not "
        "supported by Connect's data API");
  // A nested map value cannot be cast.
  Record r3 = value_record(nullptr, map_of({{"a", Value(Map{})}}));
  st = t->apply(r3);
  CHECK(st.message() ==
        std::string("Cast transformation does not support casting from MAP; supported types are ") +
            kInputTypes);
}

// ---- the schema cache --------------------------------------------------------------------------

TEST_CASE("Cast$Value: the output schema is built once per input schema") {
  SchemaPtr in = StructBuilder("rec").field("a", prim(Type::kInt64)).build();
  auto t = transform("Cast$Value", {{"spec", "a:int32"}});
  Record r1 = value_record(in, Struct{{int64_t{1}}});
  Record r2 = value_record(in, Struct{{int64_t{2}}});
  REQUIRE(t->apply(r1).ok());
  REQUIRE(t->apply(r2).ok());
  CHECK(r1.value_schema == r2.value_schema);
  CHECK(r1.value_schema != in);
  CHECK_VALUE(r2.value.as<Struct>().fields[0], Value(int64_t{2}));

  // Another input schema gets its own output schema; the first stays cached.
  SchemaPtr other = StructBuilder("other").field("a", prim(Type::kInt16)).build();
  Record r3 = value_record(other, Struct{{int64_t{3}}});
  REQUIRE(t->apply(r3).ok());
  CHECK(r3.value_schema != r1.value_schema);
  CHECK(r3.value_schema->name == std::optional<std::string>("other"));
  Record r4 = value_record(in, Struct{{int64_t{4}}});
  REQUIRE(t->apply(r4).ok());
  CHECK(r4.value_schema == r1.value_schema);

  // Whole-value casts too.
  auto w = transform("Cast$Value", {{"spec", "string"}});
  SchemaPtr p = with(prim(Type::kInt64), [](Schema& s) { s.name = "n"; });
  Record w1 = value_record(p, Value(int64_t{1}));
  Record w2 = value_record(p, Value(int64_t{2}));
  REQUIRE(w->apply(w1).ok());
  REQUIRE(w->apply(w2).ok());
  CHECK(w1.value_schema == w2.value_schema);
  CHECK_VALUE(w2.value, Value("2"));
}
