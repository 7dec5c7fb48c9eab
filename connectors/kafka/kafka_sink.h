// KafkaSink: the `kafka` sink, a librdkafka producer. write() queues each record's converter bytes
// (key, value, headers, timestamp) without waiting; flush() waits for every delivery report and
// fails if any record since the previous flush was not acknowledged, so the runner commits an
// offset only for records the brokers hold (acks=all by default).
//
// The partition is Kafka's own choice by default: the partitioner (murmur2 of the key bytes, as
// Java's producer) for every record, whatever partition a Kafka source read it from.
// preserve.partitions writes a record that has a partition (Record::partition) to that partition
// instead — mirroring a topic; a partition the target topic does not have fails the record
// (librdkafka's Local: Unknown partition, explained with the topic's partition count).
//
// exactly.once (needs `topic`, acks=all, idempotence): every record carries the header
// `kpipe.source` = {"offset":O,"partition":P,"pipeline":NAME} (its source position, compact JSON).
// After each flush position() gives the runner, for the offsets file, the entry
// {"kpipe.sink":"kafka","topic":T} -> {"partitions":{"0":NEXT,...}} (NEXT: the Kafka offset after
// the last acknowledged message of that partition), plus "pending" while a recovery is under way.
// At start restore() reads back every message of this pipeline written after those offsets (from
// the start of a partition the entry does not name): they were produced but not committed, and
// the source will send their records again; write() drops those records, one per message found
// (a count, so records sharing a source offset are not over-skipped). Works on any broker.
// With `transactional.id` each flush is also one transaction (read-back then reads committed
// messages only); read-back is what recovery relies on either way.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config.h"
#include "connector.h"
#include "connectors/kafka/kafka_client.h"
#include "connectors/kafka/mock_cluster.h"

namespace kpipe {

ConfigSpec kafka_sink_spec();
// Cross-key rules: what exactly.once needs.
Status check_kafka_sink(const Config& config);
// `kpipe validate`: librdkafka's judgement of the properties and of the producer they make, and
// the cross-key rules.
Status validate_kafka_sink(const Config& config);

class KafkaSink : public Sink {
 public:
  KafkaSink() = default;
  KafkaSink(const KafkaSink&) = delete;
  KafkaSink& operator=(const KafkaSink&) = delete;
  ~KafkaSink() override;

  Status open(const Config& config, const RunContext& context) override;
  bool needs_bytes() const override { return true; }
  Status write(Batch& batch) override;
  Status flush() override;
  // Exactly-once and transactions need a flush per commit (the committed position, one
  // transaction); otherwise the runner keeps a few batches in flight.
  bool acknowledges() const override { return !exactly_once_ && !transactional_; }
  Status acknowledged(uint64_t wait_for, uint64_t* count) override;
  std::optional<std::pair<Json, Json>> position() const override;
  Status restore(const OffsetReader& offsets) override;
  void close() override;

  // The brokers this sink produces to (the mock cluster's address for mock://N).
  const std::string& bootstrap_servers() const { return bootstrap_; }

 private:
  static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);
  static void on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque);

  using Clock = std::chrono::steady_clock;
  struct Topic {
    KafkaTopic handle;
    // Where produce_plain() sends its records: partition 0 of a topic that has one (so
    // librdkafka skips its partitioner, a clock read and a partition lookup per message),
    // otherwise RD_KAFKA_PARTITION_UA. Read from the metadata every kPartitionCheckMs.
    int32_t unassigned = RD_KAFKA_PARTITION_UA;
    std::optional<Clock::time_point> next_check;
  };
  Status topic_handle(const std::string& name, Topic** out);
  void check_partitions(Topic* topic, Clock::time_point now);
  Status produce(rd_kafka_topic_t* topic, const Record& record, void* group,
                 const std::string* source);
  // batch[begin, end): records of one topic without headers, timestamps or a partition to keep,
  // as one rd_kafka_produce_batch() call per kPollEvery records (one clock read and topic lock
  // each).
  Status produce_plain(const Topic& topic, const Batch& batch, size_t begin, size_t end,
                       void* group);
  Status produce_failed(rd_kafka_topic_t* topic, const Record& record, rd_kafka_resp_err_t err);
  // produce()'s partition for a record: its own with preserve.partitions, else the partitioner's.
  int32_t destination(const Record& record) const {
    return preserve_partitions_ && record.partition ? *record.partition : RD_KAFKA_PARTITION_UA;
  }
  // Why a partition preserve.partitions chose is not in the topic: the topic's partition count.
  std::string unknown_partition_note(const std::string& topic, int32_t partition);
  // Exactly-once: the `kpipe.source` header value of a record.
  std::string source_header(const Record& record);
  // Exactly-once recovery: removes from `batch` the records already in the topic.
  void drop_already_written(Batch& batch);
  Status topic_partitions(std::vector<int32_t>* partitions);
  // Reads `from` (partition -> first offset) up to `end` (partition -> end offset), counting the
  // messages of this pipeline into already_written_.
  Status read_back(const std::map<int32_t, int64_t>& from, const std::map<int32_t, int64_t>& end,
                   uint64_t* found);
  // The delivery failures seen since the last flush, as one error (Ok when none).
  Status delivery_status();

  // Destruction order matters: topics before the producer, the producer before the mock
  // cluster it may be talking to.
  std::unique_ptr<MockCluster> mock_;
  KafkaHandle producer_;
  std::unordered_map<std::string, Topic> topics_;
  // Most records of a batch share one topic: remembering the last one avoids a hash per record.
  const std::string* last_topic_name_ = nullptr;
  Topic* last_topic_ = nullptr;

  std::optional<std::string> topic_override_;
  bool preserve_partitions_ = false;
  std::string bootstrap_;
  int64_t message_timeout_ms_ = 0;
  uint64_t since_poll_ = 0;
  std::vector<rd_kafka_message_t> messages_;  // produce_plain()'s, reused

  // Written by the callbacks, which librdkafka runs inside rd_kafka_poll()/rd_kafka_flush() on
  // the calling thread: no locking needed.
  uint64_t failed_ = 0;
  // Acknowledgements in write order: each write() is a group of records whose messages carry
  // the group's number; acked_ counts the records of the leading groups fully acknowledged.
  struct Group {
    uint64_t end;          // records written up to and including this group
    uint64_t outstanding;  // its messages not yet acknowledged
  };
  std::deque<Group> groups_;
  uint64_t first_group_ = 0;  // the number of groups_.front()
  uint64_t written_ = 0, acked_ = 0;
  std::string first_failure_;      // "topic 'x' partition 2: Local: Message timed out"
  std::string last_client_error_;  // the latest error_cb reason, context for a timeout
  std::string fatal_error_;        // an idempotent-producer fatal error; the handle is unusable
  bool first_failure_transient_ = false;  // brokers down or slow: a retry may deliver it
  // The first failure was Local: Unknown partition (topic, partition), which delivery_status()
  // explains with the topic's partition count.
  std::optional<std::pair<std::string, int32_t>> first_failure_unknown_partition_;

  // Exactly-once.
  bool exactly_once_ = false;
  bool transactional_ = false;  // transactional.id set: one transaction per flush
  bool in_transaction_ = false;
  // The connection and security settings of the producer, for the read-back consumer.
  KafkaProperties reader_properties_;
  const RunContext* context_ = nullptr;
  std::string pipeline_json_;  // the pipeline name as a JSON string, for the header
  Json position_key_;          // {"kpipe.sink":"kafka","topic":T}
  // Destination partition -> the offset after the last acknowledged message (delivery reports),
  // or the end offset restore() read back to.
  std::map<int32_t, int64_t> next_offsets_;
  // Source positions ("PARTITION\nOFFSET", compact JSON) of messages already in the topic whose
  // records the source will send again -> how many such messages.
  std::unordered_map<std::string, uint64_t> already_written_;
  uint64_t recovered_skipped_ = 0;
  // Records of one source partition share its Json: its serialized form is kept for the next.
  const Json* last_source_partition_ = nullptr;
  std::shared_ptr<const Json> last_source_partition_owner_;
  std::string last_source_partition_dump_;
};

}  // namespace kpipe
