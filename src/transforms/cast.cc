// Cast$Key / $Value: casts fields, or the whole key or value, to another primitive type with
// Java's conversions (narrowing by truncation, parseInt and friends for strings, Base64 for
// bytes, ISO-8601 text for dates).
#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <map>

#include "json_converter.h"
#include "transforms/java_date_format.h"
#include "transforms/transforms.h"
#include "transforms/util.h"

namespace kpipe {

namespace {

constexpr const char* kOutputTypes =
    "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]";
constexpr const char* kInputTypes =
    "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]";
constexpr int64_t kNanosPerMilli = 1000000;
constexpr int64_t kMillisPerDay = 86400000;

std::optional<Type> type_from_upper(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), ::toupper);
  for (int t = 0; t <= static_cast<int>(Type::kStruct); ++t)
    if (upper_type_name(static_cast<Type>(t)) == name) return static_cast<Type>(t);
  return std::nullopt;
}

bool is_output_type(Type t) {
  return t != Type::kBytes && t != Type::kArray && t != Type::kMap && t != Type::kStruct;
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\n\r\f\v");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\n\r\f\v") - b + 1);
}

// Java's (long) and (int) of a double: saturating, NaN to 0.
int64_t java_d2l(double d) {
  if (std::isnan(d)) return 0;
  if (d >= 9223372036854775807.0) return LLONG_MAX;
  if (d <= -9223372036854775808.0) return LLONG_MIN;
  return static_cast<int64_t>(d);
}
int64_t java_d2i(double d) {
  if (std::isnan(d)) return 0;
  if (d >= 2147483647.0) return INT_MAX;
  if (d <= -2147483648.0) return INT_MIN;
  return static_cast<int64_t>(d);
}

// BigDecimal.longValue(): the integer part's low 64 bits (two's complement).
int64_t decimal_low_bits(const Decimal& d) {
  const bool negative = !d.unscaled.empty() && d.unscaled[0] == '-';
  const std::string digits = negative ? d.unscaled.substr(1) : d.unscaled;
  const int64_t keep = static_cast<int64_t>(digits.size()) - d.scale;
  uint64_t v = 0;
  for (int64_t i = 0; i < keep; ++i)
    v = v * 10 + (i < static_cast<int64_t>(digits.size()) ? digits[i] - '0' : 0);
  return static_cast<int64_t>(negative ? ~v + 1 : v);
}

// Narrows a long to the target integer type, as Java's (byte), (short), (int) casts do.
int64_t narrow(int64_t v, Type target) {
  switch (target) {
    case Type::kInt8:
      return static_cast<int8_t>(v);
    case Type::kInt16:
      return static_cast<int16_t>(v);
    case Type::kInt32:
      return static_cast<int32_t>(v);
    default:
      return v;
  }
}

bool parse_java_integer(const std::string& text, Type target, int64_t* out) {
  if (text.empty()) return false;
  size_t i = text[0] == '-' || text[0] == '+' ? 1 : 0;
  if (i == text.size()) return false;
  for (size_t j = i; j < text.size(); ++j)
    if (!std::isdigit(static_cast<unsigned char>(text[j]))) return false;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), nullptr, 10);
  if (errno == ERANGE) return false;
  if (narrow(v, target) != v) return false;
  *out = v;
  return true;
}

bool parse_java_double(const std::string& text, double* out) {
  std::string t = trim(text);
  if (!t.empty() && (t.back() == 'd' || t.back() == 'D' || t.back() == 'f' || t.back() == 'F'))
    t.pop_back();
  if (t.empty() || t.find_first_of("xX") != std::string::npos) return false;
  const std::string body = t[0] == '-' || t[0] == '+' ? t.substr(1) : t;
  if (body == "NaN" || body == "Infinity") {
    *out = body == "NaN" ? NAN : (t[0] == '-' ? -INFINITY : INFINITY);
    return true;
  }
  if (!std::isdigit(static_cast<unsigned char>(body[0])) && body[0] != '.') return false;
  char* end = nullptr;
  *out = std::strtod(t.c_str(), &end);
  return *end == '\0';
}

// Values.dateFormatFor: a time before the first day, a whole day, or a timestamp (UTC).
std::string iso_text(int64_t ms) {
  static const auto formats = [] {
    std::vector<JavaDateFormat> f(3);
    (void)JavaDateFormat::compile("HH:mm:ss.SSS'Z'", &f[0]);
    (void)JavaDateFormat::compile("yyyy-MM-dd", &f[1]);
    (void)JavaDateFormat::compile("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", &f[2]);
    return f;
  }();
  if (ms < kMillisPerDay) return formats[0].format(ms);
  return formats[ms % kMillisPerDay == 0 ? 1 : 2].format(ms);
}

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// A date, time or timestamp of `schema` as java.util.Date milliseconds.
int64_t logical_millis(Logical logical, int64_t v) {
  if (logical == Logical::kDate) return v * kMillisPerDay;
  return floor_div(v, kNanosPerMilli);
}

std::string to_java_string(const Value& v, const Schema* schema) {
  switch (v.v.index()) {
    case 1:
      return v.as<bool>() ? "true" : "false";
    case 2:
      return std::to_string(v.as<int64_t>());
    case 3:
      return schema && schema->type == Type::kFloat32
                 ? java_float_to_string(static_cast<float>(v.as<double>()))
                 : java_double_to_string(v.as<double>());
    case 4:
      return v.as<std::string>();
    case 5:
      return base64_encode(v.as<Bytes>().data);
    case 6:
      return v.as<Decimal>().to_java_string();
  }
  return "";
}

// Cast.castValueToType: `value` (not null) of `schema` (null: schemaless) to `target`.
Status cast_value(const Schema* schema, const Value& value, Type target, Value* out) {
  const Logical logical = schema ? schema->logical() : Logical::kNone;
  const bool temporal =
      logical == Logical::kDate || logical == Logical::kTime || logical == Logical::kTimestamp;
  // ConnectSchema.schemaType knows no BigDecimal: without a schema a Decimal has no type.
  if (!schema && value.is<Decimal>())
    return Status::Runtime(
        "Cast transformation was passed a value of type class java.math.BigDecimal which is not "
        "supported by Connect's data API");
  if (!schema && (value.is<List>() || value.is<Map>() || value.is<Struct>())) {
    const Type t = value.is<List>() ? Type::kArray : value.is<Map>() ? Type::kMap : Type::kStruct;
    return Status::Runtime("Cast transformation does not support casting from " +
                           upper_type_name(t) + "; supported types are " + kInputTypes);
  }
  if (schema && !(is_output_type(schema->type) || schema->type == Type::kBytes))
    return Status::Runtime("Cast transformation does not support casting from " +
                           upper_type_name(schema->type) + "; supported types are " + kInputTypes);
  if (target == Type::kString) {
    if (temporal) {
      *out = Value(iso_text(logical_millis(logical, value.as<int64_t>())));
    } else {
      *out = Value(to_java_string(value, schema));
    }
    return Status::Ok();
  }
  // Dates, times and timestamps cast to numbers as Connect's internal int32/int64.
  Value number = value;
  if (logical == Logical::kTime) number = Value(logical_millis(logical, value.as<int64_t>()));
  if (logical == Logical::kTimestamp) number = Value(logical_millis(logical, value.as<int64_t>()));
  const std::string cls = java_class(value, schema);
  auto out_of_range = [&] {
    return Status::Runtime("Value (" + to_java_string(value, schema) +
                           ") was out of range for requested data type");
  };
  if (target == Type::kBoolean) {
    if (number.is<bool>()) {
      *out = number;
    } else if (number.is<int64_t>()) {
      *out = Value(number.as<int64_t>() != 0);
    } else if (number.is<double>()) {
      *out = Value(java_d2l(number.as<double>()) != 0);
    } else if (number.is<Decimal>()) {
      *out = Value(decimal_low_bits(number.as<Decimal>()) != 0);
    } else if (number.is<std::string>()) {
      std::string s = number.as<std::string>();
      std::transform(s.begin(), s.end(), s.begin(), ::tolower);
      *out = Value(s == "true");
    } else {
      return Status::Runtime("Unexpected type in Cast transformation: class " + cls);
    }
    return Status::Ok();
  }
  const bool floating = target == Type::kFloat32 || target == Type::kFloat64;
  if (number.is<bool>()) {
    *out = floating ? Value(number.as<bool>() ? 1.0 : 0.0) : Value(int64_t{number.as<bool>()});
  } else if (number.is<int64_t>()) {
    const int64_t v = number.as<int64_t>();
    *out = floating ? Value(static_cast<double>(v)) : Value(narrow(v, target));
  } else if (number.is<double>()) {
    const double d = number.as<double>();
    if (floating) {
      *out = Value(d);
    } else {
      *out = Value(target == Type::kInt64 ? java_d2l(d) : narrow(java_d2i(d), target));
    }
  } else if (number.is<Decimal>()) {
    if (floating) {
      *out = Value(std::strtod(number.as<Decimal>().to_string().c_str(), nullptr));
    } else {
      *out = Value(narrow(decimal_low_bits(number.as<Decimal>()), target));
    }
  } else if (number.is<std::string>()) {
    if (floating) {
      double d = 0;
      if (!parse_java_double(number.as<std::string>(), &d)) return out_of_range();
      *out = Value(d);
    } else {
      int64_t i = 0;
      if (!parse_java_integer(number.as<std::string>(), target, &i)) return out_of_range();
      *out = Value(i);
    }
  } else {
    return Status::Runtime("Unexpected type in Cast transformation: class " + cls);
  }
  if (target == Type::kFloat32)
    *out = Value(static_cast<double>(static_cast<float>(out->as<double>())));
  return Status::Ok();
}

class Cast : public KeyValueTransform {
 public:
  using KeyValueTransform::KeyValueTransform;

  Status configure(const Config& config) override {
    const auto& spec = config.list("spec");
    if (spec.empty()) return config.invalid("spec", "Must specify at least one field to cast.");
    for (const auto& mapping : spec) {
      const size_t colon = mapping.find(':');
      if (colon != std::string::npos && mapping.find(':', colon + 1) != std::string::npos)
        return config.invalid("spec", "Invalid rename mapping: " + mapping);
      const std::string type_text =
          trim(colon == std::string::npos ? mapping : mapping.substr(colon + 1));
      const auto type = type_from_upper(type_text);
      if (!type) return config.invalid("spec", "Invalid type found in casting spec: " + type_text);
      if (!is_output_type(*type))
        return config.invalid("spec", "Cast transformation does not support casting to " +
                                          upper_type_name(*type) + "; supported types are " +
                                          kOutputTypes);
      if (colon == std::string::npos) {
        whole_ = *type;
      } else {
        casts_[trim(mapping.substr(0, colon))] = *type;
      }
    }
    if (whole_ && spec.size() > 1)
      return config.invalid("spec",
                            "Cast transformations that specify a type to cast the entire value to "
                            "may only specify a single cast in their spec");
    with_default_ = config.boolean("replace.null.with.default");
    return Status::Ok();
  }

 private:
  static constexpr const char* kPurpose = "cast types";

  Status apply_schemaless(const Record&, Value& value) override {
    if (value.is_null()) return Status::Ok();
    if (whole_) return cast_in_place(nullptr, value, *whole_);
    KPIPE_RETURN_IF_ERROR(require_map(value, kPurpose));
    Map& map = value.as<Map>();
    for (const auto& [field, type] : casts_) {
      size_t i = 0;
      while (i < map.keys.size() &&
             !(map.keys[i].is<std::string>() && map.keys[i].as<std::string>() == field))
        ++i;
      if (i == map.keys.size()) {
        map.keys.emplace_back(field);
        map.values.emplace_back();
      }
      KPIPE_RETURN_IF_ERROR(cast_in_place(nullptr, map.values[i], type));
    }
    return Status::Ok();
  }

  static Status cast_in_place(const Schema* schema, Value& value, Type target) {
    if (value.is_null()) return Status::Ok();
    Value out;
    KPIPE_RETURN_IF_ERROR(cast_value(schema, value, target, &out));
    value = std::move(out);
    return Status::Ok();
  }

  // A primitive schema of `target` with `source`'s optional flag and its default, cast.
  static Status cast_schema(const Schema& source, Type target, Schema* out) {
    out->type = target;
    out->optional = source.optional;
    if (source.default_value && !source.default_value->is_null()) {
      Value d;
      KPIPE_RETURN_IF_ERROR(cast_value(&source, *source.default_value, target, &d));
      out->default_value = std::move(d);
    }
    return Status::Ok();
  }

  Status build(const Schema& in, SchemaPtr* out) const {
    Schema s;
    if (whole_) {
      // Connect keeps the logical name on the cast schema (copySchemaBasics), so its converters
      // reject the number that comes out; kpipe would misread it as the logical value. Refuse.
      const Logical logical = in.logical();
      if (*whole_ != Type::kString && (logical == Logical::kDate || logical == Logical::kTime ||
                                       logical == Logical::kTimestamp))
        return Status::Runtime("Cast keeps the name " + *in.name +
                               " on the cast schema (as Connect "
                               "does), and no converter can write a " +
                               upper_type_name(*whole_) +
                               " under that name: cast a field of a struct instead, or use "
                               "TimestampConverter with target.type unix");
      copy_schema_basics(in, &s);
      KPIPE_RETURN_IF_ERROR(cast_schema(in, *whole_, &s));
      *out = std::make_shared<const Schema>(std::move(s));
      return Status::Ok();
    }
    // ConnectSchema.fields() on another type.
    if (in.type != Type::kStruct) return Status::Runtime("Cannot list fields on non-struct type");
    s = copy_schema_basics(in);
    for (const auto& field : in.fields) {
      auto it = casts_.find(field.name);
      if (it == casts_.end()) {
        s.fields.push_back(field);
        continue;
      }
      Schema cast;
      KPIPE_RETURN_IF_ERROR(cast_schema(*field.schema, it->second, &cast));
      s.fields.push_back(Field{field.name, std::make_shared<const Schema>(std::move(cast))});
    }
    s.optional = in.optional;
    // Connect casts the struct's default to STRUCT as well, which castValueToType refuses: a
    // field cast on a struct schema with a default fails.
    if (in.default_value && !in.default_value->is_null()) {
      Value d;
      KPIPE_RETURN_IF_ERROR(cast_value(&in, *in.default_value, Type::kStruct, &d));
      s.default_value = std::move(d);
    }
    *out = std::make_shared<const Schema>(std::move(s));
    return Status::Ok();
  }

  Status apply_schemaful(const Record&, SchemaPtr& schema, Value& value) override {
    if (value.is_null()) return Status::Ok();
    Status st;
    const SchemaPtr* updated = cache_.get(
        schema, [&](SchemaPtr* out) { return build(*schema, out); }, &st);
    if (!updated) return st;
    if (whole_) {
      KPIPE_RETURN_IF_ERROR(cast_in_place(schema.get(), value, *whole_));
    } else {
      KPIPE_RETURN_IF_ERROR(require_struct(value, schema.get(), kPurpose));
      Struct& s = value.as<Struct>();
      for (size_t i = 0; i < s.fields.size(); ++i) {
        s.fields[i] = struct_get(s, *schema, i, with_default_);
        auto it = casts_.find(schema->fields[i].name);
        if (it != casts_.end())
          KPIPE_RETURN_IF_ERROR(
              cast_in_place(schema->fields[i].schema.get(), s.fields[i], it->second));
      }
    }
    schema = *updated;
    return Status::Ok();
  }

  std::optional<Type> whole_;
  std::map<std::string, Type> casts_;
  bool with_default_ = true;
  SchemaCache<SchemaPtr> cache_;
};

}  // namespace

void register_cast(Registry& registry) {
  add_key_value_transform(
      registry, "Cast", "Cast fields, or the whole data, to another primitive type",
      {{"spec", FieldType::kList, std::nullopt, true,
        "field:type pairs (int8, int16, int32, int64, float32, float64, boolean, string), or "
        "one type to cast the whole key or value"},
       replace_null_with_default_field()},
      [](bool key) { return std::make_unique<Cast>(key); });
}

}  // namespace kpipe
