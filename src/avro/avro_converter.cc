// The avro converter: Confluent's io.confluent.connect.avro.AvroConverter. Writes the Confluent
// frame (magic 0, the registry's schema id, the Avro binary datum) with the schema AvroData makes
// of the record's Connect schema, registered once per subject and schema; reads frames back with
// the writer schema fetched by id. Avro encoding and decoding are kpipe's own (avro_write.h,
// avro_read.h): Debian's avro-c has no logical types, drops schema properties and trusts lengths
// read from the wire.
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "avro/avro_read.h"
#include "avro/avro_write.h"
#include "avro/schema_registry.h"
#include "converters.h"

namespace kpipe {

namespace {

using Json = nlohmann::json;

constexpr const char* kStrategyPackage = "io.confluent.kafka.serializers.subject.";

enum class Strategy { kTopic, kRecord, kTopicRecord };

std::optional<Strategy> strategy_from(std::string name) {
  if (name.rfind(kStrategyPackage, 0) == 0)
    name = name.substr(std::string(kStrategyPackage).size());
  if (name == "TopicNameStrategy") return Strategy::kTopic;
  if (name == "RecordNameStrategy") return Strategy::kRecord;
  if (name == "TopicRecordNameStrategy") return Strategy::kTopicRecord;
  return std::nullopt;
}

Status check_avro_config(const Config& c) {
  for (const char* key : {"key.subject.name.strategy", "value.subject.name.strategy"})
    if (!strategy_from(c.str(key)))
      return c.invalid(key, "unknown subject name strategy '" + c.str(key) +
                                "' (TopicNameStrategy, RecordNameStrategy or "
                                "TopicRecordNameStrategy, with or without the package " +
                                kStrategyPackage + ")");
  if (c.str("basic.auth.credentials.source") == "USER_INFO" && !c.has("basic.auth.user.info") &&
      !c.has("schema.registry.basic.auth.user.info"))
    return c.invalid("basic.auth.credentials.source",
                     "USER_INFO needs basic.auth.user.info (user:password)");
  return Status::Ok();
}

class AvroConverter : public Converter {
 public:
  Status configure(const Config& c, bool is_key) override {
    is_key_ = is_key;
    strategy_ =
        *strategy_from(c.str(is_key ? "key.subject.name.strategy" : "value.subject.name.strategy"));
    auto_register_ = c.boolean("auto.register.schemas");
    use_latest_ = c.boolean("use.latest.version");
    options_.connect_meta_data = c.boolean("connect.meta.data");
    HttpOptions http;
    if (c.str("basic.auth.credentials.source") == "USER_INFO") {
      const std::string& info = c.has("basic.auth.user.info")
                                    ? c.str("basic.auth.user.info")
                                    : c.str("schema.registry.basic.auth.user.info");
      const size_t colon = info.find(':');
      http.user = info.substr(0, colon);
      http.password = colon == std::string::npos ? "" : info.substr(colon + 1);
    }
    http.ca_file = c.str("schema.registry.ssl.ca.location");
    http.cert_file = c.str("schema.registry.ssl.certificate.location");
    http.key_file = c.str("schema.registry.ssl.key.location");
    if (c.has("schema.registry.ssl.key.password"))
      http.key_password = c.str("schema.registry.ssl.key.password");
    const std::string& verify = c.str("schema.registry.ssl.endpoint.identification.algorithm");
    http.verify_host = !verify.empty() && verify != "none";
    http.timeout_ms = static_cast<long>(c.integer("http.read.timeout.ms"));
    return registry_.open(c.list("schema.registry.url"), http);  // connects at first use
  }

  Status to_bytes(const std::string& topic, const SchemaPtr& schema, const Value& value,
                  std::optional<std::string>* out) override {
    if (value.is_null()) {  // a tombstone: no schema registered, no frame
      out->reset();
      return Status::Ok();
    }
    if (!schema)
      return Status::Runtime(
          "the avro converter needs records with a schema (this one has none: a schemaless "
          "JSON or string source needs a converter with schemas)");
    int32_t id = 0;
    KPIPE_RETURN_IF_ERROR(schema_id(topic, schema, &id));
    std::string bytes;
    bytes.reserve(last_size_ + 16);
    bytes.push_back(0);
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>(id >> shift));
    KPIPE_RETURN_IF_ERROR(avro_encode(*schema, value, &bytes).with_context("avro"));
    last_size_ = bytes.size();
    *out = std::move(bytes);
    return Status::Ok();
  }

  Status from_bytes(const std::string& /*topic*/, const std::optional<std::string>& bytes,
                    SchemaAndValue* out) override {
    if (!bytes) {
      *out = SchemaAndValue();
      return Status::Ok();
    }
    if (bytes->size() < 5 || (*bytes)[0] != 0)
      return Status::Runtime(
          "Unknown magic byte! (not a Confluent Avro frame: " + std::to_string(bytes->size()) +
          " bytes" +
          (bytes->empty() ? ""
                          : ", first byte " + std::to_string(static_cast<uint8_t>((*bytes)[0]))) +
          ")");
    int32_t id = 0;
    for (int i = 1; i <= 4; ++i) id = (id << 8) | static_cast<uint8_t>((*bytes)[i]);
    const AvroReader* reader = nullptr;
    KPIPE_RETURN_IF_ERROR(reader_for(id, &reader));
    out->schema = reader->connect_schema();
    return reader->decode(std::string_view(*bytes).substr(5), &out->value)
        .with_context("avro (schema id " + std::to_string(id) + ")");
  }

 private:
  // The subject of a schema under the configured strategy.
  Status subject(const std::string& topic, const Schema& schema, std::string* out) const {
    const std::string suffix = is_key_ ? "-key" : "-value";
    if (strategy_ == Strategy::kTopic) {
      *out = topic + suffix;
      return Status::Ok();
    }
    if (schema.type != Type::kStruct)
      return Status::Runtime(
                 "RecordNameStrategy and TopicRecordNameStrategy need a record (struct) "
                 "schema, not " +
                 std::string(type_name(schema.type)))
          .as_unskippable();
    const std::string record =
        schema.name ? *schema.name : "io.confluent.connect.avro.ConnectDefault";
    *out = strategy_ == Strategy::kRecord ? record : topic + "-" + record;
    return Status::Ok();
  }

  // The registry id of the record's schema: cached by schema object and topic, then by the
  // schema text, so a run makes one registry call per subject and schema.
  Status schema_id(const std::string& topic, const SchemaPtr& schema, int32_t* id) {
    if (schema == last_schema_ && topic == last_topic_) {
      *id = last_id_;
      return Status::Ok();
    }
    std::string text, name;
    KPIPE_RETURN_IF_ERROR(avro_schema_json(*schema, options_, &text).with_context("avro schema"));
    KPIPE_RETURN_IF_ERROR(subject(topic, *schema, &name));
    const std::string key = name + '\n' + text;
    auto it = ids_.find(key);
    if (it == ids_.end()) {
      int32_t found = 0;
      KPIPE_RETURN_IF_ERROR(ask_registry(name, text, &found));
      if (ids_.size() > 1000) ids_.clear();  // Confluent's max.schemas.per.subject cache size
      it = ids_.emplace(key, found).first;
    }
    last_schema_ = schema;
    last_topic_ = topic;
    last_id_ = *id = it->second;
    return Status::Ok();
  }

  Status ask_registry(const std::string& subject, const std::string& text, int32_t* id) {
    if (use_latest_) {
      std::string latest;
      KPIPE_RETURN_IF_ERROR(registry_.latest(subject, &latest, id));
      const Json a = Json::parse(latest, nullptr, false), b = Json::parse(text, nullptr, false);
      if (a != b)
        return Status::Runtime("use.latest.version: the latest schema of subject '" + subject +
                               "' is not the record's schema, and kpipe writes records only with "
                               "their own schema: " +
                               latest.substr(0, 300))
            .as_unskippable();
      return Status::Ok();
    }
    return auto_register_ ? registry_.register_schema(subject, text, id)
                          : registry_.lookup(subject, text, id);
  }

  Status reader_for(int32_t id, const AvroReader** out) {
    auto it = readers_.find(id);
    if (it == readers_.end()) {
      std::string text;
      KPIPE_RETURN_IF_ERROR(registry_.schema_by_id(id, &text));
      std::unique_ptr<AvroReader> reader;
      KPIPE_RETURN_IF_ERROR(AvroReader::create(text, std::nullopt, &reader)
                                .with_context("schema id " + std::to_string(id)));
      if (readers_.size() > 1000) readers_.clear();
      it = readers_.emplace(id, std::move(reader)).first;
    }
    *out = it->second.get();
    return Status::Ok();
  }

  bool is_key_ = false;
  Strategy strategy_ = Strategy::kTopic;
  bool auto_register_ = true, use_latest_ = false;
  AvroDataOptions options_;
  SchemaRegistry registry_;
  std::map<std::string, int32_t> ids_;  // subject + schema text -> id
  SchemaPtr last_schema_;
  std::string last_topic_;
  int32_t last_id_ = 0;
  size_t last_size_ = 64;
  std::unordered_map<int32_t, std::unique_ptr<AvroReader>> readers_;
};

}  // namespace

ConfigSpec avro_converter_spec() {
  ConfigSpec spec{
      "avro",
      ComponentKind::kConverter,
      "Confluent's AvroConverter: Avro with a Schema Registry (magic byte, schema id, Avro binary)",
      {
          {"schema.registry.url",
           FieldType::kList,
           std::nullopt,
           true,
           "Schema Registry URL(s); the next is tried when one is down. http://user:pass@host "
           "carries credentials (basic.auth.credentials.source URL)",
           {},
           true},
          {"auto.register.schemas", FieldType::kBool, "true", false,
           "Register the record's schema; false: it must be registered already"},
          {"use.latest.version", FieldType::kBool, "false", false,
           "Write with the subject's latest schema (it must be the record's own schema)"},
          {"latest.compatibility.strict", FieldType::kBool, "true", false,
           "With use.latest.version (kpipe always requires the latest schema to be the record's)"},
          {"key.subject.name.strategy", FieldType::kString, "TopicNameStrategy", false,
           "Subject of key schemas: TopicNameStrategy (<topic>-key), RecordNameStrategy, "
           "TopicRecordNameStrategy (io.confluent.kafka.serializers.subject.*)"},
          {"value.subject.name.strategy", FieldType::kString, "TopicNameStrategy", false,
           "Subject of value schemas: TopicNameStrategy (<topic>-value), RecordNameStrategy, "
           "TopicRecordNameStrategy"},
          {"basic.auth.credentials.source",
           FieldType::kString,
           "URL",
           false,
           "Where basic-auth credentials come from: URL (user:pass@ in the URL) or USER_INFO",
           {"URL", "USER_INFO"}},
          {"basic.auth.user.info",
           FieldType::kString,
           std::nullopt,
           false,
           "user:password, with basic.auth.credentials.source USER_INFO",
           {},
           true},
          {"schema.registry.basic.auth.user.info",
           FieldType::kString,
           std::nullopt,
           false,
           "Deprecated alias of basic.auth.user.info",
           {},
           true},
          {"schema.registry.ssl.ca.location", FieldType::kString, "", false,
           "CA certificates (PEM) to verify an https registry"},
          {"schema.registry.ssl.certificate.location", FieldType::kString, "", false,
           "Client certificate (PEM) for mutual TLS"},
          {"schema.registry.ssl.key.location", FieldType::kString, "", false,
           "Client key (PEM) for mutual TLS"},
          {"schema.registry.ssl.key.password",
           FieldType::kString,
           std::nullopt,
           false,
           "Password of the client key",
           {},
           true},
          {"schema.registry.ssl.endpoint.identification.algorithm", FieldType::kString, "https",
           false, "https: check the registry certificate's host name; empty or none: do not"},
          {"http.read.timeout.ms",
           FieldType::kInt,
           "60000",
           false,
           "Timeout of one registry request",
           {},
           false,
           1,
           3600000},
          {"connect.meta.data", FieldType::kBool, "true", false,
           "Add Connect's connect.* properties (name, version, parameters, ...) to the schemas"},
          {"enhanced.avro.schema.support", FieldType::kBool, "false", false,
           "Accepted for Connect configs; it only changes enums and unions, which kpipe's sources "
           "do not produce"},
      }};
  spec.check = check_avro_config;
  spec.connect_class = "io.confluent.connect.avro.AvroConverter";
  return spec;
}

std::unique_ptr<Converter> make_avro_converter() {
  return std::make_unique<AvroConverter>();
}

}  // namespace kpipe
