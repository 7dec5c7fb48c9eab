// Flatten$Key / $Value and SetSchemaMetadata$Key / $Value, tested against Kafka Connect's
// Flatten.java and SetSchemaMetadata.java (output schemas field by field, optional and default
// propagation, schemaless maps, errors, nulls, the schema cache); then golden bytes: records
// after transform chains written by the JSON converter, compared with what Connect's
// JsonConverter writes for the same chain.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "converters.h"
#include "record.h"
#include "schema.h"
#include "transform_test_util.h"
#include "value.h"

using namespace kpipe;
using namespace kpipe::testing;  // NOLINT: the shared transform test helpers

namespace {

constexpr int64_t kNanosPerMilli = 1000000;
constexpr int64_t kInstantMs = 1476423962123;  // 2016-10-14T05:46:02.123Z

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
  r.topic = "customers";
  r.value_schema = std::move(schema);
  r.value = std::move(value);
  return r;
}

const SchemaPtr& field_schema(const Schema& s, const std::string& name) {
  const int i = s.field_index(name);
  REQUIRE_MESSAGE(i >= 0, "no field " << name);
  return s.fields[static_cast<size_t>(i)].schema;
}

Value field_value(const Record& r, const std::string& name) {
  const int i = r.value_schema->field_index(name);
  REQUIRE_MESSAGE(i >= 0, "no field " << name);
  return r.value.as<Struct>().fields.at(static_cast<size_t>(i));
}

// A leaf schema after Flatten: type, optional, default, and nothing else unless given.
void check_leaf(const SchemaPtr& s, Type type, bool optional,
                const std::optional<Value>& default_value = std::nullopt) {
  REQUIRE(s);
  CHECK(s->type == type);
  CHECK(s->optional == optional);
  CHECK(s->default_value.has_value() == default_value.has_value());
  if (s->default_value && default_value) CHECK_VALUE(*s->default_value, *default_value);
}

Status apply_error(const std::string& type, const Keys& keys, Record r) {
  auto t = transform(type, keys);
  return t->apply(r);
}

// Outer: id int64, address {street string, geo {lat float64, lon float64 optional}},
// tags array<string>, amount Decimal(2).
SchemaPtr geo_schema() {
  static const SchemaPtr s = StructBuilder("com.acme.Geo")
                                 .field("lat", prim(Type::kFloat64))
                                 .field("lon", prim(Type::kFloat64, true))
                                 .build();
  return s;
}
SchemaPtr address_schema() {
  static const SchemaPtr s = StructBuilder("com.acme.Address")
                                 .field("street", prim(Type::kString))
                                 .field("geo", geo_schema())
                                 .build();
  return s;
}
SchemaPtr outer_schema() {
  static const SchemaPtr s = [] {
    Schema out = *StructBuilder("com.acme.Customer")
                      .field("id", prim(Type::kInt64))
                      .field("address", address_schema())
                      .field("tags", Schema::array(prim(Type::kString)))
                      .field("amount", Schema::decimal(2))
                      .build();
    out.version = 3;
    out.doc = "a customer";
    out.parameters = {{"p", "v"}};
    return std::make_shared<const Schema>(std::move(out));
  }();
  return s;
}
Value outer_value() {
  return Value(Struct{{int64_t{7},
                       Value(Struct{{Value("Main St"), Value(Struct{{Value(1.5), Value(-2.5)}})}}),
                       Value(List{Value("a"), Value("b")}), Value(Decimal{"12345", 2})}});
}

// The JSON converter as a pipeline configures it (schemas.enable, decimal.format).
std::unique_ptr<Converter> json(bool schemas_enable = true,
                                const std::string& decimal_format = "base64") {
  Config config;
  config.values["schemas.enable"] = schemas_enable;
  config.values["decimal.format"] = decimal_format;
  auto converter = make_json_converter();
  Status st = converter->configure(config, false);
  REQUIRE_MESSAGE(st.ok(), st.message());
  return converter;
}

std::string to_json(const SchemaPtr& schema, const Value& value, bool schemas_enable = true) {
  std::optional<std::string> out;
  Status st = json(schemas_enable)->to_bytes("t", schema, value, &out);
  INFO(st.message());
  REQUIRE(st.ok());
  REQUIRE(out.has_value());
  return *out;
}

struct Stage {
  std::string type;
  Keys keys;
};

Record chain(Record r, const std::vector<Stage>& stages) {
  for (const auto& s : stages) {
    auto t = transform(s.type, s.keys);
    Status st = t->apply(r);
    INFO(s.type << ": " << st.message());
    REQUIRE(st.ok());
  }
  return r;
}

// A JDBC source record: value Struct named after the table, key null, no timestamp.
SchemaPtr jdbc_schema() {
  static const SchemaPtr s = StructBuilder("orders")
                                 .field("id", prim(Type::kInt32))
                                 .field("name", prim(Type::kString, true))
                                 .field("amount", Schema::decimal(2, true, 10))
                                 .field("created", Schema::timestamp(true))
                                 .build();
  return s;
}
Record jdbc_record() {
  Record r =
      value_record(jdbc_schema(), Struct{{int64_t{42}, Value("widget"), Value(Decimal{"12345", 2}),
                                          Value(kInstantMs * kNanosPerMilli)}});
  r.topic = "mysql-orders";
  return r;
}

}  // namespace

// ---- Flatten, with schemas ---------------------------------------------------------------------

TEST_CASE("Flatten$Value: nested structs expand depth-first with the default delimiter") {
  Record r = apply_ok("Flatten$Value", {}, value_record(outer_schema(), outer_value()));
  const Schema& out = *r.value_schema;
  // copySchemaBasics: name, version, doc, parameters; required, no default.
  CHECK(out.type == Type::kStruct);
  CHECK(out.name == std::optional<std::string>("com.acme.Customer"));
  CHECK(out.version == std::optional<int32_t>(3));
  CHECK(out.doc == std::optional<std::string>("a customer"));
  CHECK(out.parameters == std::vector<std::pair<std::string, std::string>>{{"p", "v"}});
  CHECK_FALSE(out.optional);
  CHECK_FALSE(out.default_value.has_value());
  CHECK(field_names(out) == std::vector<std::string>{"id", "address.street", "address.geo.lat",
                                                     "address.geo.lon", "tags", "amount"});
  check_leaf(field_schema(out, "id"), Type::kInt64, false);
  check_leaf(field_schema(out, "address.street"), Type::kString, false);
  check_leaf(field_schema(out, "address.geo.lat"), Type::kFloat64, false);
  check_leaf(field_schema(out, "address.geo.lon"), Type::kFloat64, true);
  // Arrays are copied with their items; logical types keep name, version and parameters.
  const SchemaPtr& tags = field_schema(out, "tags");
  check_leaf(tags, Type::kArray, false);
  REQUIRE(tags->items);
  CHECK(tags->items->type == Type::kString);
  const SchemaPtr& amount = field_schema(out, "amount");
  check_leaf(amount, Type::kBytes, false);
  CHECK(amount->name == std::optional<std::string>(kDecimalName));
  CHECK(amount->version == std::optional<int32_t>(1));
  CHECK(amount->parameters == std::vector<std::pair<std::string, std::string>>{{"scale", "2"}});
  CHECK(amount->logical() == Logical::kDecimal);
  // Leaves have no name of their own unless they had one.
  CHECK_FALSE(field_schema(out, "address.street")->name.has_value());
  // Values.
  CHECK_VALUE(field_value(r, "id"), Value(int64_t{7}));
  CHECK_VALUE(field_value(r, "address.street"), Value("Main St"));
  CHECK_VALUE(field_value(r, "address.geo.lat"), Value(1.5));
  CHECK_VALUE(field_value(r, "address.geo.lon"), Value(-2.5));
  CHECK(field_value(r, "tags") == Value(List{Value("a"), Value("b")}));
  CHECK_VALUE(field_value(r, "amount"), Value(Decimal{"12345", 2}));
  CHECK(r.value.as<Struct>().fields.size() == 6);
}

TEST_CASE("Flatten$Value: leaf schemas keep name, version, doc and parameters") {
  SchemaPtr leaf = with(prim(Type::kString), [](Schema& s) {
    s.name = "com.acme.Code";
    s.version = 5;
    s.doc = "a code";
    s.parameters = {{"k", "v"}};
  });
  SchemaPtr top =
      StructBuilder("top").field("s", StructBuilder("s").field("code", leaf).build()).build();
  Record r =
      apply_ok("Flatten$Value", {}, value_record(top, Struct{{Value(Struct{{Value("c")}})}}));
  const SchemaPtr& out = field_schema(*r.value_schema, "s.code");
  check_leaf(out, Type::kString, false);
  CHECK(out->name == std::optional<std::string>("com.acme.Code"));
  CHECK(out->version == std::optional<int32_t>(5));
  CHECK(out->doc == std::optional<std::string>("a code"));
  CHECK(out->parameters == std::vector<std::pair<std::string, std::string>>{{"k", "v"}});
  // Logical types stay logical: a nested Timestamp is still a Timestamp.
  SchemaPtr ts_top = StructBuilder("top")
                         .field("s", StructBuilder("s").field("at", Schema::timestamp()).build())
                         .build();
  Record t = apply_ok("Flatten$Value", {},
                      value_record(ts_top, Struct{{Value(Struct{{Value(int64_t{5})}})}}));
  CHECK(field_schema(*t.value_schema, "s.at")->logical() == Logical::kTimestamp);
  CHECK_VALUE(field_value(t, "s.at"), Value(int64_t{5}));
}

TEST_CASE("Flatten$Value: a custom delimiter") {
  Record r =
      apply_ok("Flatten$Value", {{"delimiter", "_"}}, value_record(outer_schema(), outer_value()));
  CHECK(field_names(*r.value_schema) ==
        std::vector<std::string>{"id", "address_street", "address_geo_lat", "address_geo_lon",
                                 "tags", "amount"});
  Record r2 =
      apply_ok("Flatten$Value", {{"delimiter", "::"}}, value_record(outer_schema(), outer_value()));
  CHECK(field_names(*r2.value_schema)[2] == "address::geo::lat");
}

TEST_CASE("Flatten$Value: leaves are optional when they or any ancestor are") {
  SchemaPtr inner = StructBuilder("inner")
                        .field("req", prim(Type::kInt32))
                        .field("opt", prim(Type::kInt32, true))
                        .optional()
                        .build();
  SchemaPtr mid =
      StructBuilder("mid").field("inner", inner).field("x", prim(Type::kString)).build();
  SchemaPtr top = StructBuilder("top").field("mid", mid).field("y", prim(Type::kBoolean)).build();
  Record r = apply_ok(
      "Flatten$Value", {},
      value_record(top,
                   Struct{{Value(Struct{{Value(Struct{{int64_t{1}, int64_t{2}}}), Value("x")}}),
                           Value(true)}}));
  const Schema& out = *r.value_schema;
  CHECK(field_names(out) ==
        std::vector<std::string>{"mid.inner.req", "mid.inner.opt", "mid.x", "y"});
  check_leaf(field_schema(out, "mid.inner.req"), Type::kInt32, true);
  check_leaf(field_schema(out, "mid.inner.opt"), Type::kInt32, true);
  check_leaf(field_schema(out, "mid.x"), Type::kString, false);
  check_leaf(field_schema(out, "y"), Type::kBoolean, false);

  // An optional top-level struct makes every leaf optional; the output struct is required.
  SchemaPtr opt_top = StructBuilder("top")
                          .field("a", prim(Type::kInt32))
                          .field("s", StructBuilder("s").field("b", prim(Type::kString)).build())
                          .optional()
                          .build();
  Record r2 = apply_ok("Flatten$Value", {},
                       value_record(opt_top, Struct{{int64_t{1}, Value(Struct{{Value("b")}})}}));
  CHECK_FALSE(r2.value_schema->optional);
  check_leaf(field_schema(*r2.value_schema, "a"), Type::kInt32, true);
  check_leaf(field_schema(*r2.value_schema, "s.b"), Type::kString, true);
}

TEST_CASE("Flatten$Value: a null optional nested struct makes its leaves null") {
  SchemaPtr inner = StructBuilder("inner")
                        .field("a", prim(Type::kInt32))
                        .field("b", StructBuilder("deep").field("c", prim(Type::kString)).build())
                        .optional()
                        .build();
  SchemaPtr top =
      StructBuilder("top").field("id", prim(Type::kInt32)).field("inner", inner).build();
  Record r = apply_ok("Flatten$Value", {}, value_record(top, Struct{{int64_t{1}, Value()}}));
  CHECK(field_names(*r.value_schema) == std::vector<std::string>{"id", "inner.a", "inner.b.c"});
  CHECK_VALUE(field_value(r, "id"), Value(int64_t{1}));
  CHECK(field_value(r, "inner.a").is_null());
  CHECK(field_value(r, "inner.b.c").is_null());
  check_leaf(field_schema(*r.value_schema, "inner.b.c"), Type::kString, true);
}

TEST_CASE("Flatten$Value: defaults come from the leaf, else from the ancestor struct default") {
  // FlattenTest.testOptionalAndDefaultValuesNested.
  Schema parent;
  parent.type = Type::kStruct;
  parent.optional = true;
  parent.fields = {{"req_field", prim(Type::kString)},
                   {"opt_field", with(prim(Type::kString, true), [](Schema& s) {
                      s.default_value = Value("child_default");
                    })}};
  parent.default_value = Value(Struct{{Value("req_default"), Value()}});
  SchemaPtr schema = std::make_shared<const Schema>(parent);
  Record r = apply_ok("Flatten$Value", {}, value_record(schema, Struct{{Value(), Value()}}));
  const Schema& out = *r.value_schema;
  REQUIRE(out.fields.size() == 2);
  check_leaf(field_schema(out, "req_field"), Type::kString, true, Value("req_default"));
  check_leaf(field_schema(out, "opt_field"), Type::kString, true, Value("child_default"));
  // The top-level default is not kept.
  CHECK_FALSE(out.default_value.has_value());
  CHECK_FALSE(out.optional);
  // Struct.get: a null leaf with a default reads as that default.
  CHECK(field_value(r, "req_field").is_null());
  CHECK_VALUE(field_value(r, "opt_field"), Value("child_default"));

  // Nested: the default of a nested struct field reaches its leaves.
  Schema inner;
  inner.type = Type::kStruct;
  inner.name = "inner";
  inner.optional = true;
  inner.fields = {{"a", prim(Type::kInt32, true)},
                  {"b", with(prim(Type::kInt32, true),
                             [](Schema& s) { s.default_value = Value(int64_t{70}); })}};
  inner.default_value = Value(Struct{{int64_t{5}, int64_t{6}}});
  SchemaPtr inner_ptr = std::make_shared<const Schema>(inner);
  SchemaPtr top =
      StructBuilder("top").field("id", prim(Type::kInt32)).field("inner", inner_ptr).build();
  Record r2 = apply_ok("Flatten$Value", {},
                       value_record(top, Struct{{int64_t{1}, Value(Struct{{Value(), Value()}})}}));
  check_leaf(field_schema(*r2.value_schema, "inner.a"), Type::kInt32, true, Value(int64_t{5}));
  check_leaf(field_schema(*r2.value_schema, "inner.b"), Type::kInt32, true, Value(int64_t{70}));
  check_leaf(field_schema(*r2.value_schema, "id"), Type::kInt32, false);
  // Inside a present struct, null leaves read as their own defaults only.
  CHECK(field_value(r2, "inner.a").is_null());
  CHECK_VALUE(field_value(r2, "inner.b"), Value(int64_t{70}));

  // A null nested struct reads as its default struct (Struct.getStruct -> get): the leaves are
  // the default's values, even where a leaf has a default of its own.
  Record r3 = apply_ok("Flatten$Value", {}, value_record(top, Struct{{int64_t{1}, Value()}}));
  CHECK_VALUE(field_value(r3, "inner.a"), Value(int64_t{5}));
  CHECK_VALUE(field_value(r3, "inner.b"), Value(int64_t{6}));
}

TEST_CASE("Flatten$Value: a MAP field is refused with schemas") {
  SchemaPtr m = Schema::map(prim(Type::kString), prim(Type::kInt32));
  SchemaPtr top = StructBuilder("top").field("id", prim(Type::kInt32)).field("m", m).build();
  Status st =
      apply_error("Flatten$Value", {}, value_record(top, Struct{{int64_t{1}, Value(Map{})}}));
  CHECK_FALSE(st.ok());
  CHECK(st.message() ==
        "Flatten transformation does not support MAP for record with schemas (for field m).");
  SchemaPtr nested =
      StructBuilder("top").field("s", StructBuilder("s").field("m", m).build()).build();
  st = apply_error("Flatten$Value", {{"delimiter", "/"}},
                   value_record(nested, Struct{{Value(Struct{{Value(Map{})}})}}));
  CHECK(st.message() ==
        "Flatten transformation does not support MAP for record with schemas (for field s/m).");
}

TEST_CASE("Flatten$Value: a flattened name that collides with a field is refused") {
  SchemaPtr top = StructBuilder("top")
                      .field("a.b", prim(Type::kInt32))
                      .field("a", StructBuilder("a").field("b", prim(Type::kInt32)).build())
                      .build();
  Status st = apply_error("Flatten$Value", {},
                          value_record(top, Struct{{int64_t{1}, Value(Struct{{int64_t{2}}})}}));
  CHECK_FALSE(st.ok());
  CHECK(st.message() == "Cannot create field because of field name duplication a.b");
}

TEST_CASE("Flatten$Value: arrays of structs are not flattened") {
  SchemaPtr item = StructBuilder("item").field("x", prim(Type::kInt32)).build();
  SchemaPtr top = StructBuilder("top").field("items", Schema::array(item, true)).build();
  const Value items(List{Value(Struct{{int64_t{1}}})});
  Record r = apply_ok("Flatten$Value", {}, value_record(top, Struct{{items}}));
  CHECK(field_names(*r.value_schema) == std::vector<std::string>{"items"});
  check_leaf(field_schema(*r.value_schema, "items"), Type::kArray, true);
  CHECK(field_schema(*r.value_schema, "items")->items == item);
  CHECK(field_value(r, "items") == items);
}

TEST_CASE("Flatten$Value: a null value passes through, schema and all") {
  SchemaPtr top = StructBuilder("top")
                      .field("s", StructBuilder("s").field("a", prim(Type::kInt32)).build())
                      .optional()
                      .build();
  Record r = apply_ok("Flatten$Value", {}, value_record(top, Value()));
  CHECK(r.value.is_null());
  CHECK(r.value_schema == top);
  Record r2 = apply_ok("Flatten$Value", {}, value_record(nullptr, Value()));
  CHECK(r2.value.is_null());
  CHECK_FALSE(r2.value_schema);
}

TEST_CASE("Flatten$Value: a value with a schema must be a Struct") {
  Status st = apply_error("Flatten$Value", {}, value_record(prim(Type::kString), Value("x")));
  CHECK_FALSE(st.ok());
  CHECK(st.message() == "Only Struct objects supported for [flattening], found: java.lang.String");
}

TEST_CASE("Flatten$Value: the output schema is built once per input schema") {
  auto t = transform("Flatten$Value", {});
  Record r1 = value_record(outer_schema(), outer_value());
  Record r2 = value_record(outer_schema(), outer_value());
  REQUIRE(t->apply(r1).ok());
  REQUIRE(t->apply(r2).ok());
  CHECK(r1.value_schema == r2.value_schema);
  CHECK(r1.value_schema != outer_schema());
  SchemaPtr other = StructBuilder("o").field("s", address_schema()).build();
  Record r3 = value_record(other, Struct{{Value(Struct{{Value("x"), Value()}})}});
  REQUIRE(t->apply(r3).ok());
  CHECK(r3.value_schema != r1.value_schema);
  CHECK(field_names(*r3.value_schema) ==
        std::vector<std::string>{"s.street", "s.geo.lat", "s.geo.lon"});
}

// ---- Flatten, schemaless -----------------------------------------------------------------------

TEST_CASE("Flatten$Value: schemaless nested maps") {
  Record r = apply_ok(
      "Flatten$Value", {},
      value_record(nullptr,
                   map_of({{"a", int64_t{1}},
                           {"b", Value(map_of({{"c", Value("x")},
                                               {"d", Value(map_of({{"e", Value(true)}}))}}))},
                           {"n", Value()},
                           {"l", Value(List{Value(int64_t{1}), Value(map_of({{"z", 1}}))})},
                           {"bin", Value(Bytes{"\x01"})},
                           {"f", Value(2.5)},
                           {"empty", Value(Map{})},
                           {"nested_null", Value(map_of({{"q", Value()}}))}})));
  CHECK_FALSE(r.value_schema);
  CHECK(map_keys(r.value) ==
        std::vector<std::string>{"a", "b.c", "b.d.e", "n", "l", "bin", "f", "nested_null.q"});
  CHECK_VALUE(map_get(r.value, "a"), Value(int64_t{1}));
  CHECK_VALUE(map_get(r.value, "b.c"), Value("x"));
  CHECK_VALUE(map_get(r.value, "b.d.e"), Value(true));
  CHECK(map_get(r.value, "n").is_null());
  // Lists are copied, maps inside them untouched.
  CHECK(map_get(r.value, "l") == Value(List{Value(int64_t{1}), Value(map_of({{"z", 1}}))}));
  CHECK(map_get(r.value, "bin") == Value(Bytes{"\x01"}));
  CHECK_VALUE(map_get(r.value, "f"), Value(2.5));
  CHECK(map_get(r.value, "nested_null.q").is_null());
}

TEST_CASE("Flatten$Value: schemaless with a delimiter") {
  Record r = apply_ok(
      "Flatten$Value", {{"delimiter", "#"}},
      value_record(nullptr, map_of({{"a", Value(map_of({{"b", Value(map_of({{"c", 1}}))}}))}})));
  CHECK(map_keys(r.value) == std::vector<std::string>{"a#b#c"});
  CHECK_VALUE(map_get(r.value, "a#b#c"), Value(int64_t{1}));
}

TEST_CASE("Flatten$Value: schemaless values Connect has no type for are refused") {
  Status st = apply_error("Flatten$Value", {},
                          value_record(nullptr, map_of({{"b", Value(Struct{{int64_t{1}}})}})));
  CHECK_FALSE(st.ok());
  CHECK(st.message() ==
        "Flatten transformation does not support class org.apache.kafka.connect.data.Struct for "
        "record without schemas (for field b).");
  st = apply_error(
      "Flatten$Value", {},
      value_record(nullptr, map_of({{"x", Value(map_of({{"d", Value(Decimal{"1", 0})}}))}})));
  CHECK(st.message() ==
        "Flatten transformation was passed a value of type class java.math.BigDecimal which is not "
        "supported by Connect's data API");
  st = apply_error("Flatten$Value", {}, value_record(nullptr, Value("text")));
  CHECK(
      st.message() ==
      "Only Map objects supported in absence of schema for [flattening], found: java.lang.String");
}

TEST_CASE("Flatten$Key: flattens the key, leaves the value") {
  SchemaPtr ks = StructBuilder("k")
                     .field("id", prim(Type::kInt32))
                     .field("s", StructBuilder("s").field("a", prim(Type::kString)).build())
                     .build();
  Record r;
  r.key_schema = ks;
  r.key = Value(Struct{{int64_t{1}, Value(Struct{{Value("x")}})}});
  r.value_schema = outer_schema();
  r.value = outer_value();
  r = apply_ok("Flatten$Key", {}, r);
  CHECK(field_names(*r.key_schema) == std::vector<std::string>{"id", "s.a"});
  CHECK(r.key == Value(Struct{{int64_t{1}, Value("x")}}));
  CHECK(r.value_schema == outer_schema());
  CHECK(r.value == outer_value());
}

// ---- SetSchemaMetadata -------------------------------------------------------------------------

TEST_CASE("SetSchemaMetadata$Value: neither name nor version is refused") {
  Status st = configure_status("SetSchemaMetadata$Value", {});
  CHECK_FALSE(st.ok());
  CHECK(st.code() == Code::kInvalid);
  CHECK_MESSAGE(has(st, "Neither schema name nor version configured"), st.message());
  CHECK(configure_status("SetSchemaMetadata$Value", {{"schema.name", "n"}}).ok());
  CHECK(configure_status("SetSchemaMetadata$Value", {{"schema.version", "3"}}).ok());
  CHECK_FALSE(configure_status("SetSchemaMetadata$Value", {{"schema.version", "three"}}).ok());
  CHECK_FALSE(configure_status("SetSchemaMetadata$Key", {}).ok());
}

TEST_CASE("SetSchemaMetadata$Value: name and version replaced, everything else kept") {
  SchemaPtr id = prim(Type::kInt32);
  SchemaPtr note = with(prim(Type::kString, true), [](Schema& s) { s.default_value = Value("-"); });
  Schema in_schema;
  in_schema.type = Type::kStruct;
  in_schema.name = "old.name";
  in_schema.version = 1;
  in_schema.doc = "the doc";
  in_schema.parameters = {{"p", "v"}};
  in_schema.optional = true;
  in_schema.default_value = Value(Struct{{int64_t{0}, Value("d")}});
  in_schema.fields = {{"id", id}, {"note", note}};
  SchemaPtr in = std::make_shared<const Schema>(in_schema);
  Record r = apply_ok("SetSchemaMetadata$Value",
                      {{"schema.name", "com.acme.Order"}, {"schema.version", "2"}},
                      value_record(in, Struct{{int64_t{5}, Value("hi")}}));
  const Schema& out = *r.value_schema;
  CHECK(out.type == Type::kStruct);
  CHECK(out.name == std::optional<std::string>("com.acme.Order"));
  CHECK(out.version == std::optional<int32_t>(2));
  CHECK(out.doc == std::optional<std::string>("the doc"));
  CHECK(out.parameters == std::vector<std::pair<std::string, std::string>>{{"p", "v"}});
  CHECK(out.optional);
  REQUIRE(out.default_value.has_value());
  CHECK(*out.default_value == Value(Struct{{int64_t{0}, Value("d")}}));
  REQUIRE(out.fields.size() == 2);
  CHECK(out.fields[0].name == "id");
  CHECK(out.fields[0].schema == id);
  CHECK(out.fields[1].name == "note");
  CHECK(out.fields[1].schema == note);
  CHECK(r.value == Value(Struct{{int64_t{5}, Value("hi")}}));
}

TEST_CASE("SetSchemaMetadata$Value: only the configured half changes") {
  SchemaPtr in = with(StructBuilder("old.name").field("a", prim(Type::kInt32)).build(),
                      [](Schema& s) { s.version = 7; });
  Record r = apply_ok("SetSchemaMetadata$Value", {{"schema.name", "new.name"}},
                      value_record(in, Struct{{int64_t{1}}}));
  CHECK(r.value_schema->name == std::optional<std::string>("new.name"));
  CHECK(r.value_schema->version == std::optional<int32_t>(7));
  Record r2 = apply_ok("SetSchemaMetadata$Value", {{"schema.version", "9"}},
                       value_record(in, Struct{{int64_t{1}}}));
  CHECK(r2.value_schema->name == std::optional<std::string>("old.name"));
  CHECK(r2.value_schema->version == std::optional<int32_t>(9));
  // A schema without a name keeps none when only the version is set.
  Record r3 = apply_ok("SetSchemaMetadata$Value", {{"schema.version", "1"}},
                       value_record(prim(Type::kInt64), Value(int64_t{3})));
  CHECK_FALSE(r3.value_schema->name.has_value());
  CHECK(r3.value_schema->version == std::optional<int32_t>(1));
  CHECK(r3.value_schema->type == Type::kInt64);
  CHECK_VALUE(r3.value, Value(int64_t{3}));
}

TEST_CASE("SetSchemaMetadata$Value: primitive, array and map schemas keep their shape") {
  Record r = apply_ok("SetSchemaMetadata$Value", {{"schema.name", "n"}},
                      value_record(prim(Type::kString, true), Value("x")));
  CHECK(r.value_schema->type == Type::kString);
  CHECK(r.value_schema->optional);
  CHECK(r.value_schema->name == std::optional<std::string>("n"));
  CHECK_VALUE(r.value, Value("x"));
  SchemaPtr items = prim(Type::kInt32);
  Record a = apply_ok("SetSchemaMetadata$Value", {{"schema.name", "arr"}},
                      value_record(Schema::array(items), Value(List{Value(1)})));
  CHECK(a.value_schema->type == Type::kArray);
  CHECK(a.value_schema->items == items);
  SchemaPtr keys = prim(Type::kString), values = prim(Type::kInt64);
  Record m = apply_ok("SetSchemaMetadata$Value", {{"schema.name", "m"}},
                      value_record(Schema::map(keys, values), Value(Map{})));
  CHECK(m.value_schema->type == Type::kMap);
  CHECK(m.value_schema->keys == keys);
  CHECK(m.value_schema->values == values);
}

TEST_CASE("SetSchemaMetadata$Value: nulls and schemaless values") {
  // A null value without a schema passes through.
  Record r =
      apply_ok("SetSchemaMetadata$Value", {{"schema.name", "n"}}, value_record(nullptr, Value()));
  CHECK(r.value.is_null());
  CHECK_FALSE(r.value_schema);
  // A null value with a schema: the schema is updated, the value stays null.
  SchemaPtr opt = StructBuilder("old").field("a", prim(Type::kInt32)).optional().build();
  Record r2 =
      apply_ok("SetSchemaMetadata$Value", {{"schema.name", "new"}}, value_record(opt, Value()));
  CHECK(r2.value.is_null());
  REQUIRE(r2.value_schema);
  CHECK(r2.value_schema->name == std::optional<std::string>("new"));
  // A value without a schema is refused.
  Status st = apply_error("SetSchemaMetadata$Value", {{"schema.name", "n"}},
                          value_record(nullptr, map_of({{"a", 1}})));
  CHECK_FALSE(st.ok());
  CHECK(st.message() == "Schema required for [updating schema metadata]");
  st = apply_error("SetSchemaMetadata$Value", {{"schema.version", "1"}},
                   value_record(nullptr, Value("x")));
  CHECK(st.message() == "Schema required for [updating schema metadata]");
}

TEST_CASE("SetSchemaMetadata$Value: replace.null.with.default on the copied struct") {
  SchemaPtr d =
      with(prim(Type::kInt32, true), [](Schema& s) { s.default_value = Value(int64_t{9}); });
  SchemaPtr in = StructBuilder("s").field("a", d).field("b", prim(Type::kInt32, true)).build();
  Record r = apply_ok("SetSchemaMetadata$Value", {{"schema.name", "t"}},
                      value_record(in, Struct{{Value(), Value()}}));
  CHECK(r.value == Value(Struct{{int64_t{9}, Value()}}));
  Record r2 = apply_ok("SetSchemaMetadata$Value",
                       {{"schema.name", "t"}, {"replace.null.with.default", "false"}},
                       value_record(in, Struct{{Value(), Value()}}));
  CHECK(r2.value == Value(Struct{{Value(), Value()}}));
}

TEST_CASE("SetSchemaMetadata$Key: sets the key schema, leaves the value") {
  Record in;
  in.key_schema = StructBuilder("k").field("id", prim(Type::kInt32)).build();
  in.key = Value(Struct{{int64_t{1}}});
  SchemaPtr vs = prim(Type::kString);
  in.value_schema = vs;
  in.value = Value("v");
  Record r = apply_ok("SetSchemaMetadata$Key", {{"schema.name", "com.acme.Key"}}, in);
  CHECK(r.key_schema->name == std::optional<std::string>("com.acme.Key"));
  CHECK(r.key == Value(Struct{{int64_t{1}}}));
  CHECK(r.value_schema == vs);
}

TEST_CASE("SetSchemaMetadata$Value: the output schema is built once per input schema") {
  SchemaPtr in = StructBuilder("s").field("a", prim(Type::kInt32)).build();
  auto t = transform("SetSchemaMetadata$Value", {{"schema.name", "t"}});
  Record r1 = value_record(in, Struct{{int64_t{1}}});
  Record r2 = value_record(in, Struct{{int64_t{2}}});
  REQUIRE(t->apply(r1).ok());
  REQUIRE(t->apply(r2).ok());
  CHECK(r1.value_schema == r2.value_schema);
  CHECK(r1.value_schema != in);
}

// ---- golden bytes: transform chains then the JSON converter ------------------------------------

TEST_CASE("Golden bytes: the JDBC record before any transform") {
  Record r = jdbc_record();
  CHECK(
      to_json(r.value_schema, r.value) ==
      R"({"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},)"
      R"({"type":"string","optional":true,"field":"name"},)"
      R"({"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"10"},"field":"amount"},)"
      R"({"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"created"}],)"
      R"("optional":false,"name":"orders"},)"
      R"("payload":{"id":42,"name":"widget","amount":"MDk=","created":1476423962123}})");
}

TEST_CASE("Golden bytes: ValueToKey + ExtractField$Key make a primitive key") {
  Record r = chain(jdbc_record(),
                   {{"ValueToKey", {{"fields", "id"}}}, {"ExtractField$Key", {{"field", "id"}}}});
  CHECK(to_json(r.key_schema, r.key) ==
        R"({"schema":{"type":"int32","optional":false},"payload":42})");
  CHECK(to_json(r.key_schema, r.key, false) == "42");
  // The value is untouched.
  CHECK(r.value_schema == jdbc_schema());
  // ValueToKey alone: an unnamed required struct key, fields in `fields` order.
  Record r2 = chain(jdbc_record(), {{"ValueToKey", {{"fields", "name,id"}}}});
  CHECK(to_json(r2.key_schema, r2.key) ==
        R"({"schema":{"type":"struct","fields":[{"type":"string","optional":true,"field":"name"},)"
        R"({"type":"int32","optional":false,"field":"id"}],"optional":false},)"
        R"("payload":{"name":"widget","id":42}})");
}

TEST_CASE("Golden bytes: Cast$Value amount:float64 on a Decimal") {
  Record r = chain(jdbc_record(), {{"Cast$Value", {{"spec", "amount:float64"}}}});
  CHECK(
      to_json(r.value_schema, r.value) ==
      R"({"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},)"
      R"({"type":"string","optional":true,"field":"name"},)"
      R"({"type":"double","optional":true,"field":"amount"},)"
      R"({"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"created"}],)"
      R"("optional":false,"name":"orders"},)"
      R"("payload":{"id":42,"name":"widget","amount":123.45,"created":1476423962123}})");
  CHECK(to_json(r.value_schema, r.value, false) ==
        R"({"id":42,"name":"widget","amount":123.45,"created":1476423962123})");
}

TEST_CASE("Golden bytes: Cast$Value to string, int8 and float32, with a cast default") {
  SchemaPtr in = StructBuilder("m")
                     .field("id", prim(Type::kInt64))
                     .field("price", prim(Type::kFloat64))
                     .field("qty", with(prim(Type::kInt64, true),
                                        [](Schema& s) { s.default_value = Value(int64_t{300}); }))
                     .build();
  Record r = chain(value_record(in, Struct{{int64_t{7}, Value(1.1), Value()}}),
                   {{"Cast$Value", {{"spec", "id:string,price:float32,qty:int8"}}}});
  CHECK(
      to_json(r.value_schema, r.value) ==
      R"({"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},)"
      R"({"type":"float","optional":false,"field":"price"},)"
      R"({"type":"int8","optional":true,"default":44,"field":"qty"}],"optional":false,"name":"m"},)"
      R"("payload":{"id":"7","price":1.1,"qty":44}})");
  // A whole-key cast.
  Record k;
  k.key_schema = prim(Type::kInt64);
  k.key = Value(int64_t{4294967338});  // 2^32 + 42
  k = chain(k, {{"Cast$Key", {{"spec", "int32"}}}});
  CHECK(to_json(k.key_schema, k.key) ==
        R"({"schema":{"type":"int32","optional":false},"payload":42})");
}

TEST_CASE("Golden bytes: TimestampConverter to string, unix and Date") {
  Record r = chain(
      jdbc_record(),
      {{"TimestampConverter$Value",
        {{"field", "created"}, {"target.type", "string"}, {"format", "yyyy-MM-dd HH:mm:ss"}}}});
  CHECK(
      to_json(r.value_schema, r.value) ==
      R"({"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},)"
      R"({"type":"string","optional":true,"field":"name"},)"
      R"({"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"10"},"field":"amount"},)"
      R"({"type":"string","optional":true,"field":"created"}],)"
      R"("optional":false,"name":"orders"},)"
      R"("payload":{"id":42,"name":"widget","amount":"MDk=","created":"2016-10-14 05:46:02"}})");

  Record u =
      chain(jdbc_record(),
            {{"TimestampConverter$Value",
              {{"field", "created"}, {"target.type", "unix"}, {"unix.precision", "seconds"}}}});
  CHECK(to_json(u.value_schema, u.value, false) ==
        R"({"id":42,"name":"widget","amount":"MDk=","created":1476423962})");

  Record d = value_record(Schema::timestamp(), Value(kInstantMs * kNanosPerMilli));
  d = chain(d, {{"TimestampConverter$Value", {{"target.type", "Date"}}}});
  CHECK(
      to_json(d.value_schema, d.value) ==
      R"({"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1},"payload":17088})");
  Record t = value_record(prim(Type::kString, true), Value("2016-10-14T05:46:02.123"));
  t = chain(t, {{"TimestampConverter$Value",
                 {{"target.type", "Time"}, {"format", "yyyy-MM-dd'T'HH:mm:ss.SSS"}}}});
  CHECK(
      to_json(t.value_schema, t.value) ==
      R"({"schema":{"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Time","version":1},"payload":20762123})");
}

TEST_CASE("Golden bytes: Flatten") {
  SchemaPtr address = StructBuilder("com.acme.Address")
                          .field("street", prim(Type::kString))
                          .field("zip", prim(Type::kInt32, true))
                          .optional()
                          .build();
  SchemaPtr customer = StructBuilder("com.acme.Customer")
                           .field("id", prim(Type::kInt64))
                           .field("address", address)
                           .field("tags", Schema::array(prim(Type::kString)))
                           .build();
  Record r = chain(
      value_record(customer, Struct{{int64_t{7}, Value(Struct{{Value("Main St"), int64_t{12345}}}),
                                     Value(List{Value("a"), Value("b")})}}),
      {{"Flatten$Value", {{"delimiter", "_"}}}});
  CHECK(
      to_json(r.value_schema, r.value) ==
      R"({"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},)"
      R"({"type":"string","optional":true,"field":"address_street"},)"
      R"({"type":"int32","optional":true,"field":"address_zip"},)"
      R"({"type":"array","items":{"type":"string","optional":false},"optional":false,"field":"tags"}],)"
      R"("optional":false,"name":"com.acme.Customer"},)"
      R"("payload":{"id":7,"address_street":"Main St","address_zip":12345,"tags":["a","b"]}})");

  Record n = chain(value_record(customer, Struct{{int64_t{8}, Value(), Value(List{})}}),
                   {{"Flatten$Value", {}}});
  CHECK(to_json(n.value_schema, n.value, false) ==
        R"({"id":8,"address.street":null,"address.zip":null,"tags":[]})");

  // A parent default reaches the flattened leaf schema.
  Schema with_default = *address;
  with_default.default_value = Value(Struct{{Value("n/a"), Value()}});
  SchemaPtr top =
      StructBuilder("top").field("address", std::make_shared<const Schema>(with_default)).build();
  Record dflt = chain(value_record(top, Struct{{Value(Struct{{Value("x"), int64_t{1}}})}}),
                      {{"Flatten$Value", {}}});
  CHECK(
      to_json(dflt.value_schema, dflt.value) ==
      R"({"schema":{"type":"struct","fields":[{"type":"string","optional":true,"default":"n/a","field":"address.street"},)"
      R"({"type":"int32","optional":true,"field":"address.zip"}],"optional":false,"name":"top"},)"
      R"("payload":{"address.street":"x","address.zip":1}})");
}

TEST_CASE("Golden bytes: SetSchemaMetadata after a chain") {
  Record r = chain(jdbc_record(), {{"ReplaceField$Value", {{"include", "id,name"}}},
                                   {"SetSchemaMetadata$Value",
                                    {{"schema.name", "com.acme.Order"}, {"schema.version", "2"}}}});
  CHECK(to_json(r.value_schema, r.value) ==
        R"({"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},)"
        R"({"type":"string","optional":true,"field":"name"}],)"
        R"("optional":false,"name":"com.acme.Order","version":2},)"
        R"("payload":{"id":42,"name":"widget"}})");
}

TEST_CASE("Golden bytes: a JDBC chain to key and value") {
  Record r =
      chain(jdbc_record(), {{"ValueToKey", {{"fields", "id"}}},
                            {"ExtractField$Key", {{"field", "id"}}},
                            {"Cast$Value", {{"spec", "amount:string"}}},
                            {"TimestampConverter$Value",
                             {{"field", "created"},
                              {"target.type", "string"},
                              {"format", "yyyy-MM-dd'T'HH:mm:ss.SSSX"}}},
                            {"SetSchemaMetadata$Value", {{"schema.name", "com.acme.Order"}}}});
  CHECK(to_json(r.key_schema, r.key) ==
        R"({"schema":{"type":"int32","optional":false},"payload":42})");
  CHECK(
      to_json(r.value_schema, r.value) ==
      R"({"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},)"
      R"({"type":"string","optional":true,"field":"name"},)"
      R"({"type":"string","optional":true,"field":"amount"},)"
      R"({"type":"string","optional":true,"field":"created"}],)"
      R"("optional":false,"name":"com.acme.Order"},)"
      R"("payload":{"id":42,"name":"widget","amount":"123.45","created":"2016-10-14T05:46:02.123Z"}})");
}
