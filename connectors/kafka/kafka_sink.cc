#include "connectors/kafka/kafka_sink.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>

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
// is 5 minutes; an unreachable broker should fail a run within 30 s. linger.ms and batch size:
// fill batches under load without delaying a small run noticeably.
KafkaProperties producer_defaults(const Config& config) {
  KafkaProperties defaults = {
      {"client.id", "kpipe"},
      {"acks", "all"},
      {"partitioner", "murmur2_random"},
      {"message.timeout.ms", "30000"},
      {"linger.ms", "5"},
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
  spec.fields = {servers, topic};
  spec.passthrough = true;
  spec.passthrough_description =
      "a librdkafka producer property, passed as written (compression.type, "
      "linger.ms, security.protocol, ssl.*, sasl.*, ...). kpipe's defaults: acks=all, "
      "enable.idempotence=true, partitioner=murmur2_random (Java-compatible), "
      "message.timeout.ms=30000, linger.ms=5";
  return spec;
}

KafkaSink::~KafkaSink() {
  close();
}

Status KafkaSink::open(const Config& config, const RunContext& context) {
  (void)context;
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

  KafkaConf conf;
  KPIPE_RETURN_IF_ERROR(build_kafka_conf(config, producer_defaults(config), &conf));
  Status st = kafka_conf_set(conf.get(), "bootstrap.servers", bootstrap_);
  if (!st.ok()) return config.invalid("bootstrap.servers", st.message());
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &KafkaSink::on_delivery);
  rd_kafka_conf_set_error_cb(conf.get(), &KafkaSink::on_error);
  // Read back rather than parse the passthrough: librdkafka resolves aliases
  // (delivery.timeout.ms) and the user's value against the default.
  message_timeout_ms_ =
      std::strtoll(kafka_conf_get(conf.get(), "message.timeout.ms").c_str(), nullptr, 10);

  char errstr[512];
  producer_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof(errstr)));
  if (!producer_) {
    // Nearly always conflicting or unusable settings (acks vs idempotence, a missing CA file).
    std::string message = errstr;
    for (const auto& [key, value] : config.passthrough) {
      message = redact_kafka_value(key, value, message);
    }
    return Status::Invalid("creating the Kafka producer: " + message);
  }
  conf.release();  // rd_kafka_new() took ownership
  spdlog::info("kafka sink: producing to {}{}", bootstrap_,
               topic_override_ ? " topic '" + *topic_override_ + "'" : std::string());
  return Status::Ok();
}

Status KafkaSink::topic_handle(const std::string& name, rd_kafka_topic_t** out) {
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
    it = topics_.emplace(name, std::move(topic)).first;
  }
  last_topic_name_ = &it->first;  // node-based map: the key's address is stable
  last_topic_ = it->second.get();
  *out = last_topic_;
  return Status::Ok();
}

Status KafkaSink::produce(rd_kafka_topic_t* topic, const Record& record) {
  KafkaHeaders headers;
  if (!record.headers.empty()) {
    headers.reset(rd_kafka_headers_new(record.headers.size()));
    for (const Header& h : record.headers) {
      rd_kafka_header_add(headers.get(), h.key.data(), static_cast<ssize_t>(h.key.size()),
                          h.value ? h.value->data() : nullptr,
                          h.value ? static_cast<ssize_t>(h.value->size()) : 0);
    }
  }
  // A null pointer is Kafka's null (no key, a tombstone); an empty string stays an empty value.
  void* key = record.key_bytes ? const_cast<char*>(record.key_bytes->data()) : nullptr;
  size_t key_size = record.key_bytes ? record.key_bytes->size() : 0;
  void* value = record.value_bytes ? const_cast<char*>(record.value_bytes->data()) : nullptr;
  size_t value_size = record.value_bytes ? record.value_bytes->size() : 0;
  const int32_t partition = record.partition ? *record.partition : RD_KAFKA_PARTITION_UA;
  // 0 asks librdkafka to stamp the current time.
  const int64_t timestamp = record.timestamp_ms ? *record.timestamp_ms : 0;

  for (;;) {
    rd_kafka_resp_err_t err =
        rd_kafka_producev(producer_.get(), RD_KAFKA_V_RKT(topic), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_size),
                          RD_KAFKA_V_VALUE(value, value_size), RD_KAFKA_V_TIMESTAMP(timestamp),
                          RD_KAFKA_V_HEADERS(headers.get()), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      headers.release();  // librdkafka owns them once the message is queued
      return Status::Ok();
    }
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      if (err == RD_KAFKA_RESP_ERR__FATAL && !fatal_error_.empty()) {
        return Status::Runtime("Kafka producer failed: " + fatal_error_);
      }
      std::string where = "topic '" + std::string(rd_kafka_topic_name(topic)) + "'";
      if (record.partition) where += " partition " + std::to_string(*record.partition);
      return Status::Runtime("cannot produce to " + where + ": " + rd_kafka_err2str(err));
    }
    // The local queue is full: serve delivery reports, which frees room as brokers acknowledge.
    rd_kafka_poll(producer_.get(), 100);
    KPIPE_RETURN_IF_ERROR(delivery_status());
  }
}

Status KafkaSink::write(Batch& batch) {
  if (!producer_) return Status::Runtime("write() before open()");
  for (const Record& record : batch) {
    rd_kafka_topic_t* topic = nullptr;
    KPIPE_RETURN_IF_ERROR(topic_handle(topic_override_ ? *topic_override_ : record.topic, &topic));
    KPIPE_RETURN_IF_ERROR(produce(topic, record));
    if (++since_poll_ >= kPollEvery) {
      since_poll_ = 0;
      rd_kafka_poll(producer_.get(), 0);
    }
  }
  rd_kafka_poll(producer_.get(), 0);
  // Fail early: a record already rejected means this run cannot commit past it anyway.
  return delivery_status();
}

Status KafkaSink::delivery_status() const {
  if (!fatal_error_.empty()) return Status::Runtime("Kafka producer failed: " + fatal_error_);
  if (failed_ == 0) return Status::Ok();
  std::string message = std::to_string(failed_) +
                        " record(s) not delivered to Kafka; first: " + first_failure_ +
                        " (bootstrap.servers " + bootstrap_;
  if (!last_client_error_.empty()) message += "; last client error: " + last_client_error_;
  const Status st = Status::Runtime(message + ")");
  return first_failure_transient_ ? st.as_transient() : st;
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
  if (!st.ok()) return st;
  const int pending = rd_kafka_outq_len(producer_.get());
  if (pending > 0) {
    return Status::Transient(std::to_string(pending) + " record(s) still unacknowledged after " +
                             std::to_string(message_timeout_ms_ + kFlushMarginMs) +
                             " ms (bootstrap.servers " + bootstrap_ + ")");
  }
  return Status::Ok();
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
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
  auto* self = static_cast<KafkaSink*>(opaque);
  if (self->failed_++ == 0) {
    self->first_failure_ = "topic '" + std::string(rd_kafka_topic_name(message->rkt)) + "'";
    if (message->partition != RD_KAFKA_PARTITION_UA) {
      self->first_failure_ += " partition " + std::to_string(message->partition);
    }
    self->first_failure_ += ": " + std::string(rd_kafka_err2str(message->err));
    self->first_failure_transient_ = transient_delivery(message->err);
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
