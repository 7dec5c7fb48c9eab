// Converter: record key or value <-> bytes, as Kafka Connect's Converter interface.
// One instance serves either keys or values (`is_key`), configured once.
#pragma once

#include <optional>
#include <string>

#include "config.h"
#include "schema.h"
#include "status.h"
#include "value.h"

namespace kpipe {

struct SchemaAndValue {
  SchemaPtr schema;  // null = schemaless
  Value value;
};

class Converter {
 public:
  virtual ~Converter() = default;
  virtual Status configure(const Config& config, bool is_key) = 0;
  // A null value (tombstone / null key) serializes to nullopt.
  virtual Status to_bytes(const std::string& topic, const SchemaPtr& schema, const Value& value,
                          std::optional<std::string>* out) = 0;
  // to_bytes() for a value nobody needs afterwards (the runner's records): a converter may move
  // its contents into *out instead of copying them.
  virtual Status move_to_bytes(const std::string& topic, const SchemaPtr& schema, Value&& value,
                               std::optional<std::string>* out) {
    return to_bytes(topic, schema, value, out);
  }
  virtual Status from_bytes(const std::string& topic, const std::optional<std::string>& bytes,
                            SchemaAndValue* out) = 0;
};

}  // namespace kpipe
