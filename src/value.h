// Value: one datum of a record, interpreted through its Schema (or schemaless).
//
// In memory a value keeps the source's full precision; converters round to Connect's wire form
// only when they write bytes:
//   Timestamp -> int64 nanoseconds since the epoch   (Connect: ms)
//   Time      -> int64 nanoseconds since midnight    (Connect: int32 ms)
//   Date      -> int64 days since the epoch
//   Decimal   -> Decimal{unscaled digits, scale}     (exact)
// Every integer type is held as int64, float32 and float64 as double.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace kpipe {

struct Value;

struct Bytes {
  std::string data;
  bool operator==(const Bytes& o) const { return data == o.data; }
};

// An exact decimal: value = unscaled * 10^-scale. `unscaled` is base-10 digits with an optional
// leading '-', no leading zeros (except "0").
struct Decimal {
  std::string unscaled;
  int32_t scale = 0;
  bool operator==(const Decimal& o) const { return unscaled == o.unscaled && scale == o.scale; }
  // Parses "-12.340" (scale from the text) or "1E+3"; false on malformed text.
  static bool parse(const std::string& text, Decimal* out);
  // Plain text, "-12.340" (Java's BigDecimal.toPlainString).
  std::string to_string() const;
  // Java's BigDecimal.toString: plain unless the scale is negative or the adjusted exponent is
  // below -6, then "1.23E+5" / "1E-7" (what Jackson writes for a BigDecimal number).
  std::string to_java_string() const;
  // The same number with `new_scale`; false when that would drop non-zero digits.
  bool rescale(int32_t new_scale, Decimal* out) const;
  // Big-endian two's-complement bytes of `unscaled`, minimal length (Java's
  // BigInteger.toByteArray()).
  std::string to_twos_complement() const;
  static Decimal from_twos_complement(const std::string& bytes, int32_t scale);
};

using List = std::vector<Value>;
// A map: parallel keys and values, in insertion order.
struct Map {
  std::vector<Value> keys;
  std::vector<Value> values;
};
// A struct: one value per schema field, in the schema's order.
struct Struct {
  std::vector<Value> fields;
};

struct Value {
  using Variant = std::variant<std::monostate, bool, int64_t, double, std::string, Bytes, Decimal,
                               List, Map, Struct>;
  Variant v;

  Value() = default;
  Value(std::monostate) {}
  Value(bool b) : v(b) {}
  // Any integer type (int, long, long long, size_t, ...) is held as int64: one constructor, so
  // Value(1LL) and Value(size) are not ambiguous. bool has its own.
  template <typename T,
            std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Value(T i) : v(static_cast<int64_t>(i)) {}
  Value(double d) : v(d) {}
  Value(const char* s) : v(std::string(s)) {}
  Value(std::string s) : v(std::move(s)) {}
  Value(Bytes b) : v(std::move(b)) {}
  Value(Decimal d) : v(std::move(d)) {}
  Value(List l) : v(std::move(l)) {}
  Value(Map m) : v(std::move(m)) {}
  Value(Struct s) : v(std::move(s)) {}

  bool is_null() const { return std::holds_alternative<std::monostate>(v); }
  template <typename T>
  bool is() const {
    return std::holds_alternative<T>(v);
  }
  template <typename T>
  const T& as() const {
    return std::get<T>(v);
  }
  template <typename T>
  T& as() {
    return std::get<T>(v);
  }
  // What the value holds, for error messages: "null", "boolean", "int64", "double", "string",
  // "bytes", "decimal", "list", "map" or "struct".
  const char* kind_name() const;
  bool operator==(const Value& o) const;
  bool operator!=(const Value& o) const { return !(*this == o); }
};

inline bool operator==(const Map& a, const Map& b) {
  return a.keys == b.keys && a.values == b.values;
}
inline bool operator==(const Struct& a, const Struct& b) {
  return a.fields == b.fields;
}
inline bool Value::operator==(const Value& o) const {
  return v == o.v;
}

}  // namespace kpipe
