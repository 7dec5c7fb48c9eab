// Avro schema -> Connect schema as Confluent's AvroData.toConnectSchema (schema-registry master,
// avro-data/.../AvroData.java) does it with AvroConverter's defaults (connect.meta.data on,
// enhanced schema support and generalized sum types off, singleton unions flattened), and a
// bounds-checked decoder of Avro binary datums into kpipe Values.
#include "avro/avro_read.h"

#include <cctype>
#include <cstdint>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "avro/avro_read_limits.h"

namespace kpipe {

// Named (not anonymous) so that the friend classes below may hold these types as members.
namespace avro_read_detail {

using Json = nlohmann::ordered_json;

// The first eight are the primitives, in kTypeNames' order.
enum class Kind {
  kNull,
  kBoolean,
  kInt,
  kLong,
  kFloat,
  kDouble,
  kBytes,
  kString,
  kRecord,
  kEnum,
  kFixed,
  kArray,
  kMap,
  kUnion
};
const char* const kTypeNames[] = {"null",   "boolean", "int",  "long",  "float", "double", "bytes",
                                  "string", "record",  "enum", "fixed", "array", "map",    "union"};

struct AvroNode;
struct AvroField {
  std::string name;
  const AvroNode* type = nullptr;
  const Json* doc = nullptr;
  const Json* default_value = nullptr;  // the JSON (null included); nullptr when there is none
  const Json* params = nullptr;         // the field's own connect.parameters
};

// A parsed Avro schema. A named type is parsed once; its references point at the same node.
struct AvroNode {
  Kind kind = Kind::kNull;
  const Json* object = nullptr;  // the schema object, for its properties; nullptr for "int"
  std::string full_name, name;   // record, enum, fixed
  const Json* doc = nullptr;
  std::vector<AvroField> fields;
  std::vector<std::string> symbols;
  const Json* enum_default = nullptr;
  uint32_t size = 0;                // fixed
  const AvroNode* items = nullptr;  // array items, map values
  std::vector<const AvroNode*> branches;
};

constexpr int kMaxDepth = 128;           // schema nesting, in JSON and through references
constexpr int kMaxConversions = 100000;  // Connect schemas built (references re-expand)

const std::string kAvroNamespace = "io.confluent.connect.avro";
const std::string kDefaultFullName = kAvroNamespace + ".ConnectDefault";
const std::string kUnionName = kAvroNamespace + ".Union";
const std::string kEnumParam = kAvroNamespace + ".Enum";
const std::string kFieldDefaultParam = kAvroNamespace + ".field.default";

Status invalid(const std::string& what) {
  return Status::Runtime("invalid Avro schema: " + what);
}

std::string abbreviated(const Json& j) {
  std::string text = j.dump();
  return text.size() <= 80 ? text : text.substr(0, 77) + "...";
}

const Json* member(const Json* object, const char* key) {
  if (object == nullptr || !object->is_object()) return nullptr;
  auto it = object->find(key);
  return it == object->end() ? nullptr : &*it;
}

// Avro Java's getProp: the property when it is a JSON string.
const std::string* text_member(const Json* object, const char* key) {
  const Json* j = member(object, key);
  return j != nullptr && j->is_string() ? j->get_ptr<const std::string*>() : nullptr;
}

bool iequals(const std::string* a, const char* b) {
  if (a == nullptr || a->size() != std::strlen(b)) return false;
  for (size_t i = 0; i < a->size(); ++i)
    if (std::tolower(static_cast<unsigned char>((*a)[i])) != b[i]) return false;
  return true;
}

// Java's Number.intValue() of a JSON number.
int32_t java_int(const Json& j) {
  if (j.is_number_integer()) return static_cast<int32_t>(static_cast<uint32_t>(j.get<int64_t>()));
  const double d = j.get<double>();
  if (d != d) return 0;
  return d >= 2147483647.0 ? INT32_MAX : d <= -2147483648.0 ? INT32_MIN : static_cast<int32_t>(d);
}

// A property as AvroData copies it into a parameter (Object.toString()).
std::string prop_text(const Json& j) {
  return j.is_string() ? j.get<std::string>() : j.dump();
}

// SchemaBuilder.parameter: a new key goes last, an existing key keeps its place.
void set_param(Schema* s, const std::string& key, const std::string& value) {
  for (auto& [k, v] : s->parameters)
    if (k == key) {
      v = value;
      return;
    }
  s->parameters.emplace_back(key, value);
}

// ---------------------------------------------------------------------------------------------
// Avro schema JSON -> AvroNode graph, with Avro Java's rules for names and namespaces.

class SchemaParser {
 public:
  SchemaParser() {
    for (int k = 0; k <= static_cast<int>(Kind::kString); ++k)
      primitives_.push_back(add(static_cast<Kind>(k), nullptr));
  }
  Status parse(const Json& j, const std::string& space, int depth, const AvroNode** out);

 private:
  AvroNode* add(Kind kind, const Json* object) {
    nodes_.push_back(std::make_unique<AvroNode>());
    nodes_.back()->kind = kind;
    nodes_.back()->object = object;
    return nodes_.back().get();
  }
  Status resolve(const std::string& name, const std::string& space, const AvroNode** out);
  Status define(const Json& j, Kind kind, const std::string& space, int depth,
                const AvroNode** out);
  Status fields(const Json& j, const std::string& space, int depth, AvroNode* node);
  Status symbols(const Json& j, AvroNode* node);
  Status union_of(const Json& j, const std::string& space, int depth, const AvroNode** out);

  std::vector<std::unique_ptr<AvroNode>> nodes_;
  std::vector<const AvroNode*> primitives_;
  std::unordered_map<std::string, const AvroNode*> named_;
};

std::optional<Kind> kind_of(const std::string& type) {
  if (type == "error") return Kind::kRecord;
  for (int k = 0; k < static_cast<int>(Kind::kUnion); ++k)
    if (type == kTypeNames[k]) return static_cast<Kind>(k);
  return std::nullopt;
}

Status SchemaParser::parse(const Json& j, const std::string& space, int depth,
                           const AvroNode** out) {
  if (depth > kMaxDepth) return invalid("nested deeper than " + std::to_string(kMaxDepth));
  if (j.is_string()) return resolve(j.get<std::string>(), space, out);
  if (j.is_array()) return union_of(j, space, depth, out);
  const std::string* type = text_member(&j, "type");
  if (type == nullptr) return invalid("not a schema: " + abbreviated(j));
  const std::optional<Kind> kind = kind_of(*type);
  if (!kind) return resolve(*type, space, out);  // {"type":"com.acme.Name"}
  if (*kind <= Kind::kString) {
    *out = add(*kind, &j);
    return Status::Ok();
  }
  if (*kind != Kind::kArray && *kind != Kind::kMap) return define(j, *kind, space, depth, out);
  const char* key = *kind == Kind::kArray ? "items" : "values";
  const Json* inner = member(&j, key);
  if (inner == nullptr) return invalid(*type + " without " + key + ": " + abbreviated(j));
  AvroNode* node = add(*kind, &j);
  *out = node;
  return parse(*inner, space, depth + 1, &node->items);
}

Status SchemaParser::resolve(const std::string& name, const std::string& space,
                             const AvroNode** out) {
  if (const std::optional<Kind> kind = kind_of(name); kind && *kind <= Kind::kString) {
    *out = primitives_[static_cast<int>(*kind)];
    return Status::Ok();
  }
  const bool qualified = name.find('.') != std::string::npos || space.empty();
  auto it = named_.find(qualified ? name : space + "." + name);
  if (it == named_.end() && !qualified) it = named_.find(name);
  if (it == named_.end()) return invalid("undefined name: \"" + name + "\"");
  *out = it->second;
  return Status::Ok();
}

// record, enum, fixed: the name (a dotted name carries its namespace, else "namespace", else the
// enclosing one) is defined before the fields are parsed, so a record may refer to itself.
Status SchemaParser::define(const Json& j, Kind kind, const std::string& space, int depth,
                            const AvroNode** out) {
  const std::string* name = text_member(&j, "name");
  const char* type = kTypeNames[static_cast<int>(kind)];
  if (name == nullptr || name->empty()) return invalid(std::string(type) + " without a name");
  const size_t dot = name->rfind('.');
  const std::string* ns = text_member(&j, "namespace");
  const std::string inner = dot != std::string::npos ? name->substr(0, dot) : ns ? *ns : space;
  const std::string full = dot != std::string::npos || inner.empty() ? *name : inner + "." + *name;
  if (named_.count(full) != 0) return invalid("can't redefine: " + full);
  AvroNode* node = add(kind, &j);
  node->full_name = full;
  node->name = name->substr(dot == std::string::npos ? 0 : dot + 1);
  node->doc = member(&j, "doc");
  named_[full] = node;
  *out = node;
  if (kind == Kind::kRecord) return fields(j, inner, depth, node);
  if (kind == Kind::kEnum) return symbols(j, node);
  const Json* size = member(&j, "size");
  if (size == nullptr || !size->is_number_integer() || size->get<int64_t>() < 0 ||
      size->get<int64_t>() > INT32_MAX)
    return invalid("fixed " + full + " needs a size from 0 to 2147483647");
  node->size = static_cast<uint32_t>(size->get<int64_t>());
  return Status::Ok();
}

Status SchemaParser::fields(const Json& j, const std::string& space, int depth, AvroNode* node) {
  const Json* fields = member(&j, "fields");
  if (fields == nullptr || !fields->is_array())
    return invalid("record " + node->full_name + " without a fields array");
  std::set<std::string> names;
  for (const Json& f : *fields) {
    const std::string* name = text_member(&f, "name");
    const Json* type = member(&f, "type");
    if (name == nullptr || type == nullptr)
      return invalid("a field of " + node->full_name + " without a name or a type");
    if (!names.insert(*name).second)
      return invalid("duplicate field " + *name + " in " + node->full_name);
    AvroField field{*name, nullptr, member(&f, "doc"), member(&f, "default"),
                    member(&f, "connect.parameters")};
    KPIPE_RETURN_IF_ERROR(parse(*type, space, depth + 1, &field.type));
    node->fields.push_back(std::move(field));
  }
  return Status::Ok();
}

Status SchemaParser::symbols(const Json& j, AvroNode* node) {
  const Json* symbols = member(&j, "symbols");
  if (symbols == nullptr || !symbols->is_array())
    return invalid("enum " + node->full_name + " without a symbols array");
  std::set<std::string> seen;
  for (const Json& s : *symbols) {
    if (!s.is_string() || !seen.insert(s.get<std::string>()).second)
      return invalid("enum " + node->full_name + ": bad or repeated symbol " + abbreviated(s));
    node->symbols.push_back(s.get<std::string>());
  }
  node->enum_default = member(&j, "default");
  return Status::Ok();
}

Status SchemaParser::union_of(const Json& j, const std::string& space, int depth,
                              const AvroNode** out) {
  AvroNode* node = add(Kind::kUnion, nullptr);
  std::set<std::string> seen;
  for (const Json& b : j) {
    if (b.is_array()) return invalid("unions may not immediately contain other unions");
    const AvroNode* branch = nullptr;
    KPIPE_RETURN_IF_ERROR(parse(b, space, depth + 1, &branch));
    const std::string key =
        branch->full_name.empty() ? kTypeNames[static_cast<int>(branch->kind)] : branch->full_name;
    if (!seen.insert(key).second) return invalid("duplicate in union: " + key);
    node->branches.push_back(branch);
  }
  *out = node;
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Defaults (AvroData.defaultValueFromAvro): JSON read through the Avro type into the Connect
// value of `s`. False when it does not fit, and AvroData then leaves the default out. `field`:
// an Avro field default (else connect.default), which fills missing record fields from theirs.

bool default_value(const Json& j, const AvroNode& n, const Schema& s, bool field, Value* out);

bool int_value(int64_t v, const Schema& s, Value* out) {
  if (s.type == Type::kInt8) v = static_cast<int8_t>(v);  // Java's byteValue()
  if (s.type == Type::kInt16) v = static_cast<int16_t>(v);
  if (s.logical() == Logical::kTime && (v < 0 || v > kMillisPerDay)) return false;
  const bool millis = s.logical() == Logical::kTime || s.logical() == Logical::kTimestamp;
  if (millis && __builtin_mul_overflow(v, kNanosPerMilli, &v)) return false;
  *out = Value(v);
  return true;
}

// Java's String.getBytes(ISO_8859_1) of the JSON text: a byte per code point, '?' above U+00FF.
std::string latin1(const std::string& utf8) {
  std::string out;
  for (size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c >= 0xc0) {  // a lead byte: U+0080..U+00FF lead with 0xc2 or 0xc3
      const bool low = c < 0xc4 && i + 1 < utf8.size();
      out += low ? static_cast<char>(((c & 3) << 6) | (utf8[i + 1] & 0x3f)) : '?';
    }
  }
  return out;
}

bool default_items(const Json& j, const AvroNode& n, const Schema& s, bool field, Value* out) {
  const bool entries = s.type == Type::kMap && n.kind == Kind::kArray;  // MapEntry records
  if (entries ? !j.is_array() : n.kind == Kind::kArray ? !j.is_array() : !j.is_object())
    return false;
  List list;
  Map map;
  for (auto it = j.begin(); it != j.end(); ++it) {
    Value key, value;
    if (entries) {
      const AvroNode& entry = *n.items;
      const bool key_first = entry.fields[0].name == "key";
      if (!it->is_object() || !it->contains("key") || !it->contains("value") ||
          !default_value((*it)["key"], *entry.fields[key_first ? 0 : 1].type, *s.keys, field,
                         &key) ||
          !default_value((*it)["value"], *entry.fields[key_first ? 1 : 0].type, *s.values, field,
                         &value))
        return false;
    } else if (!default_value(*it, *n.items, n.kind == Kind::kArray ? *s.items : *s.values, field,
                              &value)) {
      return false;
    } else if (value.is_null() && !(n.kind == Kind::kArray ? s.items : s.values)->optional) {
      return false;
    }
    if (n.kind == Kind::kArray && !entries) {
      list.push_back(std::move(value));
    } else {
      map.keys.push_back(entries ? std::move(key) : Value(it.key()));
      map.values.push_back(std::move(value));
    }
  }
  *out = n.kind == Kind::kArray && !entries ? Value(std::move(list)) : Value(std::move(map));
  return true;
}

bool default_record(const Json& j, const AvroNode& n, const Schema& s, bool field, Value* out) {
  if (!j.is_object() || s.fields.size() != n.fields.size()) return false;
  Struct result;
  result.fields.resize(n.fields.size());
  for (size_t i = 0; i < n.fields.size(); ++i) {
    const Schema& fs = *s.fields[i].schema;
    auto it = j.find(n.fields[i].name);
    if (it == j.end() && field && fs.default_value) result.fields[i] = *fs.default_value;
    if (it != j.end() && !default_value(*it, *n.fields[i].type, fs, field, &result.fields[i]))
      return false;
    if (result.fields[i].is_null() && !fs.optional) return false;
  }
  *out = Value(std::move(result));
  return true;
}

// A union's default is for its first branch. Connect's own connect.default of a general union
// is not a Struct, so AvroData drops it.
bool default_union(const Json& j, const AvroNode& n, const Schema& s, bool field, Value* out) {
  if (s.type != Type::kStruct || s.name != kUnionName) {  // flattened: ["null", T] or [T]
    for (const AvroNode* b : n.branches)
      if (b->kind != Kind::kNull) return default_value(j, *b, s, field, out);
    return false;
  }
  if (n.branches[0]->kind == Kind::kNull) return true;
  Struct result;
  result.fields.resize(s.fields.size());
  if (!field || !default_value(j, *n.branches[0], *s.fields[0].schema, field, &result.fields[0]))
    return false;
  *out = Value(std::move(result));
  return true;
}

bool default_value(const Json& j, const AvroNode& n, const Schema& s, bool field, Value* out) {
  *out = Value();
  if (j.is_null()) return true;
  switch (n.kind) {
    case Kind::kBoolean:
      if (j.is_boolean()) *out = Value(j.get<bool>());
      return j.is_boolean();
    case Kind::kInt:
    case Kind::kLong: {
      if (!j.is_number_integer() || (j.is_number_unsigned() && j.get<uint64_t>() > INT64_MAX))
        return false;
      const auto v = j.get<int64_t>();
      return (n.kind == Kind::kLong || (v >= INT32_MIN && v <= INT32_MAX)) && int_value(v, s, out);
    }
    case Kind::kFloat:
    case Kind::kDouble:
      if (!j.is_number()) return false;
      *out = n.kind == Kind::kFloat ? Value(static_cast<double>(j.get<float>()))
                                    : Value(j.get<double>());
      return true;
    case Kind::kString:
    case Kind::kEnum:
      if (j.is_string()) *out = Value(j.get<std::string>());
      return j.is_string();
    case Kind::kBytes:
    case Kind::kFixed: {
      if (!j.is_string()) return false;
      std::string bytes = latin1(j.get<std::string>());
      const bool decimal = s.logical() == Logical::kDecimal;
      if (decimal && (bytes.empty() || bytes.size() > kMaxDecimalBytes)) return false;
      *out = decimal ? Value(Decimal::from_twos_complement(bytes, s.decimal_scale()))
                     : Value(Bytes{std::move(bytes)});
      return true;
    }
    case Kind::kRecord:
      return default_record(j, n, s, field, out);
    case Kind::kArray:
    case Kind::kMap:
      return default_items(j, n, s, field, out);
    case Kind::kUnion:
      return default_union(j, n, s, field, out);
    case Kind::kNull:
      break;
  }
  return false;
}

}  // namespace avro_read_detail

using namespace avro_read_detail;

// ---------------------------------------------------------------------------------------------
// AvroNode -> Connect schema (AvroData.toConnectSchema) and the decode plan, built together.

class AvroPlanBuilder {
 public:
  // Where a type is used: a union member is optional; a record field brings its default; the
  // top level brings the registry version.
  struct Site {
    bool optional = false;
    const Json* field_default = nullptr;
    std::optional<int32_t> version;
  };
  explicit AvroPlanBuilder(AvroReader* reader) : r_(reader) {}
  Status convert(const AvroNode& n, const Site& site, int depth, SchemaPtr* schema, uint32_t* step);

 private:
  using Op = AvroReader::Op;
  using Step = AvroReader::Step;

  Status convert_type(const AvroNode& n, int depth, Schema* s, uint32_t* step);
  Status int_type(const AvroNode& n, Schema* s, uint32_t* step);
  Status bytes_type(const AvroNode& n, Schema* s, uint32_t* step);
  Status enum_type(const AvroNode& n, Schema* s, uint32_t* step);
  Status array_type(const AvroNode& n, int depth, Schema* s, uint32_t* step);
  Status record_type(const AvroNode& n, int depth, Schema* s, uint32_t* step);
  Status union_type(const AvroNode& n, const Site& site, int depth, SchemaPtr* schema,
                    uint32_t* step);
  Status properties(const AvroNode& n, const Site& site, Schema* s);
  Status name(const AvroNode& n, Schema* s);
  // The plan step of `n`: one per Avro node, however many Connect schemas are made of it.
  uint32_t plan(const AvroNode& n, Step step, const std::vector<uint32_t>& children = {});

  AvroReader* r_;
  std::map<std::pair<const AvroNode*, bool>, std::pair<SchemaPtr, uint32_t>> memo_;
  std::unordered_map<const AvroNode*, uint32_t> plans_;
  std::set<const AvroNode*> in_progress_;
  int conversions_ = 0;
};

uint32_t AvroPlanBuilder::plan(const AvroNode& n, Step step,
                               const std::vector<uint32_t>& children) {
  if (auto it = plans_.find(&n); it != plans_.end()) return it->second;
  if (step.op == Op::kRecord || step.op == Op::kUnion || step.op == Op::kMapEntries) {
    step.a = static_cast<uint32_t>(r_->children_.size());
    r_->children_.insert(r_->children_.end(), children.begin(), children.end());
  }
  if (step.op == Op::kEnum) {
    step.a = static_cast<uint32_t>(r_->symbols_.size());
    r_->symbols_.insert(r_->symbols_.end(), n.symbols.begin(), n.symbols.end());
  }
  for (size_t i = 0; step.op == Op::kRecord && i < children.size(); ++i) {
    const uint64_t size = r_->steps_[children[i]].min_size;
    step.min_size = step.min_size + size < size ? UINT64_MAX : step.min_size + size;
  }
  r_->steps_.push_back(step);
  return plans_[&n] = static_cast<uint32_t>(r_->steps_.size() - 1);
}

Status AvroPlanBuilder::convert(const AvroNode& n, const Site& site, int depth, SchemaPtr* schema,
                                uint32_t* step) {
  if (depth > kMaxDepth) return invalid("nested deeper than " + std::to_string(kMaxDepth));
  const bool plain = site.field_default == nullptr && !site.version;
  if (auto it = memo_.find({&n, site.optional}); plain && it != memo_.end()) {
    std::tie(*schema, *step) = it->second;
    return Status::Ok();
  }
  if (++conversions_ > kMaxConversions)
    return invalid("more than " + std::to_string(kMaxConversions) + " types once expanded");
  if (n.kind == Kind::kUnion) {
    KPIPE_RETURN_IF_ERROR(union_type(n, site, depth, schema, step));
  } else {
    if (!in_progress_.insert(&n).second)
      return invalid("recursive type " + n.full_name + " (a Connect schema cannot contain itself)");
    Schema s;
    Status st = convert_type(n, depth, &s, step);
    in_progress_.erase(&n);
    KPIPE_RETURN_IF_ERROR(st);
    KPIPE_RETURN_IF_ERROR(properties(n, site, &s));
    *schema = std::make_shared<const Schema>(std::move(s));
  }
  if (plain) memo_[{&n, site.optional}] = {*schema, *step};
  return Status::Ok();
}

Status AvroPlanBuilder::convert_type(const AvroNode& n, int depth, Schema* s, uint32_t* step) {
  switch (n.kind) {
    case Kind::kInt:
      return int_type(n, s, step);
    case Kind::kBytes:
    case Kind::kFixed:
      return bytes_type(n, s, step);
    case Kind::kEnum:
      return enum_type(n, s, step);
    case Kind::kArray:
      return array_type(n, depth, s, step);
    case Kind::kRecord:
      return record_type(n, depth, s, step);
    case Kind::kMap: {
      Step map{Op::kMap, 0, 0, 0, 1};
      s->type = Type::kMap;
      s->keys = Schema::primitive(Type::kString);
      KPIPE_RETURN_IF_ERROR(convert(*n.items, Site{}, depth + 1, &s->values, &map.a));
      *step = plan(n, map);
      return Status::Ok();
    }
    case Kind::kLong:
      s->type = Type::kInt64;
      if (iequals(text_member(n.object, "logicalType"), "timestamp-millis")) {
        s->name = kTimestampName;
        s->version = 1;
      }
      *step = plan(n, {s->name ? Op::kTimestampMillis : Op::kLong, 0, 0, 0, 1});
      return Status::Ok();
    case Kind::kBoolean:
    case Kind::kFloat:
    case Kind::kDouble:
    case Kind::kString: {
      static const std::map<Kind, std::pair<Type, Step>> simple = {
          {Kind::kBoolean, {Type::kBoolean, {Op::kBoolean, 0, 0, 0, 1}}},
          {Kind::kFloat, {Type::kFloat32, {Op::kFloat, 0, 0, 0, 4}}},
          {Kind::kDouble, {Type::kFloat64, {Op::kDouble, 0, 0, 0, 8}}},
          {Kind::kString, {Type::kString, {Op::kString, 0, 0, 0, 1}}}};
      s->type = simple.at(n.kind).first;
      *step = plan(n, simple.at(n.kind).second);
      return Status::Ok();
    }
    case Kind::kNull:
    case Kind::kUnion:
      break;
  }
  return invalid("standalone null schemas are not supported (only inside a union)");
}

// int: INT32; with a logicalType date / time-millis: Date / Time; else connect.type int8/int16.
Status AvroPlanBuilder::int_type(const AvroNode& n, Schema* s, uint32_t* step) {
  const std::string* connect_type = text_member(n.object, "connect.type");
  const std::string* logical = text_member(n.object, "logicalType");
  s->type = Type::kInt32;
  Op op = Op::kInt;
  if (logical != nullptr && (iequals(logical, "date") || iequals(logical, "time-millis"))) {
    s->name = iequals(logical, "date") ? kDateName : kTimeName;
    s->version = 1;
    op = iequals(logical, "date") ? Op::kInt : Op::kTimeMillis;
  } else if (logical == nullptr && connect_type != nullptr) {
    if (*connect_type != "int8" && *connect_type != "int16")
      return invalid("connect.type " + *connect_type + " of an int is neither int8 nor int16");
    s->type = *connect_type == "int8" ? Type::kInt8 : Type::kInt16;
    op = *connect_type == "int8" ? Op::kInt8 : Op::kInt16;
  }
  *step = plan(n, {op, 0, 0, 0, 1});
  return Status::Ok();
}

// bytes, fixed: BYTES, or Decimal(scale) with logicalType decimal (precision kept when not 64);
// a fixed adds connect.fixed.size.
Status AvroPlanBuilder::bytes_type(const AvroNode& n, Schema* s, uint32_t* step) {
  const bool fixed = n.kind == Kind::kFixed;
  Step st{fixed ? Op::kFixed : Op::kBytes, n.size, 0, 0, fixed ? n.size : 1u};
  s->type = Type::kBytes;
  if (iequals(text_member(n.object, "logicalType"), "decimal")) {
    const Json* scale = member(n.object, "scale");
    const Json* precision = member(n.object, "precision");
    st.op = fixed ? Op::kDecimalFixed : Op::kDecimalBytes;
    st.scale = scale != nullptr && scale->is_number() ? java_int(*scale) : 0;
    s->name = kDecimalName;
    s->version = 1;
    s->parameters.emplace_back("scale", std::to_string(st.scale));
    if (precision != nullptr && !precision->is_number())
      return invalid("precision property must be a JSON Integer");
    if (precision != nullptr && java_int(*precision) != 64)
      set_param(s, "connect.decimal.precision", std::to_string(java_int(*precision)));
  }
  if (fixed) set_param(s, "connect.fixed.size", std::to_string(n.size));
  *step = plan(n, st);
  return Status::Ok();
}

Status AvroPlanBuilder::enum_type(const AvroNode& n, Schema* s, uint32_t* step) {
  s->type = Type::kString;
  if (n.doc != nullptr && n.doc->is_string())
    set_param(s, kAvroNamespace + ".enum.doc." + n.name, n.doc->get<std::string>());
  if (n.enum_default != nullptr && n.enum_default->is_string())
    set_param(s, kAvroNamespace + ".enum.default." + n.name, n.enum_default->get<std::string>());
  set_param(s, kEnumParam, n.full_name);
  for (const std::string& symbol : n.symbols) set_param(s, kEnumParam + "." + symbol, symbol);
  *step = plan(n, {Op::kEnum, 0, static_cast<uint32_t>(n.symbols.size()), 0, 1});
  return Status::Ok();
}

// An array of MapEntry records (io.confluent.connect.avro.MapEntry, or connect.internal.type
// MapEntry) with fields key and value is a Connect map. AvroData converts their types as
// top-level schemas (the public toConnectSchema): no defaults, no version.
Status AvroPlanBuilder::array_type(const AvroNode& n, int depth, Schema* s, uint32_t* step) {
  const AvroNode& items = *n.items;
  const std::string* internal = text_member(items.object, "connect.internal.type");
  if (items.kind != Kind::kRecord || (items.full_name != kAvroNamespace + ".MapEntry" &&
                                      (internal == nullptr || *internal != "MapEntry"))) {
    Step array{Op::kArray, 0, 0, 0, 1};
    s->type = Type::kArray;
    KPIPE_RETURN_IF_ERROR(convert(items, Site{}, depth + 1, &s->items, &array.a));
    *step = plan(n, array);
    return Status::Ok();
  }
  const auto& f = items.fields;
  const bool key_first = f.size() == 2 && f[0].name == "key" && f[1].name == "value";
  if (!key_first && !(f.size() == 2 && f[0].name == "value" && f[1].name == "key"))
    return invalid(
        "Found map encoded as array of key-value pairs, but array elements do not "
        "match the expected format.");
  uint32_t key = 0, value = 0;
  s->type = Type::kMap;
  KPIPE_RETURN_IF_ERROR(convert(*f[key_first ? 0 : 1].type, Site{}, depth + 1, &s->keys, &key));
  KPIPE_RETURN_IF_ERROR(convert(*f[key_first ? 1 : 0].type, Site{}, depth + 1, &s->values, &value));
  *step = plan(n, {Op::kMapEntries, 0, key_first ? 0u : 1u, 0, 1}, {key, value});
  return Status::Ok();
}

// A record's doc and its fields' docs become parameters; a field's own connect.parameters are
// added to its schema when they differ (AvroData.applyFieldLevelParams).
Status AvroPlanBuilder::record_type(const AvroNode& n, int depth, Schema* s, uint32_t* step) {
  s->type = Type::kStruct;
  if (n.doc != nullptr && n.doc->is_string())
    set_param(s, kAvroNamespace + ".record.doc", n.doc->get<std::string>());
  std::vector<uint32_t> children(n.fields.size());
  for (size_t i = 0; i < n.fields.size(); ++i) {
    const AvroField& f = n.fields[i];
    if (f.doc != nullptr && f.doc->is_string())
      set_param(s, kAvroNamespace + ".field.doc." + f.name, f.doc->get<std::string>());
    Site site;
    site.field_default = f.default_value;
    SchemaPtr fs;
    KPIPE_RETURN_IF_ERROR(convert(*f.type, site, depth + 1, &fs, &children[i]));
    if (f.params != nullptr && f.params->is_object()) {
      Schema copy = *fs;
      for (auto it = f.params->begin(); it != f.params->end(); ++it)
        set_param(&copy, it.key(), prop_text(it.value()));
      if (copy.parameters != fs->parameters) fs = std::make_shared<const Schema>(std::move(copy));
    }
    s->fields.push_back(Field{f.name, std::move(fs)});
  }
  *step = plan(n, {Op::kRecord, 0, static_cast<uint32_t>(children.size()), 0, 0}, children);
  return Status::Ok();
}

// ["null", T] / [T, "null"]: optional T; [T]: T; otherwise a struct io.confluent.connect.avro.Union
// with one optional field per non-null branch, named by its type (a named type's short name).
Status AvroPlanBuilder::union_type(const AvroNode& n, const Site& site, int depth,
                                   SchemaPtr* schema, uint32_t* step) {
  const auto& b = n.branches;
  Site member;
  member.optional = b.size() != 1;
  const bool optional = b.size() == 2 && (b[0]->kind == Kind::kNull || b[1]->kind == Kind::kNull);
  if (b.size() == 1 || optional) {  // the datum still has its branch index
    const uint32_t null_index = b.size() == 1 ? 0 : b[0]->kind == Kind::kNull ? 0 : 1;
    Step st{b.size() == 1 ? Op::kSingle : Op::kOptional, 0, null_index, 0, 1};
    KPIPE_RETURN_IF_ERROR(
        convert(*b[b.size() == 1 ? 0 : 1 - null_index], member, depth + 1, schema, &st.a));
    *step = plan(n, st);
    return Status::Ok();
  }
  Schema s;
  s.type = Type::kStruct;
  s.name = kUnionName;
  std::vector<uint32_t> children{0};
  std::set<std::string> names;
  for (const AvroNode* branch : b) {
    if (branch->kind == Kind::kNull) {
      s.optional = true;
      children.insert(children.end(), {kNullBranch, 0});
      continue;
    }
    std::string field_name =
        branch->full_name.empty() ? kTypeNames[static_cast<int>(branch->kind)] : branch->name;
    if (!names.insert(field_name).second)
      return invalid("Multiple union schemas map to the Connect union field name " + field_name);
    SchemaPtr fs;
    uint32_t child = 0;
    KPIPE_RETURN_IF_ERROR(convert(*branch, member, depth + 1, &fs, &child));
    children.insert(children.end(), {child, static_cast<uint32_t>(s.fields.size())});
    s.fields.push_back(Field{std::move(field_name), std::move(fs)});
  }
  children[0] = static_cast<uint32_t>(s.fields.size());
  KPIPE_RETURN_IF_ERROR(properties(n, site, &s));
  *step = plan(n, {Op::kUnion, 0, static_cast<uint32_t>(b.size()), 0, 1}, children);
  *schema = std::make_shared<const Schema>(std::move(s));
  return Status::Ok();
}

// The end of AvroData.toConnectSchema, in its order: doc, version, connect.parameters, avro*
// properties, default, name, optional.
Status AvroPlanBuilder::properties(const AvroNode& n, const Site& site, Schema* s) {
  if (const std::string* doc = text_member(n.object, "connect.doc")) s->doc = *doc;
  const Json* version = member(n.object, "connect.version");
  if (version != nullptr && !version->is_number())
    return invalid("Invalid Connect version found: " + abbreviated(*version));
  const int64_t v = version ? java_int(*version) : site.version ? *site.version : -1;
  if (v >= 0 && s->version && *s->version != v)
    return invalid("Mismatched versions: version already added to SchemaBuilder (" +
                   std::to_string(*s->version) + ") differs from version in source schema (" +
                   std::to_string(v) + ")");
  if (v >= 0) s->version = static_cast<int32_t>(v);
  if (const Json* params = member(n.object, "connect.parameters")) {
    if (!params->is_object())
      return invalid("Expected JSON object for schema parameters but found: " +
                     abbreviated(*params));
    for (auto it = params->begin(); it != params->end(); ++it) {
      if (!it.value().is_string())
        return invalid("Expected schema parameter values to be strings but found: " +
                       abbreviated(it.value()));
      set_param(s, it.key(), it.value().get<std::string>());
    }
  }
  if (n.object != nullptr)
    for (auto it = n.object->begin(); it != n.object->end(); ++it)
      if (it.key().rfind("avro", 0) == 0) set_param(s, it.key(), prop_text(it.value()));
  const Json* connect_default = member(n.object, "connect.default");
  if (site.field_default != nullptr && connect_default == nullptr)
    set_param(s, kFieldDefaultParam, "true");
  const Json* def = site.field_default != nullptr ? site.field_default : connect_default;
  Value value;
  if (def != nullptr && default_value(*def, n, *s, site.field_default != nullptr, &value) &&
      !value.is_null())
    s->default_value = std::move(value);
  KPIPE_RETURN_IF_ERROR(name(n, s));
  s->optional = s->optional || site.optional;
  return Status::Ok();
}

// connect.name, else a record's or enum's full name (a fixed's unless it is a decimal); names
// starting io.confluent.connect.avro.ConnectDefault are AvroData's for unnamed structs: unnamed.
Status AvroPlanBuilder::name(const AvroNode& n, Schema* s) {
  const Json* connect_name = member(n.object, "connect.name");
  if (connect_name != nullptr && !connect_name->is_string())
    return invalid("Invalid schema name: " + abbreviated(*connect_name));
  const bool own_name = n.kind == Kind::kRecord || n.kind == Kind::kEnum ||
                        (n.kind == Kind::kFixed && s->logical() != Logical::kDecimal);
  const std::string name = connect_name ? connect_name->get<std::string>()
                           : own_name   ? n.full_name
                                        : std::string();
  if (name.empty() || name.rfind(kDefaultFullName, 0) == 0) return Status::Ok();
  if (s->name && *s->name != name)
    return invalid("Mismatched names: name already added to SchemaBuilder (" + *s->name +
                   ") differs from name in source schema (" + name + ")");
  s->name = name;
  return Status::Ok();
}

Status AvroReader::create(const std::string& schema_json, std::optional<int32_t> registry_version,
                          std::unique_ptr<AvroReader>* out) {
  const Json doc = Json::parse(schema_json, nullptr, false);
  if (doc.is_discarded()) return invalid("not JSON: " + schema_json.substr(0, 80));
  try {
    const AvroNode* root = nullptr;
    SchemaParser parser;
    KPIPE_RETURN_IF_ERROR(parser.parse(doc, "", 0, &root));
    std::unique_ptr<AvroReader> reader(new AvroReader());
    AvroPlanBuilder::Site top;
    top.version = registry_version;
    KPIPE_RETURN_IF_ERROR(
        AvroPlanBuilder(reader.get()).convert(*root, top, 0, &reader->schema_, &reader->root_));
    *out = std::move(reader);
    return Status::Ok();
  } catch (const nlohmann::json::exception& e) {
    return invalid(e.what());
  }
}

}  // namespace kpipe
