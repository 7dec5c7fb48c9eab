#include "pipeline.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>

#include "errors.h"
#include "properties.h"

namespace kpipe {
namespace fs = std::filesystem;

namespace {

std::string mark(const std::string& file, const YAML::Mark& m) {
  return Location{file, m.line + 1, m.column + 1}.to_string();
}

const ConfigSpec& offsets_spec() {
  static const ConfigSpec spec{
      "offsets",
      ComponentKind::kSource,
      "Where the pipeline keeps its source offsets",
      {
          {"file", FieldType::kString, std::nullopt, false,
           "Offsets file; relative to the pipeline file's folder. Default <name>.offsets.json"},
          {"flush.interval.ms",
           FieldType::kInt,
           "0",
           false,
           "Commit offsets at most this often; 0 commits after every batch",
           {},
           false,
           0},
      }};
  return spec;
}

// Replaces every scalar in the tree in place.
Status substitute_tree(YAML::Node node, const std::string& file) {
  if (node.IsScalar()) {
    std::string out;
    KPIPE_RETURN_IF_ERROR(substitute(node.Scalar(), mark(file, node.Mark()), &out));
    if (out != node.Scalar()) node = out;
    return Status::Ok();
  }
  if (node.IsSequence()) {
    for (auto item : node) KPIPE_RETURN_IF_ERROR(substitute_tree(item, file));
  } else if (node.IsMap()) {
    for (auto kv : node) KPIPE_RETURN_IF_ERROR(substitute_tree(kv.second, file));
  }
  return Status::Ok();
}

Status component(const YAML::Node& root, const std::string& key, const std::string& file,
                 const std::vector<std::string>& names,
                 const std::function<const ConfigSpec*(const std::string&)>& lookup,
                 ComponentConfig* out) {
  YAML::Node block = root[key];
  if (!block) return Status::Invalid(file + ": missing required key '" + key + "'");
  if (!block.IsMap())
    return Status::Invalid(mark(file, block.Mark()) + ": " + key + " must be a mapping");
  YAML::Node connector = block["connector"];
  std::string all;
  for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
  if (!connector || !connector.IsScalar())
    return Status::Invalid(mark(file, block.Mark()) + ": " + key +
                           ": missing required key 'connector' (one of: " + all + ")");
  out->name = connector.Scalar();
  const ConfigSpec* spec = lookup(out->name);
  if (!spec)
    return Status::Invalid(mark(file, connector.Mark()) + ": " + key + ".connector: unknown " +
                           key + " connector '" + out->name + "' (one of: " + all + ")");
  return parse_config(*spec, block, file, key, {"connector"}, &out->config);
}

Status converters(const YAML::Node& root, const std::string& file, const Registry& registry,
                  Pipeline* p) {
  YAML::Node block = root["converter"];
  std::vector<std::pair<std::string, std::string>> key_opts, value_opts;
  p->key_converter.name = "string";
  p->value_converter.name = "json";
  std::string all;
  for (const auto& n : registry.names(ComponentKind::kConverter))
    all += (all.empty() ? "" : ", ") + n;
  std::map<std::string, Location> where;
  if (block) {
    if (!block.IsMap())
      return Status::Invalid(mark(file, block.Mark()) + ": converter must be a mapping");
    for (const auto& kv : block) {
      const std::string key = kv.first.as<std::string>();
      const std::string at = mark(file, kv.first.Mark());
      if (!kv.second.IsScalar())
        return Status::Invalid(at + ": converter." + key + ": expected a value");
      const std::string value = kv.second.Scalar();
      if (key == "key" || key == "value") {
        if (!registry.converter(value))
          return Status::Invalid(at + ": converter." + key + ": unknown converter '" + value +
                                 "' (one of: " + all + ")");
        (key == "key" ? p->key_converter : p->value_converter).name = value;
      } else if (key.rfind("key.", 0) == 0) {
        key_opts.emplace_back(key.substr(4), value);
        where[key] = Location{file, kv.first.Mark().line + 1, kv.first.Mark().column + 1};
      } else if (key.rfind("value.", 0) == 0) {
        value_opts.emplace_back(key.substr(6), value);
        where[key] = Location{file, kv.first.Mark().line + 1, kv.first.Mark().column + 1};
      } else {
        std::string near = closest(key, {"key", "value", "key.schemas.enable",
                                         "value.schemas.enable", "value.decimal.format"});
        return Status::Invalid(at + ": unknown key '" + key + "' in converter" +
                               (near.empty() ? "" : "; did you mean '" + near + "'?") +
                               " (expected key, value, key.<option>, value.<option>)");
      }
    }
  }
  for (auto* c : {&p->key_converter, &p->value_converter}) {
    const bool is_key = c == &p->key_converter;
    const std::string prefix = is_key ? "key" : "value";
    const auto* entry = registry.converter(c->name);
    Status st = parse_config(entry->spec, is_key ? key_opts : value_opts, "converter." + prefix,
                             &c->config);
    if (!st.ok()) {
      // Point at the first option of this converter; the message names the key.
      for (const auto& [k, loc] : where)
        if (k.rfind(prefix + ".", 0) == 0)
          return Status::Invalid(loc.to_string() + ": " + st.message());
      return st;
    }
  }
  return Status::Ok();
}

}  // namespace

Status substitute(const std::string& text, const std::string& where, std::string* out) {
  out->clear();
  size_t pos = 0;
  while (true) {
    size_t start = text.find("${", pos);
    if (start == std::string::npos) break;
    size_t end = text.find('}', start);
    if (end == std::string::npos) break;
    std::string ref = text.substr(start + 2, end - start - 2);
    out->append(text, pos, start - pos);
    if (ref.rfind("env:", 0) == 0) {
      // ${env:NAME} or ${env:NAME:-default}, as in a shell.
      std::string name = ref.substr(4);
      std::optional<std::string> fallback;
      if (size_t dash = name.find(":-"); dash != std::string::npos) {
        fallback = name.substr(dash + 2);
        name.resize(dash);
      }
      const char* v = std::getenv(name.c_str());
      if (!v && !fallback)
        return Status::Invalid(where + ": environment variable '" + name +
                               "' is not set (${env:" + name + "})");
      out->append(v ? v : *fallback);
    } else if (ref.rfind("file:", 0) == 0 && !fs::exists(ref.substr(5)) &&
               ref.find(':', 5) != std::string::npos) {
      // ${file:PATH:KEY}: one key of a Java properties file (Kafka's FileConfigProvider).
      const size_t colon = ref.rfind(':');
      const std::string path = ref.substr(5, colon - 5), key = ref.substr(colon + 1);
      ConnectProps props;
      Status st = load_properties_file(path, &props);
      if (!st.ok()) return Status::Invalid(where + ": " + st.message() + " (${" + ref + "})");
      const ConnectEntry* entry = props.find(key);
      if (!entry)
        return Status::Invalid(where + ": " + path + " has no key '" + key + "' (${" + ref + "})");
      out->append(entry->value);
    } else if (ref.rfind("file:", 0) == 0) {
      std::string path = ref.substr(5);
      std::ifstream in(path, std::ios::binary);
      if (!in)
        return Status::Invalid(where + ": cannot read '" + path + "' (${file:" + path + "})");
      std::stringstream ss;
      ss << in.rdbuf();
      std::string content = ss.str();
      // Secret files usually end with a newline that is not part of the secret.
      while (!content.empty() && (content.back() == '\n' || content.back() == '\r'))
        content.pop_back();
      out->append(content);
    } else {
      // Not ours (e.g. ${topic} in table.name.format): keep it as written.
      out->append(text, start, end - start + 1);
    }
    pos = end + 1;
  }
  out->append(text, pos, std::string::npos);
  return Status::Ok();
}

Status load_pipeline(const std::string& path, const Registry& registry, Pipeline* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status::Invalid(path + ": cannot read the pipeline file: " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  return parse_pipeline(text.str(), path, registry, out);
}

Status parse_pipeline_tree(const std::string& text, const std::string& path,
                           const Registry& registry, Pipeline* out, bool substitute_variables);

Status parse_pipeline(const std::string& text, const std::string& path, const Registry& registry,
                      Pipeline* out, bool substitute_variables) {
  // yaml-cpp throws for shapes it cannot convert (a mapping used as a key, ...): name the place.
  try {
    return parse_pipeline_tree(text, path, registry, out, substitute_variables);
  } catch (const YAML::Exception& e) {
    return Status::Invalid(mark(path, e.mark) + ": unexpected YAML structure: " + e.msg);
  }
}

Status parse_pipeline_tree(const std::string& text, const std::string& path,
                           const Registry& registry, Pipeline* out, bool substitute_variables) {
  out->file = path;
  out->dir = fs::path(path).parent_path().string();
  if (out->dir.empty()) out->dir = ".";
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Status::Invalid(mark(path, e.mark) + ": YAML syntax error: " + e.msg);
  }
  if (!root.IsMap())
    return Status::Invalid(path + ": a pipeline file is a mapping with name, source and sink");
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    static const std::vector<std::string> top = {"name",       "source", "transforms",
                                                 "predicates", "sink",   "converter",
                                                 "offsets",    "errors", "run"};
    if (std::find(top.begin(), top.end(), key) == top.end()) {
      std::string near = closest(key, top);
      return Status::Invalid(
          mark(path, kv.first.Mark()) + ": unknown top-level key '" + key + "'" +
          (near.empty() ? "" : "; did you mean '" + near + "'?") +
          " (expected name, source, transforms, predicates, converter, sink, offsets, "
          "errors, run)");
    }
  }
  if (substitute_variables) KPIPE_RETURN_IF_ERROR(substitute_tree(root, path));

  YAML::Node name = root["name"];
  if (!name)
    return Status::Invalid(path + ": missing required key 'name' (offsets are kept under it)");
  if (!name.IsScalar() || name.Scalar().empty())
    return Status::Invalid(mark(path, name.Mark()) + ": name must be a non-empty string");
  out->name = name.Scalar();

  KPIPE_RETURN_IF_ERROR(component(
      root, "source", path, registry.names(ComponentKind::kSource),
      [&](const std::string& n) {
        auto* e = registry.source(n);
        return e ? &e->spec : nullptr;
      },
      &out->source));
  KPIPE_RETURN_IF_ERROR(component(
      root, "sink", path, registry.names(ComponentKind::kSink),
      [&](const std::string& n) {
        auto* e = registry.sink(n);
        return e ? &e->spec : nullptr;
      },
      &out->sink));
  KPIPE_RETURN_IF_ERROR(parse_transforms(root, path, registry, &out->transforms, &out->predicates));
  KPIPE_RETURN_IF_ERROR(converters(root, path, registry, out));

  if (YAML::Node block = root["errors"]) {
    KPIPE_RETURN_IF_ERROR(parse_config(errors_spec(), block, path, "errors", {}, &out->errors));
  } else {
    KPIPE_RETURN_IF_ERROR(parse_config(errors_spec(), {}, "errors", &out->errors));
  }

  if (YAML::Node block = root["run"])
    KPIPE_RETURN_IF_ERROR(parse_run_settings(block, path, out->dir, &out->run));

  Config offsets;
  if (YAML::Node block = root["offsets"]) {
    KPIPE_RETURN_IF_ERROR(parse_config(offsets_spec(), block, path, "offsets", {}, &offsets));
  } else {
    KPIPE_RETURN_IF_ERROR(parse_config(offsets_spec(), {}, "offsets", &offsets));
  }
  out->offsets_flush_interval_ms = offsets.integer("flush.interval.ms");
  fs::path file =
      offsets.has("file") ? fs::path(offsets.str("file")) : fs::path(out->name + ".offsets.json");
  out->offsets_file =
      (file.is_absolute() ? file : fs::path(out->dir) / file).lexically_normal().string();
  return Status::Ok();
}

}  // namespace kpipe
