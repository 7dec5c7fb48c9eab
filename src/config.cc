#include "config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>

namespace kpipe {

const char* field_type_name(FieldType type) {
  switch (type) {
    case FieldType::kString:
      return "string";
    case FieldType::kInt:
      return "int";
    case FieldType::kDouble:
      return "double";
    case FieldType::kBool:
      return "boolean";
    case FieldType::kList:
      return "list";
    case FieldType::kObjects:
      return "list of mappings";
  }
  return "?";
}

const char* kind_name(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::kSource:
      return "source";
    case ComponentKind::kSink:
      return "sink";
    case ComponentKind::kConverter:
      return "converter";
    case ComponentKind::kTransform:
      return "transform";
    case ComponentKind::kPredicate:
      return "predicate";
    case ComponentKind::kPipeline:
      return "pipeline";
  }
  return "?";
}

const FieldSpec* ConfigSpec::find(const std::string& key) const {
  for (const auto& f : fields)
    if (f.name == key) return &f;
  return nullptr;
}

bool looks_secret_key(const std::string& key) {
  std::string lower = key;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("password") != std::string::npos || lower.find("secret") != std::string::npos;
}

bool ConnectSpec::matches(const std::string& name) const {
  auto one = [&](const std::string& cls) {
    if (cls.empty()) return false;
    const std::string simple = cls.substr(cls.rfind('.') + 1);
    const std::string suffix = "Connector";
    return name == cls || name == simple ||
           (simple.size() > suffix.size() &&
            simple.compare(simple.size() - suffix.size(), suffix.size(), suffix) == 0 &&
            name == simple.substr(0, simple.size() - suffix.size()));
  };
  if (one(connector_class)) return true;
  for (const auto& a : aliases)
    if (one(a)) return true;
  return false;
}

std::string Location::to_string() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

namespace {

template <typename T>
const T& get_as(const Config& c, const std::string& key) {
  auto it = c.values.find(key);
  if (it == c.values.end()) throw std::logic_error("config key not set and no default: " + key);
  const T* v = std::get_if<T>(&it->second);
  if (!v) throw std::logic_error("config key has another type: " + key);
  return *v;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

bool parse_bool(const std::string& text, bool* out) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), ::tolower);
  if (t == "true" || t == "yes" || t == "on") {
    *out = true;
    return true;
  }
  if (t == "false" || t == "no" || t == "off") {
    *out = false;
    return true;
  }
  return false;
}

// Converts one scalar (or, for lists, a sequence or comma list) into the spec's type.
// `shown` is what error messages may print: the value itself, or "***" for a secret.
Status convert(const FieldSpec& spec, const std::vector<std::string>& items, bool was_sequence,
               ConfigValue* out) {
  const std::string shown = spec.secret ? std::string("(secret)") : "'" + items.front() + "'";
  if (spec.type == FieldType::kList) {
    std::vector<std::string> list;
    if (was_sequence) {
      list = items;
    } else if (!items.front().empty()) {
      // Connect writes lists as comma-separated strings: "a, b, c".
      std::string cur;
      for (char ch : items.front() + ",") {
        if (ch == ',') {
          size_t b = cur.find_first_not_of(" \t"), e = cur.find_last_not_of(" \t");
          if (b != std::string::npos) list.push_back(cur.substr(b, e - b + 1));
          cur.clear();
        } else {
          cur += ch;
        }
      }
    }
    for (const auto& item : list)
      if (!spec.allowed.empty() &&
          std::find(spec.allowed.begin(), spec.allowed.end(), item) == spec.allowed.end())
        return Status::Invalid("'" + item + "' is not one of the allowed values");
    *out = std::move(list);
    return Status::Ok();
  }
  if (was_sequence)
    return Status::Invalid("expected a " + std::string(field_type_name(spec.type)) +
                           ", got a list");
  const std::string& text = items.front();
  switch (spec.type) {
    case FieldType::kString:
      if (!spec.allowed.empty() &&
          std::find(spec.allowed.begin(), spec.allowed.end(), text) == spec.allowed.end()) {
        std::string all;
        for (const auto& a : spec.allowed) all += (all.empty() ? "" : ", ") + a;
        return Status::Invalid(shown + " is not one of: " + all);
      }
      *out = text;
      return Status::Ok();
    case FieldType::kInt: {
      errno = 0;
      char* end = nullptr;
      long long v = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || errno == ERANGE)
        return Status::Invalid("expected an integer, got " + shown);
      if (spec.min && v < *spec.min)
        return Status::Invalid(shown + " is below the minimum " + std::to_string(*spec.min));
      if (spec.max && v > *spec.max)
        return Status::Invalid(shown + " is above the maximum " + std::to_string(*spec.max));
      *out = static_cast<int64_t>(v);
      return Status::Ok();
    }
    case FieldType::kDouble: {
      char* end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0') return Status::Invalid("expected a number, got " + shown);
      *out = v;
      return Status::Ok();
    }
    case FieldType::kBool: {
      bool b;
      if (!parse_bool(text, &b)) return Status::Invalid("expected true or false, got " + shown);
      *out = b;
      return Status::Ok();
    }
    case FieldType::kList:
    case FieldType::kObjects:
      break;
  }
  return Status::Invalid("unsupported type");
}

std::string mark_of(const std::string& file, const YAML::Node& node) {
  return Location{file, node.Mark().line + 1, node.Mark().column + 1}.to_string();
}

Status unknown_key(const ConfigSpec& spec, const std::string& key, const std::string& where,
                   const std::string& scope) {
  // A sink that does not declare exactly.once cannot do it: say why rather than "unknown key".
  if (spec.kind == ComponentKind::kSink && key == "exactly.once")
    return Status::Invalid(where + ": " + scope + ".exactly.once: the " + spec.name +
                           " sink cannot do exactly-once: it can neither commit the offsets "
                           "atomically with what it writes nor read back what an interrupted run "
                           "wrote, so a crash may repeat the records written since the last "
                           "commit (at-least-once). See: kpipe describe " +
                           spec.name);
  std::vector<std::string> names;
  for (const auto& f : spec.fields) names.push_back(f.name);
  std::string msg = where + ": unknown key '" + key + "' in " + scope + " (" +
                    kind_name(spec.kind) + " '" + spec.name + "')";
  std::string near = closest(key, names);
  if (!near.empty()) msg += "; did you mean '" + near + "'?";
  return Status::Invalid(msg + " See: kpipe describe " + spec.name);
}

Status finish_defaults(const ConfigSpec& spec, const std::string& where, Config* out);

Status finish(const ConfigSpec& spec, const std::string& where, Config* out) {
  KPIPE_RETURN_IF_ERROR(finish_defaults(spec, where, out));
  return spec.check ? spec.check(*out) : Status::Ok();
}

Status finish_defaults(const ConfigSpec& spec, const std::string& where, Config* out) {
  for (const auto& f : spec.fields) {
    if (out->values.count(f.name)) continue;
    if (f.type == FieldType::kObjects) {
      out->values[f.name] = std::vector<ConfigObject>();
    } else if (f.default_value) {
      ConfigValue v;
      Status st = convert(f, {*f.default_value}, false, &v);
      if (!st.ok()) throw std::logic_error("bad default for " + spec.name + "." + f.name);
      out->values[f.name] = std::move(v);
    } else if (f.required) {
      return Status::Invalid(where + ": " + out->scope + ": missing required key '" + f.name +
                             "' (" + f.description + ")");
    }
  }
  return Status::Ok();
}

}  // namespace

const std::string& Config::str(const std::string& key) const {
  return get_as<std::string>(*this, key);
}
int64_t Config::integer(const std::string& key) const {
  return get_as<int64_t>(*this, key);
}
double Config::real(const std::string& key) const {
  return get_as<double>(*this, key);
}
bool Config::boolean(const std::string& key) const {
  return get_as<bool>(*this, key);
}
const std::vector<std::string>& Config::list(const std::string& key) const {
  return get_as<std::vector<std::string>>(*this, key);
}
const std::vector<ConfigObject>& Config::objects(const std::string& key) const {
  return get_as<std::vector<ConfigObject>>(*this, key);
}
bool Config::has(const std::string& key) const {
  return values.count(key) > 0;
}
bool Config::user_set(const std::string& key) const {
  auto it = set_by_user.find(key);
  return it != set_by_user.end() && it->second;
}
Location Config::where(const std::string& key) const {
  auto it = locations.find(key);
  return it == locations.end() ? location : it->second;
}
Status Config::invalid(const std::string& key, const std::string& msg) const {
  return Status::Invalid(where(key).to_string() + ": " + scope + "." + key + ": " + msg);
}

std::string closest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(3, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

Status parse_config(const ConfigSpec& spec, const YAML::Node& block, const std::string& file,
                    const std::string& scope, const std::vector<std::string>& skip, Config* out) {
  out->scope = scope;
  out->location = Location{file, block.Mark().line + 1, block.Mark().column + 1};
  if (!block.IsMap())
    return Status::Invalid(out->location.to_string() + ": " + scope + " must be a mapping of keys");
  for (const auto& kv : block) {
    const std::string key = kv.first.as<std::string>();
    if (std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
    Location loc{file, kv.first.Mark().line + 1, kv.first.Mark().column + 1};
    const FieldSpec* f = spec.find(key);
    if (!f) {
      if (!spec.passthrough) return unknown_key(spec, key, loc.to_string(), scope);
      if (!kv.second.IsScalar())
        return Status::Invalid(loc.to_string() + ": " + scope + "." + key + ": expected a value");
      out->passthrough.emplace_back(key, kv.second.Scalar());
      out->locations[key] = loc;
      continue;
    }
    if (out->values.count(key))
      return Status::Invalid(loc.to_string() + ": " + scope + ": key '" + key + "' given twice");
    if (f->type == FieldType::kObjects) {
      const std::string at = loc.to_string() + ": " + scope + "." + key;
      if (!kv.second.IsSequence()) return Status::Invalid(at + ": expected a list of mappings");
      std::vector<ConfigObject> objects;
      for (const auto& item : kv.second) {
        if (!item.IsMap())
          return Status::Invalid(mark_of(file, item) + ": " + scope + "." + key +
                                 ": each entry must be a mapping like {source: a, target: b}");
        ConfigObject object;
        for (const auto& entry : item) {
          if (!entry.second.IsScalar())
            return Status::Invalid(mark_of(file, entry.first) + ": " + scope + "." + key +
                                   ": expected a plain value for '" +
                                   entry.first.as<std::string>() + "'");
          object.emplace_back(entry.first.as<std::string>(), entry.second.Scalar());
        }
        objects.push_back(std::move(object));
      }
      out->values[key] = std::move(objects);
      out->locations[key] = loc;
      out->set_by_user[key] = true;
      continue;
    }
    std::vector<std::string> items;
    bool seq = kv.second.IsSequence();
    if (seq) {
      for (const auto& item : kv.second) {
        if (!item.IsScalar())
          return Status::Invalid(loc.to_string() + ": " + scope + "." + key +
                                 ": expected a list of values");
        items.push_back(item.Scalar());
      }
      if (items.empty()) items.emplace_back();
    } else if (kv.second.IsScalar()) {
      items.push_back(kv.second.Scalar());
    } else if (kv.second.IsNull()) {
      items.emplace_back();
    } else {
      return Status::Invalid(loc.to_string() + ": " + scope + "." + key + ": expected a " +
                             field_type_name(f->type) + ", got a mapping");
    }
    ConfigValue v;
    Status st = convert(*f, items, seq, &v);
    if (!st.ok())
      return Status::Invalid(loc.to_string() + ": " + scope + "." + key + ": " + st.message());
    out->values[key] = std::move(v);
    out->locations[key] = loc;
    out->set_by_user[key] = true;
  }
  return finish(spec, out->location.to_string(), out);
}

Status parse_config(const ConfigSpec& spec,
                    const std::vector<std::pair<std::string, std::string>>& entries,
                    const std::string& scope, Config* out) {
  out->scope = scope;
  for (const auto& [key, text] : entries) {
    const FieldSpec* f = spec.find(key);
    if (!f) {
      if (!spec.passthrough) return unknown_key(spec, key, scope, scope);
      out->passthrough.emplace_back(key, text);
      continue;
    }
    ConfigValue v;
    Status st = convert(*f, {text}, false, &v);
    if (!st.ok()) return Status::Invalid(scope + "." + key + ": " + st.message());
    out->values[key] = std::move(v);
    out->set_by_user[key] = true;
  }
  return finish(spec, scope, out);
}

std::string value_text(const ConfigValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return x;
        } else if constexpr (std::is_same_v<T, bool>) {
          return x ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::vector<ConfigObject>>) {
          std::string out;
          for (const auto& object : x) {
            std::string one;
            for (const auto& [k, v] : object) one += (one.empty() ? "" : ", ") + k + ": " + v;
            out += (out.empty() ? "{" : ", {") + one + "}";
          }
          return "[" + out + "]";
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          std::string out;
          for (const auto& s : x) out += (out.empty() ? "" : ", ") + s;
          return "[" + out + "]";
        } else {
          return fmt::format("{}", x);
        }
      },
      v);
}

}  // namespace kpipe
