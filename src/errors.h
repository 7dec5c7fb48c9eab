// The errors policy (Kafka Connect's errors.* keys): a record that fails in a stage (the source
// could not parse it, a converter could not convert it) either ends the run, naming the record
// (tolerance none, the default), or is skipped, logged, and written to a dead-letter queue
// (tolerance all). A dead-letter queue is made durable before any offset past its records is
// committed. The block's retry.timeout and retry.delay.max.ms are the runner's (runner.cc):
// how long it retries a transient failure (Status::transient) by re-opening the pipeline.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "config.h"
#include "connector.h"
#include "record.h"
#include "registry.h"
#include "status.h"

namespace kpipe {

// The `errors:` block of a pipeline file.
const ConfigSpec& errors_spec();

class ErrorHandler {
 public:
  // `sink_config` provides bootstrap.servers for a Kafka dead-letter topic when the pipeline's
  // sink is Kafka and the errors block does not name its own.
  static Status create(const Config& errors, const std::string& sink_name,
                       const Config& sink_config, const Registry& registry,
                       const RunContext& context, std::unique_ptr<ErrorHandler>* out);
  ~ErrorHandler();

  // Ok: skip the record (it was logged and dead-lettered). Otherwise the run ends with the
  // returned status, which names the stage and the record. `class_name`: the transform or
  // converter class that failed, when known (__connect.errors.class.name).
  Status handle(const std::string& stage, const Record& record, const std::string& message,
                const std::string& class_name = "");
  // Makes every dead-lettered record durable (before offsets are committed).
  Status flush();
  uint64_t tolerated() const { return tolerated_; }
  // Whether skipped records go to a dead-letter file or topic.
  bool dead_letters() const { return file_ != nullptr || topic_sink_ != nullptr; }

 private:
  ErrorHandler() = default;
  Status write_file(const std::string& stage, const Record& record, const std::string& message,
                    const std::string& class_name);
  Status write_topic(const std::string& stage, const Record& record, const std::string& message,
                     const std::string& class_name);

  bool tolerate_all_ = false;
  bool log_ = false;
  bool log_messages_ = false;
  bool context_headers_ = false;
  std::string pipeline_;
  std::string file_path_;
  std::FILE* file_ = nullptr;
  std::string topic_;
  std::unique_ptr<Sink> topic_sink_;
  uint64_t tolerated_ = 0;
};

// Where a record came from, for messages: `{"filename":"/x"} at {"position":12}` or the topic.
std::string describe_position(const Record& record);

}  // namespace kpipe
