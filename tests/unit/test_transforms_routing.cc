// Routing and header SMTs, predicates and the transform chain, tested against Kafka Connect's
// semantics: RegexRouter, Filter, InsertHeader, DropHeaders, HeaderFrom, TopicNameMatches,
// HasHeaderKey, RecordIsTombstone, and `transforms:` / `predicates:` in a pipeline file.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "record.h"
#include "schema.h"
#include "transform_test_util.h"
#include "transforms/chain.h"
#include "value.h"

using namespace kpipe;
using namespace kpipe::testing;  // NOLINT: the shared transform test helpers

namespace {

Record record(const std::string& topic) {
  Record r;
  r.topic = topic;
  r.partition = 4;
  r.timestamp_ms = 1234;
  r.key_schema = Schema::primitive(Type::kString);
  r.key = Value("k");
  r.value_schema = Schema::primitive(Type::kInt64);
  r.value = Value(int64_t{7});
  r.headers = {{"h1", std::string("v1")}};
  return r;
}

std::vector<Header> headers(std::initializer_list<std::pair<std::string, const char*>> list) {
  std::vector<Header> out;
  for (const auto& [k, v] : list)
    out.push_back(Header{k, v ? std::optional<std::string>(v) : std::nullopt});
  return out;
}

bool same_headers(const std::vector<Header>& a, const std::vector<Header>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].key != b[i].key || a[i].value != b[i].value) return false;
  return true;
}

std::string routed(const std::string& regex, const std::string& replacement,
                   const std::string& topic) {
  auto t = transform("RegexRouter", {{"regex", regex}, {"replacement", replacement}});
  Record r = record(topic);
  Status st = t->apply(r);
  REQUIRE_MESSAGE(st.ok(), st.message());
  return r.topic;
}

Status predicate_status(const std::string& type, const Keys& keys) {
  const auto* entry = kpipe::testing::registry().predicate(type);
  REQUIRE(entry);
  Config config;
  return parse_config(entry->spec, keys, "predicates.p", &config);
}

}  // namespace

// ---- RegexRouter -------------------------------------------------------------------------------

TEST_CASE("RegexRouter: RegexRouterTest cases") {
  CHECK(routed("foo", "bar", "foo") == "bar");
  CHECK(routed("foo", "bar", "orig") == "orig");
  CHECK(routed("(.*)", "$1", "orig") == "orig");
  CHECK(routed("(.*)", "prefix-$1", "orig") == "prefix-orig");
  CHECK(routed("(.*)", "$1-suffix", "orig") == "orig-suffix");
  CHECK(routed("(.*)-(\\d\\d\\d\\d\\d\\d\\d\\d)", "$1", "index-20160117") == "index");
}

TEST_CASE("RegexRouter: the whole topic must match") {
  CHECK(routed("foo", "bar", "foobar") == "foobar");
  CHECK(routed("bar", "x", "foobar") == "foobar");
  CHECK(routed("mysql-(.*)", "$1", "mysql-orders") == "orders");
  CHECK(routed("mysql-(.*)", "$1", "pg-orders") == "pg-orders");
  CHECK(routed("(.*)\\.(.*)\\.(.*)", "$3_$2", "db.schema.table") == "table_schema");
}

TEST_CASE("RegexRouter: Java replacement syntax") {
  // $0 is the whole match; \$ and \\ are literal.
  CHECK(routed("orders", "$0-copy", "orders") == "orders-copy");
  CHECK(routed("(o)rders", "\\$1", "orders") == "$1");
  CHECK(routed("(o)rders", "a\\\\b", "orders") == "a\\b");
  // "$10" with one group: group 1, then a literal 0 (Java takes digits while the group exists).
  CHECK(routed("(a)", "$10", "a") == "a0");
  // A bad group reference fails when applied (Java's IllegalArgumentException /
  // IndexOutOfBoundsException from replaceFirst).
  auto t = transform("RegexRouter", {{"regex", "(a)"}, {"replacement", "$2"}});
  Record r = record("a");
  Status st = t->apply(r);
  CHECK_FALSE(st.ok());
  CHECK(st.message() == "No group 2");
  auto t2 = transform("RegexRouter", {{"regex", "(a)"}, {"replacement", "$x"}});
  Record r2 = record("a");
  CHECK_FALSE(t2->apply(r2).ok());
  // A trailing backslash escapes nothing (Java: "character to be escaped is missing").
  auto t3 = transform("RegexRouter", {{"regex", "(a)"}, {"replacement", "x\\"}});
  Record r4 = record("a");
  CHECK(t3->apply(r4).message() == "character to be escaped is missing");
  // A topic that does not match never looks at the replacement.
  Record r3 = record("b");
  REQUIRE(t->apply(r3).ok());
  CHECK(r3.topic == "b");
}

TEST_CASE("RegexRouter: replaceFirst replaces the first find(), not the whole match") {
  // matches() succeeds through the second alternative; replaceFirst() resets and finds "a".
  CHECK(routed("a|ab", "X", "ab") == "Xb");
  // A lazy group: find() gives the empty match at the start.
  CHECK(routed("(.*?)", "x-$1", "abc") == "x-abc");
}

TEST_CASE("RegexRouter: everything but the topic is kept, per-topic results are stable") {
  auto t = transform("RegexRouter", {{"regex", "t-(.*)"}, {"replacement", "$1"}});
  for (int i = 0; i < 3; ++i) {
    for (const std::string& topic : std::vector<std::string>{"t-a", "t-b", "other"}) {
      Record r = record(topic);
      REQUIRE(t->apply(r).ok());
      CHECK(r.topic == (topic == "other" ? "other" : topic.substr(2)));
      CHECK(r.partition == std::optional<int32_t>(4));
      CHECK(r.timestamp_ms == std::optional<int64_t>(1234));
      CHECK(r.key == Value("k"));
      CHECK(r.value == Value(int64_t{7}));
      CHECK(r.value_schema == Schema::primitive(Type::kInt64));
      CHECK(same_headers(r.headers, headers({{"h1", "v1"}})));
    }
  }
}

TEST_CASE("RegexRouter: configuration") {
  Status st = configure_status("RegexRouter", {{"regex", "("}, {"replacement", "x"}});
  CHECK_FALSE(st.ok());
  CHECK_MESSAGE(has(st, "Invalid regex"), st.message());
  CHECK_MESSAGE(has(st, "regex"), st.message());
  st = configure_status("RegexRouter", {{"regex", "a"}});
  CHECK_FALSE(st.ok());
  CHECK_MESSAGE(has(st, "replacement"), st.message());
  CHECK_FALSE(configure_status("RegexRouter", {{"replacement", "a"}}).ok());
}

// ---- Filter ------------------------------------------------------------------------------------

TEST_CASE("Filter: drops, takes no configuration") {
  auto t = transform("Filter", {});
  CHECK(t->drops());
  Record r = record("t");
  REQUIRE(t->apply(r).ok());
  CHECK(r.topic == "t");
  CHECK_FALSE(configure_status("Filter", {{"anything", "x"}}).ok());
  CHECK_FALSE(transform("RegexRouter", {{"regex", "a"}, {"replacement", "b"}})->drops());
}

// ---- InsertHeader ------------------------------------------------------------------------------

TEST_CASE("InsertHeader: appends the header, keeping one of the same name") {
  auto t = transform("InsertHeader", {{"header", "h1"}, {"value.literal", "jdbc-orders"}});
  Record r = record("t");
  REQUIRE(t->apply(r).ok());
  CHECK(same_headers(r.headers, headers({{"h1", "v1"}, {"h1", "jdbc-orders"}})));
  CHECK(r.value == Value(int64_t{7}));
  CHECK(r.key == Value("k"));
  // Tombstones too: the value is not looked at.
  Record tomb = record("t");
  tomb.value = Value();
  tomb.value_schema = nullptr;
  tomb.headers.clear();
  REQUIRE(t->apply(tomb).ok());
  CHECK(same_headers(tomb.headers, headers({{"h1", "jdbc-orders"}})));
  // An empty literal is a value (Values.parseString("") is the empty string).
  auto empty = transform("InsertHeader", {{"header", "e"}, {"value.literal", ""}});
  Record r2 = record("t");
  REQUIRE(empty->apply(r2).ok());
  CHECK(same_headers(r2.headers, headers({{"h1", "v1"}, {"e", ""}})));
}

TEST_CASE("InsertHeader: both keys are required") {
  CHECK_FALSE(configure_status("InsertHeader", {{"header", "h"}}).ok());
  CHECK_FALSE(configure_status("InsertHeader", {{"value.literal", "v"}}).ok());
  CHECK(configure_status("InsertHeader", {{"header", "h"}, {"value.literal", "v"}}).ok());
}

// ---- DropHeaders -------------------------------------------------------------------------------

TEST_CASE("DropHeaders: removes every header with a listed name") {
  auto t = transform("DropHeaders", {{"headers", "trace-id,debug"}});
  Record r = record("t");
  r.headers = headers({{"trace-id", "1"},
                       {"keep", "a"},
                       {"debug", nullptr},
                       {"trace-id", "2"},
                       {"keep", "b"},
                       {"Trace-Id", "case"}});
  REQUIRE(t->apply(r).ok());
  CHECK(same_headers(r.headers, headers({{"keep", "a"}, {"keep", "b"}, {"Trace-Id", "case"}})));
  Record none = record("t");
  none.headers.clear();
  REQUIRE(t->apply(none).ok());
  CHECK(none.headers.empty());
}

TEST_CASE("DropHeaders: the list must not be empty") {
  Status st = configure_status("DropHeaders", {{"headers", ""}});
  CHECK_FALSE(st.ok());
  CHECK_MESSAGE(has(st, "Empty list"), st.message());
  CHECK_FALSE(configure_status("DropHeaders", {}).ok());
}

// ---- HeaderFrom --------------------------------------------------------------------------------

namespace {

SchemaPtr header_schema() {
  static const SchemaPtr s = [] {
    Schema dflt = *Schema::primitive(Type::kString, true);
    dflt.default_value = Value("dflt");
    Schema outer;
    outer.type = Type::kStruct;
    outer.name = "com.acme.Row";
    outer.version = 2;
    outer.optional = true;
    outer.fields = {{"id", Schema::primitive(Type::kInt32)},
                    {"name", Schema::primitive(Type::kString, true)},
                    {"flag", Schema::primitive(Type::kBoolean)},
                    {"with_default", std::make_shared<const Schema>(dflt)},
                    {"rest", Schema::primitive(Type::kFloat64)}};
    return std::make_shared<const Schema>(outer);
  }();
  return s;
}

Struct header_value() {
  return Struct{{int64_t{5}, Value(), true, Value(), 1.5}};
}

}  // namespace

TEST_CASE("HeaderFrom$Value: configuration") {
  Status st = configure_status("HeaderFrom$Value",
                               {{"fields", "a,b"}, {"headers", "h"}, {"operation", "copy"}});
  CHECK_FALSE(st.ok());
  CHECK_MESSAGE(
      has(st, "'fields' config must have the same number of elements as 'headers' config."),
      st.message());
  st = configure_status("HeaderFrom$Value",
                        {{"fields", ""}, {"headers", "h"}, {"operation", "copy"}});
  CHECK_FALSE(st.ok());
  CHECK_MESSAGE(has(st, "Empty list"), st.message());
  st = configure_status("HeaderFrom$Value",
                        {{"fields", "a"}, {"headers", ""}, {"operation", "copy"}});
  CHECK_FALSE(st.ok());
  st = configure_status("HeaderFrom$Value",
                        {{"fields", "a"}, {"headers", "h"}, {"operation", "swap"}});
  CHECK_FALSE(st.ok());
  CHECK_FALSE(configure_status("HeaderFrom$Value", {{"fields", "a"}, {"headers", "h"}}).ok());
  CHECK(configure_status("HeaderFrom$Value",
                         {{"fields", "a"}, {"headers", "h"}, {"operation", "move"}})
            .ok());
}

TEST_CASE("HeaderFrom$Value: schemaful copy keeps value and schema, appends headers in order") {
  auto t = transform("HeaderFrom$Value", {{"fields", "flag,id,name,with_default,id"},
                                          {"headers", "f,i,n,d,i2"},
                                          {"operation", "copy"}});
  Record r = record("t");
  r.value_schema = header_schema();
  r.value = Value(header_value());
  REQUIRE(t->apply(r).ok());
  CHECK(r.value_schema == header_schema());
  CHECK(r.value == Value(header_value()));
  // A null field gives a null header; a null field with a default gives the default.
  CHECK(same_headers(
      r.headers,
      headers(
          {{"h1", "v1"}, {"f", "true"}, {"i", "5"}, {"n", nullptr}, {"d", "dflt"}, {"i2", "5"}})));
}

TEST_CASE("HeaderFrom$Value: schemaful move drops the fields from a rebuilt schema") {
  auto t = transform("HeaderFrom$Value",
                     {{"fields", "id,with_default"}, {"headers", "i,d"}, {"operation", "move"}});
  Record r = record("t");
  r.value_schema = header_schema();
  r.value = Value(header_value());
  REQUIRE(t->apply(r).ok());
  const Schema& out = *r.value_schema;
  // copySchemaBasics: name and version kept, optional dropped.
  CHECK(out.name == std::optional<std::string>("com.acme.Row"));
  CHECK(out.version == std::optional<int32_t>(2));
  CHECK_FALSE(out.optional);
  CHECK(field_names(out) == std::vector<std::string>{"name", "flag", "rest"});
  CHECK(out.fields[0].schema == header_schema()->fields[1].schema);
  CHECK(out.fields[2].schema == header_schema()->fields[4].schema);
  CHECK(r.value == Value(Struct{{Value(), true, 1.5}}));
  CHECK(same_headers(r.headers, headers({{"h1", "v1"}, {"i", "5"}, {"d", "dflt"}})));
  // Cached per input schema.
  Record r2 = record("t");
  r2.value_schema = header_schema();
  r2.value = Value(header_value());
  REQUIRE(t->apply(r2).ok());
  CHECK(r2.value_schema.get() == r.value_schema.get());
}

TEST_CASE("HeaderFrom$Value: replace.null.with.default false keeps nulls") {
  auto t = transform("HeaderFrom$Value", {{"fields", "with_default"},
                                          {"headers", "d"},
                                          {"operation", "copy"},
                                          {"replace.null.with.default", "false"}});
  Record r = record("t");
  r.headers.clear();
  r.value_schema = header_schema();
  r.value = Value(header_value());
  REQUIRE(t->apply(r).ok());
  CHECK(same_headers(r.headers, headers({{"d", nullptr}})));
}

TEST_CASE("HeaderFrom$Value: schemaless copy and move") {
  auto copy = transform("HeaderFrom$Value",
                        {{"fields", "a,missing"}, {"headers", "ha,hm"}, {"operation", "copy"}});
  Record r = record("t");
  r.value_schema = nullptr;
  r.value = Value(map_of({{"a", int64_t{1}}, {"b", "x"}}));
  REQUIRE(copy->apply(r).ok());
  CHECK(map_keys(r.value) == std::vector<std::string>{"a", "b"});
  CHECK(r.value_schema == nullptr);
  CHECK(same_headers(r.headers, headers({{"h1", "v1"}, {"ha", "1"}, {"hm", nullptr}})));

  auto move = transform("HeaderFrom$Value",
                        {{"fields", "a,missing"}, {"headers", "ha,hm"}, {"operation", "move"}});
  Record r2 = record("t");
  r2.value_schema = nullptr;
  r2.value = Value(map_of({{"a", int64_t{1}}, {"b", "x"}}));
  REQUIRE(move->apply(r2).ok());
  CHECK(map_keys(r2.value) == std::vector<std::string>{"b"});
  CHECK(same_headers(r2.headers, headers({{"h1", "v1"}, {"ha", "1"}, {"hm", nullptr}})));
}

TEST_CASE("HeaderFrom$Value: header text is what SimpleHeaderConverter writes") {
  SchemaPtr in = StructBuilder("s")
                     .field("f32", Schema::primitive(Type::kFloat32))
                     .field("f64", Schema::primitive(Type::kFloat64))
                     .field("ts", Schema::timestamp())
                     .field("midnight", Schema::timestamp())
                     .field("date", Schema::date())
                     .field("epoch_date", Schema::date())
                     .field("time", Schema::time())
                     .field("dec", Schema::decimal(2))
                     .field("bytes", Schema::primitive(Type::kBytes))
                     .field("list", Schema::array(Schema::primitive(Type::kInt32)))
                     .build();
  auto t = transform("HeaderFrom$Value",
                     {{"fields", "f32,f64,ts,midnight,date,epoch_date,time,dec,bytes,list"},
                      {"headers", "f32,f64,ts,midnight,date,epoch_date,time,dec,bytes,list"},
                      {"operation", "copy"}});
  Record r = record("t");
  r.headers.clear();
  r.value_schema = in;
  r.value = Value(Struct{{static_cast<double>(0.1f), 0.1, int64_t{1700000000123} * 1000000,
                          int64_t{19723} * 86400000 * 1000000, int64_t{19723}, int64_t{0},
                          int64_t{3723004} * 1000000, Decimal{"12345", 2}, Bytes{"hi"},
                          List{int64_t{1}, int64_t{2}}}});
  REQUIRE(t->apply(r).ok());
  REQUIRE(r.headers.size() == 10);
  CHECK(r.headers[0].value == std::optional<std::string>("0.1"));  // Float.toString
  CHECK(r.headers[1].value == std::optional<std::string>("0.1"));
  CHECK(r.headers[2].value == std::optional<std::string>("2023-11-14T22:13:20.123Z"));
  // Values.dateFormatFor chooses by the value: a midnight is written as a date, anything in
  // the epoch's first day as a time.
  CHECK(r.headers[3].value == std::optional<std::string>("2024-01-01"));
  CHECK(r.headers[4].value == std::optional<std::string>("2024-01-01"));
  CHECK(r.headers[5].value == std::optional<std::string>("00:00:00.000Z"));
  CHECK(r.headers[6].value == std::optional<std::string>("01:02:03.004Z"));
  CHECK(r.headers[7].value == std::optional<std::string>("123.45"));
  CHECK(r.headers[8].value == std::optional<std::string>("aGk="));
  CHECK(r.headers[9].value == std::optional<std::string>("[1,2]"));
}

TEST_CASE("HeaderFrom$Value: no tombstone guard, missing schema field fails") {
  auto move =
      transform("HeaderFrom$Value", {{"fields", "a"}, {"headers", "h"}, {"operation", "move"}});
  auto copy =
      transform("HeaderFrom$Value", {{"fields", "a"}, {"headers", "h"}, {"operation", "copy"}});
  Record r = record("t");
  r.value_schema = nullptr;
  r.value = Value();
  CHECK(copy->apply(r).message() ==
        "Only Map objects supported in absence of schema for [header copy], found: null");
  Record r2 = record("t");
  r2.value_schema = header_schema();
  r2.value = Value();
  CHECK(move->apply(r2).message() ==
        "Only Struct objects supported for [header move], found: null");
  // Connect fails with a NullPointerException on a field the schema lacks.
  Record r3 = record("t");
  r3.value_schema = header_schema();
  r3.value = Value(header_value());
  CHECK_FALSE(copy->apply(r3).ok());
}

TEST_CASE("HeaderFrom$Key: works on the key") {
  auto t =
      transform("HeaderFrom$Key", {{"fields", "id"}, {"headers", "kid"}, {"operation", "move"}});
  Record r = record("t");
  r.headers.clear();
  r.key_schema = StructBuilder("k")
                     .field("id", Schema::primitive(Type::kInt64))
                     .field("x", Schema::primitive(Type::kString))
                     .build();
  r.key = Value(Struct{{int64_t{99}, Value("y")}});
  REQUIRE(t->apply(r).ok());
  CHECK(field_names(*r.key_schema) == std::vector<std::string>{"x"});
  CHECK(r.key == Value(Struct{{Value("y")}}));
  CHECK(same_headers(r.headers, headers({{"kid", "99"}})));
  CHECK(r.value == Value(int64_t{7}));
}

// ---- Predicates --------------------------------------------------------------------------------

TEST_CASE("TopicNameMatches: full match of the topic name") {
  auto p = predicate("TopicNameMatches", {{"pattern", "my-prefix-.*"}});
  CHECK(p->test(record("my-prefix-orders")));
  CHECK_FALSE(p->test(record("x-my-prefix-orders")));
  CHECK_FALSE(p->test(record("my-prefix")));
  auto exact = predicate("TopicNameMatches", {{"pattern", "foo"}});
  CHECK(exact->test(record("foo")));
  CHECK_FALSE(exact->test(record("foobar")));
  CHECK_FALSE(exact->test(record("afoo")));
  // Repeated topics give the same answer.
  CHECK(exact->test(record("foo")));
  CHECK_FALSE(exact->test(record("foobar")));
}

TEST_CASE("TopicNameMatches: pattern must be a non-empty valid regex") {
  Status st = predicate_status("TopicNameMatches", {{"pattern", ""}});
  CHECK_FALSE(st.ok());
  CHECK_MESSAGE(has(st, "String must be non-empty"), st.message());
  st = predicate_status("TopicNameMatches", {{"pattern", "[a-"}});
  CHECK_FALSE(st.ok());
  CHECK_MESSAGE(has(st, "entry must be a Java-compatible regular expression"), st.message());
  CHECK_FALSE(predicate_status("TopicNameMatches", {}).ok());
}

TEST_CASE("HasHeaderKey: at least one header with the name") {
  auto p = predicate("HasHeaderKey", {{"name", "trace"}});
  Record r = record("t");
  CHECK_FALSE(p->test(r));
  r.headers = headers({{"a", "1"}, {"trace", nullptr}});
  CHECK(p->test(r));  // a null-valued header counts
  r.headers = headers({{"Trace", "x"}});
  CHECK_FALSE(p->test(r));
  r.headers = headers({{"trace", "1"}, {"trace", "2"}});
  CHECK(p->test(r));
  r.headers.clear();
  CHECK_FALSE(p->test(r));
  Status st = predicate_status("HasHeaderKey", {{"name", ""}});
  CHECK_FALSE(st.ok());
  CHECK_MESSAGE(has(st, "String must be non-empty"), st.message());
  CHECK_FALSE(predicate_status("HasHeaderKey", {}).ok());
}

TEST_CASE("RecordIsTombstone: the value is null; the key does not matter") {
  auto p = predicate("RecordIsTombstone", {});
  Record r = record("t");
  CHECK_FALSE(p->test(r));
  r.value = Value();
  CHECK(p->test(r));
  r.value_schema = nullptr;
  CHECK(p->test(r));
  r.key = Value();
  CHECK(p->test(r));
  r.value = Value(int64_t{0});
  CHECK_FALSE(p->test(r));
  r.value = Value("");
  CHECK_FALSE(p->test(r));
  CHECK_FALSE(predicate_status("RecordIsTombstone", {{"x", "y"}}).ok());
}

// ---- The chain ---------------------------------------------------------------------------------

namespace {

Status parse(const std::string& yaml, std::vector<TransformConfig>* transforms,
             std::vector<PredicateConfig>* predicates) {
  return parse_transforms(YAML::Load(yaml), "p.yaml", kpipe::testing::registry(), transforms,
                          predicates);
}

Status parse_error(const std::string& yaml) {
  std::vector<TransformConfig> transforms;
  std::vector<PredicateConfig> predicates;
  Status st = parse(yaml, &transforms, &predicates);
  CHECK_FALSE(st.ok());
  return st;
}

std::unique_ptr<TransformChain> chain(const std::string& yaml) {
  std::vector<TransformConfig> transforms;
  std::vector<PredicateConfig> predicates;
  Status st = parse(yaml, &transforms, &predicates);
  REQUIRE_MESSAGE(st.ok(), st.message());
  std::unique_ptr<TransformChain> out;
  st = TransformChain::create(transforms, predicates, kpipe::testing::registry(), &out);
  REQUIRE_MESSAGE(st.ok(), st.message());
  return out;
}

// Runs the chain; returns whether the record was kept.
bool run(TransformChain& c, Record& r) {
  bool keep = true;
  std::string failed;
  Status st = c.apply(r, &keep, &failed);
  REQUIRE_MESSAGE(st.ok(), st.message());
  return keep;
}

}  // namespace

TEST_CASE("chain: parse_transforms reads names, types, keys, predicates and negate") {
  std::vector<TransformConfig> transforms;
  std::vector<PredicateConfig> predicates;
  Status st = parse(R"(
predicates:
  isTomb:
    type: org.apache.kafka.connect.transforms.predicates.RecordIsTombstone
  isFoo:
    type: TopicNameMatches
    pattern: foo.*
transforms:
  - name: addMeta
    type: org.apache.kafka.connect.transforms.InsertField$Value
    static.field: src
    static.value: db
    predicate: isTomb
    negate: true
  - type: RegexRouter
    regex: (.*)
    replacement: x-$1
    predicate: isFoo
)",
                    &transforms, &predicates);
  REQUIRE_MESSAGE(st.ok(), st.message());
  REQUIRE(predicates.size() == 2);
  CHECK(predicates[0].alias == "isTomb");
  CHECK(predicates[0].type == "RecordIsTombstone");
  CHECK(predicates[1].alias == "isFoo");
  CHECK(predicates[1].type == "TopicNameMatches");
  CHECK(predicates[1].config.str("pattern") == "foo.*");
  REQUIRE(transforms.size() == 2);
  CHECK(transforms[0].alias.find("addMeta") != std::string::npos);
  CHECK(transforms[0].type == "InsertField$Value");
  CHECK(transforms[0].config.str("static.field") == "src");
  CHECK(transforms[0].config.str("static.value") == "db");
  CHECK(transforms[0].predicate == "isTomb");
  CHECK(transforms[0].negate);
  CHECK(transforms[1].alias == "transforms[1]");
  CHECK(transforms[1].type == "RegexRouter");
  CHECK(transforms[1].predicate == "isFoo");
  CHECK_FALSE(transforms[1].negate);
  // No transforms at all is fine.
  std::vector<TransformConfig> none;
  std::vector<PredicateConfig> no_predicates;
  REQUIRE(parse("source: {}\n", &none, &no_predicates).ok());
  CHECK(none.empty());
  CHECK(no_predicates.empty());
}

TEST_CASE("chain: an unknown type names the closest known one") {
  Status st = parse_error("transforms:\n  - type: InsertFeild$Value\n    topic.field: t\n");
  CHECK_MESSAGE(has(st, "unknown transform 'InsertFeild$Value'"), st.message());
  CHECK_MESSAGE(has(st, "did you mean 'InsertField$Value'"), st.message());
  CHECK_MESSAGE(has(st, "p.yaml:2:"), st.message());
  st = parse_error("transforms:\n  - type: org.apache.kafka.connect.transforms.ValueToKy\n");
  CHECK_MESSAGE(has(st, "did you mean 'org.apache.kafka.connect.transforms.ValueToKey'"),
                st.message());
  st = parse_error("predicates:\n  t:\n    type: RecordIsTombstne\n");
  CHECK_MESSAGE(has(st, "unknown predicate 'RecordIsTombstne'"), st.message());
  CHECK_MESSAGE(has(st, "did you mean 'RecordIsTombstone'"), st.message());
  // A predicate is not a transform.
  st = parse_error("transforms:\n  - type: RecordIsTombstone\n");
  CHECK_MESSAGE(has(st, "unknown transform"), st.message());
}

TEST_CASE("chain: negate without predicate gives Connect's message") {
  Status st = parse_error("transforms:\n  - name: x\n    type: Filter\n    negate: true\n");
  CHECK_MESSAGE(has(st,
                    "Config 'transforms.x.negate' was provided but there is no config "
                    "'transforms.x.predicate' defining a predicate to be negated."),
                st.message());
  CHECK_MESSAGE(has(st, "p.yaml:4:"), st.message());
  // Connect checks that the key is present, whatever its value.
  st = parse_error("transforms:\n  - name: x\n    type: Filter\n    negate: false\n");
  CHECK_MESSAGE(has(st, "negate' was provided but there is no config"), st.message());
  st = parse_error("transforms:\n  - type: Filter\n    negate: true\n");
  CHECK_MESSAGE(has(st, "Config 'transforms[0].negate' was provided"), st.message());
}

TEST_CASE("chain: negate is a boolean as elsewhere in the file") {
  for (const std::string& text : std::vector<std::string>{"true", "True", "TRUE", "yes"}) {
    CAPTURE(text);
    std::vector<TransformConfig> transforms;
    std::vector<PredicateConfig> predicates;
    Status st = parse(
        "predicates:\n  p: {type: RecordIsTombstone}\n"
        "transforms:\n  - type: Filter\n    predicate: p\n    negate: " +
            text + "\n",
        &transforms, &predicates);
    REQUIRE_MESSAGE(st.ok(), st.message());
    CHECK(transforms[0].negate);
  }
  for (const std::string& text : std::vector<std::string>{"false", "False", "no"}) {
    CAPTURE(text);
    std::vector<TransformConfig> transforms;
    std::vector<PredicateConfig> predicates;
    Status st = parse(
        "predicates:\n  p: {type: RecordIsTombstone}\n"
        "transforms:\n  - type: Filter\n    predicate: p\n    negate: " +
            text + "\n",
        &transforms, &predicates);
    REQUIRE_MESSAGE(st.ok(), st.message());
    CHECK_FALSE(transforms[0].negate);
  }
}

TEST_CASE("chain: other parse errors") {
  // A predicate alias that is not defined.
  Status st = parse_error(
      "predicates:\n  isTomb: {type: RecordIsTombstone}\n"
      "transforms:\n  - type: Filter\n    predicate: isTmb\n");
  CHECK_MESSAGE(has(st, "no predicate 'isTmb'"), st.message());
  CHECK_MESSAGE(has(st, "did you mean 'isTomb'"), st.message());
  // negate must be a boolean.
  st = parse_error(
      "predicates:\n  isTomb: {type: RecordIsTombstone}\n"
      "transforms:\n  - type: Filter\n    predicate: isTomb\n    negate: maybe\n");
  CHECK_MESSAGE(has(st, "negate"), st.message());
  // Duplicate names.
  st = parse_error("transforms:\n  - {name: a, type: Filter}\n  - {name: a, type: Filter}\n");
  CHECK_MESSAGE(has(st, "Duplicate alias provided."), st.message());
  // Missing type.
  st = parse_error("transforms:\n  - topic.field: t\n");
  CHECK_MESSAGE(has(st, "'type'"), st.message());
  // An unknown key names the closest.
  st = parse_error("transforms:\n  - type: InsertField$Value\n    statc.field: s\n");
  CHECK_MESSAGE(has(st, "unknown key 'statc.field'"), st.message());
  CHECK_MESSAGE(has(st, "did you mean 'static.field'"), st.message());
  // configure() errors come out at parse time (kpipe validate).
  st = parse_error("transforms:\n  - name: meta\n    type: InsertField$Value\n");
  CHECK_MESSAGE(has(st, "No field insertion configured"), st.message());
  st = parse_error("transforms:\n  - type: RegexRouter\n    regex: a\n");
  CHECK_MESSAGE(has(st, "replacement"), st.message());
  st = parse_error("predicates:\n  p:\n    type: TopicNameMatches\n");
  CHECK_MESSAGE(has(st, "pattern"), st.message());
  // transforms must be a list.
  st = parse_error("transforms:\n  type: Filter\n");
  CHECK_MESSAGE(has(st, "transforms must be a list"), st.message());
}

TEST_CASE("chain: the Kafka docs example (Filter on IsFoo, ExtractField$Key unless IsBar)") {
  auto c = chain(R"(
predicates:
  IsFoo: {type: TopicNameMatches, pattern: foo}
  IsBar: {type: TopicNameMatches, pattern: bar}
transforms:
  - name: Filter
    type: org.apache.kafka.connect.transforms.Filter
    predicate: IsFoo
  - name: Extract
    type: org.apache.kafka.connect.transforms.ExtractField$Key
    field: other_field
    predicate: IsBar
    negate: true
)");
  auto keyed = [](const std::string& topic) {
    Record r;
    r.topic = topic;
    Map key;
    key.keys.emplace_back("other_field");
    key.values.emplace_back("extracted");
    r.key = Value(std::move(key));
    r.value = Value("v");
    return r;
  };
  Record foo = keyed("foo");
  CHECK_FALSE(run(*c, foo));
  Record bar = keyed("bar");
  CHECK(run(*c, bar));
  CHECK(bar.key.is<Map>());  // negate: not extracted for bar
  Record baz = keyed("baz");
  CHECK(run(*c, baz));
  CHECK(baz.key == Value("extracted"));
  // foobar does not fully match foo: kept.
  Record foobar = keyed("foobar");
  CHECK(run(*c, foobar));
}

TEST_CASE("chain: stages run in order and a predicate sees the record as changed so far") {
  auto c = chain(R"(
predicates:
  routed: {type: TopicNameMatches, pattern: "x-.*"}
transforms:
  - type: RegexRouter
    regex: "orders"
    replacement: "x-orders"
  - type: InsertField$Value
    topic.field: topic
    predicate: routed
  - type: HoistField$Value
    field: wrapped
)");
  Record r;
  r.topic = "orders";
  r.value = Value(Map{});
  CHECK(run(*c, r));
  CHECK(r.topic == "x-orders");
  REQUIRE(r.value.is<Map>());
  REQUIRE(r.value.as<Map>().keys.size() == 1);
  const Value& inner = r.value.as<Map>().values[0];
  CHECK(map_keys(inner) == std::vector<std::string>{"topic"});
  CHECK(inner.as<Map>().values[0] == Value("x-orders"));
  Record other;
  other.topic = "payments";
  other.value = Value(Map{});
  CHECK(run(*c, other));
  CHECK(map_keys(other.value.as<Map>().values[0]).empty());
}

TEST_CASE("chain: Filter with RecordIsTombstone drops tombstones, guards a failing SMT") {
  auto c = chain(R"(
predicates:
  isTomb: {type: RecordIsTombstone}
transforms:
  - name: createKey
    type: ValueToKey
    fields: id
    predicate: isTomb
    negate: true
  - name: dropTomb
    type: Filter
    predicate: isTomb
  - name: never
    type: MaskField$Value
    fields: id
    predicate: isTomb
)");
  Record tomb;
  tomb.topic = "t";
  CHECK_FALSE(run(*c, tomb));
  Record r;
  r.topic = "t";
  r.value = Value(Map{});
  r.value.as<Map>().keys.emplace_back("id");
  r.value.as<Map>().values.emplace_back(int64_t{3});
  CHECK(run(*c, r));
  CHECK(map_keys(r.key) == std::vector<std::string>{"id"});
  CHECK(r.value.as<Map>().values[0] == Value(int64_t{3}));  // MaskField did not run
}

TEST_CASE("chain: Filter without a predicate drops every record and ends the chain") {
  auto c = chain("transforms:\n  - type: Filter\n  - type: MaskField$Value\n    fields: a\n");
  Record r;
  r.topic = "t";  // a tombstone: MaskField would fail on it
  CHECK_FALSE(run(*c, r));
  Record r2;
  r2.topic = "t";
  r2.value = Value("x");
  CHECK_FALSE(run(*c, r2));
  CHECK(r2.value == Value("x"));
}

TEST_CASE("chain: a failing stage is named in the error") {
  auto c = chain(R"(
transforms:
  - type: RegexRouter
    regex: (.*)
    replacement: $1
  - name: createKey
    type: ValueToKey
    fields: id
)");
  Record tomb;
  tomb.topic = "t";
  bool keep = true;
  std::string failed;
  Status st = c->apply(tomb, &keep, &failed);
  CHECK_FALSE(st.ok());
  CHECK(failed == "org.apache.kafka.connect.transforms.ValueToKey");
  CHECK_MESSAGE(has(st, "createKey"), st.message());
  CHECK_MESSAGE(has(st, "org.apache.kafka.connect.transforms.ValueToKey"), st.message());
  CHECK_MESSAGE(has(st,
                    "Only Map objects supported in absence of schema for [copying fields "
                    "from value to key], found: null"),
                st.message());
  // An unnamed stage is named by its position.
  auto c2 = chain(
      "transforms:\n  - type: Filter\n    predicate: p\n  - type: MaskField$Value\n"
      "    fields: a\npredicates:\n  p: {type: HasHeaderKey, name: drop}\n");
  Record r;
  r.topic = "t";
  st = c2->apply(r, &keep, &failed);
  CHECK_FALSE(st.ok());
  CHECK_MESSAGE(has(st, "transforms[1]"), st.message());
  CHECK(failed == "org.apache.kafka.connect.transforms.MaskField$Value");
  // With the header, the Filter drops it first.
  Record dropped;
  dropped.topic = "t";
  dropped.headers = {{"drop", std::nullopt}};
  st = c2->apply(dropped, &keep, &failed);
  CHECK(st.ok());
  CHECK_FALSE(keep);
}

TEST_CASE("chain: one predicate shared by several transforms") {
  auto c = chain(R"(
predicates:
  hasTrace: {type: HasHeaderKey, name: trace}
transforms:
  - type: InsertHeader
    header: seen
    value.literal: "yes"
    predicate: hasTrace
  - type: DropHeaders
    headers: trace
    predicate: hasTrace
  - type: InsertHeader
    header: after
    value.literal: "1"
    predicate: hasTrace
)");
  Record r;
  r.topic = "t";
  r.headers = {{"trace", std::string("abc")}};
  CHECK(run(*c, r));
  // The third stage no longer sees the trace header.
  CHECK(same_headers(r.headers, headers({{"seen", "yes"}})));
  Record plain;
  plain.topic = "t";
  CHECK(run(*c, plain));
  CHECK(plain.headers.empty());
  CHECK_FALSE(c->empty());
  std::unique_ptr<TransformChain> empty;
  REQUIRE(TransformChain::create({}, {}, kpipe::testing::registry(), &empty).ok());
  CHECK(empty->empty());
}
