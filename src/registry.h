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

  void add_source(ConfigSpec spec, std::function<std::unique_ptr<Source>()> make);
  void add_sink(ConfigSpec spec, std::function<std::unique_ptr<Sink>()> make);
  void add_converter(ConfigSpec spec, std::function<std::unique_ptr<Converter>()> make);

  const SourceEntry* source(const std::string& name) const;
  const SinkEntry* sink(const std::string& name) const;
  const ConverterEntry* converter(const std::string& name) const;
  // Every spec, in registration order (for `plugins` and `describe`).
  std::vector<const ConfigSpec*> specs() const;
  std::vector<std::string> names(ComponentKind kind) const;

 private:
  std::vector<SourceEntry> sources_;
  std::vector<SinkEntry> sinks_;
  std::vector<ConverterEntry> converters_;
};

// Adds every built-in connector and converter.
void register_builtins(Registry& registry);

}  // namespace kpipe
