// Transforms of where a record goes and what travels with it: RegexRouter (the topic),
// Filter (drop it), and the header transforms InsertHeader, DropHeaders and HeaderFrom.
// Header values are stored as Connect's SimpleHeaderConverter writes them: their string form.
#include <algorithm>
#include <cctype>
#include <regex>
#include <set>
#include <unordered_map>

#include "json_converter.h"
#include "transforms/java_date_format.h"
#include "transforms/transforms.h"
#include "transforms/util.h"

namespace kpipe {

namespace {

// java.util.regex.Matcher's replacement text: $n a group, \x the character x.
Status expand_replacement(const std::string& replacement, const std::smatch& m, std::string* out) {
  for (size_t i = 0; i < replacement.size(); ++i) {
    const char c = replacement[i];
    if (c == '\\') {
      if (i + 1 >= replacement.size()) return Status::Runtime("character to be escaped is missing");
      out->push_back(replacement[++i]);
    } else if (c == '$') {
      if (i + 1 >= replacement.size() ||
          !std::isdigit(static_cast<unsigned char>(replacement[i + 1])))
        return Status::Runtime("Illegal group reference in the replacement '" + replacement + "'");
      // Java takes further digits while they still name an existing group.
      size_t group = static_cast<size_t>(replacement[++i] - '0');
      while (i + 1 < replacement.size() &&
             std::isdigit(static_cast<unsigned char>(replacement[i + 1])) &&
             group * 10 + (replacement[i + 1] - '0') < m.size())
        group = group * 10 + (replacement[++i] - '0');
      if (group >= m.size()) return Status::Runtime("No group " + std::to_string(group));
      out->append(m[group].str());
    } else {
      out->push_back(c);
    }
  }
  return Status::Ok();
}

Status compile_regex(const Config& config, const std::string& key, std::regex* out) {
  try {
    *out = std::regex(config.str(key), std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    return config.invalid(key, "Invalid value " + config.str(key) + " for configuration " + key +
                                   ": Invalid regex: " + e.what());
  }
  return Status::Ok();
}

class RegexRouter : public Transform {
 public:
  Status configure(const Config& config) override {
    KPIPE_RETURN_IF_ERROR(compile_regex(config, "regex", &regex_));
    replacement_ = config.str("replacement");
    return Status::Ok();
  }

  Status apply(Record& r) override {
    // Topics are few: each is matched once.
    auto it = routes_.find(r.topic);
    if (it == routes_.end()) {
      std::string routed = r.topic;
      std::smatch m;
      // Matcher.matches(), then replaceFirst(): that resets the matcher and replaces the first
      // match find() gives, which need not be the whole name ("a|ab" on "ab" finds "a").
      if (std::regex_match(r.topic, regex_) && std::regex_search(r.topic, m, regex_)) {
        routed = m.prefix().str();
        KPIPE_RETURN_IF_ERROR(expand_replacement(replacement_, m, &routed));
        routed += m.suffix().str();
      }
      if (routes_.size() > 10000) routes_.clear();
      it = routes_.emplace(r.topic, std::move(routed)).first;
    }
    r.topic = it->second;
    return Status::Ok();
  }

 private:
  std::regex regex_;
  std::string replacement_;
  std::unordered_map<std::string, std::string> routes_;
};

class Filter : public Transform {
 public:
  Status configure(const Config&) override { return Status::Ok(); }
  Status apply(Record&) override { return Status::Ok(); }
  bool drops() const override { return true; }
};

// Values.convertToString of a header value: its text; dates in ISO-8601; bytes in Base64;
// lists, maps and structs as JSON.
std::optional<std::string> header_text(const Schema* schema, const Value& value) {
  if (value.is_null()) return std::nullopt;
  const Logical logical = schema ? schema->logical() : Logical::kNone;
  if (logical == Logical::kDate || logical == Logical::kTime || logical == Logical::kTimestamp) {
    static const JavaDateFormat formats[] = {[] {
                                               JavaDateFormat f;
                                               (void)JavaDateFormat::compile("yyyy-MM-dd", &f);
                                               return f;
                                             }(),
                                             [] {
                                               JavaDateFormat f;
                                               (void)JavaDateFormat::compile("HH:mm:ss.SSS'Z'", &f);
                                               return f;
                                             }(),
                                             [] {
                                               JavaDateFormat f;
                                               (void)JavaDateFormat::compile(
                                                   "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", &f);
                                               return f;
                                             }()};
    const int64_t v = value.as<int64_t>();
    const int64_t ms = logical == Logical::kDate ? v * 86400000 : v / 1000000 - (v % 1000000 < 0);
    // Values.dateFormatFor picks the format from the value, not the schema: before the end of
    // the epoch's first day a time, on a midnight a date, otherwise a timestamp.
    if (ms < 86400000) return formats[1].format(ms);
    return formats[ms % 86400000 == 0 ? 0 : 2].format(ms);
  }
  switch (value.v.index()) {
    case 1:
      return std::string(value.as<bool>() ? "true" : "false");
    case 2:
      return std::to_string(value.as<int64_t>());
    case 3:
      return schema && schema->type == Type::kFloat32
                 ? java_float_to_string(static_cast<float>(value.as<double>()))
                 : java_double_to_string(value.as<double>());
    case 4:
      return value.as<std::string>();
    case 5:
      return base64_encode(value.as<Bytes>().data);
    case 6:
      return value.as<Decimal>().to_java_string();
  }
  std::string json;
  if (!append_json_payload(nullptr, value, true, &json).ok()) return std::nullopt;
  return json;
}

class InsertHeader : public Transform {
 public:
  Status configure(const Config& config) override {
    header_ = config.str("header");
    literal_ = config.str("value.literal");
    return Status::Ok();
  }
  Status apply(Record& r) override {
    r.headers.push_back(Header{header_, literal_});
    return Status::Ok();
  }

 private:
  std::string header_, literal_;
};

class DropHeaders : public Transform {
 public:
  Status configure(const Config& config) override {
    const auto& list = config.list("headers");
    if (list.empty()) return config.invalid("headers", "Empty list");
    headers_.insert(list.begin(), list.end());
    return Status::Ok();
  }
  Status apply(Record& r) override {
    r.headers.erase(std::remove_if(r.headers.begin(), r.headers.end(),
                                   [&](const Header& h) { return headers_.count(h.key) > 0; }),
                    r.headers.end());
    return Status::Ok();
  }

 private:
  std::set<std::string> headers_;
};

class HeaderFrom : public Transform {
 public:
  explicit HeaderFrom(bool key) : key_(key) {}

  Status configure(const Config& config) override {
    fields_ = config.list("fields");
    headers_ = config.list("headers");
    if (fields_.empty()) return config.invalid("fields", "Empty list");
    if (headers_.empty()) return config.invalid("headers", "Empty list");
    if (fields_.size() != headers_.size())
      return config.invalid("headers",
                            "'fields' config must have the same number of elements as 'headers' "
                            "config.");
    move_ = config.str("operation") == "move";
    with_default_ = config.boolean("replace.null.with.default");
    return Status::Ok();
  }

  Status apply(Record& r) override {
    SchemaPtr& schema = key_ ? r.key_schema : r.value_schema;
    Value& value = key_ ? r.key : r.value;
    const std::string purpose = std::string("header ") + (move_ ? "move" : "copy");
    if (!schema) {
      KPIPE_RETURN_IF_ERROR(require_map(value, purpose));
      Map& map = value.as<Map>();
      for (size_t i = 0; i < fields_.size(); ++i) {
        const Value* v = nullptr;
        for (size_t k = 0; k < map.keys.size() && !v; ++k)
          if (map.keys[k].is<std::string>() && map.keys[k].as<std::string>() == fields_[i])
            v = &map.values[k];
        r.headers.push_back(Header{headers_[i], v ? header_text(nullptr, *v) : std::nullopt});
      }
      if (move_) remove_keys(map);
      return Status::Ok();
    }
    KPIPE_RETURN_IF_ERROR(require_struct(value, schema.get(), purpose));
    Status st;
    const Plan* plan = cache_.get(
        schema, [&](Plan* out) { return build(*schema, out); }, &st);
    if (!plan) return st;
    Struct& s = value.as<Struct>();
    for (size_t i = 0; i < fields_.size(); ++i) {
      const size_t f = plan->fields[i];
      r.headers.push_back(Header{
          headers_[i],
          header_text(schema->fields[f].schema.get(), struct_get(s, *schema, f, with_default_))});
    }
    if (!move_) return Status::Ok();
    Struct kept;
    for (const size_t f : plan->kept)
      kept.fields.push_back(struct_get(s, *schema, f, with_default_));
    value = Value(std::move(kept));
    schema = plan->schema;
    return Status::Ok();
  }

 private:
  struct Plan {
    SchemaPtr schema;            // move: without the fields
    std::vector<size_t> fields;  // index of each listed field
    std::vector<size_t> kept;    // move: the fields left
  };

  Status build(const Schema& in, Plan* plan) const {
    for (const auto& field : fields_) {
      const int i = in.field_index(field);
      // Connect fails here with a NullPointerException (operatingSchema.field(name) is null).
      if (i < 0) return Status::Runtime("Unknown field: " + field);
      plan->fields.push_back(static_cast<size_t>(i));
    }
    Schema s = copy_schema_basics(in);
    for (size_t i = 0; i < in.fields.size(); ++i) {
      if (std::find(fields_.begin(), fields_.end(), in.fields[i].name) != fields_.end()) continue;
      s.fields.push_back(in.fields[i]);
      plan->kept.push_back(i);
    }
    plan->schema = std::make_shared<const Schema>(std::move(s));
    return Status::Ok();
  }

  void remove_keys(Map& map) const {
    Map kept;
    for (size_t k = 0; k < map.keys.size(); ++k) {
      if (map.keys[k].is<std::string>() &&
          std::find(fields_.begin(), fields_.end(), map.keys[k].as<std::string>()) != fields_.end())
        continue;
      kept.keys.push_back(std::move(map.keys[k]));
      kept.values.push_back(std::move(map.values[k]));
    }
    map = std::move(kept);
  }

  bool key_;
  std::vector<std::string> fields_, headers_;
  bool move_ = false;
  bool with_default_ = true;
  SchemaCache<Plan> cache_;
};

// ---- Predicates --------------------------------------------------------------------------------

class TopicNameMatches : public Predicate {
 public:
  Status configure(const Config& config) override {
    if (config.str("pattern").empty()) return config.invalid("pattern", "String must be non-empty");
    Status st = compile_regex(config, "pattern", &pattern_);
    if (!st.ok())
      return config.invalid("pattern", "entry must be a Java-compatible regular expression: " +
                                           config.str("pattern"));
    return Status::Ok();
  }
  bool test(const Record& r) const override {
    auto it = matches_.find(r.topic);
    if (it != matches_.end()) return it->second;
    if (matches_.size() > 10000) matches_.clear();
    return matches_[r.topic] = std::regex_match(r.topic, pattern_);
  }

 private:
  std::regex pattern_;
  mutable std::unordered_map<std::string, bool> matches_;
};

class HasHeaderKey : public Predicate {
 public:
  Status configure(const Config& config) override {
    name_ = config.str("name");
    if (name_.empty()) return config.invalid("name", "String must be non-empty");
    return Status::Ok();
  }
  bool test(const Record& r) const override {
    return std::any_of(r.headers.begin(), r.headers.end(),
                       [&](const Header& h) { return h.key == name_; });
  }

 private:
  std::string name_;
};

class RecordIsTombstone : public Predicate {
 public:
  Status configure(const Config&) override { return Status::Ok(); }
  bool test(const Record& r) const override { return r.value.is_null(); }
};

}  // namespace

void register_routing_transforms(Registry& registry) {
  add_transform(registry,
                ConfigSpec{"RegexRouter",
                           ComponentKind::kTransform,
                           "Rename the topic with a regular expression and a replacement",
                           {{"regex", FieldType::kString, std::nullopt, true,
                             "Regular expression the whole topic name must match"},
                            {"replacement", FieldType::kString, std::nullopt, true,
                             "The new topic name; $1, $2, ... are the regex's groups"}}},
                [] { return std::make_unique<RegexRouter>(); });
  add_transform(registry,
                ConfigSpec{"Filter",
                           ComponentKind::kTransform,
                           "Drop the record (every record without a predicate); its offset still "
                           "commits",
                           {}},
                [] { return std::make_unique<Filter>(); });
  add_transform(
      registry,
      ConfigSpec{
          "InsertHeader",
          ComponentKind::kTransform,
          "Add a header with a literal value",
          {{"header", FieldType::kString, std::nullopt, true, "Name of the header"},
           {"value.literal", FieldType::kString, std::nullopt, true, "Value of the header"}}},
      [] { return std::make_unique<InsertHeader>(); });
  add_transform(registry,
                ConfigSpec{"DropHeaders",
                           ComponentKind::kTransform,
                           "Remove every header with one of the given names",
                           {{"headers", FieldType::kList, std::nullopt, true,
                             "Names of the headers to remove"}}},
                [] { return std::make_unique<DropHeaders>(); });
  add_key_value_transform(
      registry, "HeaderFrom", "Copy or move fields into headers",
      {{"fields", FieldType::kList, std::nullopt, true, "Fields to put in headers"},
       {"headers", FieldType::kList, std::nullopt, true,
        "Header names, one per field, in the same order"},
       {"operation",
        FieldType::kString,
        std::nullopt,
        true,
        "move: remove the fields; copy: keep them",
        {"move", "copy"}},
       replace_null_with_default_field()},
      [](bool key) { return std::make_unique<HeaderFrom>(key); });
}

void register_predicates(Registry& registry) {
  add_predicate(registry,
                ConfigSpec{"TopicNameMatches",
                           ComponentKind::kPredicate,
                           "True when the whole topic name matches a regular expression",
                           {{"pattern", FieldType::kString, std::nullopt, true,
                             "Regular expression the whole topic name must match"}}},
                [] { return std::make_unique<TopicNameMatches>(); });
  add_predicate(registry,
                ConfigSpec{"HasHeaderKey",
                           ComponentKind::kPredicate,
                           "True when the record has at least one header with the name",
                           {{"name", FieldType::kString, std::nullopt, true, "Header name"}}},
                [] { return std::make_unique<HasHeaderKey>(); });
  add_predicate(registry,
                ConfigSpec{"RecordIsTombstone",
                           ComponentKind::kPredicate,
                           "True when the record's value is null (a tombstone)",
                           {}},
                [] { return std::make_unique<RecordIsTombstone>(); });
}

}  // namespace kpipe
