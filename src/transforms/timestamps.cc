// TimestampConverter$Key / $Value (string, unix, Date, Time and Timestamp into one another,
// through java.util.Date milliseconds in UTC, as Connect does) and TimestampRouter (the record
// timestamp into the topic name).
#include <climits>

#include "errors.h"
#include "transforms/java_date_format.h"
#include "transforms/transforms.h"
#include "transforms/util.h"

namespace kpipe {

namespace {

constexpr int64_t kNanosPerMilli = 1000000;
constexpr int64_t kMillisPerDay = 86400000;

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}
int64_t floor_mod(int64_t a, int64_t b) {
  return a - floor_div(a, b) * b;
}
// TimeUnit's saturating multiply.
int64_t times(int64_t v, int64_t by) {
  if (v > LLONG_MAX / by) return LLONG_MAX;
  if (v < LLONG_MIN / by) return LLONG_MIN;
  return v * by;
}

enum class Kind { kString, kUnix, kDate, kTime, kTimestamp };

std::optional<Kind> kind_of(const std::string& name) {
  if (name == "string") return Kind::kString;
  if (name == "unix") return Kind::kUnix;
  if (name == "Date") return Kind::kDate;
  if (name == "Time") return Kind::kTime;
  if (name == "Timestamp") return Kind::kTimestamp;
  return std::nullopt;
}

std::string schema_text(const Schema& s) {
  return "Schema{" + (s.name ? *s.name + ":" : std::string()) + upper_type_name(s.type) + "}";
}

class TimestampConverter : public KeyValueTransform {
 public:
  using KeyValueTransform::KeyValueTransform;

  Status configure(const Config& config) override {
    field_ = config.str("field");
    target_ = *kind_of(config.str("target.type"));
    const std::string& pattern = config.str("format");
    const bool blank = pattern.find_first_not_of(" \t\n\r") == std::string::npos;
    if (target_ == Kind::kString && blank)
      return config.invalid("format",
                            "TimestampConverter requires format option to be specified when "
                            "using string timestamps");
    if (!blank) {
      format_.emplace();
      if (!JavaDateFormat::compile(pattern, &*format_).ok())
        return config.invalid("format",
                              "TimestampConverter requires a SimpleDateFormat-compatible pattern "
                              "for string timestamps: " +
                                  pattern);
    }
    const std::string& precision = config.str("unix.precision");
    unit_ms_ = precision == "seconds"        ? -1000
               : precision == "microseconds" ? 1000
               : precision == "nanoseconds"  ? 1000000
                                             : 1;
    with_default_ = config.boolean("replace.null.with.default");
    return Status::Ok();
  }

 private:
  static constexpr const char* kPurpose = "converting timestamp formats";

  SchemaPtr target_schema(bool optional) const {
    switch (target_) {
      case Kind::kString:
        return Schema::primitive(Type::kString, optional);
      case Kind::kUnix:
        return Schema::primitive(Type::kInt64, optional);
      case Kind::kDate:
        return Schema::date(optional);
      case Kind::kTime:
        return Schema::time(optional);
      case Kind::kTimestamp:
        return Schema::timestamp(optional);
    }
    return nullptr;
  }

  // The source kind from the schema (timestampTypeFromSchema), or from the value without one.
  static Status source_kind(const Schema* schema, const Value& value, Kind* out) {
    if (!schema) {
      if (value.is<int64_t>()) {
        *out = Kind::kUnix;
      } else if (value.is<std::string>()) {
        *out = Kind::kString;
      } else {
        return Status::Runtime("TimestampConverter does not support class " + java_class(value) +
                               " objects as timestamps");
      }
      return Status::Ok();
    }
    switch (schema->logical()) {
      case Logical::kTimestamp:
        *out = Kind::kTimestamp;
        return Status::Ok();
      case Logical::kDate:
        *out = Kind::kDate;
        return Status::Ok();
      case Logical::kTime:
        *out = Kind::kTime;
        return Status::Ok();
      default:
        break;
    }
    if (schema->type == Type::kString) {
      *out = Kind::kString;
    } else if (schema->type == Type::kInt64) {
      *out = Kind::kUnix;
    } else {
      return Status::Runtime("Schema " + schema_text(*schema) +
                             " does not correspond to a known timestamp type format");
    }
    return Status::Ok();
  }

  // The value as java.util.Date milliseconds.
  Status to_millis(Kind kind, const Value& v, int64_t* ms) const {
    switch (kind) {
      case Kind::kString:
        if (!v.is<std::string>())
          return Status::Runtime("Expected string timestamp to be a String, but found class " +
                                 java_class(v));
        if (!format_)
          return Status::Runtime(
              "TimestampConverter requires format option to be specified when using string "
              "timestamps");
        if (!format_->parse(v.as<std::string>(), ms))
          return Status::Runtime("Could not parse timestamp: value (" + v.as<std::string>() +
                                 ") does not match pattern (" + format_->pattern() + ")");
        return Status::Ok();
      case Kind::kUnix:
        *ms = unit_ms_ < 0 ? times(v.as<int64_t>(), -unit_ms_) : v.as<int64_t>() / unit_ms_;
        return Status::Ok();
      case Kind::kDate:
        *ms = v.as<int64_t>() * kMillisPerDay;
        return Status::Ok();
      case Kind::kTime:
      case Kind::kTimestamp:
        *ms = floor_div(v.as<int64_t>(), kNanosPerMilli);
        return Status::Ok();
    }
    return Status::Ok();
  }

  // Milliseconds as the target kind; `schemaless`: Date, Time and Timestamp as epoch ms (kpipe
  // has no java.util.Date without a schema).
  Value from_millis(int64_t ms, bool schemaless) const {
    switch (target_) {
      case Kind::kString:
        return Value(format_->format(ms));
      case Kind::kUnix:
        return Value(unit_ms_ < 0 ? ms / -unit_ms_ : times(ms, unit_ms_));
      case Kind::kDate:
        return schemaless ? Value(floor_div(ms, kMillisPerDay) * kMillisPerDay)
                          : Value(floor_div(ms, kMillisPerDay));
      case Kind::kTime:
        return schemaless ? Value(floor_mod(ms, kMillisPerDay))
                          : Value(floor_mod(ms, kMillisPerDay) * kNanosPerMilli);
      case Kind::kTimestamp:
        return schemaless ? Value(ms) : Value(ms * kNanosPerMilli);
    }
    return Value();
  }

  Status convert(const Schema* schema, Value& value) const {
    // With a schema, Connect reads the source kind from it before it looks at the value, so a
    // schema that is no timestamp type fails even for a null.
    if (value.is_null() && !schema) return Status::Ok();
    Kind kind = Kind::kUnix;
    KPIPE_RETURN_IF_ERROR(source_kind(schema, value, &kind));
    if (value.is_null()) return Status::Ok();
    int64_t ms = 0;
    KPIPE_RETURN_IF_ERROR(to_millis(kind, value, &ms));
    value = from_millis(ms, schema == nullptr);
    return Status::Ok();
  }

  Status apply_schemaless(const Record&, Value& value) override {
    if (value.is_null() || field_.empty()) return convert(nullptr, value);
    KPIPE_RETURN_IF_ERROR(require_map(value, kPurpose));
    Map& map = value.as<Map>();
    size_t i = 0;
    while (i < map.keys.size() &&
           !(map.keys[i].is<std::string>() && map.keys[i].as<std::string>() == field_))
      ++i;
    if (i == map.keys.size()) {
      map.keys.emplace_back(field_);
      map.values.emplace_back();
    }
    return convert(nullptr, map.values[i]);
  }

  struct Plan {
    SchemaPtr schema;
    int field = -1;  // the converted field's index
  };

  Status convert_struct(const Schema& schema, int field, Value& value) const {
    Struct& s = value.as<Struct>();
    fill_defaults(s, schema, with_default_);
    if (field < 0) return Status::Ok();
    return convert(schema.fields[field].schema.get(), s.fields[field]);
  }

  Status build(const Schema& in, Plan* plan) const {
    Schema s = copy_schema_basics(in);
    s.fields = in.fields;
    plan->field = in.field_index(field_);
    if (plan->field >= 0)
      s.fields[plan->field].schema = target_schema(in.fields[plan->field].schema->optional);
    s.optional = in.optional;
    if (in.default_value && in.default_value->is<Struct>()) {
      Value d = *in.default_value;
      KPIPE_RETURN_IF_ERROR(convert_struct(in, plan->field, d));
      s.default_value = std::move(d);
    }
    plan->schema = std::make_shared<const Schema>(std::move(s));
    return Status::Ok();
  }

  Status apply_schemaful(const Record&, SchemaPtr& schema, Value& value) override {
    if (field_.empty()) {
      KPIPE_RETURN_IF_ERROR(convert(schema.get(), value));
      schema = target_schema(schema->optional);
      return Status::Ok();
    }
    if (!value.is_null()) KPIPE_RETURN_IF_ERROR(require_struct(value, schema.get(), kPurpose));
    Status st;
    const Plan* plan = cache_.get(
        schema, [&](Plan* out) { return build(*schema, out); }, &st);
    if (!plan) return st;
    if (!value.is_null()) KPIPE_RETURN_IF_ERROR(convert_struct(*schema, plan->field, value));
    schema = plan->schema;
    return Status::Ok();
  }

  std::string field_;
  Kind target_ = Kind::kTimestamp;
  std::optional<JavaDateFormat> format_;
  int64_t unit_ms_ = 1;  // units per millisecond; negative: milliseconds per unit (seconds)
  bool with_default_ = true;
  SchemaCache<Plan> cache_;
};

class TimestampRouter : public Transform {
 public:
  Status configure(const Config& config) override {
    topic_format_ = config.str("topic.format");
    if (!JavaDateFormat::compile(config.str("timestamp.format"), &format_).ok())
      return config.invalid("timestamp.format",
                            "not a SimpleDateFormat pattern: " + config.str("timestamp.format"));
    return Status::Ok();
  }

  Status apply(Record& r) override {
    if (!r.timestamp_ms)
      return Status::Runtime("Timestamp missing on record from " + describe_position(r));
    std::string topic = replace_all(topic_format_, "${topic}", r.topic);
    r.topic = replace_all(topic, "${timestamp}", format_.format(*r.timestamp_ms));
    return Status::Ok();
  }

 private:
  static std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to);
    return text;
  }

  std::string topic_format_;
  JavaDateFormat format_;
};

}  // namespace

void register_timestamp_transforms(Registry& registry) {
  add_key_value_transform(
      registry, "TimestampConverter",
      "Convert timestamps between strings, Unix epoch numbers, Date, Time and Timestamp",
      {{"field", FieldType::kString, "", false,
        "The field holding the timestamp; empty: the whole key or value"},
       {"target.type",
        FieldType::kString,
        std::nullopt,
        true,
        "The type to convert to",
        {"string", "unix", "Date", "Time", "Timestamp"}},
       {"format", FieldType::kString, "", false,
        "A java.text.SimpleDateFormat pattern (UTC), for string input and output"},
       {"unix.precision",
        FieldType::kString,
        "milliseconds",
        false,
        "Precision of Unix epoch numbers read and written",
        {"seconds", "milliseconds", "microseconds", "nanoseconds"}},
       replace_null_with_default_field()},
      [](bool key) { return std::make_unique<TimestampConverter>(key); });
  add_transform(registry,
                ConfigSpec{"TimestampRouter",
                           ComponentKind::kTransform,
                           "Put the record timestamp into the topic name (e.g. daily topics)",
                           {{"topic.format", FieldType::kString, "${topic}-${timestamp}", false,
                             "The topic name; ${topic} and ${timestamp} are replaced"},
                            {"timestamp.format", FieldType::kString, "yyyyMMdd", false,
                             "java.text.SimpleDateFormat pattern of ${timestamp} (UTC)"}}},
                [] { return std::make_unique<TimestampRouter>(); });
}

}  // namespace kpipe
