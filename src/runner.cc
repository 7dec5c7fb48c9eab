#include "runner.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>

#include "errors.h"
#include "offsets.h"
#include "run/batch_headers.h"
#include "run/dry_run_sink.h"

namespace kpipe {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The newest offset per source partition among records written but not yet committed.
class PendingOffsets {
 public:
  // The newest offset of each partition among batch[0, end): one copy per partition and batch,
  // not per record (walking backwards, the first record of a partition is its newest).
  static PendingOffsets newest_in(const Batch& batch, size_t end) {
    PendingOffsets out;
    for (size_t i = end; i-- > 0;) {
      const Record& r = batch[i];
      if (!r.source_partition) continue;  // e.g. stdin: no position to resume from
      if (out.index_.try_emplace(r.source_partition.get(), out.entries_.size()).second)
        out.entries_.emplace_back(r.source_partition, r.source_offset);
    }
    return out;
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
    other.index_.clear();
    other.entries_.clear();
  }

 private:
  // Records of one partition share its Json object, so its address identifies the partition;
  // entries_ keeps the object alive so the address cannot be reused meanwhile.
  std::unordered_map<const Json*, size_t> index_;
  std::vector<std::pair<std::shared_ptr<const Json>, Json>> entries_;
};

// Writes the offsets file on its own thread, so the pipeline does not wait for its fsyncs. Offsets
// are submitted only once the sink made their records durable; they are written in submission
// order, and those submitted while a write is under way are written together; a lone submission
// waits up to kGatherMs for the next one: a commit every other batch, or as often as the disk
// allows. So that a crash replays a bounded number of batches,
// submit() waits while kMaxQueued submissions are already waiting: at most 2 x kMaxQueued batches
// are durable in the sink but not yet committed.
class Committer {
 public:
  explicit Committer(OffsetStore* store) : store_(store), thread_([this] { work(); }) {}
  ~Committer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();  // after writing whatever was submitted
  }

  static constexpr int kMaxQueued = 2;
  // How long a single submission waits for the next before it is written alone.
  static constexpr int kGatherMs = 20;

  void submit(std::vector<std::pair<Json, Json>> updates) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      done_.wait(lock, [this] { return queued_submissions_ < kMaxQueued || !failure_.ok(); });
      ++queued_submissions_;
      // In order: OffsetStore::commit applies them so, a partition's newer offset last.
      for (auto& update : updates) queued_.push_back(std::move(update));
    }
    wake_.notify_all();
  }

  // Moves the offsets written since the last call to *written; returns the first write failure.
  Status collect(std::vector<std::pair<Json, Json>>* written) {
    std::lock_guard<std::mutex> lock(mu_);
    written->swap(written_);
    written_.clear();
    return failure_;
  }

  // Waits until everything submitted is written (or a write failed).
  Status drain(std::vector<std::pair<Json, Json>>* written) {
    std::unique_lock<std::mutex> lock(mu_);
    draining_ = true;
    wake_.notify_all();
    done_.wait(lock, [this] { return (queued_.empty() && !busy_) || !failure_.ok(); });
    draining_ = false;
    written->swap(written_);
    written_.clear();
    return failure_;
  }

  uint64_t writes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return writes_;
  }

 private:
  void work() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_.wait(lock, [this] { return !queued_.empty() || stopping_; });
      if (queued_.empty() || !failure_.ok()) {
        if (stopping_) return;
        queued_.clear();  // after a failure nothing more is committed
        queued_submissions_ = 0;
        done_.notify_all();
        continue;
      }
      // A second submission is usually a batch away: writing both at once halves the writes
      // (each costs an fsync of the file and of its folder) and keeps the replay bound.
      if (queued_submissions_ < kMaxQueued && !stopping_ && !draining_) {
        wake_.wait_for(lock, std::chrono::milliseconds(kGatherMs), [this] {
          return queued_submissions_ >= kMaxQueued || stopping_ || draining_;
        });
      }
      std::vector<std::pair<Json, Json>> updates;
      updates.swap(queued_);
      queued_submissions_ = 0;
      busy_ = true;
      done_.notify_all();  // room for the next submission
      lock.unlock();
      Status st = store_->commit(updates);
      lock.lock();
      busy_ = false;
      if (st.ok()) {
        ++writes_;
        for (auto& u : updates) written_.push_back(std::move(u));
      } else if (failure_.ok()) {
        failure_ = st;
      }
      done_.notify_all();
    }
  }

  OffsetStore* store_;
  mutable std::mutex mu_;
  std::condition_variable wake_, done_;
  std::vector<std::pair<Json, Json>> queued_, written_;
  int queued_submissions_ = 0;  // in queued_
  bool busy_ = false, stopping_ = false, draining_ = false;
  Status failure_;
  uint64_t writes_ = 0;
  std::thread thread_;  // last: started once the members above exist
};

// The progress line on a terminal (never elsewhere: cron mail stays clean); a bar with the
// percentage and the time left when the source said how many records to expect.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled && ::isatty(STDERR_FILENO)) {}
  bool enabled() const { return enabled_; }
  void update(uint64_t records, Clock::time_point start, std::optional<uint64_t> total) {
    if (!enabled_) return;
    auto now = Clock::now();
    if (now - start < std::chrono::seconds(1) || now - last_ < std::chrono::milliseconds(250))
      return;
    last_ = now;
    const double s = seconds_since(start);
    const double rate = records / s;
    if (total && *total > 0) {
      const double done = std::min(1.0, static_cast<double>(records) / *total);
      const int filled = static_cast<int>(done * 30);
      const double left = rate > 0 && records < *total ? (*total - records) / rate : 0;
      std::fprintf(stderr, "\r[%s%s] %3.0f%%  %llu/%llu records  %.0f records/s  ETA %.0f s   ",
                   std::string(filled, '#').c_str(), std::string(30 - filled, '.').c_str(),
                   done * 100, static_cast<unsigned long long>(records),
                   static_cast<unsigned long long>(*total), rate, left);
    } else {
      std::fprintf(stderr, "\r%llu records  %.0f records/s  %.1f s   ",
                   static_cast<unsigned long long>(records), rate, s);
    }
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
    context_.task_id = o.task_id;
    context_.task_id_given = o.task_id_given;
    context_.task_id_header = p.run.task_id_header;
    context_.index_header = p.run.index_header;
    context_.is_end_header = p.run.is_end_header;
  }

  Status execute() {
    if (pipeline_.run.headers && options_.follow)
      return Status::Invalid(pipeline_.file +
                             ": run.headers marks the last record of a run, and a --follow run "
                             "has no last record: run it without --follow (e.g. from cron)");
    const std::string offsets_path =
        options_.offsets_file.empty() ? pipeline_.offsets_file : options_.offsets_file;
    KPIPE_RETURN_IF_ERROR(OffsetStore::open(
        offsets_path, pipeline_.name,
        options_.dry_run ? OffsetStore::Mode::kRead : OffsetStore::Mode::kWrite, &offsets_));
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
      ++counts_.retries;
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
    if (options_.observer) {
      if (!started_) options_.observer->started(counts_);
      options_.observer->finished(st, counts_);
    }
    if (ran_ || counts_.retries > 0) summary(st);
    return st;
  }

 private:
  // One run of the pipeline from the committed offsets: what a restart after a crash does, so a
  // retry keeps at-least-once and lets exactly-once sinks restore from their stored state.
  Status attempt() {
    // Uncommitted offsets of a failed attempt: their records come again.
    (void)pending_.take();
    unacked_.clear();
    held_.clear();
    held_offsets_ = PendingOffsets();
    sink_written_ = acked_written_ = 0;          // a new sink counts its acknowledgements from 0
    attempt_index_ = index_ = index_committed_;  // replayed records get their indexes again
    KPIPE_RETURN_IF_ERROR(make_components());
    Status st = open_components();
    if (st.ok() && !started_) start_run();
    if (st.ok()) {
      ran_ = true;
      last_commit_ = Clock::now();
      committer_ = std::make_unique<Committer>(offsets_.get());
      st = loop();
      // Whatever was committed is written before the attempt ends, failed or not: the next one
      // opens the source from it.
      Status written = drain_commits();
      if (st.ok()) {
        st = written;
      } else if (!written.ok()) {
        spdlog::error("{}", written.message());
      }
      counts_.commits += committer_->writes();
      committer_.reset();
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
    Config errors = pipeline_.errors;
    if (options_.dry_run) {  // the policy applies, but nothing is dead-lettered for real
      errors.values.erase("deadletterqueue.file");
      errors.values.erase("deadletterqueue.topic.name");
    }
    KPIPE_RETURN_IF_ERROR(ErrorHandler::create(errors, pipeline_.sink.name, pipeline_.sink.config,
                                               registry_, context_, &errors_));
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

  // Once per run, when the first attempt opened: the source's estimate, the batch headers, the
  // observer's start.
  void start_run() {
    started_ = true;
    const bool observed = options_.observer && options_.observer->wants_estimate();
    if (pipeline_.run.headers || observed || progress_.enabled()) {
      Status st = source_->estimate(&counts_.predicted);
      if (!st.ok()) {
        spdlog::warn("pipeline '{}': the source could not estimate its records: {}", pipeline_.name,
                     st.message());
        counts_.predicted = Estimate{};
      } else if (counts_.predicted.records) {
        const std::string& how = counts_.predicted.how;
        spdlog::info("pipeline '{}': the source expects {} {} records{}", pipeline_.name,
                     counts_.predicted.exact ? "exactly" : "about", *counts_.predicted.records,
                     how.empty() ? "" : " (" + how + ")");
      }
    }
    if (pipeline_.run.headers)
      headers_ = std::make_unique<BatchHeaders>(pipeline_.run, options_.task_id,
                                                counts_.predicted.records);
    if (options_.observer) options_.observer->started(counts_);
  }

  Status make_components() {
    source_ = registry_.source(pipeline_.source.name)->make();
    sink_ = options_.dry_run ? make_dry_run_sink(options_.dry_run_out)
                             : registry_.sink(pipeline_.sink.name)->make();
    key_converter_ = registry_.converter(pipeline_.key_converter.name)->make();
    value_converter_ = registry_.converter(pipeline_.value_converter.name)->make();
    KPIPE_RETURN_IF_ERROR(key_converter_->configure(pipeline_.key_converter.config, true));
    KPIPE_RETURN_IF_ERROR(value_converter_->configure(pipeline_.value_converter.config, false));
    return TransformChain::create(pipeline_.transforms, pipeline_.predicates, registry_,
                                  &transforms_);
  }

  Status loop() {
    const bool needs_bytes = sink_->needs_bytes();
    const bool produces_bytes = source_->produces_bytes();
    acknowledges_ = sink_->acknowledges();
    Batch batch;
    while (!context_.stop_requested() && !reached_limit()) {
      batch.clear();
      Status st = source_->poll(&batch);
      if (!st.ok()) return finish_after(st.with_context("source"));
      const size_t polled = batch.size();
      counts_.read += polled;
      // Every record's offset counts once the batch is written, skipped ones included. A record
      // that ends the run leaves the ones before it to be written and committed first.
      PendingOffsets batch_offsets;
      Status failure = prepare(batch, produces_bytes, needs_bytes, &batch_offsets);
      if (options_.limit > 0 && batch.size() > options_.limit - emitted()) {
        batch.resize(options_.limit - emitted());
        limited_ = true;  // the run ends here, not at the source's end
      }
      KPIPE_RETURN_IF_ERROR(headers_ ? hold(batch, std::move(batch_offsets))
                                     : write(batch, std::move(batch_offsets)));
      if (acknowledges_) KPIPE_RETURN_IF_ERROR(collect_acknowledged());
      if (!failure.ok()) return finish_after(failure);
      progress_.update(counts_.read, start_, counts_.predicted.records);
      if (options_.observer) options_.observer->progressed(counts_);
      if (due_for_commit()) KPIPE_RETURN_IF_ERROR(acknowledges_ ? commit_acknowledged() : commit());
      if (polled == 0 && source_->exhausted()) {
        progressed_ = true;  // caught up: a later failure starts a new retry streak
        counts_.caught_up = true;
        if (!context_.follow) break;
      }
    }
    // The run's last record is the held batch's last, when the source caught up: not after a
    // stop or a failure, which leave the task's data incomplete.
    KPIPE_RETURN_IF_ERROR(
        release_held(counts_.caught_up && !limited_ && !context_.stop_requested()));
    return commit();
  }

  // Records written or held back to be written.
  uint64_t emitted() const { return counts_.written + held_.size(); }
  bool reached_limit() const { return options_.limit > 0 && emitted() >= options_.limit; }

  // Writes the batch to the sink; its offsets become committable once the sink has it durable.
  Status write(Batch& batch, PendingOffsets&& batch_offsets) {
    if (!batch.empty()) {
      KPIPE_RETURN_IF_ERROR(sink_->write(batch).with_context("sink"));
      counts_.written += batch.size();
      sink_written_ += batch.size();
      if (sink_->needs_bytes())
        for (const Record& r : batch)
          counts_.bytes +=
              (r.key_bytes ? r.key_bytes->size() : 0) + (r.value_bytes ? r.value_bytes->size() : 0);
    }
    if (!acknowledges_) {
      pending_.merge(std::move(batch_offsets));
    } else {
      // Committable once this sink acknowledges its first `sink_written_` records. Batches
      // without offsets (bulk mode, stdin) count too: they bound what is in flight.
      if (!unacked_.empty() && unacked_.back().first == sink_written_) {
        unacked_.back().second.merge(std::move(batch_offsets));
      } else {
        unacked_.emplace_back(sink_written_, std::move(batch_offsets));
      }
    }
    return Status::Ok();
  }

  // With batch headers: stamps the batch and holds it back until the next one shows it was not
  // the run's last (one batch of look-ahead), writing the one held before.
  Status hold(Batch& batch, PendingOffsets&& batch_offsets) {
    headers_->stamp(batch, &index_);
    if (batch.empty()) {  // only skipped or filtered records: their offsets follow the held ones
      if (!held_.empty()) {
        held_offsets_.merge(std::move(batch_offsets));
        return Status::Ok();
      }
      return write(batch, std::move(batch_offsets));
    }
    KPIPE_RETURN_IF_ERROR(release_held(false));
    held_.swap(batch);
    held_offsets_ = std::move(batch_offsets);
    return Status::Ok();
  }

  Status release_held(bool last) {
    if (held_.empty()) return Status::Ok();
    if (last) headers_->mark_end(held_.back());
    Status st = write(held_, std::move(held_offsets_));
    held_.clear();
    return st;
  }

  // Runs the converters and the transforms over the batch; records that fail (or that the source
  // could not parse) go to the errors policy and, when tolerated, leave the batch, as do records a
  // Filter dropped. Adds the offsets of the records dealt with (written, skipped or dropped) to
  // `offsets`.
  Status prepare(Batch& batch, bool produces_bytes, bool needs_bytes, PendingOffsets* offsets) {
    size_t end = batch.size();
    size_t dropped = 0;
    Status failure;
    drop_.assign(batch.size(), 0);
    for (size_t i = 0; i < batch.size(); ++i) {
      Record& r = batch[i];
      std::string stage, error, class_name;
      Status bad;
      bool keep = true;
      if (r.error) {
        stage = "source";
        error = *r.error;
      } else if (produces_bytes) {
        bad = deserialize(r);
        if (!bad.ok()) stage = "converter (from bytes)", error = bad.message();
      }
      if (stage.empty() && !transforms_->empty()) {
        bad = transforms_->apply(r, &keep, &class_name);
        if (!bad.ok()) {
          stage = "transformation", error = bad.message();
          // The dead-letter queue gets the record as the failing transform received it.
          if (!produces_bytes) (void)serialize(r);
        }
      }
      if (stage.empty() && keep && needs_bytes) {
        bad = serialize(r);
        if (!bad.ok()) stage = "converter (to bytes)", error = bad.message();
      }
      if (stage.empty() && keep) continue;
      if (bad.unskippable()) {  // not the record's fault (a registry down): no policy skips it
        failure = bad.with_context(stage + " on the record from " + describe_position(r));
        end = i;
        break;
      }
      if (stage.empty()) {
        ++counts_.filtered;
      } else {
        ++counts_.record_errors;
        failure = errors_->handle(stage, r, error, class_name);
        if (!failure.ok()) {
          end = i;  // this record and the ones after it are neither written nor committed
          break;
        }
        ++counts_.skipped;
        if (errors_->dead_letters()) ++counts_.dead_lettered;
      }
      ++dropped;
      drop_[i] = 1;
    }
    *offsets = PendingOffsets::newest_in(batch, end);
    if (dropped == 0) {
      batch.resize(end);
      return failure;
    }
    size_t kept = 0;
    for (size_t i = 0; i < end; ++i) {
      if (drop_[i]) continue;
      if (kept != i) batch[kept] = std::move(batch[i]);
      ++kept;
    }
    batch.resize(kept);
    return failure;
  }

  // A failure after the sink saw every record before it: commit those, then report it.
  Status finish_after(const Status& failure) {
    Status st = release_held(false);
    if (st.ok()) st = commit();
    if (!st.ok()) spdlog::error("{}", st.message());
    return failure;
  }

  Status serialize(Record& r) {
    // The sink reads only the bytes (and so does the errors policy): the values can move.
    // "key: ...", as deserialize() says it: the dead-letter headers name KEY_CONVERTER by it.
    KPIPE_RETURN_IF_ERROR(
        key_converter_->move_to_bytes(r.topic, r.key_schema, std::move(r.key), &r.key_bytes)
            .with_context("key"));
    return value_converter_->move_to_bytes(r.topic, r.value_schema, std::move(r.value),
                                           &r.value_bytes);
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

  // For a sink that acknowledges asynchronously: moves the offsets of acknowledged batches to
  // pending_, first waiting until at most kMaxUnacknowledgedBatches (the newest) are not.
  Status collect_acknowledged() {
    const uint64_t wait_for = unacked_.size() > kMaxUnacknowledgedBatches
                                  ? unacked_[unacked_.size() - 1 - kMaxUnacknowledgedBatches].first
                                  : 0;
    uint64_t acked = 0;
    KPIPE_RETURN_IF_ERROR(
        sink_->acknowledged(wait_for, &acked).with_context("sink (no offsets committed)"));
    while (!unacked_.empty() && unacked_.front().first <= acked) {
      pending_.merge(std::move(unacked_.front().second));
      acked_written_ = unacked_.front().first;
      unacked_.pop_front();
    }
    return Status::Ok();
  }

  // Between batches, for a sink that acknowledges asynchronously: commits the offsets of the
  // records it acknowledged, without waiting for the batches in flight.
  Status commit_acknowledged() {
    KPIPE_RETURN_IF_ERROR(errors_->flush().with_context("(no offsets committed)"));
    index_committed_ = attempt_index_ + acked_written_;
    return commit_offsets(pending_.take());
  }

  // Flush first: an offset is committed only once the sink made every earlier record durable.
  Status commit() {
    for (auto& [end, offsets] : unacked_) pending_.merge(std::move(offsets));
    unacked_.clear();
    auto updates = pending_.take();
    if (!updates.empty() && sink_->stores_offsets())
      KPIPE_RETURN_IF_ERROR(
          sink_->write_offsets(updates).with_context("sink (no offsets committed)"));
    KPIPE_RETURN_IF_ERROR(errors_->flush().with_context("(no offsets committed)"));
    KPIPE_RETURN_IF_ERROR(sink_->flush().with_context("sink flush (no offsets committed)"));
    index_committed_ = attempt_index_ + sink_written_;
    return commit_offsets(std::move(updates));
  }

  // Hands the offsets to the committer (with the sink's position, for exactly-once) and passes
  // what it wrote meanwhile on to the source.
  Status commit_offsets(std::vector<std::pair<Json, Json>> updates) {
    last_commit_ = Clock::now();
    if (options_.dry_run) return Status::Ok();  // commits nothing
    if (!updates.empty()) {
      if (auto position = sink_->position()) updates.push_back(std::move(*position));
      for (const auto& u : updates) committed_partitions_[u.first.dump()] = true;
      committer_->submit(std::move(updates));
    }
    std::vector<std::pair<Json, Json>> written;
    Status st = committer_->collect(&written);
    return written.empty() ? st : source_committed(st, written);
  }

  Status drain_commits() {
    std::vector<std::pair<Json, Json>> written;
    Status st = committer_->drain(&written);
    return written.empty() ? st : source_committed(st, written);
  }

  Status source_committed(const Status& st, const std::vector<std::pair<Json, Json>>& written) {
    progressed_ = true;  // offsets moved: a later failure starts a new retry streak
    Status told = source_->committed(written).with_context("source");
    return st.ok() ? told : st;
  }

  void summary(const Status& st) {
    double s = seconds_since(start_);
    double rate = s > 0 ? static_cast<double>(counts_.written) / s : 0;
    std::string line = fmt::format(
        "pipeline '{}' {}: read {} records, wrote {}, skipped {}{} in {:.2f} s ({:.0f} "
        "records/s); offsets committed {} time(s) for {} partition(s) to {}",
        pipeline_.name, st.ok() ? "done" : "failed", counts_.read, counts_.written, counts_.skipped,
        counts_.filtered > 0 ? fmt::format(", filtered {}", counts_.filtered) : "", s, rate,
        counts_.commits, committed_partitions_.size(),
        options_.dry_run ? "nothing (--dry-run)" : offsets_->path());
    if (counts_.retries > 0)
      line += fmt::format("; retried {} time(s) after transient failures", counts_.retries);
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
  std::unique_ptr<TransformChain> transforms_;
  PendingOffsets pending_;
  // With an acknowledging sink: offsets waiting for the sink to acknowledge the first N records.
  bool acknowledges_ = false;
  std::deque<std::pair<uint64_t, PendingOffsets>> unacked_;
  std::vector<char> drop_;  // prepare()'s records to leave out of the batch
  std::unique_ptr<ErrorHandler> errors_;
  std::unique_ptr<Committer> committer_;  // during loop(); writes into offsets_
  Clock::time_point start_, last_commit_;
  RunCounts counts_;
  uint64_t sink_written_ = 0;   // records written to the current attempt's sink
  uint64_t acked_written_ = 0;  // of those, acknowledged and handed to pending_
  // Batch headers: the last currentIndex given, the one of the last record committed, the one
  // the current attempt started from; the batch held back to find the run's last record.
  std::unique_ptr<BatchHeaders> headers_;
  uint64_t index_ = 0, index_committed_ = 0, attempt_index_ = 0;
  Batch held_;  // never empty while held: hold() writes an empty batch at once
  PendingOffsets held_offsets_;
  bool limited_ = false;                          // --limit cut the run short
  bool started_ = false;                          // start_run() ran
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
