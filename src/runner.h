// The runner: source -> converters -> sink, committing source offsets only after the sink's
// flush made every earlier record durable (at-least-once by construction).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <string>

#include "pipeline.h"
#include "registry.h"
#include "status.h"

namespace kpipe {

// What a run did so far.
struct RunCounts {
  uint64_t read = 0, written = 0, skipped = 0, filtered = 0, dead_lettered = 0;
  uint64_t record_errors = 0;  // records that failed a stage, skipped or not
  uint64_t retries = 0, commits = 0;
  uint64_t bytes = 0;  // key and value bytes written, for sinks that write converter bytes
  Estimate predicted;  // the source's estimate at the start, when the run asked for one
  bool caught_up = false;
};

// Told about a run as it goes, on the runner's thread (status events, metrics, the summary).
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // Once per run: after the source opened and estimated, or before finished() when it never did.
  virtual void started(const RunCounts& counts) = 0;
  virtual void progressed(const RunCounts& counts) = 0;  // after each batch
  virtual void finished(const Status& st, const RunCounts& counts) = 0;
  // Whether started() needs the source's estimate (a COUNT(*) is not free).
  virtual bool wants_estimate() const = 0;
};

struct RunOptions {
  bool follow = false;       // keep polling after catching up
  std::string offsets_file;  // overrides the pipeline's offsets file when not empty
  bool progress = true;      // a progress line when stderr is a terminal
  std::string task_id;       // --task-id, else run.task.id, else a generated run id
  bool task_id_given = false;
  RunObserver* observer = nullptr;
  // --dry-run: records go to `dry_run_out` as JSON lines instead of the sink; nothing is
  // committed; at most `limit` records when it is not 0.
  bool dry_run = false;
  uint64_t limit = 0;
  std::FILE* dry_run_out = stdout;
};

// A sink that acknowledges asynchronously (Sink::acknowledges) has at most this many batches
// unacknowledged after each write; a crash replays at most those, the one being written and what
// the offsets thread has not written yet. One is not enough to keep a sink busy: into Kafka the
// runner produces a batch in about the time the brokers take to acknowledge one.
inline constexpr size_t kMaxUnacknowledgedBatches = 4;

// Runs until the source is caught up (or forever with follow) or `stopping` becomes true.
// A graceful stop flushes, commits and returns Ok. A transient failure (Status::transient) is
// retried as the errors block's retry.timeout / retry.delay.max.ms say: source and sink are closed
// and opened again from the committed offsets, as after a crash; a stop during the wait between
// two attempts returns the last failure.
Status run_pipeline(const Pipeline& pipeline, const Registry& registry, const RunOptions& options,
                    const std::atomic<bool>& stopping);

}  // namespace kpipe
