// Transform and Predicate: Kafka Connect's Transformation and Predicate interfaces (SMTs). Each
// built-in is registered under its Connect class name (ConfigSpec::connect_class) and its short
// name ("InsertField$Value"); the chain (chain.h) applies them in the pipeline's order.
#pragma once

#include "config.h"
#include "record.h"
#include "status.h"

namespace kpipe {

class Transform {
 public:
  virtual ~Transform() = default;
  // Takes the keys the transform's ConfigSpec parsed, and refuses what Connect's configure()
  // refuses (ConfigException), naming the key (Config::invalid).
  virtual Status configure(const Config& config) = 0;
  // Changes `record` in place. A failure is what Connect's apply() throws (a DataException): the
  // runner hands the record to the errors policy as the TRANSFORMATION stage.
  virtual Status apply(Record& record) = 0;
  // True for Filter: the record is dropped (its offset still commits) when the stage applies.
  virtual bool drops() const { return false; }
};

class Predicate {
 public:
  virtual ~Predicate() = default;
  virtual Status configure(const Config& config) = 0;
  virtual bool test(const Record& record) const = 0;
};

}  // namespace kpipe
