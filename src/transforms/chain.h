// The transforms stage: the pipeline file's `transforms:` list and `predicates:` mapping, and the
// chain that applies them to each record as Connect's TransformationChain does: in order, a stage
// with a predicate only where `negate` XOR predicate.test(record), Filter dropping the record.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "record.h"
#include "registry.h"
#include "status.h"
#include "transforms/transform.h"

namespace YAML {
class Node;
}

namespace kpipe {

struct TransformConfig {
  std::string alias;  // "transforms.<name>" for a `name:`, else "transforms[N]"
  std::string type;   // registry name, e.g. "InsertField$Value"
  Config config;
  std::string predicate;  // an alias of predicates:; empty = every record
  bool negate = false;
};

struct PredicateConfig {
  std::string alias;
  std::string type;
  Config config;
};

// Reads `transforms:` and `predicates:` of a pipeline file (either may be absent). Every error
// names file:line:column; an unknown type or predicate names the closest known one.
Status parse_transforms(const YAML::Node& root, const std::string& file, const Registry& registry,
                        std::vector<TransformConfig>* transforms,
                        std::vector<PredicateConfig>* predicates);

class TransformChain {
 public:
  static Status create(const std::vector<TransformConfig>& transforms,
                       const std::vector<PredicateConfig>& predicates, const Registry& registry,
                       std::unique_ptr<TransformChain>* out);
  bool empty() const { return stages_.empty(); }
  // Runs the stages on `record`: Ok with *keep false when a Filter dropped it. A failure names
  // the transform; *failed_class is then its Connect class name.
  Status apply(Record& record, bool* keep, std::string* failed_class);

 private:
  struct Stage {
    std::string alias, connect_class;
    std::unique_ptr<Transform> transform;
    const Predicate* predicate = nullptr;
    bool negate = false;
  };
  std::vector<Stage> stages_;
  std::map<std::string, std::unique_ptr<Predicate>> predicates_;
};

}  // namespace kpipe
