// Source and Sink: Kafka Connect's task interfaces, reduced to what an in-process runner needs.
// The runner owns offsets, retries, errors and commit points; connectors own their I/O only.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "config.h"
#include "record.h"
#include "status.h"

namespace kpipe {

// Read access to the committed offsets: source partition -> offset (Connect's OffsetStorageReader).
class OffsetReader {
 public:
  virtual ~OffsetReader() = default;
  virtual std::optional<Json> offset(const Json& partition) const = 0;
};

// What every component may need to know about the run it is part of.
struct RunContext {
  std::string pipeline_name;
  std::string pipeline_dir;  // folder of the pipeline file; relative paths resolve against the cwd
  bool follow = false;       // --follow: keep polling after catching up
  // The run's task id (--task-id, run.task.id, else a generated run id) and the names of the
  // batch headers that carry it and the end of a task (run.headers; seed 002): a Kafka source
  // with stop.at end-of-task stops at the record of its task marked as the end.
  std::string task_id;
  bool task_id_given = false;  // by --task-id or run.task.id, not generated
  std::string task_id_header = "taskId";
  std::string index_header = "currentIndex";
  std::string is_end_header = "isEnd";
  // Set on SIGINT/SIGTERM. A source waiting for data checks it at least every 100 ms and returns.
  const std::atomic<bool>* stopping = nullptr;
  bool stop_requested() const { return stopping && stopping->load(std::memory_order_relaxed); }
  // Sleeps `ms`, or less when a stop is requested meanwhile (checked every 100 ms at most).
  void sleep_ms(int64_t ms) const {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!stop_requested() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          std::chrono::milliseconds(100), until - std::chrono::steady_clock::now()));
  }
};

// What a source expects to emit in a run (seed 002's predictedTotal).
struct Estimate {
  std::optional<uint64_t> records;  // nullopt: the source cannot say
  bool exact = false;               // a count of what this run will emit, not an estimate
  std::string how;                  // for logs and status events: "COUNT(*) over 2 tables"
};

class Source {
 public:
  virtual ~Source() = default;
  virtual Status open(const Config& config, const RunContext& context,
                      const OffsetReader& offsets) = 0;
  // Appends the next records to `batch` (which the runner passed in empty). An empty batch with
  // exhausted() == true means caught up; an empty batch otherwise means "nothing yet, poll again"
  // (the source waits its own poll interval before returning empty).
  virtual Status poll(Batch* batch) = 0;
  virtual bool exhausted() const = 0;
  // Called at most once, after open() and before the first poll(), when the run wants a total
  // (run.headers, run.status, a progress bar): how many records poll() will emit from the
  // committed offsets until exhausted(). A source that counts (`exact`) emits exactly what it
  // counted unless the data changes meanwhile (it fixes its upper bound here). Default: unknown.
  virtual Status estimate(Estimate* out) {
    *out = Estimate{};
    return Status::Ok();
  }
  // True when records arrive as bytes (Record::key_bytes / value_bytes, e.g. from Kafka): the
  // runner's converters then turn them into schemas and values (from_bytes) before the sink.
  virtual bool produces_bytes() const { return false; }
  // Called after these offsets were committed to the offsets file, i.e. after the sink made their
  // records durable (a Kafka source commits them to its consumer group here).
  virtual Status committed(const std::vector<std::pair<Json, Json>>& offsets) {
    (void)offsets;
    return Status::Ok();
  }
  virtual void close() {}
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual Status open(const Config& config, const RunContext& context) = 0;
  // True when the sink writes converter bytes (Record::key_bytes / value_bytes); the runner then
  // runs the converters before write().
  virtual bool needs_bytes() const { return true; }
  // May remove from `batch` records the target already holds (the Kafka sink's exactly-once
  // recovery); the runner counts what is left as written.
  virtual Status write(Batch& batch) = 0;
  // After an ok return every record written so far is durable in the target.
  virtual Status flush() = 0;

  // A sink that learns of durability asynchronously (Kafka acknowledgements) may say so:
  // acknowledged() waits until at least `wait_for` of the records written so far are durable
  // (0: does not wait), sets *count to how many are, in write order (a prefix), and fails if one
  // of them was rejected. The runner then keeps a few batches in flight while it writes more,
  // committing the offsets of acknowledged records, instead of stalling on flush() after each
  // batch; the final commit still flushes. Not for a sink doing exactly-once (position()).
  virtual bool acknowledges() const { return false; }
  virtual Status acknowledged(uint64_t wait_for, uint64_t* count) {
    (void)wait_for;
    *count = 0;
    return Status::Ok();
  }

  // Exactly-once: a sink that can store source offsets atomically with its data (a database
  // transaction) returns true; the runner then hands it the offsets of each commit right before
  // flush(), and at start takes the offsets it stored as the truth (they describe exactly what
  // the target holds), writing them to the offsets file before the source opens.
  virtual bool stores_offsets() const { return false; }
  virtual Status write_offsets(const std::vector<std::pair<Json, Json>>& offsets) {
    (void)offsets;
    return Status::Ok();
  }
  virtual Status read_offsets(std::vector<std::pair<Json, Json>>* offsets) {
    (void)offsets;
    return Status::Ok();
  }

  // Exactly-once for a sink whose state can live in the offsets file (the file sink): after each
  // flush the runner commits position() atomically with the source offsets, as one more entry;
  // at start restore() gets the committed entries back, so the sink can cut what a crash left
  // after its committed position.
  virtual std::optional<std::pair<Json, Json>> position() const { return std::nullopt; }
  virtual Status restore(const OffsetReader& offsets) {
    (void)offsets;
    return Status::Ok();
  }
  virtual void close() {}
};

}  // namespace kpipe
