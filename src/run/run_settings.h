// RunSettings: the pipeline file's `run:` block, for scheduled runs (seed 002): the task id, the
// batch headers every record carries, and where status events go.
//
//   run:
//     task.id: "100003"          # --task-id wins; default: a generated run id
//     headers: true              # or {taskId: job, isEnd: last, ...} to rename them
//     status:
//       file: status.jsonl       # or topic: pkuse_status (on the Kafka sink's cluster, or
//       connector.name: x        #    status.bootstrap.servers and librdkafka keys here)
//       interval.records: 10000  # a processing event every N records and/or interval.ms
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "config.h"
#include "status.h"

namespace YAML {
class Node;
}

namespace kpipe {

struct RunSettings {
  std::string task_id;  // empty: the CLI's --task-id, else a generated run id
  bool headers = false;
  // The four batch headers' names, as seed 002 has them unless renamed.
  std::string task_id_header = "taskId";
  std::string predicted_header = "predictedTotal";
  std::string index_header = "currentIndex";
  std::string is_end_header = "isEnd";
  // Status events: at most one of file / topic.
  std::string status_file;  // resolved against the pipeline file's folder
  std::string status_topic;
  std::string connector_name;  // default: the pipeline's name
  int64_t interval_records = 0, interval_ms = 0;
  // Kafka of the status topic: bootstrap.servers and librdkafka keys; empty: the Kafka sink's.
  std::vector<std::pair<std::string, std::string>> status_kafka;

  bool status() const { return !status_file.empty() || !status_topic.empty(); }
};

// The `run:` block's keys, for `kpipe describe run`.
const ConfigSpec& run_spec();

// Parses the block; `dir` anchors a relative status.file. Errors name file:line:column and key.
Status parse_run_settings(const YAML::Node& block, const std::string& file, const std::string& dir,
                          RunSettings* out);

// A run id for a run without a task id: UTC time and a random suffix, "20261205T051512Z-3fa2c1".
std::string generate_run_id();

}  // namespace kpipe
