#include "run/run_settings.h"

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <random>

namespace kpipe {

namespace {

// A key of the block, flattened ("status.file"), its text and where it was written.
struct Entry {
  std::string key, text;
  Location where;
};

Location location_of(const std::string& file, const YAML::Node& node) {
  return Location{file, node.Mark().line + 1, node.Mark().column + 1};
}

Status unknown(const std::string& key, const Location& where) {
  std::vector<std::string> names;
  for (const auto& f : run_spec().fields) names.push_back(f.name);
  const std::string near = closest(key, names);
  return Status::Invalid(where.to_string() + ": unknown key '" + key + "' in run" +
                         (near.empty() ? "" : "; did you mean '" + near + "'?") +
                         " See: kpipe describe run");
}

// `headers: {taskId: job}` and `status: {file: x}` become headers.taskId and status.file;
// `headers: true` stays headers. Keys under status that run_spec() does not declare are
// librdkafka's, for the status topic's producer.
Status flatten(const YAML::Node& block, const std::string& file, std::vector<Entry>* entries,
               std::vector<Entry>* kafka) {
  for (const auto& kv : block) {
    const std::string key = kv.first.as<std::string>();
    const Location where = location_of(file, kv.first);
    const bool nested = key == "headers" || key == "status";
    if (nested && kv.second.IsMap()) {
      for (const auto& sub : kv.second) {
        const std::string name = key + "." + sub.first.as<std::string>();
        const Location at = location_of(file, sub.first);
        if (!sub.second.IsScalar())
          return Status::Invalid(at.to_string() + ": run." + name + ": expected a value");
        if (run_spec().find(name)) {
          entries->push_back({name, sub.second.Scalar(), at});
        } else if (key == "status") {
          kafka->push_back({sub.first.as<std::string>(), sub.second.Scalar(), at});
        } else {
          return unknown(name, at);
        }
      }
      continue;
    }
    if (!run_spec().find(key)) return unknown(key, where);
    if (!kv.second.IsScalar())
      return Status::Invalid(where.to_string() + ": run." + key +
                             (nested ? ": expected a mapping or a value" : ": expected a value"));
    entries->push_back({key, kv.second.Scalar(), where});
  }
  return Status::Ok();
}

std::string header_name(const Config& c, const std::string& key) {
  return c.str("headers." + key);
}

}  // namespace

const ConfigSpec& run_spec() {
  static const ConfigSpec spec{
      "run",
      ComponentKind::kPipeline,
      "The pipeline file's run: block: task id, batch headers and status events for scheduled "
      "runs",
      {
          {"task.id", FieldType::kString, std::nullopt, false,
           "The run's task id; --task-id wins. Default: a generated run id"},
          {"headers", FieldType::kBool, "false", false,
           "Add the batch headers taskId, predictedTotal, currentIndex (1-based) and isEnd (true "
           "on the last record of the run) to every record; a mapping renames them"},
          {"headers.taskId", FieldType::kString, "taskId", false, "Name of the taskId header"},
          {"headers.predictedTotal", FieldType::kString, "predictedTotal", false,
           "Name of the predictedTotal header"},
          {"headers.currentIndex", FieldType::kString, "currentIndex", false,
           "Name of the currentIndex header"},
          {"headers.isEnd", FieldType::kString, "isEnd", false, "Name of the isEnd header"},
          {"status.file", FieldType::kString, std::nullopt, false,
           "Append status events as JSON lines to this file (relative to the pipeline file)"},
          {"status.topic", FieldType::kString, std::nullopt, false,
           "Write status events to this Kafka topic (the Kafka sink's cluster unless "
           "status.bootstrap.servers is set; other status.* keys go to librdkafka)"},
          {"status.bootstrap.servers", FieldType::kString, std::nullopt, false,
           "Kafka of the status topic; default: the Kafka sink's"},
          {"status.connector.name", FieldType::kString, std::nullopt, false,
           "connectorName of the status events; default: the pipeline's name"},
          {"status.interval.records",
           FieldType::kInt,
           "0",
           false,
           "A processing event every N records; 0: none by count",
           {},
           false,
           0},
          {"status.interval.ms",
           FieldType::kInt,
           "0",
           false,
           "A processing event at most this often while records flow; 0: none by time",
           {},
           false,
           0},
      }};
  return spec;
}

Status parse_run_settings(const YAML::Node& block, const std::string& file, const std::string& dir,
                          RunSettings* out) {
  if (!block.IsMap())
    return Status::Invalid(location_of(file, block).to_string() +
                           ": run must be a mapping of keys");
  std::vector<Entry> entries, kafka;
  KPIPE_RETURN_IF_ERROR(flatten(block, file, &entries, &kafka));
  std::vector<std::pair<std::string, std::string>> flat;
  std::map<std::string, Location> where;
  for (const Entry& e : entries) {
    if (where.count(e.key))
      return Status::Invalid(e.where.to_string() + ": run: key '" + e.key + "' given twice");
    Config one;  // each key alone first, so that its error names its line
    Status st = parse_config(run_spec(), {{e.key, e.text}}, "run", &one);
    if (!st.ok()) return Status::Invalid(e.where.to_string() + ": " + st.message());
    flat.emplace_back(e.key, e.text);
    where[e.key] = e.where;
  }
  // headers: {..} turns the headers on.
  bool renamed = false;
  for (const Entry& e : entries) renamed |= e.key.rfind("headers.", 0) == 0;
  if (renamed && !where.count("headers")) flat.emplace_back("headers", "true");
  Config c;
  KPIPE_RETURN_IF_ERROR(parse_config(run_spec(), flat, "run", &c));
  c.locations = where;
  if (c.has("task.id")) out->task_id = c.str("task.id");
  out->headers = c.boolean("headers");
  out->task_id_header = header_name(c, "taskId");
  out->predicted_header = header_name(c, "predictedTotal");
  out->index_header = header_name(c, "currentIndex");
  out->is_end_header = header_name(c, "isEnd");
  const std::vector<std::string> names = {out->task_id_header, out->predicted_header,
                                          out->index_header, out->is_end_header};
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string at = location_of(file, block).to_string() + ": run.headers: ";
    if (names[i].empty()) return Status::Invalid(at + "a header name must not be empty");
    for (size_t j = 0; j < i; ++j)
      if (names[i] == names[j])
        return Status::Invalid(at + "two headers are named '" + names[i] + "'");
  }
  if (c.has("status.file") && c.has("status.topic"))
    return c.invalid("status.topic", "give status.file or status.topic, not both");
  if (c.has("status.file")) {
    std::filesystem::path path(c.str("status.file"));
    if (path.empty()) return c.invalid("status.file", "must not be empty");
    out->status_file =
        (path.is_absolute() ? path : std::filesystem::path(dir) / path).lexically_normal().string();
  }
  if (c.has("status.topic")) {
    out->status_topic = c.str("status.topic");
    if (out->status_topic.empty()) return c.invalid("status.topic", "must not be empty");
  }
  if (!kafka.empty() && out->status_topic.empty())
    return unknown("status." + kafka.front().key, kafka.front().where);
  if (c.has("status.bootstrap.servers")) {
    if (out->status_topic.empty())
      return c.invalid("status.bootstrap.servers", "is for status.topic, which is not set");
    out->status_kafka.emplace_back("bootstrap.servers", c.str("status.bootstrap.servers"));
  }
  for (const Entry& e : kafka) out->status_kafka.emplace_back(e.key, e.text);
  if (c.has("status.connector.name")) out->connector_name = c.str("status.connector.name");
  out->interval_records = c.integer("status.interval.records");
  out->interval_ms = c.integer("status.interval.ms");
  if (!out->status() && (c.user_set("status.interval.records") ||
                         c.user_set("status.interval.ms") || c.has("status.connector.name")))
    return Status::Invalid(location_of(file, block).to_string() +
                           ": run.status: give status.file or status.topic");
  return Status::Ok();
}

std::string generate_run_id() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  std::random_device random;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%06x", random() & 0xffffff);
  return std::string(stamp) + "-" + suffix;
}

}  // namespace kpipe
