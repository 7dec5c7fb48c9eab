// KafkaSource: the `kafka` source, a librdkafka consumer in a consumer group — what a Kafka
// Connect sink task reads. Records carry the message bytes (the runner's converters turn them into
// schemas and values), topic, partition, timestamp and headers.
//
// Offsets (KIP-875's sink-connector shape): partition {"kafka_topic":T,"kafka_partition":P},
// offset {"kafka_offset":N} where N is the NEXT offset to consume — the message's own offset + 1,
// exactly what Kafka's consumer group commits and what Connect's GET /connectors/X/offsets reports
// for a sink connector, so the offsets file and the group agree number for number. The message's
// own offset (Connect's SinkRecord.kafkaOffset(), `__connect_offset`) is kafka_offset - 1.
//
// The offsets file is the authority: at assignment a partition starts at its entry there, and a
// partition without one starts at auto.offset.reset (earliest), not at the group's committed
// offset — so `kpipe offsets set` and `kpipe offsets reset` both rewind. The group's offsets
// mirror the file: committed() commits them synchronously after the runner's commit, i.e. only
// after the sink made the records durable (as a Connect sink task does).
//
// Default mode reads each assigned partition up to its end offset (high watermark) as of its
// assignment and then reports exhausted(): a batch between two offsets. --follow keeps consuming.
// `stop.at: end-of-task` (seed 002) reads until the end of task `task.id` instead, however long
// that takes. A task's records carry the batch headers taskId, currentIndex (1-based, no gaps)
// and, on its last record only, isEnd "true"; the task is complete once that marker and every
// index up to the marker's were read (a duplicate from a producer's retry counts once). A marker
// without a currentIndex completes the task once every other partition was read to its end.
// Per partition: records before the task's first one (older data, other tasks) are emitted; the
// marker ends its partition, so its committed offset is the marker's + 1; a record of another
// task right after records of the task ends that partition too (the next task has begun) and is
// not emitted. Should the task then still be incomplete while every partition is read to its end
// or stopped (tasks interleave, or a failed run of the task left records before another task's),
// the partitions stopped that way go on, emitting other tasks' records as usual.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config.h"
#include "connector.h"
#include "connectors/kafka/kafka_client.h"

namespace kpipe {

ConfigSpec kafka_source_spec();
// `kpipe validate`: librdkafka's judgement of the properties and of the consumer they make.
Status validate_kafka_source(const Config& config);

class KafkaSource : public Source {
 public:
  KafkaSource() = default;
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;
  ~KafkaSource() override;

  Status open(const Config& config, const RunContext& context,
              const OffsetReader& offsets) override;
  Status poll(Batch* batch) override;
  bool exhausted() const override { return exhausted_; }
  // End offsets minus the start positions, over the subscribed topics' partitions: an upper
  // bound (transaction markers and compacted records count). With stop.at end-of-task, what the
  // topics hold now: the task's end may come before it or after it.
  Status estimate(Estimate* out) override;
  bool produces_bytes() const override { return true; }
  Status committed(const std::vector<std::pair<Json, Json>>& offsets) override;
  void close() override;

 private:
  struct PartitionState {
    std::string topic;
    std::shared_ptr<const Json> source_partition;  // shared by every record of the partition
    int64_t end = -1;                              // high watermark at assignment (batch mode)
    bool assigned = false;
    bool done = false;  // batch mode: reached `end`, paused; end-of-task: paused
    // end-of-task: a record of the task came from this partition; its last message was its end
    // offset (the EOF event); the offset of the record of another task it stopped at (-1: none);
    // records of other tasks no longer stop it.
    bool saw_task = false;
    bool at_eof = false;
    int64_t held = -1;
    bool interleaved = false;
  };
  using PartitionKey = std::pair<std::string, int32_t>;

  static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque);
  static void on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque);

  void assign(rd_kafka_topic_partition_list_t* partitions);
  void revoke(rd_kafka_topic_partition_list_t* partitions);
  PartitionState& state(const std::string& topic, int32_t partition);
  PartitionState& state_of(const rd_kafka_message_t* message);
  // Stops fetching a partition that reached its end (default mode).
  void pause(const std::string& topic, int32_t partition);
  // Handles one consumed message; appends a record unless it is an event or beyond the end.
  Status take(const rd_kafka_message_t* message, Batch* batch);
  bool all_done() const;
  bool task_complete() const;  // end-of-task: the marker and every record of the task were read
  bool settled() const;        // end-of-task: every partition is stopped or at its end
  // end-of-task: resumes the partitions stopped at another task's record (tasks interleave).
  Status release_held();
  // Default mode: each partition ends at its end offset as of its assignment.
  bool bounded() const { return !context_->follow && !end_of_task_; }
  Status commit_to_group();
  // Where a partition starts: the offsets file's entry, else the group's (offsets.from.group),
  // else auto.offset.reset (a logical offset). `from` says which.
  Status start_offset(const std::string& topic, int32_t partition, int64_t* offset,
                      std::string* from);
  // end-of-task: false when the record is past the task on its partition (not to be emitted).
  bool before_task_end(PartitionState& s, const rd_kafka_message_t* m, const Record& r);

  const RunContext* context_ = nullptr;
  const OffsetReader* offsets_ = nullptr;
  KafkaHandle consumer_;
  std::string group_id_;
  std::string bootstrap_;
  size_t batch_size_ = 2000;
  bool offsets_from_group_ = false;        // offsets.from.group
  std::vector<std::string> subscription_;  // topics, or one ^regex
  bool regex_ = false;
  // The distinct currentIndex values read, as disjoint [first, last) ranges: a task of millions
  // of records read in order is one range; a replay's duplicates count once.
  class IndexRanges {
   public:
    void add(uint64_t index);
    uint64_t count_upto(uint64_t n) const;  // how many of 1..n were added

   private:
    std::map<uint64_t, uint64_t> ranges_;
  };
  // stop.at end-of-task: the task, the indexes of its records read, the marker's index.
  bool end_of_task_ = false;
  std::string task_id_;
  IndexRanges task_indexes_;
  std::optional<uint64_t> task_total_;
  bool marker_seen_ = false;
  int64_t reset_offset_ = RD_KAFKA_OFFSET_BEGINNING;  // where a partition without an offset starts
  bool assigned_once_ = false;
  bool exhausted_ = false;
  std::chrono::steady_clock::time_point opened_at_{}, first_assignment_deadline_{};

  std::map<PartitionKey, PartitionState> partitions_;
  // Most messages come from the partition of the previous one: skip the map lookup for them.
  const rd_kafka_topic_t* last_rkt_ = nullptr;
  int32_t last_partition_ = -1;
  PartitionState* last_state_ = nullptr;

  // Offsets committed to the offsets file but not yet to the group (retried at the next commit).
  std::map<PartitionKey, int64_t> group_pending_;
  // A failure seen inside a callback, returned by the next poll().
  Status callback_error_;
  std::string last_client_error_;
};

}  // namespace kpipe
