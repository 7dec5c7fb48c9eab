// TimestampConverter$Key / $Value and TimestampRouter, tested against Kafka Connect's
// TimestampConverter.java and TimestampRouter.java: every source x target of string, unix, Date,
// Time and Timestamp, unix.precision, whole value and field mode, schemaless maps, nulls, output
// schemas field by field, the error messages and the schema cache.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
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
// 2016-10-14T05:46:02.123Z, a Friday.
constexpr int64_t kInstantMs = 1476423962123;
constexpr int64_t kInstantDays = 17088;                        // 2016-10-14
constexpr int64_t kMidnightMs = kInstantDays * kMillisPerDay;  // 2016-10-14T00:00:00.000Z
constexpr int64_t kTimeOfDayMs = 20762123;                     // 05:46:02.123
constexpr const char* kFormat = "yyyy-MM-dd'T'HH:mm:ss.SSS";
constexpr const char* kInstantText = "2016-10-14T05:46:02.123";

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
  r.topic = "events";
  r.value_schema = std::move(schema);
  r.value = std::move(value);
  return r;
}

Keys keys_for(const std::string& target, const std::string& format = kFormat,
              const std::string& field = "") {
  Keys keys = {{"target.type", target}};
  if (!format.empty()) keys.emplace_back("format", format);
  if (!field.empty()) keys.emplace_back("field", field);
  return keys;
}

Record convert(const Keys& keys, SchemaPtr schema, Value value) {
  return apply_ok("TimestampConverter$Value", keys,
                  value_record(std::move(schema), std::move(value)));
}

Status convert_error(const Keys& keys, SchemaPtr schema, Value value) {
  auto t = transform("TimestampConverter$Value", keys);
  Record r = value_record(std::move(schema), std::move(value));
  return t->apply(r);
}

// The schema of each target type, as Connect's translators give it: field by field.
void check_target_schema(const SchemaPtr& s, const std::string& target, bool optional) {
  REQUIRE(s);
  CAPTURE(target);
  CHECK(s->optional == optional);
  CHECK_FALSE(s->doc.has_value());
  CHECK(s->parameters.empty());
  CHECK_FALSE(s->default_value.has_value());
  if (target == "string") {
    CHECK(s->type == Type::kString);
    CHECK_FALSE(s->name.has_value());
    CHECK_FALSE(s->version.has_value());
  } else if (target == "unix") {
    CHECK(s->type == Type::kInt64);
    CHECK_FALSE(s->name.has_value());
    CHECK_FALSE(s->version.has_value());
  } else {
    const char* name = target == "Date" ? kDateName : target == "Time" ? kTimeName : kTimestampName;
    CHECK(s->type == (target == "Timestamp" ? Type::kInt64 : Type::kInt32));
    CHECK(s->name == std::optional<std::string>(name));
    CHECK(s->version == std::optional<int32_t>(1));
  }
}

// What each target holds for the instant `ms` (java.util.Date milliseconds, UTC), with a schema.
Value expected_for(const std::string& target, int64_t ms, const std::string& text) {
  if (target == "string") return Value(text);
  if (target == "unix") return Value(ms);
  if (target == "Date") return Value(ms / kMillisPerDay);  // ms >= 0 here
  if (target == "Time") return Value((ms % kMillisPerDay) * kNanosPerMilli);
  return Value(ms * kNanosPerMilli);
}

const std::vector<std::string> kTargets = {"string", "unix", "Date", "Time", "Timestamp"};

}  // namespace

// ---- configuration -----------------------------------------------------------------------------

TEST_CASE("TimestampConverter$Value: target.type is required and case-sensitive") {
  CHECK_FALSE(configure_status("TimestampConverter$Value", {}).ok());
  for (const std::string bad : {"String", "STRING", "timestamp", "date", "time", "Unix", "long"}) {
    CAPTURE(bad);
    Status st = configure_status("TimestampConverter$Value", {{"target.type", bad}});
    CHECK_FALSE(st.ok());
    CHECK(st.code() == Code::kInvalid);
  }
  for (const std::string good : {"unix", "Date", "Time", "Timestamp"}) {
    CAPTURE(good);
    Status st = configure_status("TimestampConverter$Value", {{"target.type", good}});
    CHECK_MESSAGE(st.ok(), st.message());
  }
  CHECK(configure_status("TimestampConverter$Key", {{"target.type", "string"}, {"format", "yyyy"}})
            .ok());
}

TEST_CASE("TimestampConverter$Value: a string target needs a format") {
  const std::string msg =
      "TimestampConverter requires format option to be specified when using string timestamps";
  Status st = configure_status("TimestampConverter$Value", {{"target.type", "string"}});
  CHECK_FALSE(st.ok());
  CHECK(st.code() == Code::kInvalid);
  CHECK_MESSAGE(has(st, msg), st.message());
  // Blank counts as missing (Utils.isBlank).
  st = configure_status("TimestampConverter$Value", {{"target.type", "string"}, {"format", "  "}});
  CHECK_FALSE(st.ok());
  CHECK_MESSAGE(has(st, msg), st.message());
  // Other targets do not need one.
  CHECK(configure_status("TimestampConverter$Value", {{"target.type", "unix"}, {"format", " "}})
            .ok());
}

TEST_CASE("TimestampConverter$Value: an invalid SimpleDateFormat pattern is refused") {
  Status st = configure_status("TimestampConverter$Value",
                               {{"target.type", "string"}, {"format", "yyyy-qq"}});
  CHECK_FALSE(st.ok());
  CHECK_MESSAGE(has(st,
                    "TimestampConverter requires a SimpleDateFormat-compatible pattern for string "
                    "timestamps: yyyy-qq"),
                st.message());
  // Also when the format is only used to parse.
  st = configure_status("TimestampConverter$Value",
                        {{"target.type", "unix"}, {"format", "'unterminated"}});
  CHECK_FALSE(st.ok());
}

TEST_CASE("TimestampConverter$Value: unix.precision takes four values") {
  for (const std::string p : {"seconds", "milliseconds", "microseconds", "nanoseconds"}) {
    CAPTURE(p);
    CHECK(configure_status("TimestampConverter$Value",
                           {{"target.type", "unix"}, {"unix.precision", p}})
              .ok());
  }
  for (const std::string p : {"millis", "Seconds", "ms", ""}) {
    CAPTURE(p);
    CHECK_FALSE(configure_status("TimestampConverter$Value",
                                 {{"target.type", "unix"}, {"unix.precision", p}})
                    .ok());
  }
}

// ---- whole value with a schema: every source x target -----------------------------------------

TEST_CASE("TimestampConverter$Value: Timestamp to every target") {
  for (const auto& target : kTargets) {
    CAPTURE(target);
    Record r = convert(keys_for(target), Schema::timestamp(), Value(kInstantMs * kNanosPerMilli));
    check_target_schema(r.value_schema, target, false);
    CHECK_VALUE(r.value, expected_for(target, kInstantMs, kInstantText));
  }
}

TEST_CASE("TimestampConverter$Value: Date to every target") {
  for (const auto& target : kTargets) {
    CAPTURE(target);
    Record r = convert(keys_for(target), Schema::date(), Value(kInstantDays));
    check_target_schema(r.value_schema, target, false);
    CHECK_VALUE(r.value, expected_for(target, kMidnightMs, "2016-10-14T00:00:00.000"));
  }
}

TEST_CASE("TimestampConverter$Value: Time to every target") {
  for (const auto& target : kTargets) {
    CAPTURE(target);
    Record r = convert(keys_for(target), Schema::time(), Value(kTimeOfDayMs * kNanosPerMilli));
    check_target_schema(r.value_schema, target, false);
    CHECK_VALUE(r.value, expected_for(target, kTimeOfDayMs, "1970-01-01T05:46:02.123"));
  }
}

TEST_CASE("TimestampConverter$Value: unix (int64) to every target") {
  for (const auto& target : kTargets) {
    CAPTURE(target);
    Record r = convert(keys_for(target), prim(Type::kInt64), Value(kInstantMs));
    check_target_schema(r.value_schema, target, false);
    CHECK_VALUE(r.value, expected_for(target, kInstantMs, kInstantText));
  }
}

TEST_CASE("TimestampConverter$Value: string to every target") {
  for (const auto& target : kTargets) {
    CAPTURE(target);
    Record r = convert(keys_for(target), prim(Type::kString), Value(kInstantText));
    check_target_schema(r.value_schema, target, false);
    CHECK_VALUE(r.value, expected_for(target, kInstantMs, kInstantText));
  }
  // A pattern with names and a zone.
  Record r = convert(keys_for("unix", "EEE, d MMM yyyy HH:mm:ss.SSS Z"), prim(Type::kString),
                     Value("Fri, 14 Oct 2016 05:46:02.123 +0000"));
  CHECK_VALUE(r.value, Value(kInstantMs));
  // The offset in the text is applied.
  r = convert(keys_for("unix", "yyyy-MM-dd HH:mm Z"), prim(Type::kString),
              Value("2016-10-14 07:46 +0200"));
  CHECK_VALUE(r.value, Value(kInstantMs - 2123));
}

TEST_CASE("TimestampConverter$Value: the output schema keeps the input's optional flag") {
  for (const auto& target : kTargets) {
    CAPTURE(target);
    Record r =
        convert(keys_for(target), Schema::timestamp(true), Value(kInstantMs * kNanosPerMilli));
    check_target_schema(r.value_schema, target, true);
    Record r2 = convert(keys_for(target), prim(Type::kString, true), Value(kInstantText));
    check_target_schema(r2.value_schema, target, true);
  }
  // The input's name, doc and default are not carried over in whole-value mode.
  SchemaPtr decorated = with(prim(Type::kInt64, true), [](Schema& s) {
    s.name = "com.acme.Millis";
    s.doc = "epoch";
    s.default_value = Value(int64_t{0});
  });
  Record r = convert(keys_for("Timestamp"), decorated, Value(kInstantMs));
  check_target_schema(r.value_schema, "Timestamp", true);
}

TEST_CASE("TimestampConverter$Value: formatting to strings") {
  const Value ts(kInstantMs * kNanosPerMilli);
  CHECK_VALUE(convert(keys_for("string", "yyyy-MM-dd"), Schema::timestamp(), ts).value,
              Value("2016-10-14"));
  CHECK_VALUE(
      convert(keys_for("string", "yyyy-MM-dd'T'HH:mm:ss.SSSX"), Schema::timestamp(), ts).value,
      Value("2016-10-14T05:46:02.123Z"));
  CHECK_VALUE(
      convert(keys_for("string", "EEE, d MMM yyyy HH:mm:ss Z"), Schema::timestamp(), ts).value,
      Value("Fri, 14 Oct 2016 05:46:02 +0000"));
  CHECK_VALUE(convert(keys_for("string", "yyyyMMddHHmmssSSS"), Schema::timestamp(), ts).value,
              Value("20161014054602123"));
  // Before 1970.
  CHECK_VALUE(convert(keys_for("string"), prim(Type::kInt64), Value(int64_t{-1})).value,
              Value("1969-12-31T23:59:59.999"));
}

TEST_CASE("TimestampConverter$Value: Date truncates to midnight UTC, Time keeps the time of day") {
  // One millisecond before the epoch: 1969-12-31T23:59:59.999Z.
  Record d = convert(keys_for("Date"), prim(Type::kInt64), Value(int64_t{-1}));
  CHECK_VALUE(d.value, Value(int64_t{-1}));
  Record t = convert(keys_for("Time"), prim(Type::kInt64), Value(int64_t{-1}));
  CHECK_VALUE(t.value, Value((kMillisPerDay - 1) * kNanosPerMilli));
  Record ts = convert(keys_for("Timestamp"), prim(Type::kInt64), Value(int64_t{-1}));
  CHECK_VALUE(ts.value, Value(-kNanosPerMilli));
  // Date -> Date and Time -> Time are identities.
  CHECK_VALUE(convert(keys_for("Date"), Schema::date(), Value(int64_t{-400})).value,
              Value(int64_t{-400}));
  CHECK_VALUE(convert(keys_for("Time"), Schema::time(), Value(kTimeOfDayMs * kNanosPerMilli)).value,
              Value(kTimeOfDayMs * kNanosPerMilli));
}

TEST_CASE("TimestampConverter$Value: sub-millisecond digits are lost (java.util.Date)") {
  const int64_t ns = kInstantMs * kNanosPerMilli + 456789;
  CHECK_VALUE(convert(keys_for("Timestamp"), Schema::timestamp(), Value(ns)).value,
              Value(kInstantMs * kNanosPerMilli));
  CHECK_VALUE(convert({{"target.type", "unix"}, {"unix.precision", "nanoseconds"}},
                      Schema::timestamp(), Value(ns))
                  .value,
              Value(kInstantMs * kNanosPerMilli));
  CHECK_VALUE(
      convert(keys_for("Time"), Schema::time(), Value(kTimeOfDayMs * kNanosPerMilli + 999)).value,
      Value(kTimeOfDayMs * kNanosPerMilli));
}

// ---- unix.precision ----------------------------------------------------------------------------

TEST_CASE("TimestampConverter$Value: unix.precision on output") {
  const Value ts(kInstantMs * kNanosPerMilli);
  struct Case {
    const char* precision;
    int64_t expected;
  };
  for (const Case& c :
       {Case{"seconds", 1476423962}, Case{"milliseconds", kInstantMs},
        Case{"microseconds", kInstantMs * 1000}, Case{"nanoseconds", kInstantMs * 1000000}}) {
    CAPTURE(c.precision);
    Record r = convert({{"target.type", "unix"}, {"unix.precision", c.precision}},
                       Schema::timestamp(), ts);
    CHECK_VALUE(r.value, Value(c.expected));
    check_target_schema(r.value_schema, "unix", false);
  }
  // TimeUnit.MILLISECONDS.toSeconds truncates toward zero.
  CHECK_VALUE(convert({{"target.type", "unix"}, {"unix.precision", "seconds"}}, Schema::timestamp(),
                      Value(int64_t{-1500} * kNanosPerMilli))
                  .value,
              Value(int64_t{-1}));
  // The default is milliseconds.
  CHECK_VALUE(convert({{"target.type", "unix"}}, Schema::timestamp(), ts).value, Value(kInstantMs));
}

TEST_CASE("TimestampConverter$Value: unix.precision on input") {
  struct Case {
    const char* precision;
    int64_t input;
    int64_t ms;
  };
  for (const Case& c :
       {Case{"seconds", 1476423962, 1476423962000}, Case{"milliseconds", kInstantMs, kInstantMs},
        Case{"microseconds", 1476423962123456, kInstantMs},
        Case{"nanoseconds", 1476423962123456789, kInstantMs},
        // TimeUnit.toMillis truncates toward zero.
        Case{"microseconds", -1500, -1}, Case{"nanoseconds", -1999999, -1}}) {
    CAPTURE(c.precision);
    CAPTURE(c.input);
    Record r = convert({{"target.type", "Timestamp"}, {"unix.precision", c.precision}},
                       prim(Type::kInt64), Value(c.input));
    CHECK_VALUE(r.value, Value(c.ms * kNanosPerMilli));
  }
  // unix -> unix goes through milliseconds.
  CHECK_VALUE(convert({{"target.type", "unix"}, {"unix.precision", "microseconds"}},
                      prim(Type::kInt64), Value(int64_t{1476423962123456}))
                  .value,
              Value(int64_t{1476423962123000}));
  // Precision also applies when the string is the source.
  CHECK_VALUE(convert({{"target.type", "unix"}, {"unix.precision", "seconds"}, {"format", kFormat}},
                      prim(Type::kString), Value(kInstantText))
                  .value,
              Value(int64_t{1476423962}));
}

// ---- errors ------------------------------------------------------------------------------------

TEST_CASE("TimestampConverter$Value: a string that does not match the pattern") {
  Status st =
      convert_error(keys_for("unix", "yyyy-MM-dd"), prim(Type::kString), Value("not a date"));
  CHECK_FALSE(st.ok());
  CHECK(st.message() ==
        "Could not parse timestamp: value (not a date) does not match pattern (yyyy-MM-dd)");
  st = convert_error(keys_for("Timestamp", "yyyy-MM-dd HH:mm"), nullptr, Value("2016-10-14"));
  CHECK(st.message() ==
        "Could not parse timestamp: value (2016-10-14) does not match pattern (yyyy-MM-dd HH:mm)");
  // A string source without a format cannot be parsed (Connect: NullPointerException).
  CHECK_FALSE(
      convert_error({{"target.type", "unix"}}, prim(Type::kString), Value(kInstantText)).ok());
  CHECK_FALSE(convert_error({{"target.type", "unix"}}, nullptr, Value(kInstantText)).ok());
}

TEST_CASE("TimestampConverter$Value: a schema that is not a timestamp type") {
  Status st = convert_error(keys_for("string"), prim(Type::kInt32), Value(int64_t{5}));
  CHECK_FALSE(st.ok());
  CHECK(st.message() ==
        "Schema Schema{INT32} does not correspond to a known timestamp type format");
  SchemaPtr named = with(prim(Type::kInt32), [](Schema& s) { s.name = "com.acme.Epoch"; });
  st = convert_error(keys_for("unix"), named, Value(int64_t{5}));
  CHECK(st.message() ==
        "Schema Schema{com.acme.Epoch:INT32} does not correspond to a known timestamp type format");
  st = convert_error(keys_for("unix"), prim(Type::kFloat64), Value(1.5));
  CHECK(st.message() ==
        "Schema Schema{FLOAT64} does not correspond to a known timestamp type format");
  st = convert_error(keys_for("unix"), Schema::decimal(2), Value(Decimal{"1", 2}));
  CHECK(st.message() ==
        "Schema Schema{org.apache.kafka.connect.data.Decimal:BYTES} does not correspond to a known "
        "timestamp type format");
  // The schema is checked before the value is: a null fails too.
  st = convert_error(keys_for("unix"), prim(Type::kInt32, true), Value());
  CHECK(st.message() ==
        "Schema Schema{INT32} does not correspond to a known timestamp type format");
  // Field mode: the field's schema.
  SchemaPtr rec = StructBuilder("rec").field("ts", prim(Type::kInt32, true)).build();
  st = convert_error(keys_for("unix", "", "ts"), rec, Struct{{int64_t{5}}});
  CHECK(st.message() ==
        "Schema Schema{INT32} does not correspond to a known timestamp type format");
  st = convert_error(keys_for("unix", "", "ts"), rec, Struct{{Value()}});
  CHECK(st.message() ==
        "Schema Schema{INT32} does not correspond to a known timestamp type format");
}

// ---- nulls -------------------------------------------------------------------------------------

TEST_CASE("TimestampConverter$Value: a null whole value stays null, the schema changes") {
  Record r = convert(keys_for("string"), Schema::timestamp(true), Value());
  CHECK(r.value.is_null());
  check_target_schema(r.value_schema, "string", true);
  Record r2 = convert(keys_for("unix"), nullptr, Value());
  CHECK(r2.value.is_null());
  CHECK_FALSE(r2.value_schema);
}

// ---- field mode --------------------------------------------------------------------------------

TEST_CASE("TimestampConverter$Value: field mode output schema, field by field") {
  SchemaPtr id = prim(Type::kInt32);
  SchemaPtr note = prim(Type::kString, true);
  Schema in_schema;
  in_schema.type = Type::kStruct;
  in_schema.name = "com.acme.Event";
  in_schema.version = 2;
  in_schema.doc = "an event";
  in_schema.parameters = {{"p", "v"}};
  in_schema.fields = {{"id", id}, {"ts", Schema::timestamp()}, {"note", note}};
  SchemaPtr in = std::make_shared<const Schema>(in_schema);

  for (const auto& target : kTargets) {
    CAPTURE(target);
    Record r = convert(keys_for(target, kFormat, "ts"), in,
                       Struct{{int64_t{7}, Value(kInstantMs * kNanosPerMilli), Value("n")}});
    const Schema& out = *r.value_schema;
    CHECK(out.type == Type::kStruct);
    CHECK(out.name == std::optional<std::string>("com.acme.Event"));
    CHECK(out.version == std::optional<int32_t>(2));
    CHECK(out.doc == std::optional<std::string>("an event"));
    CHECK(out.parameters == std::vector<std::pair<std::string, std::string>>{{"p", "v"}});
    CHECK_FALSE(out.optional);
    CHECK_FALSE(out.default_value.has_value());
    REQUIRE(out.fields.size() == 3);
    CHECK(out.fields[0].name == "id");
    CHECK(out.fields[1].name == "ts");
    CHECK(out.fields[2].name == "note");
    CHECK(out.fields[0].schema == id);
    CHECK(out.fields[2].schema == note);
    check_target_schema(out.fields[1].schema, target, false);
    const Struct& v = r.value.as<Struct>();
    CHECK_VALUE(v.fields[0], Value(int64_t{7}));
    CHECK_VALUE(v.fields[1], expected_for(target, kInstantMs, kInstantText));
    CHECK_VALUE(v.fields[2], Value("n"));
  }
}

TEST_CASE("TimestampConverter$Value: field mode keeps optional flags and converts the default") {
  Struct def{{int64_t{0}, Value(kMidnightMs * kNanosPerMilli)}};
  SchemaPtr in = with(StructBuilder("rec")
                          .field("id", prim(Type::kInt32))
                          .field("ts", Schema::timestamp(true))
                          .optional()
                          .build(),
                      [&](Schema& s) { s.default_value = Value(def); });
  Record r = convert(keys_for("string", "yyyy-MM-dd", "ts"), in,
                     Struct{{int64_t{1}, Value(kInstantMs * kNanosPerMilli)}});
  const Schema& out = *r.value_schema;
  CHECK(out.optional);
  check_target_schema(out.fields.at(1).schema, "string", true);
  REQUIRE(out.default_value.has_value());
  REQUIRE(out.default_value->is<Struct>());
  CHECK_VALUE(out.default_value->as<Struct>().fields.at(0), Value(int64_t{0}));
  CHECK_VALUE(out.default_value->as<Struct>().fields.at(1), Value("2016-10-14"));
  CHECK_VALUE(r.value.as<Struct>().fields.at(1), Value("2016-10-14"));

  // A null struct value stays null; its schema is still converted.
  Record n = convert(keys_for("string", "yyyy-MM-dd", "ts"), in, Value());
  CHECK(n.value.is_null());
  REQUIRE(n.value_schema);
  CHECK(n.value_schema->fields.at(1).schema->type == Type::kString);
}

TEST_CASE("TimestampConverter$Value: field mode null fields and replace.null.with.default") {
  SchemaPtr ts_default = with(Schema::timestamp(true), [](Schema& s) {
    s.default_value = Value(kMidnightMs * kNanosPerMilli);
  });
  SchemaPtr other_default =
      with(prim(Type::kString, true), [](Schema& s) { s.default_value = Value("dflt"); });
  SchemaPtr in = StructBuilder("rec")
                     .field("ts", ts_default)
                     .field("plain", Schema::timestamp(true))
                     .field("other", other_default)
                     .build();
  {
    Record r = convert(keys_for("unix", "", "ts"), in, Struct{{Value(), Value(), Value()}});
    const Struct& v = r.value.as<Struct>();
    CHECK_VALUE(v.fields[0], Value(kMidnightMs));  // the default, converted
    CHECK(v.fields[1].is_null());
    CHECK_VALUE(v.fields[2], Value("dflt"));  // Struct.get on every field
    // The converted field's schema carries no default (typeSchema).
    CHECK_FALSE(r.value_schema->fields[0].schema->default_value.has_value());
    CHECK(r.value_schema->fields[0].schema->optional);
  }
  {
    Record r =
        convert({{"target.type", "unix"}, {"field", "ts"}, {"replace.null.with.default", "false"}},
                in, Struct{{Value(), Value(), Value()}});
    const Struct& v = r.value.as<Struct>();
    CHECK(v.fields[0].is_null());
    CHECK(v.fields[1].is_null());
    CHECK(v.fields[2].is_null());
  }
  {
    // A null field that is not the converted one.
    Record r = convert(keys_for("unix", "", "plain"), in, Struct{{Value(), Value(), Value()}});
    CHECK(r.value.as<Struct>().fields[1].is_null());
    CHECK(r.value_schema->fields[1].schema->type == Type::kInt64);
    CHECK(r.value_schema->fields[0].schema == ts_default);
  }
}

TEST_CASE("TimestampConverter$Value: field mode with a field the struct lacks changes nothing") {
  SchemaPtr in =
      StructBuilder("rec").field("id", prim(Type::kInt32)).field("ts", Schema::timestamp()).build();
  Record r = convert(keys_for("unix", "", "nope"), in,
                     Struct{{int64_t{1}, Value(kInstantMs * kNanosPerMilli)}});
  REQUIRE(r.value_schema);
  CHECK(r.value_schema->name == std::optional<std::string>("rec"));
  REQUIRE(r.value_schema->fields.size() == 2);
  CHECK(r.value_schema->fields[0].schema == in->fields[0].schema);
  CHECK(r.value_schema->fields[1].schema == in->fields[1].schema);
  CHECK_VALUE(r.value.as<Struct>().fields[1], Value(kInstantMs * kNanosPerMilli));
}

TEST_CASE("TimestampConverter$Value: field mode needs a Struct") {
  Status st = convert_error(keys_for("unix", "", "ts"), prim(Type::kString), Value("x"));
  CHECK_FALSE(st.ok());
  CHECK(st.message() ==
        "Only Struct objects supported for [converting timestamp formats], found: "
        "java.lang.String");
}

TEST_CASE("TimestampConverter$Value: field mode caches the output schema per input schema") {
  SchemaPtr in = StructBuilder("rec").field("ts", prim(Type::kInt64)).build();
  auto t = transform("TimestampConverter$Value", keys_for("Timestamp", "", "ts"));
  Record r1 = value_record(in, Struct{{int64_t{1}}});
  Record r2 = value_record(in, Struct{{int64_t{2}}});
  REQUIRE(t->apply(r1).ok());
  REQUIRE(t->apply(r2).ok());
  CHECK(r1.value_schema == r2.value_schema);
  CHECK(r1.value_schema != in);
  CHECK_VALUE(r2.value.as<Struct>().fields[0], Value(2 * kNanosPerMilli));
  SchemaPtr other = StructBuilder("other").field("ts", prim(Type::kString)).build();
  auto t2 = transform("TimestampConverter$Value", keys_for("unix", "yyyy", "ts"));
  Record r3 = value_record(other, Struct{{Value("1970")}});
  Record r4 = value_record(other, Struct{{Value("1971")}});
  REQUIRE(t2->apply(r3).ok());
  REQUIRE(t2->apply(r4).ok());
  CHECK(r3.value_schema == r4.value_schema);
  CHECK_VALUE(r4.value.as<Struct>().fields[0], Value(365 * kMillisPerDay));
}

// ---- schemaless --------------------------------------------------------------------------------

TEST_CASE("TimestampConverter$Value: schemaless whole values") {
  // Long -> unix, String -> string.
  Record r = convert(keys_for("string"), nullptr, Value(kInstantMs));
  CHECK_FALSE(r.value_schema);
  CHECK_VALUE(r.value, Value(kInstantText));
  CHECK_VALUE(convert(keys_for("unix"), nullptr, Value(kInstantText)).value, Value(kInstantMs));
  CHECK_VALUE(convert(keys_for("unix"), nullptr, Value(kInstantMs)).value, Value(kInstantMs));
  CHECK_VALUE(convert(keys_for("string", "yyyy"), nullptr, Value(kInstantText)).value,
              Value("2016"));
  CHECK_VALUE(convert({{"target.type", "unix"}, {"unix.precision", "seconds"}}, nullptr,
                      Value(int64_t{1476423962}))
                  .value,
              Value(int64_t{1476423962}));
  // Without a schema, kpipe has no java.util.Date: Date, Time and Timestamp results are epoch
  // milliseconds (of midnight, of the time on 1970-01-01, of the instant).
  CHECK_VALUE(convert(keys_for("Timestamp"), nullptr, Value(kInstantText)).value,
              Value(kInstantMs));
  CHECK_VALUE(convert(keys_for("Date"), nullptr, Value(kInstantMs)).value, Value(kMidnightMs));
  CHECK_VALUE(convert(keys_for("Time"), nullptr, Value(kInstantMs)).value, Value(kTimeOfDayMs));
  CHECK_FALSE(convert(keys_for("Date"), nullptr, Value(kInstantMs)).value_schema);
}

TEST_CASE("TimestampConverter$Value: schemaless values of other classes are refused") {
  Status st = convert_error(keys_for("unix"), nullptr, Value(true));
  CHECK_FALSE(st.ok());
  CHECK(st.message() ==
        "TimestampConverter does not support class java.lang.Boolean objects as timestamps");
  st = convert_error(keys_for("unix"), nullptr, Value(1.5));
  CHECK(st.message() ==
        "TimestampConverter does not support class java.lang.Double objects as timestamps");
  st = convert_error(keys_for("unix"), nullptr, Value(Map{}));
  CHECK(st.message() ==
        "TimestampConverter does not support class java.util.HashMap objects as timestamps");
  st = convert_error(keys_for("unix", kFormat, "ts"), nullptr, map_of({{"ts", Value(2.5)}}));
  CHECK(st.message() ==
        "TimestampConverter does not support class java.lang.Double objects as timestamps");
}

TEST_CASE("TimestampConverter$Value: schemaless field mode") {
  Record r = convert(keys_for("string", "yyyy-MM-dd", "ts"), nullptr,
                     map_of({{"ts", Value(kInstantMs)}, {"other", Value("x")}}));
  CHECK_FALSE(r.value_schema);
  CHECK_VALUE(map_get(r.value, "ts"), Value("2016-10-14"));
  CHECK_VALUE(map_get(r.value, "other"), Value("x"));
  CHECK(r.value.as<Map>().keys.size() == 2);
  // String -> unix.
  Record r2 =
      convert(keys_for("unix", "yyyy-MM-dd", "ts"), nullptr, map_of({{"ts", Value("2016-10-14")}}));
  CHECK_VALUE(map_get(r2.value, "ts"), Value(kMidnightMs));
  // A missing field is added as null; a null field stays null.
  Record r3 = convert(keys_for("unix", "", "ts"), nullptr, map_of({{"other", Value("x")}}));
  CHECK(map_get(r3.value, "ts").is_null());
  CHECK(r3.value.as<Map>().keys.size() == 2);
  Record r4 = convert(keys_for("unix", "", "ts"), nullptr, map_of({{"ts", Value()}}));
  CHECK(map_get(r4.value, "ts").is_null());
  // A null value passes through.
  Record r5 = convert(keys_for("unix", "", "ts"), nullptr, Value());
  CHECK(r5.value.is_null());
  // A non-map value is refused.
  Status st = convert_error(keys_for("unix", "", "ts"), nullptr, Value("x"));
  CHECK_FALSE(st.ok());
  CHECK(st.message() ==
        "Only Map objects supported in absence of schema for [converting timestamp formats], "
        "found: java.lang.String");
}

TEST_CASE("TimestampConverter$Key: converts the key, leaves the value") {
  Record in;
  in.topic = "t";
  in.key_schema = prim(Type::kInt64);
  in.key = Value(kInstantMs);
  SchemaPtr vs = prim(Type::kInt64);
  in.value_schema = vs;
  in.value = Value(kInstantMs);
  Record r = apply_ok("TimestampConverter$Key", {{"target.type", "Timestamp"}}, in);
  check_target_schema(r.key_schema, "Timestamp", false);
  CHECK_VALUE(r.key, Value(kInstantMs * kNanosPerMilli));
  CHECK(r.value_schema == vs);
  CHECK_VALUE(r.value, Value(kInstantMs));

  Record k2;
  k2.key = map_of({{"ts", Value(kInstantMs)}});
  k2.value = Value("v");
  Record r2 = apply_ok("TimestampConverter$Key", keys_for("string", "yyyy", "ts"), k2);
  CHECK_VALUE(map_get(r2.key, "ts"), Value("2016"));
  CHECK_VALUE(r2.value, Value("v"));
}

// ---- TimestampRouter ---------------------------------------------------------------------------

TEST_CASE("TimestampRouter: the default topic.format and timestamp.format") {
  auto t = transform("TimestampRouter", {});
  Record r = value_record(prim(Type::kString), Value("v"));
  r.topic = "orders";
  r.timestamp_ms = kInstantMs;
  REQUIRE(t->apply(r).ok());
  CHECK(r.topic == "orders-20161014");
}

TEST_CASE("TimestampRouter: topic.format and timestamp.format") {
  struct Case {
    const char* topic_format;
    const char* timestamp_format;
    int64_t ts;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"${topic}_${timestamp}", "yyyy.MM.dd", kInstantMs, "orders_2016.10.14"},
      {"${timestamp}-${topic}-${timestamp}", "yyyyMMddHH", kInstantMs,
       "2016101405-orders-2016101405"},
      {"${topic}${topic}", "yyyy", kInstantMs, "ordersorders"},
      {"fixed", "yyyy", kInstantMs, "fixed"},
      {"${topic}-${timestamp}", "yyyy-MM-dd'T'HH:mm", kInstantMs, "orders-2016-10-14T05:46"},
      {"${topic}-${timestamp}", "yyyyMMdd", -1, "orders-19691231"},
      {"${topic}-${timestamp}", "yyyyMMdd", 0, "orders-19700101"},
      // Only the exact placeholders are replaced.
      {"$topic-{timestamp}-${Topic}", "yyyy", kInstantMs, "$topic-{timestamp}-${Topic}"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.topic_format);
    CAPTURE(c.timestamp_format);
    auto t = transform("TimestampRouter", {{"topic.format", c.topic_format},
                                           {"timestamp.format", c.timestamp_format}});
    Record r = value_record(nullptr, Value("v"));
    r.topic = "orders";
    r.timestamp_ms = c.ts;
    REQUIRE(t->apply(r).ok());
    CHECK(r.topic == c.expected);
  }
}

TEST_CASE("TimestampRouter: the topic is inserted literally (quoteReplacement)") {
  auto t = transform("TimestampRouter", {{"topic.format", "x-${topic}-${timestamp}"}});
  Record r = value_record(nullptr, Value("v"));
  r.topic = "a$1\\b";
  r.timestamp_ms = kInstantMs;
  REQUIRE(t->apply(r).ok());
  CHECK(r.topic == "x-a$1\\b-20161014");
}

TEST_CASE("TimestampRouter: everything but the topic is kept") {
  auto t = transform("TimestampRouter", {});
  SchemaPtr ks = prim(Type::kString);
  SchemaPtr vs = StructBuilder("v").field("a", prim(Type::kInt32)).build();
  Record r;
  r.topic = "orders";
  r.partition = 3;
  r.key_schema = ks;
  r.key = Value("k");
  r.value_schema = vs;
  r.value = Value(Struct{{int64_t{1}}});
  r.timestamp_ms = kInstantMs;
  r.headers.push_back({"h", std::string("v")});
  REQUIRE(t->apply(r).ok());
  CHECK(r.topic == "orders-20161014");
  CHECK(r.partition == std::optional<int32_t>(3));
  CHECK(r.key_schema == ks);
  CHECK_VALUE(r.key, Value("k"));
  CHECK(r.value_schema == vs);
  CHECK(r.value == Value(Struct{{int64_t{1}}}));
  CHECK(r.timestamp_ms == std::optional<int64_t>(kInstantMs));
  REQUIRE(r.headers.size() == 1);
  CHECK(r.headers[0].key == "h");
}

TEST_CASE("TimestampRouter: a record without a timestamp fails") {
  auto t = transform("TimestampRouter", {});
  Record r = value_record(nullptr, Value("v"));
  r.topic = "orders";
  Status st = t->apply(r);
  CHECK_FALSE(st.ok());
  CHECK_MESSAGE(st.message().rfind("Timestamp missing on record", 0) == 0, st.message());
  CHECK(r.topic == "orders");
  // A tombstone with a timestamp is routed (the value is not inspected).
  Record tomb;
  tomb.topic = "orders";
  tomb.timestamp_ms = kInstantMs;
  REQUIRE(t->apply(tomb).ok());
  CHECK(tomb.topic == "orders-20161014");
}
