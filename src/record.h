// Record: what moves from a source through transforms and a converter to a sink. Mirrors Kafka
// Connect's SourceRecord/SinkRecord: topic, partition, key, value, timestamp, headers, and the
// source position (sourcePartition / sourceOffset) the runner commits once the sink made it
// durable.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "schema.h"
#include "value.h"

namespace kpipe {

using Json = nlohmann::json;

// A JSON object from key/value pairs, for offsets made once per record: Json{{"k", v}} builds
// and converts a nested initializer list of temporaries, several times slower.
inline Json json_object(std::initializer_list<std::pair<const char*, Json>> fields) {
  Json object(Json::value_t::object);
  for (const auto& [key, value] : fields) object.emplace(key, value);
  return object;
}

struct Header {
  std::string key;
  std::optional<std::string> value;  // raw bytes; nullopt = null header
};

struct Record {
  std::string topic;
  std::optional<int32_t> partition;  // Kafka partition, when the source or a transform chose one
  SchemaPtr key_schema;              // null = schemaless
  Value key;
  SchemaPtr value_schema;
  Value value;
  std::optional<int64_t> timestamp_ms;
  std::vector<Header> headers;

  // Source position. The partition object is shared by every record of one source partition.
  std::shared_ptr<const Json> source_partition;
  Json source_offset;
  // Kafka sources: the message's own offset (Connect's SinkRecord.kafkaOffset(), the
  // __connect_offset of pk.mode kafka); source_offset holds the next offset to read.
  std::optional<int64_t> kafka_offset;

  // Set by a source for a record it could not parse (a malformed CSV line, bad JSON): the text
  // says what and where; value_bytes holds the raw input. The runner applies the errors policy.
  std::optional<std::string> error;

  // Serialized forms, filled by the runner's converters for sinks that write bytes
  // (Sink::needs_bytes()). nullopt = null (a null key, a tombstone value).
  std::optional<std::string> key_bytes;
  std::optional<std::string> value_bytes;
};

using Batch = std::vector<Record>;

}  // namespace kpipe
