// JsonConverter: Kafka Connect's org.apache.kafka.connect.json.JsonConverter, byte for byte as
// Jackson writes it: the envelope {"schema":...,"payload":...}, Connect's schema key order, its
// logical-type wire forms (Timestamp/Time in ms, Date in days, Decimal as base64 two's complement
// or a number), Jackson's string escaping and Java's Double.toString for doubles.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "converter.h"
#include "schema.h"
#include "status.h"
#include "value.h"

namespace kpipe {

struct JsonConverterOptions {
  bool schemas_enable = true;
  bool numeric_decimals = false;  // decimal.format=numeric: Decimal payloads as JSON numbers
};

class JsonConverter : public Converter {
 public:
  JsonConverter() = default;
  explicit JsonConverter(JsonConverterOptions options) : options_(options) {}

  // Reads `schemas.enable` and `decimal.format` (base64 | numeric, any case).
  Status configure(const Config& config, bool is_key) override;
  Status to_bytes(const std::string& topic, const SchemaPtr& schema, const Value& value,
                  std::optional<std::string>* out) override;
  Status from_bytes(const std::string& topic, const std::optional<std::string>& bytes,
                    SchemaAndValue* out) override;

 private:
  const std::string& schema_json(const SchemaPtr& schema, Status* status);
  void remember_schema_text(std::string_view envelope);

  JsonConverterOptions options_;
  // Serialized schemas by identity: sources share one SchemaPtr per table, so this turns the
  // schema half of every envelope into one append.
  std::vector<std::pair<SchemaPtr, std::string>> schema_cache_;
  // The last schema read back, reused while records keep the same schema so consumers can
  // compare schemas by pointer.
  SchemaPtr last_read_schema_;
  std::string last_schema_text_;  // its exact text in the envelope it came in, when found
  size_t size_hint_ = 64;
};

// Java's Double.toString / Float.toString (JDK 19+: the shortest digits that round-trip).
std::string java_double_to_string(double value);
std::string java_float_to_string(float value);

// Appends `text` as a quoted JSON string escaped as Jackson does. Invalid UTF-8 becomes U+FFFD,
// as Java's decoder would have made it before Connect ever saw the string.
void append_json_string(std::string* out, std::string_view text);

// Standard alphabet, padded (Jackson's default Base64 variant). Decoding accepts missing padding.
std::string base64_encode(std::string_view data);
bool base64_decode(std::string_view text, std::string* out);

// Appends the JSON payload alone (what schemas.enable=false writes) for `value`; `schema` may be
// null (schemaless).
Status append_json_payload(const SchemaPtr& schema, const Value& value, bool numeric_decimals,
                           std::string* out);

}  // namespace kpipe
