#include "json_converter.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "converters.h"
#include "swar.h"

namespace kpipe {
namespace {

constexpr int64_t kNanosPerMilli = 1000000;

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

Status invalid_type(const Schema& schema, const Value& v) {
  std::string what = schema.name ? *schema.name : type_name(schema.type);
  return Status::Runtime(std::string("invalid value for ") + what + " schema: got a " +
                         v.kind_name() + " value");
}

void append_int(std::string* out, int64_t value) {
  char buf[24];
  auto result = std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, result.ptr);
}

// Java's digit layout for a finite non-zero number given as shortest digits and the exponent of
// the first digit: plain for 1e-3 <= |x| < 1e7, else "d.dddE-n".
std::string java_layout(bool negative, std::string digits, int exponent) {
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string out = negative ? "-" : "";
  if (exponent >= -3 && exponent < 7) {
    if (exponent >= 0) {
      size_t int_len = static_cast<size_t>(exponent) + 1;
      if (digits.size() <= int_len) {
        out += digits;
        out.append(int_len - digits.size(), '0');
        out += ".0";
      } else {
        out.append(digits, 0, int_len);
        out += '.';
        out.append(digits, int_len, std::string::npos);
      }
    } else {
      out += "0.";
      out.append(static_cast<size_t>(-exponent - 1), '0');
      out += digits;
    }
    return out;
  }
  out += digits[0];
  out += '.';
  out += digits.size() > 1 ? digits.substr(1) : "0";
  out += 'E';
  out += std::to_string(exponent);
  return out;
}

// Splits to_chars' scientific output "-d.ddde+XX" into digits and exponent.
void split_scientific(const char* begin, const char* end, bool* negative, std::string* digits,
                      int* exponent) {
  *negative = *begin == '-';
  if (*negative) ++begin;
  const char* e = static_cast<const char*>(std::memchr(begin, 'e', end - begin));
  digits->clear();
  for (const char* p = begin; p < e; ++p) {
    if (*p != '.') *digits += *p;
  }
  // to_chars does not NUL-terminate: parse the exponent within [e + 1, end) only.
  const char* p = e + 1;
  if (*p == '+') ++p;
  std::from_chars(p, end, *exponent);
}

template <typename T>
std::string java_floating_to_string(T value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value < 0 ? "-Infinity" : "Infinity";
  if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  bool negative;
  std::string digits;
  int exponent;
  split_scientific(buf, r.ptr, &negative, &digits, &exponent);
  if (digits.size() == 1) {
    // Java considers two-digit candidates when one digit suffices and picks the closer one:
    // Double.MIN_VALUE prints as 4.9E-324, not 5.0E-324.
    r = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific, 1);
    split_scientific(buf, r.ptr, &negative, &digits, &exponent);
  }
  return java_layout(negative, std::move(digits), exponent);
}

// Length of the valid UTF-8 sequence at text[i], or 0 with *consumed set to the bytes of the
// maximal ill-formed subpart (Unicode's recommendation, which Java's decoder follows).
size_t utf8_sequence(std::string_view text, size_t i, size_t* consumed) {
  auto at = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = at(i);
  size_t len;
  unsigned char lo = 0x80, hi = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    len = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    len = 3;
    if (lead == 0xe0) lo = 0xa0;
    if (lead == 0xed) hi = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    len = 4;
    if (lead == 0xf0) lo = 0x90;
    if (lead == 0xf4) hi = 0x8f;
  } else {
    *consumed = 1;
    return 0;
  }
  for (size_t k = 1; k < len; ++k) {
    if (i + k >= text.size() || at(i + k) < lo || at(i + k) > hi) {
      *consumed = k;
      return 0;
    }
    lo = 0x80;
    hi = 0xbf;
  }
  return len;
}

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// ---------------------------------------------------------------------------------------------
// Writing: a direct string writer, no DOM.

class Writer {
 public:
  Writer(std::string* out, bool numeric_decimals) : out_(*out), numeric_(numeric_decimals) {}

  // {"type":..., ..., "default":...} with Connect's key order.
  Status schema(const Schema& s) {
    KPIPE_RETURN_IF_ERROR(schema_members(s));
    out_ += '}';
    return Status::Ok();
  }

  Status value(const Schema* s, const Value& v) {
    if (s == nullptr) return schemaless(v);
    if (v.is_null()) {
      // Connect's replace.null.with.default (true by default).
      if (s->default_value && !s->default_value->is_null()) return value(s, *s->default_value);
      if (s->optional) {
        out_ += "null";
        return Status::Ok();
      }
      return Status::Runtime(std::string("null value for a required ") + type_name(s->type) +
                             " field with no default value");
    }
    Logical logical = s->logical();
    if (logical != Logical::kNone) return logical_value(*s, logical, v);
    switch (s->type) {
      case Type::kInt8:
        return integer(*s, v, std::numeric_limits<int8_t>::min(),
                       std::numeric_limits<int8_t>::max());
      case Type::kInt16:
        return integer(*s, v, std::numeric_limits<int16_t>::min(),
                       std::numeric_limits<int16_t>::max());
      case Type::kInt32:
        return integer(*s, v, std::numeric_limits<int32_t>::min(),
                       std::numeric_limits<int32_t>::max());
      case Type::kInt64:
        return integer(*s, v, std::numeric_limits<int64_t>::min(),
                       std::numeric_limits<int64_t>::max());
      case Type::kFloat32:
        if (!v.is<double>()) return invalid_type(*s, v);
        floating(v.as<double>(), true);
        return Status::Ok();
      case Type::kFloat64:
        if (!v.is<double>()) return invalid_type(*s, v);
        floating(v.as<double>(), false);
        return Status::Ok();
      case Type::kBoolean:
        if (!v.is<bool>()) return invalid_type(*s, v);
        out_ += v.as<bool>() ? "true" : "false";
        return Status::Ok();
      case Type::kString:
        if (!v.is<std::string>()) return invalid_type(*s, v);
        append_json_string(&out_, v.as<std::string>());
        return Status::Ok();
      case Type::kBytes:
        if (!v.is<Bytes>()) return invalid_type(*s, v);
        base64(v.as<Bytes>().data);
        return Status::Ok();
      case Type::kArray:
        if (!v.is<List>()) return invalid_type(*s, v);
        return list(s->items.get(), v.as<List>());
      case Type::kMap:
        if (!v.is<Map>()) return invalid_type(*s, v);
        return map(s, v.as<Map>());
      case Type::kStruct:
        if (!v.is<Struct>()) return invalid_type(*s, v);
        return structure(*s, v.as<Struct>());
    }
    return invalid_type(*s, v);
  }

 private:
  Status schema_members(const Schema& s) {
    out_ += "{\"type\":\"";
    out_ += type_name(s.type);
    out_ += '"';
    switch (s.type) {
      case Type::kArray:
        if (!s.items) return Status::Runtime("array schema without an items schema");
        out_ += ",\"items\":";
        KPIPE_RETURN_IF_ERROR(schema(*s.items));
        break;
      case Type::kMap:
        if (!s.keys || !s.values)
          return Status::Runtime("map schema without keys or values schema");
        out_ += ",\"keys\":";
        KPIPE_RETURN_IF_ERROR(schema(*s.keys));
        out_ += ",\"values\":";
        KPIPE_RETURN_IF_ERROR(schema(*s.values));
        break;
      case Type::kStruct:
        out_ += ",\"fields\":[";
        for (size_t i = 0; i < s.fields.size(); ++i) {
          const Field& field = s.fields[i];
          if (!field.schema)
            return Status::Runtime("struct field '" + field.name + "' has no schema");
          if (i > 0) out_ += ',';
          KPIPE_RETURN_IF_ERROR(schema_members(*field.schema));
          out_ += ",\"field\":";
          append_json_string(&out_, field.name);
          out_ += '}';
        }
        out_ += ']';
        break;
      default:
        break;
    }
    out_ += s.optional ? ",\"optional\":true" : ",\"optional\":false";
    if (s.name) {
      out_ += ",\"name\":";
      append_json_string(&out_, *s.name);
    }
    if (s.version) {
      out_ += ",\"version\":";
      append_int(&out_, *s.version);
    }
    if (s.doc) {
      out_ += ",\"doc\":";
      append_json_string(&out_, *s.doc);
    }
    if (!s.parameters.empty()) {
      out_ += ",\"parameters\":{";
      for (size_t i = 0; i < s.parameters.size(); ++i) {
        if (i > 0) out_ += ',';
        append_json_string(&out_, s.parameters[i].first);
        out_ += ':';
        append_json_string(&out_, s.parameters[i].second);
      }
      out_ += '}';
    }
    if (s.default_value && !s.default_value->is_null()) {
      out_ += ",\"default\":";
      KPIPE_RETURN_IF_ERROR(value(&s, *s.default_value).with_context("default value"));
    }
    return Status::Ok();
  }

  Status integer(const Schema& s, const Value& v, int64_t min, int64_t max) {
    if (!v.is<int64_t>()) return invalid_type(s, v);
    int64_t i = v.as<int64_t>();
    if (i < min || i > max) {
      return Status::Runtime("value " + std::to_string(i) + " out of range for " +
                             type_name(s.type));
    }
    append_int(&out_, i);
    return Status::Ok();
  }

  // Jackson quotes the non-finite values (QUOTE_NON_NUMERIC_NUMBERS).
  void floating(double d, bool is_float) {
    bool finite = std::isfinite(d);
    if (!finite) out_ += '"';
    out_ += is_float ? java_float_to_string(static_cast<float>(d)) : java_double_to_string(d);
    if (!finite) out_ += '"';
  }

  void base64(std::string_view data) {
    out_ += '"';
    out_ += base64_encode(data);
    out_ += '"';
  }

  Status logical_value(const Schema& s, Logical logical, const Value& v) {
    switch (logical) {
      case Logical::kTimestamp:
        if (!v.is<int64_t>()) return invalid_type(s, v);
        append_int(&out_, floor_div(v.as<int64_t>(), kNanosPerMilli));
        return Status::Ok();
      case Logical::kTime: {
        if (!v.is<int64_t>()) return invalid_type(s, v);
        int64_t ms = floor_div(v.as<int64_t>(), kNanosPerMilli);
        if (ms < std::numeric_limits<int32_t>::min() || ms > std::numeric_limits<int32_t>::max()) {
          return Status::Runtime("Time value out of range: " + std::to_string(ms) + " ms");
        }
        append_int(&out_, ms);
        return Status::Ok();
      }
      case Logical::kDate: {
        if (!v.is<int64_t>()) return invalid_type(s, v);
        int64_t days = v.as<int64_t>();
        if (days < std::numeric_limits<int32_t>::min() ||
            days > std::numeric_limits<int32_t>::max()) {
          return Status::Runtime("Date value out of range: " + std::to_string(days) + " days");
        }
        append_int(&out_, days);
        return Status::Ok();
      }
      case Logical::kDecimal: {
        if (!v.is<Decimal>()) return invalid_type(s, v);
        Decimal d;
        if (!v.as<Decimal>().rescale(s.decimal_scale(), &d)) {
          return Status::Runtime("decimal " + v.as<Decimal>().to_string() +
                                 " does not fit the schema's scale " +
                                 std::to_string(s.decimal_scale()));
        }
        decimal(d);
        return Status::Ok();
      }
      case Logical::kNone:
        break;
    }
    return invalid_type(s, v);
  }

  void decimal(const Decimal& d) {
    if (numeric_) {
      out_ += d.to_java_string();
    } else {
      base64(d.to_twos_complement());
    }
  }

  Status list(const Schema* items, const List& l) {
    out_ += '[';
    for (size_t i = 0; i < l.size(); ++i) {
      if (i > 0) out_ += ',';
      KPIPE_RETURN_IF_ERROR(value(items, l[i]));
    }
    out_ += ']';
    return Status::Ok();
  }

  Status map(const Schema* s, const Map& m) {
    if (m.keys.size() != m.values.size())
      return Status::Runtime("map with unequal key/value counts");
    const Schema* ks = s ? s->keys.get() : nullptr;
    const Schema* vs = s ? s->values.get() : nullptr;
    // Connect writes an object only for required string keys (or, schemaless, all-string keys).
    bool object_mode = true;
    if (s) {
      object_mode = ks && ks->type == Type::kString && !ks->optional;
    } else {
      for (const Value& k : m.keys) object_mode = object_mode && k.is<std::string>();
    }
    out_ += object_mode ? '{' : '[';
    for (size_t i = 0; i < m.keys.size(); ++i) {
      if (i > 0) out_ += ',';
      if (object_mode) {
        const Value& key =
            m.keys[i].is_null() && ks && ks->default_value ? *ks->default_value : m.keys[i];
        if (!key.is<std::string>()) {
          return ks ? invalid_type(*ks, key) : Status::Runtime("map key is not a string");
        }
        append_json_string(&out_, key.as<std::string>());
        out_ += ':';
        KPIPE_RETURN_IF_ERROR(value(vs, m.values[i]));
      } else {
        out_ += '[';
        KPIPE_RETURN_IF_ERROR(value(ks, m.keys[i]));
        out_ += ',';
        KPIPE_RETURN_IF_ERROR(value(vs, m.values[i]));
        out_ += ']';
      }
    }
    out_ += object_mode ? '}' : ']';
    return Status::Ok();
  }

  Status structure(const Schema& s, const Struct& st) {
    if (st.fields.size() != s.fields.size()) {
      return Status::Runtime("struct has " + std::to_string(st.fields.size()) +
                             " values but its schema has " + std::to_string(s.fields.size()) +
                             " fields");
    }
    out_ += '{';
    for (size_t i = 0; i < s.fields.size(); ++i) {
      if (i > 0) out_ += ',';
      append_json_string(&out_, s.fields[i].name);
      out_ += ':';
      Status st_field = value(s.fields[i].schema.get(), st.fields[i]);
      if (!st_field.ok()) return st_field.with_context("field '" + s.fields[i].name + "'");
    }
    out_ += '}';
    return Status::Ok();
  }

  // Connect infers the type from the Java class; a Decimal has no schemaless form in Connect
  // (it throws), so it is written as a JSON number, the only form that keeps its scale.
  Status schemaless(const Value& v) {
    switch (v.v.index()) {
      case 0:
        out_ += "null";
        return Status::Ok();
      case 1:
        out_ += v.as<bool>() ? "true" : "false";
        return Status::Ok();
      case 2:
        append_int(&out_, v.as<int64_t>());
        return Status::Ok();
      case 3:
        floating(v.as<double>(), false);
        return Status::Ok();
      case 4:
        append_json_string(&out_, v.as<std::string>());
        return Status::Ok();
      case 5:
        base64(v.as<Bytes>().data);
        return Status::Ok();
      case 6:
        out_ += v.as<Decimal>().to_java_string();
        return Status::Ok();
      case 7:
        return list(nullptr, v.as<List>());
      case 8:
        return map(nullptr, v.as<Map>());
      default:
        return Status::Runtime("a struct value needs a schema");
    }
  }

  std::string& out_;
  bool numeric_;
};

// ---------------------------------------------------------------------------------------------
// Reading: nlohmann's SAX parser into a small tree that keeps object order and each float's
// source text (so numeric decimals stay exact).

constexpr size_t kMaxDepth = 1000;  // Jackson's default nesting limit

struct Node {
  enum class Kind { kNull, kBool, kInt, kUnsigned, kFloat, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  int64_t integer = 0;
  uint64_t unsigned_integer = 0;
  double real = 0;
  std::string text;  // a string's value; a float's source text
  std::vector<Node> items;
  std::vector<std::pair<std::string, Node>> members;

  bool is_number() const {
    return kind == Kind::kInt || kind == Kind::kUnsigned || kind == Kind::kFloat;
  }
  bool is_integral() const { return kind == Kind::kInt || kind == Kind::kUnsigned; }
  // The last member named `key` (Jackson keeps the last of duplicate keys), or null.
  const Node* get(const std::string& key) const {
    for (auto it = members.rbegin(); it != members.rend(); ++it) {
      if (it->first == key) return &it->second;
    }
    return nullptr;
  }
  const char* kind_name() const {
    static const char* const kNames[] = {"NULL",   "BOOLEAN", "NUMBER", "NUMBER",
                                         "NUMBER", "STRING",  "ARRAY",  "OBJECT"};
    return kNames[static_cast<int>(kind)];
  }
};

class TreeBuilder : public nlohmann::json_sax<nlohmann::json> {
 public:
  bool null() override { return add(Node{}); }
  bool boolean(bool val) override {
    Node n;
    n.kind = Node::Kind::kBool;
    n.boolean = val;
    return add(std::move(n));
  }
  bool number_integer(number_integer_t val) override {
    Node n;
    n.kind = Node::Kind::kInt;
    n.integer = val;
    return add(std::move(n));
  }
  bool number_unsigned(number_unsigned_t val) override {
    Node n;
    if (val <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      n.kind = Node::Kind::kInt;
      n.integer = static_cast<int64_t>(val);
    } else {
      n.kind = Node::Kind::kUnsigned;
      n.unsigned_integer = val;
    }
    return add(std::move(n));
  }
  bool number_float(number_float_t val, const string_t& s) override {
    Node n;
    n.kind = Node::Kind::kFloat;
    n.real = val;
    n.text = s;
    return add(std::move(n));
  }
  bool string(string_t& val) override {
    Node n;
    n.kind = Node::Kind::kString;
    n.text = std::move(val);
    return add(std::move(n));
  }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override { return open(Node::Kind::kObject); }
  bool key(string_t& val) override {
    key_ = std::move(val);
    return true;
  }
  bool end_object() override {
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return open(Node::Kind::kArray); }
  bool end_array() override {
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    error_ = ex.what();
    // "[json.exception.parse_error.101] parse error at ..." -> "parse error at ..."
    size_t bracket = error_.find("] ");
    if (error_.rfind("[json.exception", 0) == 0 && bracket != std::string::npos) {
      error_.erase(0, bracket + 2);
    }
    return false;
  }

  Node& root() { return root_; }
  const std::string& error() const { return error_; }

 private:
  // Children live in their parent's vector, which only grows while that parent is on top of the
  // stack, so the pointers in stack_ stay valid.
  Node* place(Node node) {
    if (stack_.empty()) {
      root_ = std::move(node);
      return &root_;
    }
    Node* top = stack_.back();
    if (top->kind == Node::Kind::kArray) {
      top->items.push_back(std::move(node));
      return &top->items.back();
    }
    top->members.emplace_back(std::move(key_), std::move(node));
    return &top->members.back().second;
  }
  bool add(Node node) {
    place(std::move(node));
    return true;
  }
  bool open(Node::Kind kind) {
    if (stack_.size() >= kMaxDepth) {
      error_ = "JSON nested deeper than " + std::to_string(kMaxDepth) + " levels";
      return false;
    }
    Node n;
    n.kind = kind;
    stack_.push_back(place(std::move(n)));
    return true;
  }

  Node root_;
  std::vector<Node*> stack_;
  std::string key_;
  std::string error_;
};

Status parse_json(std::string_view bytes, Node* out) {
  TreeBuilder builder;
  bool ok = nlohmann::json::sax_parse(bytes.data(), bytes.data() + bytes.size(), &builder);
  if (!ok) {
    return Status::Runtime("invalid JSON: " + (builder.error().empty() ? std::string("parse failed")
                                                                       : builder.error()));
  }
  *out = std::move(builder.root());
  return Status::Ok();
}

Status to_value(const Schema* schema, const Node* node, Value* out);

Status to_schema(const Node& node, SchemaPtr* out) {
  if (node.kind == Node::Kind::kNull) {
    *out = nullptr;
    return Status::Ok();
  }
  const Node* type_node = node.kind == Node::Kind::kObject ? node.get("type") : nullptr;
  if (!type_node || type_node->kind != Node::Kind::kString) {
    return Status::Runtime("Schema must contain 'type' field");
  }
  std::optional<Type> type = type_from_name(type_node->text);
  if (!type) return Status::Runtime("Unknown schema type: " + type_node->text);
  Schema s;
  s.type = *type;
  switch (s.type) {
    case Type::kArray: {
      const Node* items = node.get("items");
      if (!items) return Status::Runtime("Array schema did not specify the element type");
      KPIPE_RETURN_IF_ERROR(to_schema(*items, &s.items));
      break;
    }
    case Type::kMap: {
      const Node* keys = node.get("keys");
      if (!keys) return Status::Runtime("Map schema did not specify the key type");
      const Node* values = node.get("values");
      if (!values) return Status::Runtime("Map schema did not specify the value type");
      KPIPE_RETURN_IF_ERROR(to_schema(*keys, &s.keys));
      KPIPE_RETURN_IF_ERROR(to_schema(*values, &s.values));
      break;
    }
    case Type::kStruct: {
      const Node* fields = node.get("fields");
      if (!fields || fields->kind != Node::Kind::kArray) {
        return Status::Runtime("Struct schema's \"fields\" argument is not an array.");
      }
      for (const Node& f : fields->items) {
        const Node* name = f.kind == Node::Kind::kObject ? f.get("field") : nullptr;
        if (!name || name->kind != Node::Kind::kString) {
          return Status::Runtime("Struct schema's field name not specified properly");
        }
        Field field{name->text, nullptr};
        KPIPE_RETURN_IF_ERROR(
            to_schema(f, &field.schema).with_context("field '" + field.name + "'"));
        s.fields.push_back(std::move(field));
      }
      break;
    }
    default:
      break;
  }
  const Node* optional = node.get("optional");
  s.optional = optional && optional->kind == Node::Kind::kBool && optional->boolean;
  if (const Node* name = node.get("name"); name && name->kind == Node::Kind::kString) {
    s.name = name->text;
  }
  if (const Node* version = node.get("version");
      version && version->kind == Node::Kind::kInt &&
      version->integer >= std::numeric_limits<int32_t>::min() &&
      version->integer <= std::numeric_limits<int32_t>::max()) {
    s.version = static_cast<int32_t>(version->integer);
  }
  if (const Node* doc = node.get("doc"); doc && doc->kind == Node::Kind::kString) s.doc = doc->text;
  if (const Node* params = node.get("parameters"); params && params->kind == Node::Kind::kObject) {
    for (const auto& [key, value] : params->members) {
      if (value.kind != Node::Kind::kString) {
        return Status::Runtime("Schema parameters must have string values.");
      }
      s.parameters.emplace_back(key, value.text);
    }
  }
  if (const Node* def = node.get("default")) {
    Value v;
    KPIPE_RETURN_IF_ERROR(to_value(&s, def, &v).with_context("default value"));
    if (!v.is_null()) s.default_value = std::move(v);
  }
  *out = std::make_shared<const Schema>(std::move(s));
  return Status::Ok();
}

Status expect(bool ok, const Schema& s, const Node& node) {
  if (ok) return Status::Ok();
  std::string what = s.name ? *s.name : type_name(s.type);
  return Status::Runtime("invalid JSON for " + what + ": found " + node.kind_name());
}

Status int_value(const Schema& s, const Node& node, int64_t min, int64_t max, Value* out) {
  KPIPE_RETURN_IF_ERROR(expect(node.kind == Node::Kind::kInt, s, node));
  if (node.integer < min || node.integer > max) {
    return Status::Runtime("value " + std::to_string(node.integer) + " out of range for " +
                           type_name(s.type));
  }
  *out = Value(node.integer);
  return Status::Ok();
}

Status decimal_value(const Schema& s, const Node& node, Value* out) {
  Decimal d;
  if (node.is_number()) {
    std::string text = node.kind == Node::Kind::kInt        ? std::to_string(node.integer)
                       : node.kind == Node::Kind::kUnsigned ? std::to_string(node.unsigned_integer)
                                                            : node.text;
    if (!Decimal::parse(text, &d)) return Status::Runtime("invalid decimal number: " + text);
    Decimal scaled;
    if (!d.rescale(s.decimal_scale(), &scaled)) {
      return Status::Runtime("decimal " + text + " does not fit the schema's scale " +
                             std::to_string(s.decimal_scale()));
    }
    *out = Value(std::move(scaled));
    return Status::Ok();
  }
  if (node.kind == Node::Kind::kString) {
    std::string bytes;
    if (!base64_decode(node.text, &bytes) || bytes.empty()) {
      return Status::Runtime("invalid base64 decimal: \"" + node.text + "\"");
    }
    *out = Value(Decimal::from_twos_complement(bytes, s.decimal_scale()));
    return Status::Ok();
  }
  return Status::Runtime(
      std::string("Invalid type for Decimal, underlying representation should be "
                  "numeric or bytes but was ") +
      node.kind_name());
}

Status logical_value(const Schema& s, Logical logical, const Node& node, Value* out) {
  switch (logical) {
    case Logical::kDecimal:
      return decimal_value(s, node, out);
    case Logical::kDate:
      return int_value(s, node, std::numeric_limits<int32_t>::min(),
                       std::numeric_limits<int32_t>::max(), out);
    case Logical::kTime:
      KPIPE_RETURN_IF_ERROR(int_value(s, node, std::numeric_limits<int32_t>::min(),
                                      std::numeric_limits<int32_t>::max(), out));
      out->as<int64_t>() *= kNanosPerMilli;
      return Status::Ok();
    case Logical::kTimestamp:
      KPIPE_RETURN_IF_ERROR(int_value(s, node, std::numeric_limits<int64_t>::min() / kNanosPerMilli,
                                      std::numeric_limits<int64_t>::max() / kNanosPerMilli, out));
      out->as<int64_t>() *= kNanosPerMilli;
      return Status::Ok();
    case Logical::kNone:
      break;
  }
  return Status::Runtime("not a logical type");
}

Status schemaless_value(const Node& node, Value* out) {
  switch (node.kind) {
    case Node::Kind::kNull:
      *out = Value();
      return Status::Ok();
    case Node::Kind::kBool:
      *out = Value(node.boolean);
      return Status::Ok();
    case Node::Kind::kInt:
      *out = Value(node.integer);
      return Status::Ok();
    case Node::Kind::kUnsigned:
      *out = Value(static_cast<double>(node.unsigned_integer));
      return Status::Ok();
    case Node::Kind::kFloat:
      *out = Value(node.real);
      return Status::Ok();
    case Node::Kind::kString:
      *out = Value(node.text);
      return Status::Ok();
    case Node::Kind::kArray: {
      List list(node.items.size());
      for (size_t i = 0; i < node.items.size(); ++i) {
        KPIPE_RETURN_IF_ERROR(schemaless_value(node.items[i], &list[i]));
      }
      *out = Value(std::move(list));
      return Status::Ok();
    }
    case Node::Kind::kObject: {
      Map map;
      map.keys.reserve(node.members.size());
      map.values.resize(node.members.size());
      for (size_t i = 0; i < node.members.size(); ++i) {
        map.keys.emplace_back(node.members[i].first);
        KPIPE_RETURN_IF_ERROR(schemaless_value(node.members[i].second, &map.values[i]));
      }
      *out = Value(std::move(map));
      return Status::Ok();
    }
  }
  return Status::Runtime("unsupported JSON value");
}

Status map_value(const Schema& s, const Node& node, Value* out) {
  if (!s.keys || !s.values) return Status::Runtime("map schema without keys or values schema");
  Map map;
  // Connect reads string-keyed maps from objects only, yet writes optional-string-keyed maps as
  // arrays of pairs; accepting both lets every map it writes be read back.
  if (node.kind == Node::Kind::kObject && s.keys->type == Type::kString) {
    map.values.resize(node.members.size());
    for (size_t i = 0; i < node.members.size(); ++i) {
      map.keys.emplace_back(node.members[i].first);
      KPIPE_RETURN_IF_ERROR(to_value(s.values.get(), &node.members[i].second, &map.values[i]));
    }
  } else if (node.kind == Node::Kind::kArray) {
    map.keys.resize(node.items.size());
    map.values.resize(node.items.size());
    for (size_t i = 0; i < node.items.size(); ++i) {
      const Node& entry = node.items[i];
      if (entry.kind != Node::Kind::kArray || entry.items.size() != 2) {
        return Status::Runtime(
            "Found invalid map entry instead of array tuple: expected [key, value]");
      }
      KPIPE_RETURN_IF_ERROR(to_value(s.keys.get(), &entry.items[0], &map.keys[i]));
      KPIPE_RETURN_IF_ERROR(to_value(s.values.get(), &entry.items[1], &map.values[i]));
    }
  } else {
    return Status::Runtime(s.keys->type == Type::kString
                               ? std::string("Maps with string fields should be encoded as JSON "
                                             "objects, but found ") +
                                     node.kind_name()
                               : std::string("Maps with non-string fields should be encoded as "
                                             "JSON array of tuples, but found ") +
                                     node.kind_name());
  }
  *out = Value(std::move(map));
  return Status::Ok();
}

Status struct_value(const Schema& s, const Node& node, Value* out) {
  if (node.kind != Node::Kind::kObject) {
    return Status::Runtime(std::string("Structs should be encoded as JSON objects, but found ") +
                           node.kind_name());
  }
  // Members usually come in field order: match by position first, search only on a miss.
  std::vector<const Node*> found(s.fields.size(), nullptr);
  for (size_t m = 0; m < node.members.size(); ++m) {
    const std::string& key = node.members[m].first;
    int index =
        m < s.fields.size() && s.fields[m].name == key ? static_cast<int>(m) : s.field_index(key);
    if (index >= 0) found[static_cast<size_t>(index)] = &node.members[m].second;
  }
  Struct st;
  st.fields.resize(s.fields.size());
  for (size_t i = 0; i < s.fields.size(); ++i) {
    KPIPE_RETURN_IF_ERROR(to_value(s.fields[i].schema.get(), found[i], &st.fields[i])
                              .with_context("field '" + s.fields[i].name + "'"));
  }
  *out = Value(std::move(st));
  return Status::Ok();
}

// A missing node (absent struct member) is read as null, as Connect does.
Status to_value(const Schema* schema, const Node* node, Value* out) {
  static const Node kNull;
  if (!node) node = &kNull;
  if (!schema) return schemaless_value(*node, out);
  const Schema& s = *schema;
  if (node->kind == Node::Kind::kNull) {
    if (s.default_value && !s.default_value->is_null()) {
      *out = *s.default_value;
      return Status::Ok();
    }
    if (s.optional) {
      *out = Value();
      return Status::Ok();
    }
    return Status::Runtime(std::string("Invalid null value for required ") + type_name(s.type) +
                           " field");
  }
  Logical logical = s.logical();
  if (logical != Logical::kNone) return logical_value(s, logical, *node, out);
  switch (s.type) {
    case Type::kInt8:
      return int_value(s, *node, std::numeric_limits<int8_t>::min(),
                       std::numeric_limits<int8_t>::max(), out);
    case Type::kInt16:
      return int_value(s, *node, std::numeric_limits<int16_t>::min(),
                       std::numeric_limits<int16_t>::max(), out);
    case Type::kInt32:
      return int_value(s, *node, std::numeric_limits<int32_t>::min(),
                       std::numeric_limits<int32_t>::max(), out);
    case Type::kInt64:
      return int_value(s, *node, std::numeric_limits<int64_t>::min(),
                       std::numeric_limits<int64_t>::max(), out);
    case Type::kFloat32:
    case Type::kFloat64: {
      KPIPE_RETURN_IF_ERROR(expect(node->is_number(), s, *node));
      double d = node->kind == Node::Kind::kInt        ? static_cast<double>(node->integer)
                 : node->kind == Node::Kind::kUnsigned ? static_cast<double>(node->unsigned_integer)
                                                       : node->real;
      // Held as the float it was, so it prints back the same.
      if (s.type == Type::kFloat32) d = static_cast<double>(static_cast<float>(d));
      *out = Value(d);
      return Status::Ok();
    }
    case Type::kBoolean:
      KPIPE_RETURN_IF_ERROR(expect(node->kind == Node::Kind::kBool, s, *node));
      *out = Value(node->boolean);
      return Status::Ok();
    case Type::kString:
      KPIPE_RETURN_IF_ERROR(expect(node->kind == Node::Kind::kString, s, *node));
      *out = Value(node->text);
      return Status::Ok();
    case Type::kBytes: {
      KPIPE_RETURN_IF_ERROR(expect(node->kind == Node::Kind::kString, s, *node));
      Bytes bytes;
      if (!base64_decode(node->text, &bytes.data)) return Status::Runtime("Invalid bytes field");
      *out = Value(std::move(bytes));
      return Status::Ok();
    }
    case Type::kArray: {
      if (node->kind != Node::Kind::kArray) {
        return Status::Runtime(std::string("Arrays should be encoded as JSON arrays, but found ") +
                               node->kind_name());
      }
      List list(node->items.size());
      for (size_t i = 0; i < node->items.size(); ++i) {
        KPIPE_RETURN_IF_ERROR(to_value(s.items.get(), &node->items[i], &list[i]));
      }
      *out = Value(std::move(list));
      return Status::Ok();
    }
    case Type::kMap:
      return map_value(s, *node, out);
    case Type::kStruct:
      return struct_value(s, *node, out);
  }
  return Status::Runtime("unknown schema type");
}

bool equals_ignore_case(const std::string& a, const char* b) {
  size_t n = std::strlen(b);
  if (a.size() != n) return false;
  for (size_t i = 0; i < n; ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string java_double_to_string(double value) {
  return java_floating_to_string(value);
}
std::string java_float_to_string(float value) {
  return java_floating_to_string(value);
}

void append_json_string(std::string* out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out->reserve(out->size() + text.size() + 2);
  *out += '"';
  size_t run = 0;  // start of the pending run of bytes copied as they are
  size_t i = 0;
  while (i < text.size()) {
    // Eight bytes at a time while none is a control byte, '"', '\\' or non-ASCII.
    while (i + 8 <= text.size()) {
      const uint64_t v = swar::load(text.data() + i);
      if (swar::high(v) | swar::below(v, 0x20) | swar::equal(v, '"') | swar::equal(v, '\\')) break;
      i += 8;
    }
    if (i >= text.size()) break;
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      size_t consumed = 0;
      size_t len = utf8_sequence(text, i, &consumed);
      if (len > 0) {
        i += len;
        continue;
      }
      out->append(text.data() + run, i - run);
      *out += "\xEF\xBF\xBD";
      i += consumed;
      run = i;
      continue;
    }
    out->append(text.data() + run, i - run);
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\b':
        *out += "\\b";
        break;
      case '\f':
        *out += "\\f";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        *out += "\\u00";
        *out += kHex[c >> 4];
        *out += kHex[c & 0xf];
    }
    ++i;
    run = i;
  }
  out->append(text.data() + run, text.size() - run);
  *out += '"';
}

std::string base64_encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(data[k])); };
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += kBase64Alphabet[n >> 18];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += kBase64Alphabet[n & 63];
  }
  if (i + 1 == data.size()) {
    uint32_t n = byte(i) << 16;
    out += kBase64Alphabet[n >> 18];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == data.size()) {
    uint32_t n = byte(i) << 16 | byte(i + 1) << 8;
    out += kBase64Alphabet[n >> 18];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

bool base64_decode(std::string_view text, std::string* out) {
  out->clear();
  size_t end = text.size();
  if (end % 4 == 0) {
    // Up to two padding characters, only at the end.
    for (int k = 0; k < 2 && end > 0 && text[end - 1] == '='; ++k) --end;
  }
  if (end % 4 == 1) return false;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < end; ++i) {
    const char* p = std::strchr(kBase64Alphabet, text[i]);
    if (text[i] == '\0' || p == nullptr) return false;
    acc = (acc << 6) | static_cast<uint32_t>(p - kBase64Alphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return true;
}

Status append_json_payload(const SchemaPtr& schema, const Value& value, bool numeric_decimals,
                           std::string* out) {
  return Writer(out, numeric_decimals).value(schema.get(), value);
}

Status JsonConverter::configure(const Config& config, bool /*is_key*/) {
  options_.schemas_enable = config.boolean("schemas.enable");
  const std::string& format = config.str("decimal.format");
  if (equals_ignore_case(format, "base64")) {
    options_.numeric_decimals = false;
  } else if (equals_ignore_case(format, "numeric")) {
    options_.numeric_decimals = true;
  } else {
    return config.invalid("decimal.format", "expected base64 or numeric, got '" + format + "'");
  }
  schema_cache_.clear();
  return Status::Ok();
}

const std::string& JsonConverter::schema_json(const SchemaPtr& schema, Status* status) {
  for (const auto& [cached, text] : schema_cache_) {
    if (cached == schema) return text;
  }
  // A handful of schemas per pipeline is normal; a flood means schemas are built per record.
  if (schema_cache_.size() >= 32) schema_cache_.clear();
  std::string text;
  *status = Writer(&text, options_.numeric_decimals).schema(*schema);
  schema_cache_.emplace_back(schema, std::move(text));
  if (!status->ok()) {
    schema_cache_.pop_back();
    static const std::string kEmpty;
    return kEmpty;
  }
  return schema_cache_.back().second;
}

Status JsonConverter::to_bytes(const std::string& /*topic*/, const SchemaPtr& schema,
                               const Value& value, std::optional<std::string>* out) {
  // As Connect's fromConnectData: only a null without a schema is Kafka's null (a tombstone); a
  // null with a schema is written like any value (its default, JSON null, or an error).
  if (value.is_null() && !schema) {
    out->reset();
    return Status::Ok();
  }
  std::string buf;
  buf.reserve(size_hint_);
  Writer writer(&buf, options_.numeric_decimals);
  if (options_.schemas_enable) {
    buf += "{\"schema\":";
    if (schema) {
      Status st;
      const std::string& text = schema_json(schema, &st);
      KPIPE_RETURN_IF_ERROR(st.with_context("JsonConverter schema"));
      buf += text;
    } else {
      buf += "null";
    }
    buf += ",\"payload\":";
  }
  KPIPE_RETURN_IF_ERROR(writer.value(schema.get(), value).with_context("JsonConverter"));
  if (options_.schemas_enable) buf += '}';
  size_hint_ = buf.size() + 16;
  *out = std::move(buf);
  return Status::Ok();
}

// Finds the text of last_read_schema_ in `envelope` ({"schema":<text>,"payload":...}): the span
// up to a ",\"payload\":" that parses alone into an equal schema (a struct parameter could be
// named "payload", so the first such separator is not always the one).
void JsonConverter::remember_schema_text(std::string_view envelope) {
  last_schema_text_.clear();
  static constexpr std::string_view kHead = "{\"schema\":", kMid = ",\"payload\":";
  if (envelope.compare(0, kHead.size(), kHead) != 0) return;
  size_t at = kHead.size();
  for (int tries = 0; tries < 4; ++tries) {
    at = envelope.find(kMid, at);
    if (at == std::string_view::npos) return;
    const std::string_view text = envelope.substr(kHead.size(), at - kHead.size());
    Node node;
    SchemaPtr schema;
    if (parse_json(text, &node).ok() && to_schema(node, &schema).ok() && schema &&
        schema->equals(*last_read_schema_)) {
      last_schema_text_ = std::string(text);
      return;
    }
    ++at;
  }
}

Status JsonConverter::from_bytes(const std::string& /*topic*/,
                                 const std::optional<std::string>& bytes, SchemaAndValue* out) {
  if (!bytes) {
    *out = SchemaAndValue{nullptr, Value()};
    return Status::Ok();
  }
  // Records of a topic repeat the same schema bytes: when this envelope starts with the last
  // schema's exact text, only the payload is parsed (the full path below reports any error).
  static constexpr std::string_view kHead = "{\"schema\":", kMid = ",\"payload\":";
  const std::string_view in = *bytes;
  if (options_.schemas_enable && last_read_schema_ && !last_schema_text_.empty() &&
      in.size() > kHead.size() + last_schema_text_.size() + kMid.size() && in.back() == '}' &&
      in.compare(0, kHead.size(), kHead) == 0 &&
      in.compare(kHead.size(), last_schema_text_.size(), last_schema_text_) == 0 &&
      in.compare(kHead.size() + last_schema_text_.size(), kMid.size(), kMid) == 0) {
    const size_t start = kHead.size() + last_schema_text_.size() + kMid.size();
    Node payload;
    if (parse_json(in.substr(start, in.size() - 1 - start), &payload).ok()) {
      out->schema = last_read_schema_;
      return to_value(out->schema.get(), &payload, &out->value)
          .with_context("JsonConverter payload");
    }
  }
  Node root;
  KPIPE_RETURN_IF_ERROR(parse_json(in, &root).with_context("JsonConverter"));
  if (!options_.schemas_enable) {
    out->schema = nullptr;
    return schemaless_value(root, &out->value).with_context("JsonConverter");
  }
  const Node* schema_node = root.kind == Node::Kind::kObject ? root.get("schema") : nullptr;
  const Node* payload_node = root.kind == Node::Kind::kObject ? root.get("payload") : nullptr;
  if (!schema_node || !payload_node || root.members.size() != 2) {
    std::string problem;
    if (root.kind != Node::Kind::kObject) {
      problem = std::string("found a JSON ") + root.kind_name() + " instead of an object";
    } else if (!schema_node || !payload_node) {
      problem =
          std::string("missing ") + (!schema_node && !payload_node ? "\"schema\" and \"payload\""
                                     : !schema_node                ? "\"schema\""
                                                                   : "\"payload\"");
    } else {
      for (const auto& member : root.members) {
        if (member.first != "schema" && member.first != "payload") {
          problem = "unexpected field \"" + member.first + "\"";
          break;
        }
      }
      if (problem.empty()) problem = "duplicate \"schema\" or \"payload\" field";
    }
    return Status::Runtime(
        "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not "
        "contain additional fields (" +
        problem +
        "). If you are trying to deserialize plain JSON data, set schemas.enable=false in your "
        "converter configuration.");
  }
  SchemaPtr schema;
  KPIPE_RETURN_IF_ERROR(to_schema(*schema_node, &schema).with_context("JsonConverter schema"));
  if (schema && last_read_schema_ && schema->equals(*last_read_schema_)) {
    schema = last_read_schema_;
  } else if (schema) {
    last_read_schema_ = schema;
    remember_schema_text(in);
  }
  out->schema = schema;
  return to_value(schema.get(), payload_node, &out->value).with_context("JsonConverter payload");
}

ConfigSpec json_converter_spec() {
  ConfigSpec spec;
  spec.name = "json";
  spec.kind = ComponentKind::kConverter;
  spec.summary = "Kafka Connect's JsonConverter, byte for byte: {\"schema\":...,\"payload\":...}";
  FieldSpec schemas_enable;
  schemas_enable.name = "schemas.enable";
  schemas_enable.type = FieldType::kBool;
  schemas_enable.default_value = "true";
  schemas_enable.description =
      "Write (and expect) the {\"schema\":...,\"payload\":...} envelope; false writes the payload "
      "alone";
  FieldSpec decimal_format;
  decimal_format.name = "decimal.format";
  decimal_format.type = FieldType::kString;
  decimal_format.default_value = "base64";
  decimal_format.description =
      "How Decimal values are written: base64 (of the two's-complement unscaled integer) or "
      "numeric (a JSON number)";
  // Connect spells them in capitals; both spellings are accepted.
  decimal_format.allowed = {"base64", "numeric", "BASE64", "NUMERIC"};
  spec.fields = {schemas_enable, decimal_format};
  spec.connect_class = "org.apache.kafka.connect.json.JsonConverter";
  return spec;
}

std::unique_ptr<Converter> make_json_converter() {
  return std::make_unique<JsonConverter>();
}

void register_converters(Registry& registry) {
  registry.add_converter(json_converter_spec(), make_json_converter);
  registry.add_converter(string_converter_spec(), make_string_converter);
  registry.add_converter(bytearray_converter_spec(), make_bytearray_converter);
  registry.add_converter(avro_converter_spec(), make_avro_converter);
}

}  // namespace kpipe
