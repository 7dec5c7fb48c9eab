#include "transforms/chain.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

namespace kpipe {

namespace {

std::string at(const std::string& file, const YAML::Node& node) {
  return Location{file, node.Mark().line + 1, node.Mark().column + 1}.to_string();
}

// Every short and Connect class name of one kind, for "did you mean".
std::vector<std::string> known_names(const Registry& registry, ComponentKind kind) {
  std::vector<std::string> out;
  for (const ConfigSpec* spec : registry.specs()) {
    if (spec->kind != kind) continue;
    out.push_back(spec->name);
    out.push_back(spec->connect_class);
  }
  return out;
}

// The `type:` of a transform or predicate block, resolved in the registry.
Status component_type(const YAML::Node& block, const std::string& file, const std::string& scope,
                      const Registry& registry, ComponentKind kind, const ConfigSpec** spec) {
  const char* what = kind == ComponentKind::kTransform ? "transform" : "predicate";
  if (!block.IsMap())
    return Status::Invalid(at(file, block) + ": " + scope + ": each " + what +
                           " is a mapping with type: and its keys");
  const YAML::Node type = block["type"];
  if (!type || !type.IsScalar() || type.Scalar().empty())
    return Status::Invalid(
        at(file, block) + ": " + scope + ": missing required key 'type' (a " + what +
        " class, e.g. " + (kind == ComponentKind::kTransform ? "ValueToKey" : "RecordIsTombstone") +
        "; kpipe plugins lists them)");
  const std::string& name = type.Scalar();
  if (kind == ComponentKind::kTransform) {
    const auto* entry = registry.transform(name);
    *spec = entry ? &entry->spec : nullptr;
  } else {
    const auto* entry = registry.predicate(name);
    *spec = entry ? &entry->spec : nullptr;
  }
  if (*spec) return Status::Ok();
  const std::string near = closest(name, known_names(registry, kind));
  return Status::Invalid(at(file, type) + ": " + scope + ".type: unknown " + what + " '" + name +
                         "'" + (near.empty() ? "" : "; did you mean '" + near + "'?") +
                         " (kpipe plugins lists them)");
}

Status parse_predicates(const YAML::Node& block, const std::string& file, const Registry& registry,
                        std::vector<PredicateConfig>* out) {
  if (!block.IsMap())
    return Status::Invalid(at(file, block) +
                           ": predicates must be a mapping of names to predicates, e.g. "
                           "isTombstone: {type: RecordIsTombstone}");
  for (const auto& kv : block) {
    PredicateConfig p;
    p.alias = kv.first.as<std::string>();
    const std::string scope = "predicates." + p.alias;
    const ConfigSpec* spec = nullptr;
    KPIPE_RETURN_IF_ERROR(
        component_type(kv.second, file, scope, registry, ComponentKind::kPredicate, &spec));
    p.type = spec->name;
    KPIPE_RETURN_IF_ERROR(parse_config(*spec, kv.second, file, scope, {"type"}, &p.config));
    out->push_back(std::move(p));
  }
  return Status::Ok();
}

Status parse_predicate_use(const YAML::Node& block, const std::string& file,
                           const std::string& scope, const std::vector<PredicateConfig>& predicates,
                           TransformConfig* t) {
  const YAML::Node predicate = block["predicate"];
  const YAML::Node negate = block["negate"];
  if (predicate) {
    if (!predicate.IsScalar())
      return Status::Invalid(at(file, predicate) + ": " + scope +
                             ".predicate: expected the name of a predicate");
    t->predicate = predicate.Scalar();
    std::vector<std::string> names;
    for (const auto& p : predicates) names.push_back(p.alias);
    if (std::find(names.begin(), names.end(), t->predicate) == names.end()) {
      const std::string near = closest(t->predicate, names);
      return Status::Invalid(
          at(file, predicate) + ": " + scope + ".predicate: no predicate '" + t->predicate +
          "' in predicates:" + (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
  }
  if (negate) {
    if (!predicate)
      return Status::Invalid(at(file, negate) + ": Config '" + scope +
                             ".negate' was provided but there is no config '" + scope +
                             ".predicate' defining a predicate to be negated.");
    // As every other boolean key of the file (and Connect's BOOLEAN, case-insensitive).
    std::string text = negate.IsScalar() ? negate.Scalar() : "";
    std::transform(text.begin(), text.end(), text.begin(), ::tolower);
    const bool yes = text == "true" || text == "yes" || text == "on";
    if (!yes && text != "false" && text != "no" && text != "off")
      return Status::Invalid(at(file, negate) + ": " + scope + ".negate: expected true or false");
    t->negate = yes;
  }
  return Status::Ok();
}

}  // namespace

Status parse_transforms(const YAML::Node& root, const std::string& file, const Registry& registry,
                        std::vector<TransformConfig>* transforms,
                        std::vector<PredicateConfig>* predicates) {
  if (const YAML::Node block = root["predicates"])
    KPIPE_RETURN_IF_ERROR(parse_predicates(block, file, registry, predicates));
  const YAML::Node list = root["transforms"];
  if (!list) return Status::Ok();
  if (!list.IsSequence())
    return Status::Invalid(at(file, list) +
                           ": transforms must be a list, each item a mapping with type: and its "
                           "keys (applied in order)");
  std::vector<std::string> aliases;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node block = list[i];
    TransformConfig t;
    t.alias = "transforms[" + std::to_string(i) + "]";
    if (block.IsMap() && block["name"]) {
      if (!block["name"].IsScalar() || block["name"].Scalar().empty())
        return Status::Invalid(at(file, block["name"]) + ": " + t.alias +
                               ".name: expected a non-empty name");
      t.alias = block["name"].Scalar();
      if (std::find(aliases.begin(), aliases.end(), t.alias) != aliases.end())
        return Status::Invalid(at(file, block["name"]) + ": transforms: the name '" + t.alias +
                               "' is given twice (Connect: \"Duplicate alias provided.\")");
      aliases.push_back(t.alias);
      t.alias = "transforms." + t.alias;
    }
    const ConfigSpec* spec = nullptr;
    KPIPE_RETURN_IF_ERROR(
        component_type(block, file, t.alias, registry, ComponentKind::kTransform, &spec));
    t.type = spec->name;
    KPIPE_RETURN_IF_ERROR(parse_predicate_use(block, file, t.alias, *predicates, &t));
    KPIPE_RETURN_IF_ERROR(parse_config(*spec, block, file, t.alias,
                                       {"type", "name", "predicate", "negate"}, &t.config));
    transforms->push_back(std::move(t));
  }
  return Status::Ok();
}

Status TransformChain::create(const std::vector<TransformConfig>& transforms,
                              const std::vector<PredicateConfig>& predicates,
                              const Registry& registry, std::unique_ptr<TransformChain>* out) {
  auto chain = std::make_unique<TransformChain>();
  for (const auto& p : predicates) {
    auto predicate = registry.predicate(p.type)->make();
    KPIPE_RETURN_IF_ERROR(predicate->configure(p.config));
    chain->predicates_[p.alias] = std::move(predicate);
  }
  for (const auto& t : transforms) {
    const auto* entry = registry.transform(t.type);
    Stage stage;
    stage.alias = t.alias;
    stage.connect_class = entry->spec.connect_class;
    stage.transform = entry->make();
    KPIPE_RETURN_IF_ERROR(stage.transform->configure(t.config));
    if (!t.predicate.empty()) stage.predicate = chain->predicates_.at(t.predicate).get();
    stage.negate = t.negate;
    chain->stages_.push_back(std::move(stage));
  }
  *out = std::move(chain);
  return Status::Ok();
}

Status TransformChain::apply(Record& record, bool* keep, std::string* failed_class) {
  *keep = true;
  for (Stage& stage : stages_) {
    if (stage.predicate && stage.predicate->test(record) == stage.negate) continue;
    if (stage.transform->drops()) {
      *keep = false;
      return Status::Ok();
    }
    Status st = stage.transform->apply(record);
    if (!st.ok()) {
      *failed_class = stage.connect_class;
      return st.with_context(stage.alias + " (" + stage.connect_class + ")");
    }
  }
  return Status::Ok();
}

}  // namespace kpipe
