#include "run/status_events.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "atomic_file.h"
#include "connector.h"

namespace kpipe {

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The topic the data goes to, when the pipeline names one (the seed's dataTopicName).
std::string data_topic(const Pipeline& p) {
  for (const Config* c : {&p.sink.config, &p.source.config})
    if (c->has("topic")) return c->str("topic");
  return "";
}

// The status topic's producer: a Kafka sink on status.bootstrap.servers and the status block's
// librdkafka keys, else on the pipeline's Kafka sink's cluster with its client keys (TLS, SASL).
Status open_topic(const Pipeline& p, const Registry& registry, const RunContext& context,
                  std::unique_ptr<Sink>* out) {
  const auto* kafka = registry.sink("kafka");
  if (!kafka) return Status::Invalid("run.status.topic: this kpipe has no kafka sink");
  std::vector<std::pair<std::string, std::string>> entries = p.run.status_kafka;
  const bool own = !entries.empty() && entries.front().first == "bootstrap.servers";
  if (!own) {
    if (p.sink.name != "kafka")
      return Status::Invalid(p.file +
                             ": run.status.topic: the sink is not Kafka, so set "
                             "run.status.bootstrap.servers");
    entries.insert(entries.begin(), {"bootstrap.servers", p.sink.config.str("bootstrap.servers")});
    for (const auto& kv : p.sink.config.passthrough) entries.push_back(kv);
  }
  entries.emplace_back("topic", p.run.status_topic);
  Config config;
  KPIPE_RETURN_IF_ERROR(parse_config(kafka->spec, entries, "run.status", &config));
  *out = kafka->make();
  return (*out)->open(config, context).with_context("run.status.topic " + p.run.status_topic);
}

}  // namespace

Status StatusEvents::open(const Pipeline& pipeline, const Registry& registry,
                          const std::string& task_id, std::unique_ptr<StatusEvents>* out) {
  std::unique_ptr<StatusEvents> events(new StatusEvents());
  const RunSettings& run = pipeline.run;
  events->settings_ = &run;
  events->connector_name_ = run.connector_name.empty() ? pipeline.name : run.connector_name;
  events->task_id_ = task_id;
  events->data_topic_ = data_topic(pipeline);
  events->state_file_ = pipeline.offsets_file + ".run.json";
  if (!run.status_file.empty()) {
    events->file_ = std::fopen(run.status_file.c_str(), "ab");
    if (!events->file_)
      return Status::Runtime("run.status.file " + run.status_file + ": " + std::strerror(errno));
  } else {
    RunContext context;
    context.pipeline_name = pipeline.name;
    context.pipeline_dir = pipeline.dir;
    KPIPE_RETURN_IF_ERROR(open_topic(pipeline, registry, context, &events->topic_sink_));
  }
  *out = std::move(events);
  return Status::Ok();
}

StatusEvents::~StatusEvents() {
  if (file_) std::fclose(file_);
  if (topic_sink_) topic_sink_->close();
}

Status StatusEvents::start(std::optional<uint64_t> predicted, bool exact) {
  last_ms_ = now_ms();
  std::string description = predicted ? std::to_string(*predicted) : "unknown";
  if (predicted && !exact) description += " (estimated)";
  // The previous run's state file, still there: it neither ended nor failed.
  std::ifstream previous(state_file_);
  if (previous) {
    std::stringstream text;
    text << previous.rdbuf();
    const Json state = Json::parse(text.str(), nullptr, false);
    std::string task = state.is_object() && state.contains("taskId") && state["taskId"].is_string()
                           ? state["taskId"].get<std::string>()
                           : "?";
    spdlog::warn("run.status: the previous run (task {}) ended without status", task);
    description += "; previous run (task " + task + ") ended without status";
  }
  KPIPE_RETURN_IF_ERROR(write_file_atomically(
      state_file_, Json{{"taskId", task_id_}, {"started", last_ms_}}.dump() + "\n"));
  return emit("start", description, 0);
}

bool StatusEvents::due(uint64_t records, int64_t at_ms) const {
  if (records == last_records_) return false;
  if (settings_->interval_records > 0 &&
      records - last_records_ >= static_cast<uint64_t>(settings_->interval_records))
    return true;
  return settings_->interval_ms > 0 && at_ms - last_ms_ >= settings_->interval_ms;
}

Status StatusEvents::processing(uint64_t records) {
  if (!due(records, now_ms())) return Status::Ok();
  last_records_ = records;
  last_ms_ = now_ms();
  return emit("processing", std::to_string(records), records);
}

Status StatusEvents::end(uint64_t records) {
  if (ended_) return Status::Ok();
  ended_ = true;
  Status st = emit("end", std::to_string(records), records);
  if (st.ok()) std::filesystem::remove(state_file_);
  return st;
}

Status StatusEvents::error(const std::string& message, uint64_t records) {
  if (ended_) return Status::Ok();
  ended_ = true;
  Status st = emit("error", message, records);
  if (st.ok()) std::filesystem::remove(state_file_);
  return st;
}

Status StatusEvents::emit(const std::string& stage, const std::string& description,
                          uint64_t records) {
  nlohmann::ordered_json event;
  event["connectorName"] = connector_name_;
  event["taskId"] = task_id_;
  event["dataTopicName"] = data_topic_;
  event["stage"] = stage;
  event["description"] = description;
  event["timestamp"] = now_ms();
  event["records"] = records;
  const std::string text = event.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (file_) {
    const std::string line = text + "\n";
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0 ||
        ::fsync(::fileno(file_)) != 0)
      return Status::Runtime("run.status.file " + settings_->status_file + ": " +
                             std::strerror(errno));
    return Status::Ok();
  }
  Batch batch(1);
  batch[0].topic = settings_->status_topic;
  batch[0].key_bytes = connector_name_;
  batch[0].value_bytes = text;
  KPIPE_RETURN_IF_ERROR(topic_sink_->write(batch).with_context("run.status.topic"));
  return topic_sink_->flush().with_context("run.status.topic " + settings_->status_topic);
}

}  // namespace kpipe
