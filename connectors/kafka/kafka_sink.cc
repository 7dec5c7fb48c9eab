#include "connectors/kafka/kafka_sink.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "errors.h"

namespace kpipe {

namespace {

constexpr const char* kMockPrefix = "mock://";
// Serve delivery reports this often while queueing, so their memory is released steadily
// rather than all at flush time.
constexpr uint64_t kPollEvery = 1000;
// How long flush() waits beyond message.timeout.ms: by then librdkafka has failed every message
// it could not deliver, so the margin only covers reporting them.
constexpr int64_t kFlushMarginMs = 10000;

// Producer settings kpipe prefers over librdkafka's defaults; a passthrough key overrides each.
// acks=all + idempotence: a record counts as durable only when every in-sync replica has it, and
// retries never duplicate or reorder. murmur2_random: a key lands on the partition a Java
// producer would pick (null keys are spread randomly). message.timeout.ms: librdkafka's default
// is 5 minutes; an unreachable broker should fail a run within 30 s. linger.ms 1: the runner
// writes a whole batch at once, and a longer linger only delays its acknowledgement (2M lines:
// 0.63 s with 1 ms, 0.72-0.76 s with 0, 5 or 20 ms).
KafkaProperties producer_defaults(const Config& config) {
  KafkaProperties defaults = {
      {"client.id", "kpipe"},
      {"acks", "all"},
      {"partitioner", "murmur2_random"},
      {"message.timeout.ms", "30000"},
      {"linger.ms", "1"},
      {"batch.num.messages", "10000"},
      {"queue.buffering.max.messages", "500000"},
  };
  // Idempotence requires acks=all: a user who chose acks 0 or 1 wants speed over durability,
  // so keep librdkafka from refusing the combination.
  bool weaker_acks = false;
  for (const auto& [key, value] : config.passthrough) {
    if ((key == "acks" || key == "request.required.acks") && value != "all" && value != "-1") {
      weaker_acks = true;
    }
  }
  if (!weaker_acks) defaults.emplace_back("enable.idempotence", "true");
  return defaults;
}

constexpr const char* kSourceHeader = "kpipe.source";
// How long restore() waits for metadata, watermarks and, without progress, for messages.
constexpr int kRecoveryTimeoutMs = 30000;
// How often a topic's partition count is read again (librdkafka's default
// topic.metadata.refresh.interval.ms), and how long the pipeline waits for it.
constexpr int64_t kPartitionCheckMs = 300000;
constexpr int kPartitionCheckTimeoutMs = 2000;

// The multiset key of a source position: compact JSON of the partition and of the offset.
std::string source_key(const std::string& partition, const std::string& offset) {
  return partition + '\n' + offset;
}

// The producer's settings that the read-back consumer needs too: where and how to connect.
bool is_connection_property(const std::string& key) {
  for (const char* prefix : {"security.", "ssl.", "ssl_", "sasl.", "socket.", "broker.",
                             "api.version", "client.", "enable.ssl", "reconnect.", "debug"})
    if (key.rfind(prefix, 0) == 0) return true;
  return false;
}

std::string partition_where(const std::string& topic, int32_t partition) {
  return "topic '" + topic + "' partition " + std::to_string(partition);
}

Status parse_mock_brokers(const Config& config, const std::string& servers, int* brokers) {
  const std::string count = servers.substr(std::char_traits<char>::length(kMockPrefix));
  char* end = nullptr;
  long n = std::strtol(count.c_str(), &end, 10);
  if (count.empty() || *end != '\0' || n < 1 || n > 64) {
    return config.invalid("bootstrap.servers",
                          "'" + servers + "': mock://N needs a broker count from 1 to 64");
  }
  *brokers = static_cast<int>(n);
  return Status::Ok();
}

// Delivery failures that may pass by themselves (errors.retry.timeout): brokers unreachable,
// leaders moving, too few in-sync replicas. Authorization, size and fatal errors are not.
bool transient_delivery(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
      return true;
    default:
      return false;
  }
}

}  // namespace

ConfigSpec kafka_sink_spec() {
  ConfigSpec spec;
  spec.name = "kafka";
  spec.kind = ComponentKind::kSink;
  spec.summary = "Produces records to Kafka topics with librdkafka (acks=all, idempotent)";
  FieldSpec servers;
  servers.name = "bootstrap.servers";
  servers.type = FieldType::kString;
  servers.required = true;
  servers.description =
      "Brokers to connect to, host:port[,host:port...]; mock://N starts an in-process mock "
      "cluster of N brokers for the run";
  FieldSpec topic;
  topic.name = "topic";
  topic.type = FieldType::kString;
  topic.description = "Topic for every record, overriding the topic the source or a transform set";
  FieldSpec exactly_once;
  exactly_once.name = "exactly.once";
  exactly_once.type = FieldType::kBool;
  exactly_once.default_value = "false";
  exactly_once.description =
      "No duplicates after a crash: each message carries its source position in the header "
      "kpipe.source, the offsets file keeps the Kafka offsets reached at each commit, and a "
      "restart reads back what was written after them and skips those records (needs topic, "
      "acks=all, idempotence; works on any broker)";
  FieldSpec preserve;
  preserve.name = "preserve.partitions";
  preserve.type = FieldType::kBool;
  preserve.default_value = "false";
  preserve.description =
      "write each record to the partition it had at the source — for a Kafka source, the "
      "partition it was read from (mirroring a topic of the same partition count); default "
      "false: Kafka's partitioner: murmur2 of the key bytes, as Java's producer, keyless records "
      "spread as librdkafka's";
  spec.fields = {servers, topic, exactly_once, preserve};
  spec.passthrough = true;
  spec.passthrough_description =
      "a librdkafka producer property, passed as written (compression.type, "
      "linger.ms, security.protocol, ssl.*, sasl.*, ...). kpipe's defaults: acks=all, "
      "enable.idempotence=true, partitioner=murmur2_random (Java-compatible), "
      "message.timeout.ms=30000, linger.ms=1; transactional.id makes each flush one "
      "transaction";
  return spec;
}

Status validate_kafka_sink(const Config& config) {
  KPIPE_RETURN_IF_ERROR(check_kafka_client(RD_KAFKA_PRODUCER, config, producer_defaults(config)));
  return check_kafka_sink(config);
}

Status check_kafka_sink(const Config& config) {
  if (!config.has("exactly.once") || !config.boolean("exactly.once")) return Status::Ok();
  if (!config.has("topic"))
    return config.invalid("exactly.once",
                          "needs `topic`: recovery reads back the sink's topic at start, and "
                          "records routed to other topics could not be found there");
  if (config.str("bootstrap.servers").rfind(kMockPrefix, 0) == 0)
    return config.invalid("exactly.once",
                          "cannot work with mock://N: that cluster starts empty with each run, so "
                          "there is nothing to read back (run `kpipe mock-kafka` for a cluster "
                          "that outlives the runs)");
  for (const auto& [key, value] : config.passthrough) {
    if ((key == "acks" || key == "request.required.acks") && value != "all" && value != "-1")
      return config.invalid(key,
                            "exactly.once needs acks=all: a message acknowledged by one broker "
                            "can be lost, and read-back would not find it");
    if (key == "enable.idempotence" && (value == "false" || value == "0"))
      return config.invalid(key,
                            "exactly.once needs enable.idempotence: producer retries could "
                            "otherwise duplicate or reorder messages");
  }
  return Status::Ok();
}

KafkaSink::~KafkaSink() {
  close();
}

Status KafkaSink::open(const Config& config, const RunContext& context) {
  context_ = &context;
  bootstrap_ = config.str("bootstrap.servers");
  if (bootstrap_.rfind(kMockPrefix, 0) == 0) {
    int brokers = 0;
    KPIPE_RETURN_IF_ERROR(parse_mock_brokers(config, bootstrap_, &brokers));
    KPIPE_RETURN_IF_ERROR(MockCluster::start(brokers, &mock_));
    bootstrap_ = mock_->bootstraps();
    spdlog::info("kafka sink: started an in-process mock Kafka cluster of {} broker(s) at {}",
                 brokers, bootstrap_);
  }
  if (bootstrap_.empty()) return config.invalid("bootstrap.servers", "must not be empty");
  if (config.has("topic")) {
    topic_override_ = config.str("topic");
    if (topic_override_->empty()) return config.invalid("topic", "must not be empty");
  }

  preserve_partitions_ = config.has("preserve.partitions") && config.boolean("preserve.partitions");
  exactly_once_ = config.has("exactly.once") && config.boolean("exactly.once");
  if (exactly_once_) {
    KPIPE_RETURN_IF_ERROR(check_kafka_sink(config));
    position_key_ = Json{{"kpipe.sink", "kafka"}, {"topic", *topic_override_}};
    pipeline_json_ = Json(context.pipeline_name).dump();
    for (const auto& [key, value] : config.passthrough)
      if (is_connection_property(key)) reader_properties_.emplace_back(key, value);
  }

  KafkaConf conf;
  KPIPE_RETURN_IF_ERROR(build_kafka_conf(config, producer_defaults(config), &conf));
  transactional_ = !kafka_conf_get(conf.get(), "transactional.id").empty();
  Status st = kafka_conf_set(conf.get(), "bootstrap.servers", bootstrap_);
  if (!st.ok()) return config.invalid("bootstrap.servers", st.message());
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &KafkaSink::on_delivery);
  rd_kafka_conf_set_error_cb(conf.get(), &KafkaSink::on_error);
  // Read back rather than parse the passthrough: librdkafka resolves aliases
  // (delivery.timeout.ms) and the user's value against the default.
  message_timeout_ms_ =
      std::strtoll(kafka_conf_get(conf.get(), "message.timeout.ms").c_str(), nullptr, 10);

  KPIPE_RETURN_IF_ERROR(new_kafka_client(RD_KAFKA_PRODUCER, config, &conf, &producer_));
  if (transactional_) {
    // Fences an earlier producer with the same transactional.id and aborts its open transaction.
    rd_kafka_error_t* error = rd_kafka_init_transactions(producer_.get(), kRecoveryTimeoutMs);
    if (error) {
      std::string message = rd_kafka_error_string(error);
      rd_kafka_error_destroy(error);
      return Status::Runtime("initialising Kafka transactions: " + message);
    }
  }
  spdlog::info("kafka sink: producing to {}{}{}{}", bootstrap_,
               topic_override_ ? " topic '" + *topic_override_ + "'" : std::string(),
               exactly_once_ ? " exactly once" : "",
               preserve_partitions_ ? ", each record to its source partition" : "");
  return Status::Ok();
}

Status KafkaSink::topic_handle(const std::string& name, Topic** out) {
  if (last_topic_ && *last_topic_name_ == name) {
    *out = last_topic_;
    return Status::Ok();
  }
  auto it = topics_.find(name);
  if (it == topics_.end()) {
    if (name.empty()) {
      return Status::Runtime("a record has no topic; set the source's topic or the sink's `topic`");
    }
    KafkaTopic topic(rd_kafka_topic_new(producer_.get(), name.c_str(), nullptr));
    if (!topic) {
      return Status::Runtime("topic '" + name + "': " + rd_kafka_err2str(rd_kafka_last_error()));
    }
    it = topics_.emplace(name, Topic{std::move(topic)}).first;
  }
  last_topic_name_ = &it->first;  // node-based map: the key's address is stable
  last_topic_ = &it->second;
  *out = last_topic_;
  return Status::Ok();
}

void KafkaSink::check_partitions(Topic* topic, Clock::time_point now) {
  topic->next_check = now + std::chrono::milliseconds(kPartitionCheckMs);
  const rd_kafka_metadata_t* raw = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(producer_.get(), 0, topic->handle.get(), &raw, kPartitionCheckTimeoutMs);
  KafkaMetadata metadata(raw);
  // Unknown (no answer in time, a topic not created yet): librdkafka partitions, as usual.
  const bool single = err == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topic_cnt == 1 &&
                      metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                      metadata->topics[0].partition_cnt == 1;
  topic->unassigned = single ? metadata->topics[0].partitions[0].id : RD_KAFKA_PARTITION_UA;
}

Status KafkaSink::produce(rd_kafka_topic_t* topic, const Record& record, void* group,
                          const std::string* source) {
  KafkaHeaders headers;
  if (!record.headers.empty() || source) {
    headers.reset(rd_kafka_headers_new(record.headers.size() + (source ? 1 : 0)));
    for (const Header& h : record.headers) {
      rd_kafka_header_add(headers.get(), h.key.data(), static_cast<ssize_t>(h.key.size()),
                          h.value ? h.value->data() : nullptr,
                          h.value ? static_cast<ssize_t>(h.value->size()) : 0);
    }
    if (source)
      rd_kafka_header_add(headers.get(), kSourceHeader, -1, source->data(),
                          static_cast<ssize_t>(source->size()));
  }
  // A null pointer is Kafka's null (no key, a tombstone); an empty string stays an empty value.
  void* key = record.key_bytes ? const_cast<char*>(record.key_bytes->data()) : nullptr;
  size_t key_size = record.key_bytes ? record.key_bytes->size() : 0;
  void* value = record.value_bytes ? const_cast<char*>(record.value_bytes->data()) : nullptr;
  size_t value_size = record.value_bytes ? record.value_bytes->size() : 0;
  const int32_t partition = destination(record);
  // 0 asks librdkafka to stamp the current time.
  const int64_t timestamp = record.timestamp_ms ? *record.timestamp_ms : 0;

  for (;;) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_.get(), RD_KAFKA_V_RKT(topic), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_size),
        RD_KAFKA_V_VALUE(value, value_size), RD_KAFKA_V_TIMESTAMP(timestamp),
        RD_KAFKA_V_HEADERS(headers.get()), RD_KAFKA_V_OPAQUE(group), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      headers.release();  // librdkafka owns them once the message is queued
      return Status::Ok();
    }
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) return produce_failed(topic, record, err);
    // The local queue is full: serve delivery reports, which frees room as brokers acknowledge.
    rd_kafka_poll(producer_.get(), 100);
    KPIPE_RETURN_IF_ERROR(delivery_status());
  }
}

Status KafkaSink::produce_failed(rd_kafka_topic_t* topic, const Record& record,
                                 rd_kafka_resp_err_t err) {
  if (err == RD_KAFKA_RESP_ERR__FATAL && !fatal_error_.empty()) {
    return Status::Runtime("Kafka producer failed: " + fatal_error_);
  }
  const std::string name = rd_kafka_topic_name(topic);
  const int32_t partition = destination(record);
  std::string message = "cannot produce to topic '" + name + "'";
  if (partition != RD_KAFKA_PARTITION_UA) message += " partition " + std::to_string(partition);
  message += std::string(": ") + rd_kafka_err2str(err);
  if (err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION && partition != RD_KAFKA_PARTITION_UA)
    message += " (the record from " + describe_position(record) + "; " +
               unknown_partition_note(name, partition) + ")";
  return Status::Runtime(message);
}

std::string KafkaSink::unknown_partition_note(const std::string& name, int32_t partition) {
  std::string count;
  Topic* topic = nullptr;
  Status st = topic_handle(name, &topic);
  if (st.ok()) {
    const rd_kafka_metadata_t* raw = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(producer_.get(), 0, topic->handle.get(), &raw, kPartitionCheckTimeoutMs);
    KafkaMetadata metadata(raw);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      st = Status::Runtime(rd_kafka_err2str(err));
    } else if (metadata->topic_cnt != 1) {
      st = Status::Runtime("no metadata for the topic");
    } else if (metadata->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      st = Status::Runtime(rd_kafka_err2str(metadata->topics[0].err));
    } else {
      const int n = metadata->topics[0].partition_cnt;
      count = "topic '" + name + "' has " + std::to_string(n) + " partition" + (n == 1 ? "" : "s") +
              ", so no partition " + std::to_string(partition);
    }
  }
  if (!st.ok())
    count = "the partition count of topic '" + name + "' could not be read: " + st.message();
  return count +
         "; preserve.partitions writes each record to the partition it had at the source, so "
         "the target topic needs as many partitions as the source (without preserve.partitions "
         "Kafka's partitioner chooses)";
}

Status KafkaSink::produce_plain(const Topic& topic, const Batch& batch, size_t begin, size_t end,
                                void* group) {
  while (begin < end) {
    const size_t n = std::min<size_t>(end - begin, kPollEvery);
    messages_.assign(n, rd_kafka_message_t{});
    for (size_t i = 0; i < n; ++i) {
      const Record& record = batch[begin + i];
      rd_kafka_message_t& m = messages_[i];
      m.partition = topic.unassigned;
      // A null pointer is Kafka's null (no key, a tombstone); an empty string stays empty.
      if (record.key_bytes) {
        m.key = const_cast<char*>(record.key_bytes->data());
        m.key_len = record.key_bytes->size();
      }
      if (record.value_bytes) {
        m.payload = const_cast<char*>(record.value_bytes->data());
        m.len = record.value_bytes->size();
      }
      m._private = group;
    }
    const int queued = rd_kafka_produce_batch(topic.handle.get(), RD_KAFKA_PARTITION_UA,
                                              RD_KAFKA_MSG_F_COPY | RD_KAFKA_MSG_F_PARTITION,
                                              messages_.data(), static_cast<int>(n));
    groups_.back().outstanding += static_cast<uint64_t>(queued);
    if (static_cast<size_t>(queued) < n) {
      // After a full local queue every later message fails too: the queued ones are a prefix
      // unless a message failed for another reason, which ends the run.
      size_t first = 0;
      while (messages_[first].err == RD_KAFKA_RESP_ERR_NO_ERROR) ++first;
      const rd_kafka_resp_err_t err = messages_[first].err;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || static_cast<size_t>(queued) != first)
        return produce_failed(topic.handle.get(), batch[begin + first], err);
      // Serve delivery reports, which frees room as brokers acknowledge; then the rest.
      rd_kafka_poll(producer_.get(), 100);
      KPIPE_RETURN_IF_ERROR(delivery_status());
      begin += first;
      continue;
    }
    begin += n;
    rd_kafka_poll(producer_.get(), 0);
  }
  return Status::Ok();
}

Status KafkaSink::write(Batch& batch) {
  if (!producer_) return Status::Runtime("write() before open()");
  if (!already_written_.empty()) drop_already_written(batch);
  if (batch.empty()) return Status::Ok();
  if (transactional_ && !in_transaction_) {
    rd_kafka_error_t* error = rd_kafka_begin_transaction(producer_.get());
    if (error) {
      std::string message = rd_kafka_error_string(error);
      rd_kafka_error_destroy(error);
      return Status::Runtime("beginning a Kafka transaction: " + message);
    }
    in_transaction_ = true;
  }
  written_ += batch.size();
  void* group = reinterpret_cast<void*>(static_cast<uintptr_t>(first_group_ + groups_.size()));
  groups_.push_back({written_, 0});
  std::string source;
  // A partition of its own goes through produce(): librdkafka 2.0's rd_kafka_produce_batch()
  // loses count of a message it refuses for a partition the topic lacks (it stays in
  // rd_kafka_outq_len() for good, and flush() waits out its timeout).
  auto plain = [this](const Record& r) {
    return !exactly_once_ && r.headers.empty() && !r.timestamp_ms &&
           !(preserve_partitions_ && r.partition);
  };
  const Clock::time_point now = Clock::now();
  for (size_t i = 0; i < batch.size(); ++i) {
    const Record& record = batch[i];
    Topic* topic = nullptr;
    KPIPE_RETURN_IF_ERROR(topic_handle(topic_override_ ? *topic_override_ : record.topic, &topic));
    if (plain(record)) {
      size_t end = i + 1;
      while (end < batch.size() && plain(batch[end]) &&
             (topic_override_ || batch[end].topic == record.topic))
        ++end;
      if (!topic->next_check || now >= *topic->next_check) check_partitions(topic, now);
      KPIPE_RETURN_IF_ERROR(produce_plain(*topic, batch, i, end, group));
      i = end - 1;
      continue;
    }
    const bool with_source = exactly_once_ && record.source_partition;
    if (with_source) source = source_header(record);
    KPIPE_RETURN_IF_ERROR(
        produce(topic->handle.get(), record, group, with_source ? &source : nullptr));
    ++groups_.back().outstanding;
    if (++since_poll_ >= kPollEvery) {
      since_poll_ = 0;
      rd_kafka_poll(producer_.get(), 0);
    }
  }
  rd_kafka_poll(producer_.get(), 0);
  // Fail early: a record already rejected means this run cannot commit past it anyway.
  return delivery_status();
}

Status KafkaSink::delivery_status() {
  if (!fatal_error_.empty()) return Status::Runtime("Kafka producer failed: " + fatal_error_);
  if (failed_ == 0) return Status::Ok();
  if (first_failure_unknown_partition_) {
    // Once: the explanation needs a metadata request.
    const auto [topic, partition] = *first_failure_unknown_partition_;
    first_failure_unknown_partition_.reset();
    first_failure_ += " (" + unknown_partition_note(topic, partition) + ")";
  }
  std::string message = std::to_string(failed_) +
                        " record(s) not delivered to Kafka; first: " + first_failure_ +
                        " (bootstrap.servers " + bootstrap_;
  if (!last_client_error_.empty()) message += "; last client error: " + last_client_error_;
  const Status st = Status::Runtime(message + ")");
  return first_failure_transient_ ? st.as_transient() : st;
}

Status KafkaSink::acknowledged(uint64_t wait_for, uint64_t* count) {
  using Clock = std::chrono::steady_clock;
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(message_timeout_ms_ + kFlushMarginMs);
  rd_kafka_poll(producer_.get(), 0);
  // librdkafka fails a message it cannot deliver after message.timeout.ms (0: never gives up).
  while (acked_ < wait_for && failed_ == 0 && fatal_error_.empty() &&
         (message_timeout_ms_ == 0 || Clock::now() < deadline)) {
    rd_kafka_poll(producer_.get(), 100);
  }
  KPIPE_RETURN_IF_ERROR(delivery_status());
  if (acked_ < wait_for) {
    return Status::Transient(std::to_string(wait_for - acked_) +
                             " record(s) still unacknowledged after " +
                             std::to_string(message_timeout_ms_ + kFlushMarginMs) +
                             " ms (bootstrap.servers " + bootstrap_ + ")");
  }
  *count = acked_;
  return Status::Ok();
}

Status KafkaSink::flush() {
  if (!producer_) return Status::Ok();
  using Clock = std::chrono::steady_clock;
  // message.timeout.ms 0 means "retry forever": then so does flush.
  const bool bounded = message_timeout_ms_ > 0;
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(message_timeout_ms_ + kFlushMarginMs);
  while (rd_kafka_outq_len(producer_.get()) > 0) {
    int wait_ms = 1000;
    if (bounded) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) break;
      wait_ms = static_cast<int>(std::min<int64_t>(left.count(), wait_ms));
    }
    rd_kafka_flush(producer_.get(), wait_ms);
    if (!fatal_error_.empty()) break;
  }
  since_poll_ = 0;
  Status st = delivery_status();
  // A failed flush reports the failures once; the runner stops and commits nothing.
  failed_ = 0;
  first_failure_.clear();
  first_failure_unknown_partition_.reset();
  if (!st.ok()) return st;
  const int pending = rd_kafka_outq_len(producer_.get());
  if (pending > 0) {
    return Status::Transient(std::to_string(pending) + " record(s) still unacknowledged after " +
                             std::to_string(message_timeout_ms_ + kFlushMarginMs) +
                             " ms (bootstrap.servers " + bootstrap_ + ")");
  }
  if (in_transaction_) {
    in_transaction_ = false;
    rd_kafka_error_t* error = rd_kafka_commit_transaction(
        producer_.get(), static_cast<int>(std::min<int64_t>(
                             message_timeout_ms_ > 0 ? message_timeout_ms_ : -1, INT32_MAX)));
    if (error) {
      std::string message = rd_kafka_error_string(error);
      rd_kafka_error_destroy(error);
      return Status::Runtime("committing the Kafka transaction: " + message);
    }
  }
  return Status::Ok();
}

std::string KafkaSink::source_header(const Record& record) {
  if (record.source_partition.get() != last_source_partition_) {
    last_source_partition_owner_ = record.source_partition;  // keeps the address from reuse
    last_source_partition_ = record.source_partition.get();
    last_source_partition_dump_ = record.source_partition->dump();
  }
  // nlohmann::json orders keys: this is what Json{...}.dump() would give, without building it.
  return "{\"offset\":" + record.source_offset.dump() +
         ",\"partition\":" + last_source_partition_dump_ + ",\"pipeline\":" + pipeline_json_ + "}";
}

void KafkaSink::drop_already_written(Batch& batch) {
  size_t kept = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    Record& r = batch[i];
    if (r.source_partition && !already_written_.empty()) {
      auto it =
          already_written_.find(source_key(r.source_partition->dump(), r.source_offset.dump()));
      if (it != already_written_.end()) {
        if (--it->second == 0) already_written_.erase(it);
        ++recovered_skipped_;
        continue;
      }
    }
    if (kept != i) batch[kept] = std::move(r);
    ++kept;
  }
  batch.resize(kept);
  if (already_written_.empty())
    spdlog::info(
        "kafka sink: recovery done: skipped {} record(s) already in topic '{}' from before "
        "the restart",
        recovered_skipped_, *topic_override_);
}

std::optional<std::pair<Json, Json>> KafkaSink::position() const {
  if (!exactly_once_) return std::nullopt;
  Json partitions = Json::object();
  for (const auto& [partition, next] : next_offsets_) partitions[std::to_string(partition)] = next;
  Json value{{"partitions", std::move(partitions)}};
  // Messages behind these offsets whose records the source has not sent again yet: the next
  // recovery must still skip them.
  if (!already_written_.empty()) {
    Json pending = Json::array();
    for (const auto& [key, count] : already_written_) {
      const size_t cut = key.find('\n');
      pending.push_back(Json{{"partition", Json::parse(key.substr(0, cut))},
                             {"offset", Json::parse(key.substr(cut + 1))},
                             {"count", count}});
    }
    value["pending"] = std::move(pending);
  }
  return std::make_pair(position_key_, std::move(value));
}

Status KafkaSink::topic_partitions(std::vector<int32_t>* partitions) {
  Topic* topic = nullptr;
  KPIPE_RETURN_IF_ERROR(topic_handle(*topic_override_, &topic));
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kRecoveryTimeoutMs);
  for (;;) {
    const rd_kafka_metadata_t* raw = nullptr;
    rd_kafka_resp_err_t err =
        rd_kafka_metadata(producer_.get(), 0, topic->handle.get(), &raw, kRecoveryTimeoutMs);
    KafkaMetadata metadata(raw);
    std::string problem;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      problem = rd_kafka_err2str(err);
    } else if (metadata->topic_cnt != 1) {
      problem = "no metadata for the topic";
    } else {
      const rd_kafka_metadata_topic_t& t = metadata->topics[0];
      if (t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
        partitions->clear();  // nothing was written yet
        return Status::Ok();
      }
      if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) problem = rd_kafka_err2str(t.err);
      for (int i = 0; problem.empty() && i < t.partition_cnt; ++i)
        if (t.partitions[i].leader < 0) problem = "partition without a leader";
      if (problem.empty()) {
        partitions->clear();
        for (int i = 0; i < t.partition_cnt; ++i) partitions->push_back(t.partitions[i].id);
        std::sort(partitions->begin(), partitions->end());
        return Status::Ok();
      }
    }
    if (std::chrono::steady_clock::now() > deadline || (context_ && context_->stop_requested()))
      return Status::Runtime("exactly-once recovery: cannot read the partitions of topic '" +
                             *topic_override_ + "': " + problem);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

Status KafkaSink::restore(const OffsetReader& offsets) {
  if (!exactly_once_) return Status::Ok();
  const std::string& topic = *topic_override_;
  const std::string entry_error = "the offsets file's entry for the kafka sink's topic '" + topic;
  std::map<int32_t, int64_t> committed;
  const std::optional<Json> entry = offsets.offset(position_key_);
  if (entry) {
    const Json* partitions =
        entry->is_object() && entry->contains("partitions") ? &(*entry)["partitions"] : nullptr;
    if (!partitions || !partitions->is_object())
      return Status::Runtime(entry_error + "' has no partitions: " + entry->dump());
    for (const auto& [name, next] : partitions->items()) {
      char* end = nullptr;
      const long p = std::strtol(name.c_str(), &end, 10);
      if (name.empty() || *end != '\0' || p < 0 || p > INT32_MAX || !next.is_number_integer() ||
          next.get<int64_t>() < 0)
        return Status::Runtime(entry_error + "' is not valid: " + entry->dump());
      committed[static_cast<int32_t>(p)] = next.get<int64_t>();
    }
    if (entry->contains("pending")) {
      for (const Json& item : (*entry)["pending"]) {
        if (!item.is_object() || !item.contains("partition") || !item.contains("offset") ||
            !item.contains("count") || !item["count"].is_number_unsigned())
          return Status::Runtime(entry_error + "' has an invalid pending item: " + item.dump());
        already_written_[source_key(item["partition"].dump(), item["offset"].dump())] +=
            item["count"].get<uint64_t>();
      }
    }
  }

  std::vector<int32_t> partitions;
  KPIPE_RETURN_IF_ERROR(topic_partitions(&partitions));
  std::map<int32_t, int64_t> from, end;
  for (const int32_t p : partitions) {
    int64_t low = 0, high = 0;
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(producer_.get(), topic.c_str(), p,
                                                               &low, &high, kRecoveryTimeoutMs);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      return Status::Runtime("exactly-once recovery: cannot read the offsets of " +
                             partition_where(topic, p) + ": " + rd_kafka_err2str(err));
    auto it = committed.find(p);
    int64_t start = it != committed.end() ? it->second : low;
    if (start > high)
      return Status::Runtime(
          partition_where(topic, p) + " ends at offset " + std::to_string(high) +
          ", before the offset " + std::to_string(start) +
          " committed for it: the topic was recreated or this is another cluster; exactly-once "
          "cannot continue (reset the pipeline's offsets to start over)");
    if (start < low) {
      spdlog::warn(
          "kafka sink: {} starts at offset {}, after the committed offset {}: messages written "
          "after the last commit may have been deleted by retention, and their records may be "
          "written again",
          partition_where(topic, p), low, start);
      start = low;
    }
    next_offsets_[p] = high;
    if (start < high) {
      from[p] = start;
      end[p] = high;
    }
  }
  for (const auto& [p, next] : committed)
    if (!next_offsets_.count(p))
      return Status::Runtime(partition_where(topic, p) +
                             " is in the offsets file but not in the topic: the topic was "
                             "recreated; exactly-once cannot continue");

  uint64_t pending = 0, found = 0;
  for (const auto& entry_count : already_written_) pending += entry_count.second;
  if (!from.empty()) KPIPE_RETURN_IF_ERROR(read_back(from, end, &found));
  if (pending + found > 0) {
    spdlog::info(
        "kafka sink: exactly-once recovery: {} message(s) of this pipeline in topic '{}' after "
        "the last commit{}{}: their records will be skipped",
        found, topic, entry ? "" : " (no commit yet: read from the start)",
        pending ? fmt::format(", and {} still pending from the last commit", pending) : "");
  } else {
    spdlog::info("kafka sink: exactly-once: nothing in topic '{}' after the last commit", topic);
  }
  return Status::Ok();
}

Status KafkaSink::read_back(const std::map<int32_t, int64_t>& from,
                            const std::map<int32_t, int64_t>& end, uint64_t* found) {
  const std::string& topic = *topic_override_;
  KafkaConf conf(rd_kafka_conf_new());
  for (const auto& [key, value] : reader_properties_)
    KPIPE_RETURN_IF_ERROR(kafka_conf_set(conf.get(), key, value).with_context("sink: " + key));
  const KafkaProperties settings = {
      {"bootstrap.servers", bootstrap_},
      // librdkafka's assign() needs a group; it is never joined (no subscribe, no commit).
      {"group.id", "kpipe-read-back"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "true"},
      {"auto.offset.reset", "earliest"},
      // Transactions: a message of an aborted transaction is not in the topic for its readers.
      {"isolation.level", transactional_ ? "read_committed" : "read_uncommitted"},
  };
  for (const auto& [key, value] : settings)
    KPIPE_RETURN_IF_ERROR(kafka_conf_set(conf.get(), key, value).with_context("read-back " + key));
  route_kafka_logs(conf.get());
  char errstr[512];
  KafkaHandle consumer(rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), errstr, sizeof(errstr)));
  if (!consumer) return Status::Runtime(std::string("creating the read-back consumer: ") + errstr);
  conf.release();  // rd_kafka_new() took ownership
  rd_kafka_poll_set_consumer(consumer.get());

  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(from.size())));
  for (const auto& [p, offset] : from)
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = offset;
  rd_kafka_resp_err_t err = rd_kafka_assign(consumer.get(), list.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return Status::Runtime(std::string("read-back: cannot assign partitions: ") +
                           rd_kafka_err2str(err));

  std::map<int32_t, bool> done;
  for (const auto& entry_from : from) done[entry_from.first] = false;
  size_t remaining = done.size();
  auto finish = [&](int32_t p) {
    auto it = done.find(p);
    if (it != done.end() && !it->second) {
      it->second = true;
      --remaining;
    }
  };
  using Clock = std::chrono::steady_clock;
  auto last_progress = Clock::now();
  Status result;
  while (remaining > 0 && result.ok()) {
    if (context_ && context_->stop_requested()) {
      result = Status::Runtime("stopped during exactly-once recovery");
      break;
    }
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 100);
    if (!m) {
      if (Clock::now() - last_progress > std::chrono::milliseconds(kRecoveryTimeoutMs))
        result = Status::Transient("exactly-once recovery: no message from topic '" + topic +
                                   "' for " + std::to_string(kRecoveryTimeoutMs / 1000) + " s");
      continue;
    }
    // Client errors (a broker down) are retried by librdkafka; only data counts as progress.
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
      last_progress = Clock::now();
    const int32_t p = m->partition;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      finish(p);
    } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const bool retriable = m->err == RD_KAFKA_RESP_ERR__TRANSPORT ||
                             m->err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
                             m->err == RD_KAFKA_RESP_ERR__TIMED_OUT;
      if (!retriable)
        result = Status::Runtime("exactly-once recovery: reading " + partition_where(topic, p) +
                                 ": " + rd_kafka_message_errstr(m));
    } else if (m->offset < end.at(p)) {
      const void* value = nullptr;
      size_t size = 0;
      rd_kafka_headers_t* headers = nullptr;
      if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          rd_kafka_header_get_last(headers, kSourceHeader, &value, &size) ==
              RD_KAFKA_RESP_ERR_NO_ERROR &&
          value) {
        const Json source = Json::parse(static_cast<const char*>(value),
                                        static_cast<const char*>(value) + size, nullptr, false);
        // Another pipeline's messages (or anything else in the topic) are not ours to skip.
        if (source.is_object() && source.contains("pipeline") && source.contains("partition") &&
            source.contains("offset") && source["pipeline"].dump() == pipeline_json_) {
          ++already_written_[source_key(source["partition"].dump(), source["offset"].dump())];
          ++*found;
        }
      }
      if (m->offset + 1 >= end.at(p)) finish(p);
    } else {
      finish(p);
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(consumer.get());
  return result;
}

void KafkaSink::close() {
  if (producer_) {
    // close() after a successful flush finds nothing queued; after a failure, whatever is left
    // will not be committed, so drop it instead of letting rd_kafka_destroy() wait for it.
    if (rd_kafka_outq_len(producer_.get()) > 0) {
      rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      rd_kafka_poll(producer_.get(), 0);
    }
  }
  last_topic_ = nullptr;
  last_topic_name_ = nullptr;
  topics_.clear();
  producer_.reset();
  mock_.reset();
}

void KafkaSink::on_delivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message, void* opaque) {
  auto* self = static_cast<KafkaSink*>(opaque);
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const auto group = reinterpret_cast<uintptr_t>(message->_private);
    if (group >= self->first_group_ && group - self->first_group_ < self->groups_.size())
      --self->groups_[group - self->first_group_].outstanding;
    while (!self->groups_.empty() && self->groups_.front().outstanding == 0) {
      self->acked_ = self->groups_.front().end;
      self->groups_.pop_front();
      ++self->first_group_;
    }
    if (self->exactly_once_ && message->offset >= 0) {
      int64_t& next = self->next_offsets_[message->partition];
      next = std::max(next, message->offset + 1);
    }
    return;
  }
  if (self->failed_++ == 0) {
    self->first_failure_ = "topic '" + std::string(rd_kafka_topic_name(message->rkt)) + "'";
    if (message->partition != RD_KAFKA_PARTITION_UA) {
      self->first_failure_ += " partition " + std::to_string(message->partition);
    }
    self->first_failure_ += ": " + std::string(rd_kafka_err2str(message->err));
    self->first_failure_transient_ = transient_delivery(message->err);
    if (message->err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION &&
        message->partition != RD_KAFKA_PARTITION_UA)
      self->first_failure_unknown_partition_.emplace(rd_kafka_topic_name(message->rkt),
                                                     message->partition);
  }
}

void KafkaSink::on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* self = static_cast<KafkaSink*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char fatal[512];
    rd_kafka_resp_err_t cause = rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
    self->fatal_error_ = std::string(rd_kafka_err2name(cause)) + ": " + fatal;
    spdlog::error("kafka sink: fatal producer error: {}", self->fatal_error_);
    return;
  }
  // Everything else (a refused connection, all brokers down) librdkafka retries by itself until
  // message.timeout.ms; it becomes an error only as a failed delivery, whose message then quotes
  // this reason. The log callback has already shown it as a warning.
  self->last_client_error_ = reason;
  spdlog::debug("kafka sink: client error: {}", reason);
}

}  // namespace kpipe
