#include "runner.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <unordered_map>

#include "errors.h"
#include "offsets.h"

namespace kpipe {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The newest offset per source partition among records written but not yet committed.
class PendingOffsets {
 public:
  void add(const Record& r) {
    if (!r.source_partition) return;  // e.g. stdin: no position to resume from
    auto [it, fresh] = index_.try_emplace(r.source_partition.get(), entries_.size());
    if (fresh) {
      entries_.emplace_back(r.source_partition, r.source_offset);
    } else {
      entries_[it->second].second = r.source_offset;
    }
  }
  std::vector<std::pair<Json, Json>> take() {
    std::vector<std::pair<Json, Json>> out;
    for (auto& [partition, offset] : entries_) out.emplace_back(*partition, std::move(offset));
    index_.clear();
    entries_.clear();
    return out;
  }
  bool empty() const { return entries_.empty(); }
  // Adds another set's newest offsets, as if its records came after this set's.
  void merge(PendingOffsets&& other) {
    for (auto& [partition, offset] : other.entries_) {
      auto [it, fresh] = index_.try_emplace(partition.get(), entries_.size());
      if (fresh) {
        entries_.emplace_back(std::move(partition), std::move(offset));
      } else {
        entries_[it->second].second = std::move(offset);
      }
    }
  }

 private:
  // Records of one partition share its Json object, so its address identifies the partition;
  // entries_ keeps the object alive so the address cannot be reused meanwhile.
  std::unordered_map<const Json*, size_t> index_;
  std::vector<std::pair<std::shared_ptr<const Json>, Json>> entries_;
};

class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled && ::isatty(STDERR_FILENO)) {}
  void update(uint64_t records, Clock::time_point start) {
    if (!enabled_) return;
    auto now = Clock::now();
    if (now - start < std::chrono::seconds(1) || now - last_ < std::chrono::milliseconds(250))
      return;
    last_ = now;
    double s = seconds_since(start);
    std::fprintf(stderr, "\r%llu records  %.0f records/s  %.1f s   ",
                 static_cast<unsigned long long>(records), records / s, s);
    std::fflush(stderr);
    shown_ = true;
  }
  void clear() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool enabled_;
  bool shown_ = false;
  Clock::time_point last_{};
};

class Run {
 public:
  Run(const Pipeline& p, const Registry& r, const RunOptions& o, const std::atomic<bool>& stopping)
      : pipeline_(p), registry_(r), options_(o), progress_(o.progress) {
    context_.pipeline_name = p.name;
    context_.pipeline_dir = p.dir;
    context_.follow = o.follow;
    context_.stopping = &stopping;
  }

  Status execute() {
    const std::string offsets_path =
        options_.offsets_file.empty() ? pipeline_.offsets_file : options_.offsets_file;
    KPIPE_RETURN_IF_ERROR(
        OffsetStore::open(offsets_path, pipeline_.name, OffsetStore::Mode::kWrite, &offsets_));
    const int64_t retry_timeout_ms = pipeline_.errors.integer("retry.timeout");
    start_ = Clock::now();
    Status st;
    std::optional<Clock::time_point> streak_start;  // first failure since the last progress
    int streak_retries = 0;
    for (;;) {
      progressed_ = false;
      st = attempt();
      if (st.ok() || !st.transient()) break;
      if (retry_timeout_ms == 0) {
        st = Status::Runtime(st.message() +
                             " (a transient failure: errors.retry.timeout would retry it)");
        break;
      }
      if (context_.stop_requested()) break;
      const auto now = Clock::now();
      if (progressed_ || !streak_start) {
        streak_start = now;
        streak_retries = 0;
      }
      const int64_t elapsed_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(now - *streak_start).count();
      if (retry_timeout_ms > 0 && elapsed_ms >= retry_timeout_ms) {
        st = Status::Runtime(st.message() + " (gave up after " + std::to_string(streak_retries) +
                             " retries over " + std::to_string(elapsed_ms) +
                             " ms: errors.retry.timeout is " + std::to_string(retry_timeout_ms) +
                             " ms)");
        break;
      }
      int64_t delay_ms = backoff_ms(streak_retries);
      if (retry_timeout_ms > 0) delay_ms = std::min(delay_ms, retry_timeout_ms - elapsed_ms);
      ++streak_retries;
      ++retries_;
      spdlog::warn(
          "pipeline '{}': retry {} in {} ms after a transient failure (re-opening from "
          "the committed offsets): {}",
          pipeline_.name, streak_retries, delay_ms, st.message());
      context_.sleep_ms(delay_ms);
      if (context_.stop_requested()) {
        st = st.with_context("stopped while waiting to retry");
        break;
      }
    }
    progress_.clear();
    if (ran_ || retries_ > 0) summary(st);
    return st;
  }

 private:
  // One run of the pipeline from the committed offsets: what a restart after a crash does, so a
  // retry keeps at-least-once and lets exactly-once sinks restore from their stored state.
  Status attempt() {
    (void)pending_.take();  // uncommitted offsets of a failed attempt: their records come again
    KPIPE_RETURN_IF_ERROR(make_components());
    Status st = open_components();
    if (st.ok()) {
      ran_ = true;
      last_commit_ = Clock::now();
      st = loop();
    }
    if (source_open_) source_->close();
    if (sink_open_) sink_->close();
    source_open_ = sink_open_ = false;
    errors_.reset();
    return st;
  }

  Status open_components() {
    KPIPE_RETURN_IF_ERROR(sink_->open(pipeline_.sink.config, context_).with_context("sink"));
    sink_open_ = true;
    KPIPE_RETURN_IF_ERROR(ErrorHandler::create(pipeline_.errors, pipeline_.sink.name,
                                               pipeline_.sink.config, registry_, context_,
                                               &errors_));
    KPIPE_RETURN_IF_ERROR(sink_->restore(*offsets_).with_context("sink"));
    if (sink_->stores_offsets()) {
      // The sink's offsets were committed with its data: they are what the target holds.
      std::vector<std::pair<Json, Json>> stored;
      KPIPE_RETURN_IF_ERROR(
          sink_->read_offsets(&stored).with_context("sink: reading its stored offsets"));
      if (!stored.empty()) KPIPE_RETURN_IF_ERROR(offsets_->commit(stored));
    }
    KPIPE_RETURN_IF_ERROR(
        source_->open(pipeline_.source.config, context_, *offsets_).with_context("source"));
    source_open_ = true;
    return Status::Ok();
  }

  // Exponential backoff with full jitter (AWS's recipe): uniform in [0, min(max, 300 ms * 2^n)];
  // 300 ms is Kafka Connect's first retry delay.
  int64_t backoff_ms(int retry) {
    const int64_t max_ms = pipeline_.errors.integer("retry.delay.max.ms");
    const int64_t ceiling = std::min<int64_t>(max_ms, int64_t{300} << std::min(retry, 20));
    return std::uniform_int_distribution<int64_t>(0, ceiling)(random_);
  }

  Status make_components() {
    source_ = registry_.source(pipeline_.source.name)->make();
    sink_ = registry_.sink(pipeline_.sink.name)->make();
    key_converter_ = registry_.converter(pipeline_.key_converter.name)->make();
    value_converter_ = registry_.converter(pipeline_.value_converter.name)->make();
    KPIPE_RETURN_IF_ERROR(key_converter_->configure(pipeline_.key_converter.config, true));
    return value_converter_->configure(pipeline_.value_converter.config, false);
  }

  Status loop() {
    const bool needs_bytes = sink_->needs_bytes();
    const bool produces_bytes = source_->produces_bytes();
    Batch batch;
    while (!context_.stop_requested()) {
      batch.clear();
      Status st = source_->poll(&batch);
      if (!st.ok()) return finish_after(st.with_context("source"));
      const size_t polled = batch.size();
      read_ += polled;
      // Every record's offset counts once the batch is written, skipped ones included. A record
      // that ends the run leaves the ones before it to be written and committed first.
      PendingOffsets batch_offsets;
      Status failure = prepare(batch, produces_bytes, needs_bytes, &batch_offsets);
      if (!batch.empty()) {
        KPIPE_RETURN_IF_ERROR(sink_->write(batch).with_context("sink"));
        written_ += batch.size();
      }
      pending_.merge(std::move(batch_offsets));
      if (!failure.ok()) return finish_after(failure);
      progress_.update(read_, start_);
      if (due_for_commit()) KPIPE_RETURN_IF_ERROR(commit());
      if (polled == 0 && source_->exhausted()) {
        progressed_ = true;  // caught up: a later failure starts a new retry streak
        if (!context_.follow) break;
      }
    }
    return commit();
  }

  // Runs the converters over the batch; records that fail (or that the source could not parse)
  // go to the errors policy and, when tolerated, leave the batch.
  Status prepare(Batch& batch, bool produces_bytes, bool needs_bytes, PendingOffsets* offsets) {
    size_t kept = 0;
    Status failure;
    for (size_t i = 0; i < batch.size(); ++i) {
      Record& r = batch[i];
      std::string stage, error;
      if (r.error) {
        stage = "source";
        error = *r.error;
      } else if (produces_bytes) {
        Status st = deserialize(r);
        if (!st.ok()) stage = "converter (from bytes)", error = st.message();
      }
      if (stage.empty() && needs_bytes) {
        Status st = serialize(r);
        if (!st.ok()) stage = "converter (to bytes)", error = st.message();
      }
      if (!stage.empty()) {
        failure = errors_->handle(stage, r, error);
        if (!failure.ok()) break;
        ++skipped_;
        offsets->add(r);
        continue;
      }
      offsets->add(r);
      if (kept != i) batch[kept] = std::move(r);
      ++kept;
    }
    batch.resize(kept);
    return failure;
  }

  // A failure after the sink saw every record before it: commit those, then report it.
  Status finish_after(const Status& failure) {
    Status st = commit();
    if (!st.ok()) spdlog::error("{}", st.message());
    return failure;
  }

  Status serialize(Record& r) {
    KPIPE_RETURN_IF_ERROR(key_converter_->to_bytes(r.topic, r.key_schema, r.key, &r.key_bytes));
    return value_converter_->to_bytes(r.topic, r.value_schema, r.value, &r.value_bytes);
  }

  Status deserialize(Record& r) {
    SchemaAndValue key, value;
    KPIPE_RETURN_IF_ERROR(
        key_converter_->from_bytes(r.topic, r.key_bytes, &key).with_context("key"));
    KPIPE_RETURN_IF_ERROR(
        value_converter_->from_bytes(r.topic, r.value_bytes, &value).with_context("value"));
    r.key_schema = std::move(key.schema);
    r.key = std::move(key.value);
    r.value_schema = std::move(value.schema);
    r.value = std::move(value.value);
    return Status::Ok();
  }

  bool due_for_commit() const {
    if (pending_.empty()) return false;
    return pipeline_.offsets_flush_interval_ms == 0 ||
           Clock::now() - last_commit_ >=
               std::chrono::milliseconds(pipeline_.offsets_flush_interval_ms);
  }

  // Flush first: an offset is committed only once the sink made every earlier record durable.
  Status commit() {
    auto updates = pending_.take();
    if (!updates.empty() && sink_->stores_offsets())
      KPIPE_RETURN_IF_ERROR(
          sink_->write_offsets(updates).with_context("sink (no offsets committed)"));
    KPIPE_RETURN_IF_ERROR(errors_->flush().with_context("(no offsets committed)"));
    KPIPE_RETURN_IF_ERROR(sink_->flush().with_context("sink flush (no offsets committed)"));
    last_commit_ = Clock::now();
    if (updates.empty()) return Status::Ok();
    if (auto position = sink_->position()) updates.push_back(std::move(*position));
    for (const auto& u : updates) committed_partitions_[u.first.dump()] = true;
    ++commits_;
    KPIPE_RETURN_IF_ERROR(offsets_->commit(updates));
    progressed_ = true;
    return source_->committed(updates).with_context("source");
  }

  void summary(const Status& st) {
    double s = seconds_since(start_);
    double rate = s > 0 ? static_cast<double>(written_) / s : 0;
    std::string line = fmt::format(
        "pipeline '{}' {}: read {} records, wrote {}, skipped {} in {:.2f} s ({:.0f} records/s); "
        "offsets committed {} time(s) for {} partition(s) to {}",
        pipeline_.name, st.ok() ? "done" : "failed", read_, written_, skipped_, s, rate, commits_,
        committed_partitions_.size(), offsets_->path());
    if (retries_ > 0)
      line += fmt::format("; retried {} time(s) after transient failures", retries_);
    if (st.ok()) {
      spdlog::info("{}", line);
    } else {
      spdlog::warn("{}", line);
    }
  }

  const Pipeline& pipeline_;
  const Registry& registry_;
  const RunOptions& options_;
  RunContext context_;
  Progress progress_;
  std::unique_ptr<OffsetStore> offsets_;
  std::unique_ptr<Source> source_;
  std::unique_ptr<Sink> sink_;
  std::unique_ptr<Converter> key_converter_, value_converter_;
  PendingOffsets pending_;
  std::unique_ptr<ErrorHandler> errors_;
  Clock::time_point start_, last_commit_;
  uint64_t read_ = 0, written_ = 0, skipped_ = 0, commits_ = 0, retries_ = 0;
  bool ran_ = false;                              // the loop ran at least once
  bool source_open_ = false, sink_open_ = false;  // of the current attempt
  bool progressed_ = false;                       // the current attempt committed or caught up
  std::mt19937_64 random_{std::random_device{}()};
  std::unordered_map<std::string, bool> committed_partitions_;
};

}  // namespace

Status run_pipeline(const Pipeline& pipeline, const Registry& registry, const RunOptions& options,
                    const std::atomic<bool>& stopping) {
  Run run(pipeline, registry, options, stopping);
  return run.execute();
}

}  // namespace kpipe
