// Field SMTs, tested against Kafka Connect's semantics (InsertField, ReplaceField, MaskField,
// ValueToKey, ExtractField, HoistField): output schemas field by field, schemaless maps,
// tombstones, exact error messages, replace.null.with.default and the per-schema cache.
#include <doctest/doctest.h>

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

Record value_record(SchemaPtr schema, Value value) {
  Record r;
  r.topic = "orders";
  r.value_schema = std::move(schema);
  r.value = std::move(value);
  return r;
}

Record key_record(SchemaPtr schema, Value key) {
  Record r;
  r.topic = "orders";
  r.key_schema = std::move(schema);
  r.key = std::move(key);
  r.value = Value("the value");
  return r;
}

bool map_has(const Value& value, const std::string& key) {
  return map_get(value, key) != Value("<absent>");
}

SchemaPtr optional_with_default(Type type, Value def) {
  Schema s = *Schema::primitive(type, true);
  s.default_value = std::move(def);
  return std::make_shared<const Schema>(std::move(s));
}

// A struct schema with every basic set (name, version, doc, parameters, optional, default) so the
// tests can check what copySchemaBasics keeps and what it drops.
SchemaPtr decorated_struct(std::vector<Field> fields, bool optional = true) {
  Schema s;
  s.type = Type::kStruct;
  s.name = "com.acme.Order";
  s.version = 3;
  s.doc = "an order";
  s.parameters = {{"p1", "v1"}};
  s.fields = std::move(fields);
  s.optional = optional;
  if (optional) {
    Struct def;
    for (size_t i = 0; i < s.fields.size(); ++i) def.fields.emplace_back();
    s.default_value = Value(std::move(def));
  }
  return std::make_shared<const Schema>(std::move(s));
}

void check_basics_copied(const Schema& out) {
  CHECK(out.type == Type::kStruct);
  CHECK(out.name == std::optional<std::string>("com.acme.Order"));
  CHECK(out.version == std::optional<int32_t>(3));
  CHECK(out.doc == std::optional<std::string>("an order"));
  CHECK(out.parameters == std::vector<std::pair<std::string, std::string>>{{"p1", "v1"}});
  CHECK_FALSE(out.optional);
  CHECK_FALSE(out.default_value.has_value());
}

// id int32, name optional string
SchemaPtr simple_schema() {
  static const SchemaPtr s = StructBuilder("simple")
                                 .field("id", Schema::primitive(Type::kInt32))
                                 .field("name", Schema::primitive(Type::kString, true))
                                 .build();
  return s;
}

}  // namespace

// ---- InsertField -------------------------------------------------------------------------------

TEST_CASE("InsertField$Value: configure refuses no insertion and a static field without value") {
  Status st = configure_status("InsertField$Value", {});
  CHECK_FALSE(st.ok());
  CHECK_MESSAGE(has(st, "No field insertion configured"), st.message());
  st = configure_status("InsertField$Value", {{"static.field", "src"}});
  CHECK_FALSE(st.ok());
  CHECK_MESSAGE(has(st, "No value specified for static field"), st.message());
  CHECK(configure_status("InsertField$Value", {{"topic.field", "t"}}).ok());
  CHECK(configure_status("InsertField$Key", {{"offset.field", "o"}}).ok());
  CHECK(configure_status("InsertField$Value", {{"static.field", "s"}, {"static.value", "v"}}).ok());
  // static.value alone inserts nothing.
  CHECK_FALSE(configure_status("InsertField$Value", {{"static.value", "v"}}).ok());
}

TEST_CASE("InsertField$Value: schemaless map gets topic, partition, offset, timestamp, static") {
  auto t = transform("InsertField$Value", {{"topic.field", "topic_field!"},
                                           {"partition.field", "partition_field"},
                                           {"offset.field", "offset_field"},
                                           {"timestamp.field", "timestamp_field?"},
                                           {"static.field", "instance_id"},
                                           {"static.value", "my-instance-id"}});
  Record r = value_record(nullptr, map_of({{"magic", int64_t{42}}}));
  r.partition = 3;
  r.kafka_offset = 4242;
  r.timestamp_ms = 1700000000123;
  REQUIRE(t->apply(r).ok());
  CHECK(r.value_schema == nullptr);
  CHECK(map_get(r.value, "magic") == Value(int64_t{42}));
  // The ! / ? suffixes are not part of the field names.
  CHECK(map_get(r.value, "topic_field") == Value("orders"));
  CHECK(map_get(r.value, "partition_field") == Value(int64_t{3}));
  CHECK(map_get(r.value, "offset_field") == Value(int64_t{4242}));
  // Schemaless: the timestamp is a Long of epoch milliseconds.
  CHECK(map_get(r.value, "timestamp_field") == Value(int64_t{1700000000123}));
  CHECK(map_get(r.value, "instance_id") == Value("my-instance-id"));
  CHECK(map_keys(r.value).size() == 6);
  CHECK(r.topic == "orders");
}

TEST_CASE("InsertField$Value: schemaless skips a null partition and timestamp") {
  auto t = transform("InsertField$Value", {{"topic.field", "topic_field"},
                                           {"partition.field", "partition_field"},
                                           {"timestamp.field", "timestamp_field"}});
  Record r = value_record(nullptr, map_of({{"a", "b"}}));
  REQUIRE(t->apply(r).ok());
  CHECK(map_get(r.value, "topic_field") == Value("orders"));
  CHECK_FALSE(map_has(r.value, "partition_field"));
  CHECK_FALSE(map_has(r.value, "timestamp_field"));
  CHECK(map_keys(r.value) == std::vector<std::string>{"a", "topic_field"});
}

TEST_CASE("InsertField$Value: an existing key is overwritten (HashMap.put)") {
  auto t = transform("InsertField$Value", {{"static.field", "a"}, {"static.value", "new"}});
  Record r = value_record(nullptr, map_of({{"a", "old"}, {"b", int64_t{1}}}));
  REQUIRE(t->apply(r).ok());
  CHECK(map_keys(r.value) == std::vector<std::string>{"a", "b"});
  CHECK(map_get(r.value, "a") == Value("new"));
}

TEST_CASE("InsertField$Value: offset.field needs a record read from Kafka (SinkRecord)") {
  auto t = transform("InsertField$Value", {{"offset.field", "off"}});
  Record schemaless = value_record(nullptr, map_of({{"a", "b"}}));
  Status st = t->apply(schemaless);
  CHECK_FALSE(st.ok());
  CHECK(st.message() ==
        "Only SinkRecord supported for [field insertion], found: "
        "org.apache.kafka.connect.source.SourceRecord");
  Record schemaful = value_record(simple_schema(), Struct{{int64_t{1}, Value("x")}});
  st = t->apply(schemaful);
  CHECK_FALSE(st.ok());
  CHECK(st.message() ==
        "Only SinkRecord supported for [field insertion], found: "
        "org.apache.kafka.connect.source.SourceRecord");
}

TEST_CASE("InsertField$Value: schemaful output schema, field by field") {
  auto t = transform("InsertField$Value", {{"topic.field", "topic_field!"},
                                           {"partition.field", "partition_field"},
                                           {"offset.field", "offset_field!"},
                                           {"timestamp.field", "timestamp_field?"},
                                           {"static.field", "instance_id"},
                                           {"static.value", "my-instance-id"}});
  SchemaPtr name_schema = optional_with_default(Type::kString, Value("anon"));
  SchemaPtr in = decorated_struct(
      {{"magic", Schema::primitive(Type::kInt64)}, {"name", name_schema}}, /*optional=*/true);
  Record r = value_record(in, Struct{{int64_t{42}, Value("bob")}});
  r.partition = 0;
  r.kafka_offset = 77;
  r.timestamp_ms = 1500000000000;
  REQUIRE(t->apply(r).ok());
  const Schema& out = *r.value_schema;
  check_basics_copied(out);
  REQUIRE(field_names(out) == std::vector<std::string>{"magic", "name", "topic_field",
                                                       "partition_field", "offset_field",
                                                       "timestamp_field", "instance_id"});
  // Original fields keep their own schemas (same objects).
  CHECK(out.fields[0].schema == in->fields[0].schema);
  CHECK(out.fields[1].schema == name_schema);
  CHECK(out.fields[1].schema->default_value == std::optional<Value>(Value("anon")));
  // topic: required string (!)
  CHECK(out.fields[2].schema->type == Type::kString);
  CHECK_FALSE(out.fields[2].schema->optional);
  CHECK_FALSE(out.fields[2].schema->name.has_value());
  // partition: optional int32
  CHECK(out.fields[3].schema->type == Type::kInt32);
  CHECK(out.fields[3].schema->optional);
  // offset: required int64 (!)
  CHECK(out.fields[4].schema->type == Type::kInt64);
  CHECK_FALSE(out.fields[4].schema->optional);
  // timestamp: optional Timestamp logical type
  CHECK(out.fields[5].schema->equals(*Schema::timestamp(true)));
  CHECK(out.fields[5].schema->logical() == Logical::kTimestamp);
  // static: optional string
  CHECK(out.fields[6].schema->equals(*Schema::primitive(Type::kString, true)));
  for (const auto& f : out.fields) CHECK_FALSE((f.schema->default_value && f.name != "name"));

  const Struct& s = r.value.as<Struct>();
  REQUIRE(s.fields.size() == 7);
  CHECK(s.fields[0] == Value(int64_t{42}));
  CHECK(s.fields[1] == Value("bob"));
  CHECK(s.fields[2] == Value("orders"));
  CHECK(s.fields[3] == Value(int64_t{0}));
  CHECK(s.fields[4] == Value(int64_t{77}));
  // Timestamp values are nanoseconds in kpipe (new Date(ms) in Connect).
  CHECK(s.fields[5] == Value(int64_t{1500000000000} * 1000000));
  CHECK(s.fields[6] == Value("my-instance-id"));
}

TEST_CASE("InsertField$Value: required timestamp field schema and null metadata values") {
  auto t = transform("InsertField$Value", {{"timestamp.field", "ts!"}, {"partition.field", "p!"}});
  Record r = value_record(simple_schema(), Struct{{int64_t{1}, Value()}});
  REQUIRE(t->apply(r).ok());
  const Schema& out = *r.value_schema;
  REQUIRE(out.fields.size() == 4);
  CHECK(out.fields[2].name == "p");
  CHECK(out.fields[2].schema->equals(*Schema::primitive(Type::kInt32, false)));
  CHECK(out.fields[3].name == "ts");
  CHECK(out.fields[3].schema->equals(*Schema::timestamp(false)));
  // No partition or timestamp on the record: the fields stay null (Connect leaves them unset).
  const Struct& s = r.value.as<Struct>();
  CHECK(s.fields[2].is_null());
  CHECK(s.fields[3].is_null());
  CHECK(s.fields[1].is_null());
}

TEST_CASE("InsertField$Value: tombstones pass through unchanged") {
  auto t = transform("InsertField$Value", {{"topic.field", "t"}, {"offset.field", "o"}});
  Record schemaless = value_record(nullptr, Value());
  REQUIRE(t->apply(schemaless).ok());
  CHECK(schemaless.value.is_null());
  CHECK(schemaless.value_schema == nullptr);
  SchemaPtr optional_struct =
      StructBuilder("s").field("a", Schema::primitive(Type::kInt32)).optional().build();
  Record schemaful = value_record(optional_struct, Value());
  REQUIRE(t->apply(schemaful).ok());
  CHECK(schemaful.value.is_null());
  CHECK(schemaful.value_schema == optional_struct);
}

TEST_CASE(
    "InsertField$Value: a value that is neither Map nor Struct fails with Connect's message") {
  auto t = transform("InsertField$Value", {{"topic.field", "t"}});
  Record r = value_record(nullptr, Value("a string"));
  Status st = t->apply(r);
  CHECK(st.message() ==
        "Only Map objects supported in absence of schema for [field insertion], found: "
        "java.lang.String");
  Record r2 = value_record(Schema::primitive(Type::kInt32), Value(int64_t{5}));
  st = t->apply(r2);
  CHECK(st.message() ==
        "Only Struct objects supported for [field insertion], found: java.lang.Integer");
  Record r3 = value_record(nullptr, Value(int64_t{5}));
  st = t->apply(r3);
  CHECK(st.message() ==
        "Only Map objects supported in absence of schema for [field insertion], found: "
        "java.lang.Long");
}

TEST_CASE("InsertField$Value: inserting an existing field name is a duplication error") {
  auto t = transform("InsertField$Value", {{"topic.field", "id"}});
  Record r = value_record(simple_schema(), Struct{{int64_t{1}, Value("x")}});
  Status st = t->apply(r);
  CHECK_FALSE(st.ok());
  CHECK(st.message() == "Cannot create field because of field name duplication id");
}

TEST_CASE("InsertField$Value: replace.null.with.default") {
  SchemaPtr in = StructBuilder("d")
                     .field("a", optional_with_default(Type::kString, Value("dflt")))
                     .field("b", Schema::primitive(Type::kInt32, true))
                     .build();
  SUBCASE("true (default): a null field reads as its default") {
    auto t = transform("InsertField$Value", {{"topic.field", "t"}});
    Record r = value_record(in, Struct{{Value(), Value()}});
    REQUIRE(t->apply(r).ok());
    CHECK(r.value.as<Struct>().fields ==
          std::vector<Value>{Value("dflt"), Value(), Value("orders")});
  }
  SUBCASE("false: the null is kept") {
    auto t = transform("InsertField$Value",
                       {{"topic.field", "t"}, {"replace.null.with.default", "false"}});
    Record r = value_record(in, Struct{{Value(), Value()}});
    REQUIRE(t->apply(r).ok());
    CHECK(r.value.as<Struct>().fields == std::vector<Value>{Value(), Value(), Value("orders")});
  }
}

TEST_CASE("InsertField$Value: the output schema is cached per input schema") {
  auto t = transform("InsertField$Value", {{"topic.field", "t"}});
  SchemaPtr other = StructBuilder("other").field("x", Schema::primitive(Type::kString)).build();
  Record r1 = value_record(simple_schema(), Struct{{int64_t{1}, Value("a")}});
  Record r2 = value_record(simple_schema(), Struct{{int64_t{2}, Value("b")}});
  Record r3 = value_record(other, Struct{{Value("x")}});
  Record r4 = value_record(simple_schema(), Struct{{int64_t{3}, Value("c")}});
  REQUIRE(t->apply(r1).ok());
  REQUIRE(t->apply(r2).ok());
  REQUIRE(t->apply(r3).ok());
  REQUIRE(t->apply(r4).ok());
  CHECK(r1.value_schema.get() == r2.value_schema.get());
  CHECK(r1.value_schema.get() == r4.value_schema.get());
  CHECK(r1.value_schema.get() != r3.value_schema.get());
  CHECK(field_names(*r3.value_schema) == std::vector<std::string>{"x", "t"});
  CHECK(r4.value.as<Struct>().fields[0] == Value(int64_t{3}));
}

TEST_CASE("InsertField$Value: more input schemas than the cache holds stay correct") {
  auto t = transform("InsertField$Value", {{"topic.field", "t"}});
  std::vector<SchemaPtr> schemas;
  for (int i = 0; i < 20; ++i)
    schemas.push_back(StructBuilder("s" + std::to_string(i))
                          .field("f" + std::to_string(i), Schema::primitive(Type::kInt32))
                          .build());
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 20; ++i) {
      Record r = value_record(schemas[static_cast<size_t>(i)], Struct{{int64_t{i}}});
      REQUIRE(t->apply(r).ok());
      CHECK(r.value_schema->name == std::optional<std::string>("s" + std::to_string(i)));
      CHECK(field_names(*r.value_schema) == std::vector<std::string>{"f" + std::to_string(i), "t"});
      // The most recent schema is still cached.
      Record again = value_record(schemas[static_cast<size_t>(i)], Struct{{int64_t{i}}});
      REQUIRE(t->apply(again).ok());
      CHECK(again.value_schema.get() == r.value_schema.get());
    }
  }
}

TEST_CASE("InsertField$Key: works on the key and leaves the value alone") {
  auto t = transform("InsertField$Key", {{"topic.field", "topic"}, {"partition.field", "p"}});
  Record r = key_record(StructBuilder("k").field("id", Schema::primitive(Type::kInt64)).build(),
                        Struct{{int64_t{9}}});
  r.partition = 2;
  REQUIRE(t->apply(r).ok());
  CHECK(field_names(*r.key_schema) == std::vector<std::string>{"id", "topic", "p"});
  CHECK(r.key.as<Struct>().fields ==
        std::vector<Value>{Value(int64_t{9}), Value("orders"), Value(int64_t{2})});
  CHECK(r.value == Value("the value"));
  CHECK(r.value_schema == nullptr);

  Record schemaless = key_record(nullptr, map_of({{"id", int64_t{1}}}));
  REQUIRE(t->apply(schemaless).ok());
  CHECK(map_keys(schemaless.key) == std::vector<std::string>{"id", "topic"});

  Record null_key = key_record(nullptr, Value());
  REQUIRE(t->apply(null_key).ok());
  CHECK(null_key.key.is_null());
}

// ---- ReplaceField ------------------------------------------------------------------------------

TEST_CASE("ReplaceField$Value: schemaless exclude, include and renames") {
  SUBCASE("exclude and renames") {
    auto t = transform("ReplaceField$Value", {{"exclude", "dont"}, {"renames", "abc:xyz,foo:bar"}});
    Record r = value_record(
        nullptr,
        map_of({{"dont", "whatever"}, {"abc", int64_t{42}}, {"foo", true}, {"etc", "etc"}}));
    REQUIRE(t->apply(r).ok());
    CHECK(map_keys(r.value).size() == 3);
    CHECK(map_get(r.value, "xyz") == Value(int64_t{42}));
    CHECK(map_get(r.value, "bar") == Value(true));
    CHECK(map_get(r.value, "etc") == Value("etc"));
    CHECK_FALSE(map_has(r.value, "dont"));
    CHECK_FALSE(map_has(r.value, "abc"));
  }
  SUBCASE("include keeps only the listed fields, matched by their original names") {
    auto t = transform("ReplaceField$Value", {{"include", "abc,foo"}, {"renames", "abc:xyz"}});
    Record r = value_record(
        nullptr,
        map_of({{"dont", "whatever"}, {"abc", int64_t{42}}, {"foo", true}, {"etc", "etc"}}));
    REQUIRE(t->apply(r).ok());
    CHECK(map_keys(r.value).size() == 2);
    CHECK(map_get(r.value, "xyz") == Value(int64_t{42}));
    CHECK(map_get(r.value, "foo") == Value(true));
  }
  SUBCASE("exclude wins over include") {
    auto t = transform("ReplaceField$Value", {{"include", "abc,foo"}, {"exclude", "foo"}});
    Record r = value_record(nullptr, map_of({{"abc", int64_t{1}}, {"foo", int64_t{2}}}));
    REQUIRE(t->apply(r).ok());
    CHECK(map_keys(r.value) == std::vector<std::string>{"abc"});
  }
  SUBCASE("a null value is kept") {
    auto t = transform("ReplaceField$Value", {{"exclude", "a"}});
    Record r = value_record(nullptr, map_of({{"a", int64_t{1}}, {"b", Value()}}));
    REQUIRE(t->apply(r).ok());
    CHECK(map_keys(r.value) == std::vector<std::string>{"b"});
    CHECK(map_get(r.value, "b").is_null());
  }
}

TEST_CASE("ReplaceField$Value: schemaful output schema keeps field schemas, order and renames") {
  auto t = transform("ReplaceField$Value",
                     {{"exclude", "dont,not_there"}, {"renames", "abc:xyz,foo:bar,ghost:g"}});
  SchemaPtr foo_schema = optional_with_default(Type::kBoolean, Value(true));
  SchemaPtr in = decorated_struct({{"dont", Schema::primitive(Type::kString)},
                                   {"abc", Schema::primitive(Type::kInt32)},
                                   {"foo", foo_schema},
                                   {"etc", Schema::decimal(2)}});
  Record r = value_record(in, Struct{{Value("whatever"), int64_t{42}, true, Decimal{"1234", 2}}});
  REQUIRE(t->apply(r).ok());
  const Schema& out = *r.value_schema;
  check_basics_copied(out);
  CHECK(field_names(out) == std::vector<std::string>{"xyz", "bar", "etc"});
  CHECK(out.fields[0].schema == in->fields[1].schema);
  CHECK(out.fields[1].schema == foo_schema);
  CHECK(out.fields[1].schema->optional);
  CHECK(out.fields[1].schema->default_value == std::optional<Value>(Value(true)));
  CHECK(out.fields[2].schema->equals(*Schema::decimal(2)));
  CHECK(r.value.as<Struct>().fields ==
        std::vector<Value>{Value(int64_t{42}), Value(true), Value(Decimal{"1234", 2})});
}

TEST_CASE("ReplaceField$Value: include on a schema, unknown names ignored") {
  auto t = transform("ReplaceField$Value", {{"include", "etc,abc,nope"}});
  SchemaPtr in = StructBuilder("s")
                     .field("dont", Schema::primitive(Type::kString))
                     .field("abc", Schema::primitive(Type::kInt32))
                     .field("etc", Schema::primitive(Type::kString))
                     .build();
  Record r = value_record(in, Struct{{Value("x"), int64_t{1}, Value("e")}});
  REQUIRE(t->apply(r).ok());
  // Input order, not include order.
  CHECK(field_names(*r.value_schema) == std::vector<std::string>{"abc", "etc"});
  CHECK(r.value.as<Struct>().fields == std::vector<Value>{Value(int64_t{1}), Value("e")});
  CHECK(r.value_schema->name == std::optional<std::string>("s"));
}

TEST_CASE("ReplaceField$Value: renames are validated like Connect's split(\":\")") {
  for (const std::string& bad : std::vector<std::string>{"a", "a:b:c", "a:", ":", "a::b"}) {
    CAPTURE(bad);
    Status st = configure_status("ReplaceField$Value", {{"renames", bad}});
    CHECK_FALSE(st.ok());
    CHECK_MESSAGE(has(st, "Invalid rename mapping: " + bad), st.message());
  }
  // Java's String.split drops trailing empty strings: "a:b:" is the pair a -> b.
  CHECK(configure_status("ReplaceField$Value", {{"renames", "a:b:"}}).ok());
  CHECK(configure_status("ReplaceField$Value", {{"renames", ":b"}}).ok());
  auto t = transform("ReplaceField$Value", {{"renames", "a:b:"}});
  Record r = value_record(nullptr, map_of({{"a", int64_t{1}}}));
  REQUIRE(t->apply(r).ok());
  CHECK(map_keys(r.value) == std::vector<std::string>{"b"});
}

TEST_CASE("ReplaceField$Value: a rename onto an existing field is a duplication error") {
  auto t = transform("ReplaceField$Value", {{"renames", "id:name"}});
  Record r = value_record(simple_schema(), Struct{{int64_t{1}, Value("x")}});
  Status st = t->apply(r);
  CHECK_FALSE(st.ok());
  CHECK(st.message() == "Cannot create field because of field name duplication name");
  // ... unless the other field is dropped.
  auto t2 = transform("ReplaceField$Value", {{"renames", "id:name"}, {"exclude", "name"}});
  Record r2 = value_record(simple_schema(), Struct{{int64_t{1}, Value("x")}});
  REQUIRE(t2->apply(r2).ok());
  CHECK(field_names(*r2.value_schema) == std::vector<std::string>{"name"});
  CHECK(r2.value.as<Struct>().fields == std::vector<Value>{Value(int64_t{1})});
}

TEST_CASE("ReplaceField$Value: tombstones pass through, other values fail") {
  auto t = transform("ReplaceField$Value", {{"exclude", "a"}});
  Record r = value_record(nullptr, Value());
  REQUIRE(t->apply(r).ok());
  CHECK(r.value.is_null());
  Record r2 = value_record(simple_schema(), Value());
  REQUIRE(t->apply(r2).ok());
  CHECK(r2.value.is_null());
  CHECK(r2.value_schema == simple_schema());
  Record r3 = value_record(nullptr, Value("text"));
  CHECK(t->apply(r3).message() ==
        "Only Map objects supported in absence of schema for [field replacement], found: "
        "java.lang.String");
  Record r4 = value_record(Schema::primitive(Type::kString), Value("text"));
  CHECK(t->apply(r4).message() ==
        "Only Struct objects supported for [field replacement], found: java.lang.String");
}

TEST_CASE("ReplaceField$Value: deprecated blacklist and whitelist (Kafka 3.x)") {
  auto t = transform("ReplaceField$Value", {{"blacklist", "a"}});
  Record r = value_record(nullptr, map_of({{"a", int64_t{1}}, {"b", int64_t{2}}}));
  REQUIRE(t->apply(r).ok());
  CHECK(map_keys(r.value) == std::vector<std::string>{"b"});
  auto t2 = transform("ReplaceField$Value", {{"whitelist", "a"}});
  Record r2 = value_record(nullptr, map_of({{"a", int64_t{1}}, {"b", int64_t{2}}}));
  REQUIRE(t2->apply(r2).ok());
  CHECK(map_keys(r2.value) == std::vector<std::string>{"a"});
  // Both set: the new key wins.
  auto t3 = transform("ReplaceField$Value", {{"blacklist", "a"}, {"exclude", "b"}});
  Record r3 = value_record(nullptr, map_of({{"a", int64_t{1}}, {"b", int64_t{2}}}));
  REQUIRE(t3->apply(r3).ok());
  CHECK(map_keys(r3.value) == std::vector<std::string>{"a"});
}

TEST_CASE("ReplaceField$Value: replace.null.with.default") {
  SchemaPtr in = StructBuilder("d")
                     .field("a", optional_with_default(Type::kInt64, Value(int64_t{7})))
                     .field("b", Schema::primitive(Type::kInt32))
                     .build();
  auto with = transform("ReplaceField$Value", {{"renames", "a:aa"}});
  Record r = value_record(in, Struct{{Value(), int64_t{1}}});
  REQUIRE(with->apply(r).ok());
  CHECK(r.value.as<Struct>().fields == std::vector<Value>{Value(int64_t{7}), Value(int64_t{1})});
  auto without = transform("ReplaceField$Value",
                           {{"renames", "a:aa"}, {"replace.null.with.default", "false"}});
  Record r2 = value_record(in, Struct{{Value(), int64_t{1}}});
  REQUIRE(without->apply(r2).ok());
  CHECK(r2.value.as<Struct>().fields == std::vector<Value>{Value(), Value(int64_t{1})});
}

TEST_CASE("ReplaceField$Value: the output schema is cached per input schema") {
  auto t = transform("ReplaceField$Value", {{"exclude", "name"}});
  Record r1 = value_record(simple_schema(), Struct{{int64_t{1}, Value("a")}});
  Record r2 = value_record(simple_schema(), Struct{{int64_t{2}, Value("b")}});
  REQUIRE(t->apply(r1).ok());
  REQUIRE(t->apply(r2).ok());
  CHECK(r1.value_schema.get() == r2.value_schema.get());
  CHECK(r2.value.as<Struct>().fields == std::vector<Value>{Value(int64_t{2})});
}

TEST_CASE("ReplaceField$Key: works on the key") {
  auto t = transform("ReplaceField$Key", {{"renames", "id:key_id"}});
  Record r = key_record(simple_schema(), Struct{{int64_t{5}, Value("n")}});
  REQUIRE(t->apply(r).ok());
  CHECK(field_names(*r.key_schema) == std::vector<std::string>{"key_id", "name"});
  CHECK(r.value == Value("the value"));
}

// ---- MaskField ---------------------------------------------------------------------------------

namespace {

SchemaPtr mask_schema() {
  static const SchemaPtr s =
      StructBuilder("masked")
          .field("magic", Schema::primitive(Type::kInt32))
          .field("bool", Schema::primitive(Type::kBoolean))
          .field("byte", Schema::primitive(Type::kInt8))
          .field("short", Schema::primitive(Type::kInt16))
          .field("int", Schema::primitive(Type::kInt32))
          .field("long", Schema::primitive(Type::kInt64))
          .field("float", Schema::primitive(Type::kFloat32))
          .field("double", Schema::primitive(Type::kFloat64))
          .field("string", Schema::primitive(Type::kString))
          .field("date", Schema::date())
          .field("time", Schema::time())
          .field("timestamp", Schema::timestamp())
          .field("decimal", Schema::decimal(2))
          .field("array", Schema::array(Schema::primitive(Type::kInt32)))
          .field("map",
                 Schema::map(Schema::primitive(Type::kString), Schema::primitive(Type::kString)))
          .field("withDefault", optional_with_default(Type::kString, Value("default")))
          .build();
  return s;
}

Struct mask_value() {
  Map m;
  m.keys.emplace_back("k");
  m.values.emplace_back("v");
  return Struct{{int64_t{42}, true, int64_t{42}, int64_t{42}, int64_t{42}, int64_t{42}, 42.0, 42.0,
                 Value("blabla"), int64_t{19000}, int64_t{3600000000000},
                 int64_t{1700000000000000000}, Decimal{"4200", 2}, List{int64_t{42}}, m, Value()}};
}

Value mask_field(const Keys& keys, const std::string& field) {
  auto t = transform("MaskField$Value", keys);
  Record r = value_record(mask_schema(), mask_value());
  Status st = t->apply(r);
  REQUIRE_MESSAGE(st.ok(), st.message());
  return r.value.as<Struct>().fields[static_cast<size_t>(mask_schema()->field_index(field))];
}

}  // namespace

TEST_CASE("MaskField$Value: configure") {
  Status st = configure_status("MaskField$Value", {{"fields", ""}});
  CHECK_FALSE(st.ok());
  CHECK_MESSAGE(has(st, "Empty list"), st.message());
  st = configure_status("MaskField$Value", {});
  CHECK_FALSE(st.ok());
  st = configure_status("MaskField$Value", {{"fields", "a"}, {"replacement", ""}});
  CHECK_FALSE(st.ok());
  CHECK_MESSAGE(has(st, "String must be non-empty"), st.message());
  CHECK(configure_status("MaskField$Value", {{"fields", "a"}, {"replacement", "x"}}).ok());
}

TEST_CASE("MaskField$Value: schemaful null values of each type, schema unchanged") {
  const std::vector<std::string> all = {"bool",      "byte",    "short",  "int",  "long",
                                        "float",     "double",  "string", "date", "time",
                                        "timestamp", "decimal", "array",  "map",  "withDefault"};
  std::string fields;
  for (const auto& f : all) fields += (fields.empty() ? "" : ",") + f;
  auto t = transform("MaskField$Value", {{"fields", fields}});
  Record r = value_record(mask_schema(), mask_value());
  REQUIRE(t->apply(r).ok());
  CHECK(r.value_schema == mask_schema());
  const auto& v = r.value.as<Struct>().fields;
  auto at = [&](const char* name) {
    return v[static_cast<size_t>(mask_schema()->field_index(name))];
  };
  CHECK(at("magic") == Value(int64_t{42}));  // not listed
  CHECK(at("bool") == Value(false));
  CHECK(at("byte") == Value(int64_t{0}));
  CHECK(at("short") == Value(int64_t{0}));
  CHECK(at("int") == Value(int64_t{0}));
  CHECK(at("long") == Value(int64_t{0}));
  CHECK(at("float") == Value(0.0));
  CHECK(at("double") == Value(0.0));
  CHECK(at("string") == Value(""));
  CHECK(at("date") == Value(int64_t{0}));  // new Date(0)
  CHECK(at("time") == Value(int64_t{0}));
  CHECK(at("timestamp") == Value(int64_t{0}));
  CHECK(at("decimal") == Value(Decimal{"0", 0}));  // BigDecimal.ZERO
  CHECK(at("array") == Value(List{}));
  CHECK(at("map") == Value(Map{}));
  // withDefault is null and read as its default "default", then masked.
  CHECK(at("withDefault") == Value(""));
}

TEST_CASE("MaskField$Value: bytes and structs cannot be masked") {
  SchemaPtr in =
      StructBuilder("s")
          .field("bytes", Schema::primitive(Type::kBytes))
          .field("nested", StructBuilder("n").field("x", Schema::primitive(Type::kInt32)).build())
          .build();
  auto t = transform("MaskField$Value", {{"fields", "bytes"}});
  Record r = value_record(in, Struct{{Bytes{"ab"}, Struct{{int64_t{1}}}}});
  CHECK(t->apply(r).message() == "Cannot mask value of type: class [B");
  auto t2 = transform("MaskField$Value", {{"fields", "nested"}});
  Record r2 = value_record(in, Struct{{Bytes{"ab"}, Struct{{int64_t{1}}}}});
  CHECK(t2->apply(r2).message() ==
        "Cannot mask value of type: class org.apache.kafka.connect.data.Struct");
}

TEST_CASE("MaskField$Value: schemaless null values; a missing field is added as null") {
  auto t =
      transform("MaskField$Value", {{"fields", "int,double,string,bool,list,map,missing,nul"}});
  Record r = value_record(nullptr, map_of({{"magic", int64_t{42}},
                                           {"int", int64_t{42}},
                                           {"double", 42.5},
                                           {"string", "blabla"},
                                           {"bool", true},
                                           {"list", List{int64_t{1}}},
                                           {"map", map_of({{"a", "b"}})},
                                           {"nul", Value()}}));
  REQUIRE(t->apply(r).ok());
  CHECK(map_get(r.value, "magic") == Value(int64_t{42}));
  CHECK(map_get(r.value, "int") == Value(int64_t{0}));
  CHECK(map_get(r.value, "double") == Value(0.0));
  CHECK(map_get(r.value, "string") == Value(""));
  CHECK(map_get(r.value, "bool") == Value(false));
  CHECK(map_get(r.value, "list") == Value(List{}));
  CHECK(map_get(r.value, "map") == Value(Map{}));
  CHECK(map_has(r.value, "missing"));
  CHECK(map_get(r.value, "missing").is_null());
  CHECK(map_get(r.value, "nul").is_null());
  auto bytes = transform("MaskField$Value", {{"fields", "b"}});
  Record rb = value_record(nullptr, map_of({{"b", Bytes{"x"}}}));
  CHECK(bytes->apply(rb).message() == "Cannot mask value of type: class [B");
}

TEST_CASE("MaskField$Value: custom replacement converted to the field's type") {
  CHECK(mask_field({{"fields", "byte"}, {"replacement", "123"}}, "byte") == Value(int64_t{123}));
  CHECK(mask_field({{"fields", "short"}, {"replacement", "123"}}, "short") == Value(int64_t{123}));
  CHECK(mask_field({{"fields", "int"}, {"replacement", "123"}}, "int") == Value(int64_t{123}));
  CHECK(mask_field({{"fields", "long"}, {"replacement", "123"}}, "long") == Value(int64_t{123}));
  CHECK(mask_field({{"fields", "float"}, {"replacement", "123.0"}}, "float") == Value(123.0));
  CHECK(mask_field({{"fields", "double"}, {"replacement", "123.0"}}, "double") == Value(123.0));
  CHECK(mask_field({{"fields", "string"}, {"replacement", "****"}}, "string") == Value("****"));
  // new BigDecimal("123.0"): unscaled 1230, scale 1.
  CHECK(mask_field({{"fields", "decimal"}, {"replacement", "123.0"}}, "decimal") ==
        Value(Decimal{"1230", 1}));
  // float32: the replacement is rounded to a float.
  CHECK(mask_field({{"fields", "float"}, {"replacement", "0.1"}}, "float") ==
        Value(static_cast<double>(0.1f)));
  CHECK(mask_field({{"fields", "double"}, {"replacement", "0.1"}}, "double") == Value(0.1));
  // Values.convertTo*: new BigDecimal(text).longValue(), then Java's narrowing cast.
  CHECK(mask_field({{"fields", "int"}, {"replacement", "12.9"}}, "int") == Value(int64_t{12}));
  CHECK(mask_field({{"fields", "long"}, {"replacement", "-12.9"}}, "long") == Value(int64_t{-12}));
  CHECK(mask_field({{"fields", "long"}, {"replacement", "1E3"}}, "long") == Value(int64_t{1000}));
  CHECK(mask_field({{"fields", "byte"}, {"replacement", "300"}}, "byte") == Value(int64_t{44}));
  CHECK(mask_field({{"fields", "short"}, {"replacement", "40000"}}, "short") ==
        Value(int64_t{-25536}));
  CHECK(mask_field({{"fields", "int"}, {"replacement", "3000000000"}}, "int") ==
        Value(int64_t{-1294967296}));
  // BigInteger.longValue(): the low 64 bits.
  CHECK(mask_field({{"fields", "long"}, {"replacement", "18446744073709551617"}}, "long") ==
        Value(int64_t{1}));
}

TEST_CASE("MaskField$Value: custom replacement errors") {
  auto run = [](const Keys& keys) {
    auto t = transform("MaskField$Value", keys);
    Record r = value_record(mask_schema(), mask_value());
    return t->apply(r);
  };
  CHECK(run({{"fields", "bool"}, {"replacement", "true"}}).message() ==
        "Cannot mask value of type class java.lang.Boolean with custom replacement.");
  CHECK(run({{"fields", "timestamp"}, {"replacement", "1"}}).message() ==
        "Cannot mask value of type class java.util.Date with custom replacement.");
  CHECK(run({{"fields", "date"}, {"replacement", "1"}}).message() ==
        "Cannot mask value of type class java.util.Date with custom replacement.");
  CHECK(run({{"fields", "array"}, {"replacement", "1"}}).message() ==
        "Cannot mask value of type class java.util.ArrayList with custom replacement.");
  CHECK(run({{"fields", "map"}, {"replacement", "1"}}).message() ==
        "Cannot mask value of type class java.util.HashMap with custom replacement.");
  // Integer/Long/Float/Double go through Values.convertTo*, whose asLong fails with "to a number".
  CHECK(run({{"fields", "int"}, {"replacement", "abc"}}).message() ==
        "Unable to convert abc (class java.lang.String) to a number");
  CHECK(run({{"fields", "double"}, {"replacement", "abc"}}).message() ==
        "Unable to convert abc (class java.lang.String) to a number");
  CHECK(run({{"fields", "long"}, {"replacement", " 5"}}).message() ==
        "Unable to convert  5 (class java.lang.String) to a number");
  CHECK(run({{"fields", "double"}, {"replacement", "0x10"}}).message() ==
        "Unable to convert 0x10 (class java.lang.String) to a number");
  CHECK(run({{"fields", "float"}, {"replacement", "inf"}}).message() ==
        "Unable to convert inf (class java.lang.String) to a number");
  // BigDecimal::new throws NumberFormatException, which MaskField reports as "to number".
  CHECK(run({{"fields", "decimal"}, {"replacement", "abc"}}).message() ==
        "Unable to convert abc (class java.lang.String) to number");
  // Only a value that is present is converted: a null field stays null.
  SchemaPtr in = StructBuilder("s").field("b", Schema::primitive(Type::kBoolean, true)).build();
  auto t = transform("MaskField$Value", {{"fields", "b"}, {"replacement", "x"}});
  Record r = value_record(in, Struct{{Value()}});
  REQUIRE(t->apply(r).ok());
  CHECK(r.value.as<Struct>().fields[0].is_null());
}

TEST_CASE("MaskField$Value: no tombstone guard") {
  auto t = transform("MaskField$Value", {{"fields", "a"}});
  Record r = value_record(nullptr, Value());
  CHECK(t->apply(r).message() ==
        "Only Map objects supported in absence of schema for [mask fields], found: null");
  Record r2 = value_record(simple_schema(), Value());
  CHECK(t->apply(r2).message() == "Only Struct objects supported for [mask fields], found: null");
}

TEST_CASE("MaskField$Value: replace.null.with.default") {
  SchemaPtr in = StructBuilder("d")
                     .field("masked", optional_with_default(Type::kInt32, Value(int64_t{5})))
                     .field("kept", optional_with_default(Type::kString, Value("dflt")))
                     .build();
  auto with = transform("MaskField$Value", {{"fields", "masked"}});
  Record r = value_record(in, Struct{{Value(), Value()}});
  REQUIRE(with->apply(r).ok());
  CHECK(r.value.as<Struct>().fields == std::vector<Value>{Value(int64_t{0}), Value("dflt")});
  auto without =
      transform("MaskField$Value", {{"fields", "masked"}, {"replace.null.with.default", "false"}});
  Record r2 = value_record(in, Struct{{Value(), Value()}});
  REQUIRE(without->apply(r2).ok());
  CHECK(r2.value.as<Struct>().fields == std::vector<Value>{Value(), Value()});
}

TEST_CASE("MaskField$Key: masks the key") {
  auto t = transform("MaskField$Key", {{"fields", "name"}});
  Record r = key_record(simple_schema(), Struct{{int64_t{5}, Value("secret")}});
  REQUIRE(t->apply(r).ok());
  CHECK(r.key.as<Struct>().fields == std::vector<Value>{Value(int64_t{5}), Value("")});
  CHECK(r.key_schema == simple_schema());
  CHECK(r.value == Value("the value"));
}

// ---- ValueToKey --------------------------------------------------------------------------------

TEST_CASE("ValueToKey: configure needs a non-empty fields list") {
  Status st = configure_status("ValueToKey", {{"fields", ""}});
  CHECK_FALSE(st.ok());
  CHECK_MESSAGE(has(st, "Empty list"), st.message());
  CHECK_FALSE(configure_status("ValueToKey", {}).ok());
}

TEST_CASE("ValueToKey: schemaless") {
  auto t = transform("ValueToKey", {{"fields", "b,a,missing"}});
  Record r =
      value_record(nullptr, map_of({{"a", int64_t{1}}, {"b", int64_t{2}}, {"c", int64_t{3}}}));
  r.key = Value("old key");
  REQUIRE(t->apply(r).ok());
  CHECK(r.key_schema == nullptr);
  CHECK(map_keys(r.key) == std::vector<std::string>{"b", "a", "missing"});
  CHECK(map_get(r.key, "a") == Value(int64_t{1}));
  CHECK(map_get(r.key, "b") == Value(int64_t{2}));
  CHECK(map_get(r.key, "missing").is_null());
  CHECK(map_keys(r.value) == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("ValueToKey: schemaful key schema is an unnamed required struct in fields order") {
  auto t = transform("ValueToKey", {{"fields", "b,a"}});
  SchemaPtr b_schema = optional_with_default(Type::kString, Value("x"));
  SchemaPtr in = decorated_struct({{"a", Schema::primitive(Type::kInt32)},
                                   {"b", b_schema},
                                   {"c", Schema::primitive(Type::kInt64)}});
  Record r = value_record(in, Struct{{int64_t{1}, Value("two"), int64_t{3}}});
  r.key_schema = Schema::primitive(Type::kString);
  r.key = Value("old");
  REQUIRE(t->apply(r).ok());
  const Schema& k = *r.key_schema;
  CHECK(k.type == Type::kStruct);
  CHECK_FALSE(k.name.has_value());
  CHECK_FALSE(k.version.has_value());
  CHECK_FALSE(k.doc.has_value());
  CHECK(k.parameters.empty());
  CHECK_FALSE(k.optional);
  CHECK_FALSE(k.default_value.has_value());
  CHECK(field_names(k) == std::vector<std::string>{"b", "a"});
  CHECK(k.fields[0].schema == b_schema);
  CHECK(k.fields[1].schema == in->fields[0].schema);
  CHECK(r.key.as<Struct>().fields == std::vector<Value>{Value("two"), Value(int64_t{1})});
  // The value is untouched.
  CHECK(r.value_schema == in);
  CHECK(r.value.as<Struct>().fields.size() == 3);
}

TEST_CASE("ValueToKey: a missing field fails, and so does a tombstone") {
  auto t = transform("ValueToKey", {{"fields", "id,nope"}});
  Record r = value_record(simple_schema(), Struct{{int64_t{1}, Value("x")}});
  CHECK(t->apply(r).message() == "Field does not exist: nope");
  Record r2 = value_record(nullptr, Value());
  CHECK(t->apply(r2).message() ==
        "Only Map objects supported in absence of schema for [copying fields from value to key], "
        "found: null");
  Record r3 = value_record(simple_schema(), Value());
  CHECK(t->apply(r3).message() ==
        "Only Struct objects supported for [copying fields from value to key], found: null");
}

TEST_CASE("ValueToKey: replace.null.with.default and the cache") {
  SchemaPtr in =
      StructBuilder("d").field("a", optional_with_default(Type::kInt64, Value(int64_t{7}))).build();
  auto with = transform("ValueToKey", {{"fields", "a"}});
  Record r1 = value_record(in, Struct{{Value()}});
  Record r2 = value_record(in, Struct{{int64_t{8}}});
  REQUIRE(with->apply(r1).ok());
  REQUIRE(with->apply(r2).ok());
  CHECK(r1.key.as<Struct>().fields == std::vector<Value>{Value(int64_t{7})});
  CHECK(r2.key.as<Struct>().fields == std::vector<Value>{Value(int64_t{8})});
  CHECK(r1.key_schema.get() == r2.key_schema.get());
  auto without = transform("ValueToKey", {{"fields", "a"}, {"replace.null.with.default", "false"}});
  Record r3 = value_record(in, Struct{{Value()}});
  REQUIRE(without->apply(r3).ok());
  CHECK(r3.key.as<Struct>().fields == std::vector<Value>{Value()});
}

TEST_CASE("ValueToKey: a field listed twice") {
  auto t = transform("ValueToKey", {{"fields", "id,id"}});
  Record r = value_record(simple_schema(), Struct{{int64_t{1}, Value("x")}});
  CHECK(t->apply(r).message() == "Cannot create field because of field name duplication id");
  Record r2 = value_record(nullptr, map_of({{"id", int64_t{1}}}));
  REQUIRE(t->apply(r2).ok());
  CHECK(map_keys(r2.key) == std::vector<std::string>{"id"});
}

// ---- ExtractField ------------------------------------------------------------------------------

TEST_CASE("ExtractField$Value: schemaless V1") {
  auto t = transform("ExtractField$Value", {{"field", "magic"}});
  Record r = value_record(nullptr, map_of({{"magic", int64_t{42}}, {"other", "x"}}));
  REQUIRE(t->apply(r).ok());
  CHECK(r.value == Value(int64_t{42}));
  CHECK(r.value_schema == nullptr);
  // A missing field gives null, no failure.
  Record missing = value_record(nullptr, map_of({{"other", "x"}}));
  REQUIRE(t->apply(missing).ok());
  CHECK(missing.value.is_null());
  // Tombstone passes through.
  Record tomb = value_record(nullptr, Value());
  REQUIRE(t->apply(tomb).ok());
  CHECK(tomb.value.is_null());
  // V1: a dotted name is one top-level key.
  auto dotted = transform("ExtractField$Value", {{"field", "a.b"}});
  Record d = value_record(nullptr, map_of({{"a.b", "flat"}, {"a", map_of({{"b", "nested"}})}}));
  REQUIRE(dotted->apply(d).ok());
  CHECK(d.value == Value("flat"));
  // Anything but a map fails.
  Record bad = value_record(nullptr, Value("text"));
  CHECK(t->apply(bad).message() ==
        "Only Map objects supported in absence of schema for [field extraction], found: "
        "java.lang.String");
}

TEST_CASE("ExtractField$Value: schemaful V1 takes the field's own schema") {
  SchemaPtr magic = Schema::decimal(3, true);
  SchemaPtr in = StructBuilder("s")
                     .field("magic", magic)
                     .field("other", Schema::primitive(Type::kString))
                     .build();
  auto t = transform("ExtractField$Value", {{"field", "magic"}});
  Record r = value_record(in, Struct{{Decimal{"42", 3}, Value("x")}});
  REQUIRE(t->apply(r).ok());
  CHECK(r.value_schema == magic);  // the field's schema object itself: optional, name, params
  CHECK(r.value == Value(Decimal{"42", 3}));

  // A null value passes through, but the schema still becomes the field's.
  Record tomb = value_record(in, Value());
  REQUIRE(t->apply(tomb).ok());
  CHECK(tomb.value.is_null());
  CHECK(tomb.value_schema == magic);

  // Unknown field: IllegalArgumentException("Unknown field: ..."), even for a null value.
  auto unknown = transform("ExtractField$Value", {{"field", "nonexistent"}});
  Record r2 = value_record(in, Struct{{Decimal{"42", 3}, Value("x")}});
  CHECK(unknown->apply(r2).message() == "Unknown field: nonexistent");
  Record r3 = value_record(in, Value());
  CHECK(unknown->apply(r3).message() == "Unknown field: nonexistent");

  Record bad = value_record(Schema::primitive(Type::kString), Value("text"));
  CHECK(t->apply(bad).message() ==
        "Only Struct objects supported for [field extraction], found: java.lang.String");
}

TEST_CASE("ExtractField$Value: replace.null.with.default") {
  SchemaPtr a = optional_with_default(Type::kInt32, Value(int64_t{3}));
  SchemaPtr in = StructBuilder("s").field("a", a).build();
  auto with = transform("ExtractField$Value", {{"field", "a"}});
  Record r = value_record(in, Struct{{Value()}});
  REQUIRE(with->apply(r).ok());
  CHECK(r.value == Value(int64_t{3}));
  CHECK(r.value_schema == a);
  auto without =
      transform("ExtractField$Value", {{"field", "a"}, {"replace.null.with.default", "false"}});
  Record r2 = value_record(in, Struct{{Value()}});
  REQUIRE(without->apply(r2).ok());
  CHECK(r2.value.is_null());
}

TEST_CASE("ExtractField$Value: field.syntax.version is checked case-insensitively") {
  CHECK(configure_status("ExtractField$Value", {{"field", "a"}, {"field.syntax.version", "v2"}})
            .ok());
  CHECK(configure_status("ExtractField$Value", {{"field", "a"}, {"field.syntax.version", "V1"}})
            .ok());
  Status st =
      configure_status("ExtractField$Value", {{"field", "a"}, {"field.syntax.version", "V3"}});
  CHECK_FALSE(st.ok());
  CHECK_MESSAGE(has(st, "field.syntax.version"), st.message());
  CHECK_FALSE(configure_status("ExtractField$Value", {}).ok());
}

TEST_CASE("ExtractField$Value: V2 nested struct paths") {
  SchemaPtr leaf = Schema::primitive(Type::kInt32);
  SchemaPtr inner_schema =
      StructBuilder("inner")
          .field("bar", leaf)
          .field(
              "baz",
              StructBuilder("deep").field("x", Schema::primitive(Type::kString)).optional().build())
          .optional()
          .build();
  SchemaPtr in = StructBuilder("outer")
                     .field("foo", inner_schema)
                     .field("a.b", Schema::primitive(Type::kString))
                     .field("num", Schema::primitive(Type::kInt64))
                     .build();
  const Struct value{{Struct{{int64_t{42}, Value()}}, Value("dotted"), int64_t{1}}};
  auto run = [&](const std::string& path, Record* r) {
    auto t = transform("ExtractField$Value", {{"field", path}, {"field.syntax.version", "V2"}});
    *r = value_record(in, value);
    return t->apply(*r);
  };
  Record r;
  REQUIRE(run("foo.bar", &r).ok());
  CHECK(r.value == Value(int64_t{42}));
  CHECK(r.value_schema == leaf);
  REQUIRE(run("`a.b`", &r).ok());
  CHECK(r.value == Value("dotted"));
  REQUIRE(run("foo", &r).ok());
  CHECK(r.value_schema == inner_schema);
  // A null intermediate struct gives null, with the leaf's schema.
  REQUIRE(run("foo.baz.x", &r).ok());
  CHECK(r.value.is_null());
  CHECK(r.value_schema->type == Type::kString);
  // Unknown paths name the whole path.
  CHECK(run("foo.nonexistent", &r).message() == "Unknown field: foo.nonexistent");
  CHECK(run("un.known", &r).message() == "Unknown field: un.known");
  // A path through a non-struct field: Schema.field() on a primitive.
  Status st = run("num.x", &r);
  CHECK_FALSE(st.ok());
  CHECK(st.message() == "Cannot look up fields on non-struct type");

  // A null outer struct under a path with a default struct: the intermediate is read with
  // Struct.get (its default) even when replace.null.with.default is false.
  SchemaPtr inner_default = [] {
    Schema s =
        *StructBuilder("i").field("v", Schema::primitive(Type::kInt32, true)).optional().build();
    s.default_value = Value(Struct{{int64_t{9}}});
    return std::make_shared<const Schema>(std::move(s));
  }();
  SchemaPtr with_default = StructBuilder("o").field("i", inner_default).build();
  auto t = transform(
      "ExtractField$Value",
      {{"field", "i.v"}, {"field.syntax.version", "V2"}, {"replace.null.with.default", "false"}});
  Record d = value_record(with_default, Struct{{Value()}});
  REQUIRE(t->apply(d).ok());
  CHECK(d.value == Value(int64_t{9}));
}

TEST_CASE("ExtractField$Value: V2 nested map paths") {
  auto t = transform("ExtractField$Value", {{"field", "foo.bar"}, {"field.syntax.version", "V2"}});
  Record r =
      value_record(nullptr, map_of({{"foo", map_of({{"bar", int64_t{42}}, {"baz", Value()}})}}));
  REQUIRE(t->apply(r).ok());
  CHECK(r.value == Value(int64_t{42}));

  auto deep =
      transform("ExtractField$Value", {{"field", "foo.baz.inner"}, {"field.syntax.version", "V2"}});
  Record r2 = value_record(nullptr, map_of({{"foo", map_of({{"baz", Value()}})}}));
  REQUIRE(deep->apply(r2).ok());
  CHECK(r2.value.is_null());
  Record r3 = value_record(nullptr, map_of({{"other", int64_t{1}}}));
  REQUIRE(deep->apply(r3).ok());
  CHECK(r3.value.is_null());
  // An intermediate that is not a map fails (requireMapOrNull, "nested field access").
  Record r4 = value_record(nullptr, map_of({{"foo", map_of({{"baz", int64_t{5}}})}}));
  CHECK(deep->apply(r4).message() ==
        "Only Map objects supported in absence of schema for [nested field access], found: "
        "java.lang.Long");
}

TEST_CASE("ExtractField$Value: V2 backtick notation (FieldPathNotationTest)") {
  // Each path is resolved against a map nested along the expected steps.
  auto steps_of = [](const std::string& path, const std::vector<std::string>& steps) {
    Value nested = Value("found");
    for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
      Map m;
      m.keys.emplace_back(*it);
      m.values.push_back(nested);
      nested = Value(std::move(m));
    }
    auto t = transform("ExtractField$Value", {{"field", path}, {"field.syntax.version", "V2"}});
    Record r = value_record(nullptr, nested);
    Status st = t->apply(r);
    return st.ok() && r.value == Value("found");
  };
  CHECK(steps_of("foobarbaz", {"foobarbaz"}));
  CHECK(steps_of("foo.bar.baz", {"foo", "bar", "baz"}));
  CHECK(steps_of("foo`bar`baz", {"foo`bar`baz"}));
  CHECK(steps_of("`foo.bar.baz`", {"foo.bar.baz"}));
  CHECK(steps_of("foo.`bar.baz`", {"foo", "bar.baz"}));
  CHECK(steps_of("`foo.bar`.baz", {"foo.bar", "baz"}));
  CHECK(steps_of("foo.`bar`.baz", {"foo", "bar", "baz"}));
  CHECK(steps_of("foo.``bar.baz`", {"foo", "`bar.baz"}));
  CHECK(steps_of("foo.`bar.baz``", {"foo", "bar.baz`"}));
  CHECK(steps_of("foo.`ba`r.baz`", {"foo", "ba`r.baz"}));
  CHECK(steps_of("foo.ba`r.baz", {"foo", "ba`r", "baz"}));
  CHECK(steps_of("foo.``bar``.baz", {"foo", "`bar`", "baz"}));
  CHECK(steps_of("``foo.bar.baz``", {"`foo.bar.baz`"}));
  CHECK(steps_of("foo.`bar\\`.baz`", {"foo", "bar`.baz"}));
  CHECK(steps_of("foo.`bar.`baz`", {"foo", "bar.`baz"}));
  CHECK(steps_of("foo.`bar\\`.`baz`", {"foo", "bar`.`baz"}));
  CHECK(steps_of("foo.`bar\\\\`.\\`baz`", {"foo", "bar\\`.\\`baz"}));
  CHECK(steps_of("..", {"", "", ""}));
  CHECK(steps_of("foo..", {"foo", "", ""}));
  CHECK(steps_of(".bar.", {"", "bar", ""}));
  CHECK(steps_of("..baz", {"", "", "baz"}));
  // V1 keeps the whole text as one name.
  auto v1 = transform("ExtractField$Value", {{"field", "foo.`bar.baz`"}});
  Record r = value_record(nullptr, map_of({{"foo.`bar.baz`", "found"}}));
  REQUIRE(v1->apply(r).ok());
  CHECK(r.value == Value("found"));
}

TEST_CASE("ExtractField$Value: V2 incomplete backticks are a configuration error") {
  const std::vector<std::pair<std::string, int>> cases = {
      {"`foo.bar.baz", 0}, {"foo.`bar.baz", 4}, {"foo.bar.`baz", 8}, {"foo.bar.`baz\\`", 8}};
  for (const auto& [path, at] : cases) {
    CAPTURE(path);
    Status st =
        configure_status("ExtractField$Value", {{"field", path}, {"field.syntax.version", "V2"}});
    CHECK_FALSE(st.ok());
    const std::string expected = "Incomplete backtick pair in path: [" + path +
                                 "], consider adding a backslash before backtick at position " +
                                 std::to_string(at) + " to escape it";
    CHECK_MESSAGE(has(st, expected), st.message());
  }
  // The same text is fine under V1.
  CHECK(configure_status("ExtractField$Value", {{"field", "`foo.bar.baz"}}).ok());
}

TEST_CASE("ExtractField$Key: extracts from the key (the JDBC createKey/extractInt pattern)") {
  auto to_key = transform("ValueToKey", {{"fields", "id"}});
  auto extract = transform("ExtractField$Key", {{"field", "id"}});
  Record r = value_record(simple_schema(), Struct{{int64_t{17}, Value("n")}});
  REQUIRE(to_key->apply(r).ok());
  REQUIRE(extract->apply(r).ok());
  CHECK(r.key == Value(int64_t{17}));
  CHECK(r.key_schema == simple_schema()->fields[0].schema);
  CHECK(r.value_schema == simple_schema());
  Record null_key = key_record(simple_schema(), Value());
  REQUIRE(extract->apply(null_key).ok());
  CHECK(null_key.key.is_null());
  CHECK(null_key.key_schema == simple_schema()->fields[0].schema);
}

// ---- HoistField --------------------------------------------------------------------------------

TEST_CASE("HoistField$Value: schemaless wraps any value, null included") {
  auto t = transform("HoistField$Value", {{"field", "line"}});
  Record r = value_record(nullptr, Value("hello"));
  REQUIRE(t->apply(r).ok());
  CHECK(r.value_schema == nullptr);
  CHECK(map_keys(r.value) == std::vector<std::string>{"line"});
  CHECK(map_get(r.value, "line") == Value("hello"));
  Record tomb = value_record(nullptr, Value());
  REQUIRE(t->apply(tomb).ok());
  CHECK(map_keys(tomb.value) == std::vector<std::string>{"line"});
  CHECK(map_get(tomb.value, "line").is_null());
  Record nested = value_record(nullptr, map_of({{"a", int64_t{1}}}));
  REQUIRE(t->apply(nested).ok());
  CHECK(map_get(nested.value, "line") == Value(map_of({{"a", int64_t{1}}})));
}

TEST_CASE("HoistField$Value: schemaful wraps in an unnamed required struct, cached") {
  auto t = transform("HoistField$Value", {{"field", "magic"}});
  SchemaPtr in = Schema::primitive(Type::kInt32);
  Record r = value_record(in, Value(int64_t{42}));
  REQUIRE(t->apply(r).ok());
  const Schema& out = *r.value_schema;
  CHECK(out.type == Type::kStruct);
  CHECK_FALSE(out.name.has_value());
  CHECK_FALSE(out.version.has_value());
  CHECK_FALSE(out.optional);
  CHECK_FALSE(out.default_value.has_value());
  REQUIRE(field_names(out) == std::vector<std::string>{"magic"});
  CHECK(out.fields[0].schema == in);
  CHECK(r.value == Value(Struct{{int64_t{42}}}));
  Record r2 = value_record(in, Value(int64_t{43}));
  REQUIRE(t->apply(r2).ok());
  CHECK(r2.value_schema.get() == r.value_schema.get());
  // A struct schema is wrapped as is, name and all.
  Record r3 = value_record(simple_schema(), Struct{{int64_t{1}, Value("x")}});
  REQUIRE(t->apply(r3).ok());
  CHECK(r3.value_schema->fields[0].schema == simple_schema());
  CHECK(r3.value_schema.get() != r.value_schema.get());
}

TEST_CASE("HoistField$Value: a null value needs an optional schema") {
  auto t = transform("HoistField$Value", {{"field", "line"}});
  Record r = value_record(Schema::primitive(Type::kString), Value());
  Status st = t->apply(r);
  CHECK_FALSE(st.ok());
  CHECK(st.message() ==
        "Invalid value: null used for required field: \"line\", schema type: STRING");
  Record r2 = value_record(Schema::primitive(Type::kString, true), Value());
  REQUIRE(t->apply(r2).ok());
  CHECK(r2.value == Value(Struct{{Value()}}));
  CHECK(r2.value_schema->fields[0].schema->optional);
  CHECK_FALSE(configure_status("HoistField$Value", {}).ok());
}

TEST_CASE("HoistField$Key: wraps the key") {
  auto t = transform("HoistField$Key", {{"field", "k"}});
  Record r = key_record(Schema::primitive(Type::kInt64), Value(int64_t{5}));
  REQUIRE(t->apply(r).ok());
  CHECK(r.key == Value(Struct{{int64_t{5}}}));
  CHECK(field_names(*r.key_schema) == std::vector<std::string>{"k"});
  CHECK(r.value == Value("the value"));
  CHECK(r.value_schema == nullptr);
}
