// StatusEvents: seed 002's status messages, so a scheduler knows what a run did without parsing
// logs: one JSON object per event
//   {"connectorName":..,"taskId":..,"dataTopicName":..,"stage":"start|processing|end|error",
//    "description":..,"timestamp":<ms>,"records":<written so far>}
// where description is, as the seed has it, the predicted total at start ("unknown" when the
// source cannot say), the records written so far when processing, the exact total at end, and
// the error at error. Events go to a Kafka topic or are appended as JSON lines to a file.
//
// Every run has one start and then exactly one end or error. A run killed with -9 leaves its
// start alone; a state file beside the offsets file ("<offsets>.run.json", written at start,
// removed at end or error) lets the next run's start say "previous run ended without status".
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "pipeline.h"
#include "registry.h"
#include "status.h"

namespace kpipe {

class Sink;

class StatusEvents {
 public:
  // Opens the file or the topic's producer (an unreachable cluster fails here, before the run).
  static Status open(const Pipeline& pipeline, const Registry& registry, const std::string& task_id,
                     std::unique_ptr<StatusEvents>* out);
  ~StatusEvents();

  // Each event is durable (fsync, or acknowledged by Kafka) when the call returns Ok.
  Status start(std::optional<uint64_t> predicted, bool exact);
  Status processing(uint64_t records);
  Status end(uint64_t records);
  Status error(const std::string& message, uint64_t records);

  // A processing event is due after `records` written at `now_ms` (run.status.interval.*).
  bool due(uint64_t records, int64_t now_ms) const;

 private:
  StatusEvents() = default;
  Status emit(const std::string& stage, const std::string& description, uint64_t records);

  const RunSettings* settings_ = nullptr;
  std::string connector_name_, task_id_, data_topic_, state_file_;
  std::FILE* file_ = nullptr;
  std::unique_ptr<Sink> topic_sink_;
  uint64_t last_records_ = 0;
  int64_t last_ms_ = 0;
  bool ended_ = false;
};

}  // namespace kpipe
