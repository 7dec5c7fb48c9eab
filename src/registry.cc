#include "registry.h"

namespace kpipe {

void Registry::add_source(ConfigSpec spec, std::function<std::unique_ptr<Source>()> make) {
  spec.kind = ComponentKind::kSource;
  sources_.push_back({std::move(spec), std::move(make)});
}
void Registry::add_sink(ConfigSpec spec, std::function<std::unique_ptr<Sink>()> make) {
  spec.kind = ComponentKind::kSink;
  sinks_.push_back({std::move(spec), std::move(make)});
}
void Registry::add_converter(ConfigSpec spec, std::function<std::unique_ptr<Converter>()> make) {
  spec.kind = ComponentKind::kConverter;
  converters_.push_back({std::move(spec), std::move(make)});
}

void Registry::add_transform(ConfigSpec spec, std::function<std::unique_ptr<Transform>()> make) {
  spec.kind = ComponentKind::kTransform;
  transforms_.push_back({std::move(spec), std::move(make)});
}
void Registry::add_predicate(ConfigSpec spec, std::function<std::unique_ptr<Predicate>()> make) {
  spec.kind = ComponentKind::kPredicate;
  predicates_.push_back({std::move(spec), std::move(make)});
}

namespace {
template <typename Entry>
const Entry* find(const std::vector<Entry>& entries, const std::string& name) {
  for (const auto& e : entries)
    if (e.spec.name == name || (!e.spec.connect_class.empty() && e.spec.connect_class == name))
      return &e;
  return nullptr;
}
}  // namespace

const Registry::SourceEntry* Registry::source(const std::string& name) const {
  return find(sources_, name);
}
const Registry::SinkEntry* Registry::sink(const std::string& name) const {
  return find(sinks_, name);
}
const Registry::ConverterEntry* Registry::converter(const std::string& name) const {
  return find(converters_, name);
}

const Registry::TransformEntry* Registry::transform(const std::string& name) const {
  return find(transforms_, name);
}
const Registry::PredicateEntry* Registry::predicate(const std::string& name) const {
  return find(predicates_, name);
}

std::vector<const ConfigSpec*> Registry::specs() const {
  std::vector<const ConfigSpec*> out;
  for (const auto& e : sources_) out.push_back(&e.spec);
  for (const auto& e : sinks_) out.push_back(&e.spec);
  for (const auto& e : converters_) out.push_back(&e.spec);
  for (const auto& e : transforms_) out.push_back(&e.spec);
  for (const auto& e : predicates_) out.push_back(&e.spec);
  return out;
}

std::vector<std::string> Registry::names(ComponentKind kind) const {
  std::vector<std::string> out;
  for (const ConfigSpec* s : specs())
    if (s->kind == kind) out.push_back(s->name);
  return out;
}

}  // namespace kpipe
