// KafkaSink: the `kafka` sink, a librdkafka producer. write() queues each record's converter bytes
// (key, value, headers, timestamp, partition) without waiting; flush() waits for every delivery
// report and fails if any record since the previous flush was not acknowledged, so the runner
// commits an offset only for records the brokers hold (acks=all by default).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "config.h"
#include "connector.h"
#include "connectors/kafka/kafka_client.h"
#include "connectors/kafka/mock_cluster.h"

namespace kpipe {

ConfigSpec kafka_sink_spec();

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
  void close() override;

  // The brokers this sink produces to (the mock cluster's address for mock://N).
  const std::string& bootstrap_servers() const { return bootstrap_; }

 private:
  static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);
  static void on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque);

  Status topic_handle(const std::string& name, rd_kafka_topic_t** out);
  Status produce(rd_kafka_topic_t* topic, const Record& record);
  // The delivery failures seen since the last flush, as one error (Ok when none).
  Status delivery_status() const;

  // Destruction order matters: topics before the producer, the producer before the mock
  // cluster it may be talking to.
  std::unique_ptr<MockCluster> mock_;
  KafkaHandle producer_;
  std::unordered_map<std::string, KafkaTopic> topics_;
  // Most records of a batch share one topic: remembering the last one avoids a hash per record.
  const std::string* last_topic_name_ = nullptr;
  rd_kafka_topic_t* last_topic_ = nullptr;

  std::optional<std::string> topic_override_;
  std::string bootstrap_;
  int64_t message_timeout_ms_ = 0;
  uint64_t since_poll_ = 0;

  // Written by the callbacks, which librdkafka runs inside rd_kafka_poll()/rd_kafka_flush() on
  // the calling thread: no locking needed.
  uint64_t failed_ = 0;
  std::string first_failure_;      // "topic 'x' partition 2: Local: Message timed out"
  std::string last_client_error_;  // the latest error_cb reason, context for a timeout
  std::string fatal_error_;        // an idempotent-producer fatal error; the handle is unusable
  bool first_failure_transient_ = false;  // brokers down or slow: a retry may deliver it
};

}  // namespace kpipe
