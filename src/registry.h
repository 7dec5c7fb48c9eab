// Registry: the components kpipe knows, each with its ConfigSpec and a factory. Filled by one
// explicit call, register_builtins(); the engine reaches connectors only through it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "connector.h"
#include "converter.h"
#include "transforms/transform.h"

namespace kpipe {

class Registry {
 public:
  struct SourceEntry {
    ConfigSpec spec;
    std::function<std::unique_ptr<Source>()> make;
  };
  struct SinkEntry {
    ConfigSpec spec;
    std::function<std::unique_ptr<Sink>()> make;
  };
  struct ConverterEntry {
    ConfigSpec spec;
    std::function<std::unique_ptr<Converter>()> make;
  };

  struct TransformEntry {
    ConfigSpec spec;
    std::function<std::unique_ptr<Transform>()> make;
  };
  struct PredicateEntry {
    ConfigSpec spec;
    std::function<std::unique_ptr<Predicate>()> make;
  };

  void add_source(ConfigSpec spec, std::function<std::unique_ptr<Source>()> make);
  void add_sink(ConfigSpec spec, std::function<std::unique_ptr<Sink>()> make);
  void add_converter(ConfigSpec spec, std::function<std::unique_ptr<Converter>()> make);

  void add_transform(ConfigSpec spec, std::function<std::unique_ptr<Transform>()> make);
  void add_predicate(ConfigSpec spec, std::function<std::unique_ptr<Predicate>()> make);

  const SourceEntry* source(const std::string& name) const;
  const SinkEntry* sink(const std::string& name) const;
  const ConverterEntry* converter(const std::string& name) const;
  // By short name ("InsertField$Value") or Connect class name.
  const TransformEntry* transform(const std::string& name) const;
  const PredicateEntry* predicate(const std::string& name) const;
  // Every spec, in registration order (for `plugins` and `describe`).
  std::vector<const ConfigSpec*> specs() const;
  std::vector<std::string> names(ComponentKind kind) const;

 private:
  std::vector<SourceEntry> sources_;
  std::vector<SinkEntry> sinks_;
  std::vector<ConverterEntry> converters_;
  std::vector<TransformEntry> transforms_;
  std::vector<PredicateEntry> predicates_;
};

// Adds every built-in connector, converter, transform and predicate.
void register_builtins(Registry& registry);

}  // namespace kpipe
