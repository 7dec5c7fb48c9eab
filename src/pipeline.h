// Pipeline: a YAML pipeline file, loaded, substituted (${env:NAME}, ${file:PATH}) and validated
// against the ConfigSpecs of the components it names. Loading never starts anything.
#pragma once

#include <memory>
#include <string>

#include "config.h"
#include "registry.h"
#include "run/run_settings.h"
#include "status.h"
#include "transforms/chain.h"

namespace kpipe {

struct ComponentConfig {
  std::string name;  // registry name, e.g. "file"
  Config config;
};

struct Pipeline {
  std::string file;  // the pipeline file as given
  std::string dir;   // its folder
  std::string name;
  ComponentConfig source;
  ComponentConfig sink;
  ComponentConfig key_converter;
  ComponentConfig value_converter;
  std::string offsets_file;                 // resolved: YAML offsets.file, else <name>.offsets.json
  int64_t offsets_flush_interval_ms = 0;    // 0 = commit after every batch
  Config errors;                            // the errors: block (errors.h)
  std::vector<TransformConfig> transforms;  // in the order they apply
  std::vector<PredicateConfig> predicates;
  RunSettings run;  // the run: block
};

// Reads and validates `path`. Every error names file:line:column and the key.
Status load_pipeline(const std::string& path, const Registry& registry, Pipeline* out);

// The same for pipeline text; `path` names it in messages and anchors relative paths. Without
// `substitute_variables` ${env:..} and ${file:..} stay as written (kpipe convert checks a
// pipeline it prints, whose secrets are not there to read).
Status parse_pipeline(const std::string& text, const std::string& path, const Registry& registry,
                      Pipeline* out, bool substitute_variables = true);

// Replaces ${env:NAME} and ${file:PATH} in `text`; `where` prefixes errors.
Status substitute(const std::string& text, const std::string& where, std::string* out);

}  // namespace kpipe
