#include "errors.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kpipe {

namespace {

Status check_errors(const Config& errors) {
  if (errors.str("tolerance") == "all") return Status::Ok();
  for (const char* key : {"deadletterqueue.file", "deadletterqueue.topic.name"})
    if (errors.has(key))
      return errors.invalid(key,
                            "a dead-letter queue needs tolerance: all (with none the run stops at "
                            "the first bad record)");
  return Status::Ok();
}

ConfigSpec make_errors_spec() {
  ConfigSpec spec{
      "errors",
      ComponentKind::kPipeline,
      "What happens to a record that cannot be read or converted, and to transient failures",
      {
          {"tolerance",
           FieldType::kString,
           "none",
           false,
           "none: the run fails on the first bad record, naming it; all: skip it",
           {"none", "all"}},
          {"log.enable", FieldType::kBool, "false", false, "Log each skipped record's error"},
          {"log.include.messages", FieldType::kBool, "false", false,
           "Include the record's position and bytes in that log line"},
          {"deadletterqueue.file", FieldType::kString, std::nullopt, false,
           "Append skipped records to this file as JSON lines (error, stage, position, bytes)"},
          {"deadletterqueue.topic.name", FieldType::kString, std::nullopt, false,
           "Produce skipped records' original bytes to this Kafka topic"},
          {"deadletterqueue.bootstrap.servers", FieldType::kString, std::nullopt, false,
           "Kafka for the dead-letter topic; default: the Kafka sink's bootstrap.servers"},
          {"deadletterqueue.context.headers.enable", FieldType::kBool, "false", false,
           "Add __connect.errors.* headers (stage, topic, partition, offset, message)"},
          {"retry.timeout",
           FieldType::kInt,
           "0",
           false,
           "Milliseconds to keep retrying a transient failure (lost or refused connection, HTTP "
           "5xx, brokers down) by re-opening the pipeline from the committed offsets; 0: fail at "
           "once, -1: retry forever",
           {},
           false,
           -1,
           std::nullopt},
          {"retry.delay.max.ms",
           FieldType::kInt,
           "60000",
           false,
           "Longest wait between two retries (exponential backoff with jitter up to this)",
           {},
           false,
           0,
           std::nullopt},
      }};
  spec.check = check_errors;
  return spec;
}

// Connect's name of a stage (its Stage enum), for __connect.errors.stage. The runner's converter
// messages start with "key" for the key converter (runner.cc, serialize and deserialize).
std::string connect_stage(const std::string& stage, const std::string& message) {
  if (stage == "transformation") return "TRANSFORMATION";
  if (stage == "source") return "TASK_POLL";
  return message.rfind("key", 0) == 0 ? "KEY_CONVERTER" : "VALUE_CONVERTER";
}

}  // namespace

const ConfigSpec& errors_spec() {
  static const ConfigSpec spec = make_errors_spec();
  return spec;
}

std::string describe_position(const Record& r) {
  if (r.kafka_offset && r.partition)
    return "topic '" + r.topic + "' partition " + std::to_string(*r.partition) + " offset " +
           std::to_string(*r.kafka_offset);
  if (r.source_partition) return r.source_partition->dump() + " at " + r.source_offset.dump();
  return "topic '" + r.topic + "'";
}

Status ErrorHandler::create(const Config& errors, const std::string& sink_name,
                            const Config& sink_config, const Registry& registry,
                            const RunContext& context, std::unique_ptr<ErrorHandler>* out) {
  std::unique_ptr<ErrorHandler> h(new ErrorHandler());
  h->tolerate_all_ = errors.str("tolerance") == "all";
  h->log_ = errors.boolean("log.enable");
  h->log_messages_ = errors.boolean("log.include.messages");
  h->context_headers_ = errors.boolean("deadletterqueue.context.headers.enable");
  h->pipeline_ = context.pipeline_name;
  if (errors.has("deadletterqueue.file")) {
    h->file_path_ = errors.str("deadletterqueue.file");
    h->file_ = std::fopen(h->file_path_.c_str(), "ab");
    if (!h->file_)
      return Status::Runtime("cannot open the dead-letter file " + h->file_path_ + ": " +
                             std::strerror(errno));
  }
  if (errors.has("deadletterqueue.topic.name")) {
    h->topic_ = errors.str("deadletterqueue.topic.name");
    std::string servers;
    if (errors.has("deadletterqueue.bootstrap.servers")) {
      servers = errors.str("deadletterqueue.bootstrap.servers");
    } else if (sink_name == "kafka") {
      servers = sink_config.str("bootstrap.servers");
    } else {
      return errors.invalid("deadletterqueue.topic.name",
                            "the sink is not Kafka: set errors.deadletterqueue.bootstrap.servers");
    }
    const auto* entry = registry.sink("kafka");
    Config kafka;
    KPIPE_RETURN_IF_ERROR(parse_config(entry->spec, {{"bootstrap.servers", servers}},
                                       "errors.deadletterqueue", &kafka));
    h->topic_sink_ = entry->make();
    KPIPE_RETURN_IF_ERROR(h->topic_sink_->open(kafka, context).with_context("dead-letter topic"));
  }
  *out = std::move(h);
  return Status::Ok();
}

ErrorHandler::~ErrorHandler() {
  if (file_) std::fclose(file_);
  if (topic_sink_) topic_sink_->close();
}

Status ErrorHandler::handle(const std::string& stage, const Record& record,
                            const std::string& message, const std::string& class_name) {
  const std::string where = describe_position(record);
  if (!tolerate_all_)
    return Status::Runtime(stage + " failed on the record from " + where + ": " + message +
                           " (errors.tolerance: all would skip it)");
  ++tolerated_;
  if (log_) {
    if (log_messages_) {
      spdlog::warn("skipping a record in stage {} from {}: {}", stage, where, message);
    } else {
      spdlog::warn("skipping a record in stage {}: {}", stage, message);
    }
  }
  if (file_) KPIPE_RETURN_IF_ERROR(write_file(stage, record, message, class_name));
  if (topic_sink_) KPIPE_RETURN_IF_ERROR(write_topic(stage, record, message, class_name));
  return Status::Ok();
}

Status ErrorHandler::write_file(const std::string& stage, const Record& r,
                                const std::string& message, const std::string& class_name) {
  Json line{{"error", message}, {"stage", stage}, {"topic", r.topic}};
  if (!class_name.empty()) line["class"] = class_name;
  if (r.partition) line["kafka_partition"] = *r.partition;
  if (r.source_partition) {
    line["source_partition"] = *r.source_partition;
    line["source_offset"] = r.source_offset;
  }
  line["key"] = r.key_bytes ? Json(*r.key_bytes) : Json();
  line["value"] = r.value_bytes ? Json(*r.value_bytes) : Json();
  // Bytes that are not UTF-8 are kept readable rather than failing the run.
  std::string text = line.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size())
    return Status::Runtime("writing the dead-letter file " + file_path_ + ": " +
                           std::strerror(errno));
  return Status::Ok();
}

Status ErrorHandler::write_topic(const std::string& stage, const Record& r,
                                 const std::string& message, const std::string& class_name) {
  Batch batch(1);
  Record& d = batch[0];
  d.topic = topic_;
  d.key_bytes = r.key_bytes;
  d.value_bytes = r.value_bytes;
  d.headers = r.headers;
  if (context_headers_) {
    auto add = [&](const char* name, const std::string& value) {
      d.headers.push_back(Header{std::string("__connect.errors.") + name, value});
    };
    add("topic", r.topic);
    if (r.partition) add("partition", std::to_string(*r.partition));
    if (r.source_offset.contains("kafka_offset"))
      add("offset", r.source_offset["kafka_offset"].dump());
    add("connector.name", pipeline_);
    add("stage", connect_stage(stage, message));
    if (!class_name.empty()) add("class.name", class_name);
    add("exception.message", message);
  }
  return topic_sink_->write(batch).with_context("dead-letter topic " + topic_);
}

Status ErrorHandler::flush() {
  if (file_ && (std::fflush(file_) != 0 || ::fsync(fileno(file_)) != 0))
    return Status::Runtime("flushing the dead-letter file " + file_path_ + ": " +
                           std::strerror(errno));
  if (topic_sink_)
    KPIPE_RETURN_IF_ERROR(topic_sink_->flush().with_context("dead-letter topic " + topic_));
  return Status::Ok();
}

}  // namespace kpipe
