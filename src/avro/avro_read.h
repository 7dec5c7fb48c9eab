// The reading side of the avro converter: a writer schema from the Schema Registry, parsed once,
// mapped to the Connect schema Confluent's AvroData.toConnectSchema gives it, and a decoder of
// datums written with it. The decoder checks every length and count against the bytes left.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema.h"
#include "status.h"
#include "value.h"

namespace kpipe {

class AvroReader {
 public:
  // Parses Avro schema JSON (named-type references, namespaces, unions, logical types and the
  // connect.* properties). `registry_version`: the subject version, used as the Connect schema
  // version of a top-level type without connect.version (AvroData does that). Errors name the
  // problem ("invalid Avro schema: ..."); they are Status::Runtime (the text comes from a server).
  // Not supported (an error): recursive types, which a Connect schema cannot express here.
  static Status create(const std::string& schema_json, std::optional<int32_t> registry_version,
                       std::unique_ptr<AvroReader>* out);
  // The Connect schema (shared: the same pointer for every datum).
  const SchemaPtr& connect_schema() const { return schema_; }
  // Decodes one datum: the bytes after the 5-byte Confluent frame. A top-level "bytes" schema
  // takes the whole body raw (Confluent writes it without a length). Truncated input, a length
  // or count beyond the bytes left, an invalid union index or enum symbol, trailing bytes after
  // the datum: a Status::Runtime naming the problem and the byte offset. UTF-8 is not checked
  // (Connect does not). Never reads out of bounds, never allocates from an unchecked length.
  Status decode(std::string_view body, Value* out) const;

 private:
  friend class AvroPlanBuilder;
  friend class AvroDecoder;
  AvroReader() = default;

  // One decoding step of the plan create() builds: an array, not a tree of objects, so decoding
  // a datum is a switch per value, without string compares or lookups.
  enum class Op : uint8_t {
    kBoolean,
    kInt,
    kInt8,
    kInt16,
    kTimeMillis,
    kLong,
    kTimestampMillis,
    kFloat,
    kDouble,
    kString,
    kBytes,
    kFixed,
    kDecimalBytes,
    kDecimalFixed,
    kEnum,
    kArray,
    kMap,
    kMapEntries,
    kRecord,
    kOptional,
    kSingle,
    kUnion,
  };
  struct Step {
    Op op = Op::kBoolean;
    // kArray/kMap/kOptional/kSingle: the item or member step; kRecord/kUnion/kMapEntries: first
    // index in children_; kEnum: first index in symbols_; kFixed/kDecimalFixed: the size.
    uint32_t a = 0;
    // kRecord: fields; kUnion: branches; kEnum: symbols; kOptional: the null branch (0 or 1);
    // kMapEntries: 1 when the value field comes before the key field.
    uint32_t n = 0;
    int32_t scale = 0;      // kDecimal*
    uint64_t min_size = 0;  // the fewest bytes a datum takes (saturating)
  };

  SchemaPtr schema_;
  std::vector<Step> steps_;
  // Records: the field steps; unions: the struct's field count, then (step or null marker,
  // struct field index) per branch; map entries: key step, value step.
  std::vector<uint32_t> children_;
  std::vector<std::string> symbols_;
  uint32_t root_ = 0;
};

}  // namespace kpipe
