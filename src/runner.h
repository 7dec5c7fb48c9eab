// The runner: source -> converters -> sink, committing source offsets only after the sink's
// flush made every earlier record durable (at-least-once by construction).
#pragma once

#include <atomic>
#include <cstddef>
#include <string>

#include "pipeline.h"
#include "registry.h"
#include "status.h"

namespace kpipe {

struct RunOptions {
  bool follow = false;       // keep polling after catching up
  std::string offsets_file;  // overrides the pipeline's offsets file when not empty
  bool progress = true;      // a progress line when stderr is a terminal
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
