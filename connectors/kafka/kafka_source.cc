#include "connectors/kafka/kafka_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <regex>

namespace kpipe {

namespace {

// How long one poll() waits for the first message: the runner checks for SIGINT/SIGTERM between
// polls, and must see one within 100 ms.
constexpr int kPollWaitMs = 100;
// How long a watermark query at assignment may take.
constexpr int kWatermarkTimeoutMs = 10000;
// Default mode gives up when no partitions were assigned this long after the group's session
// timeout (a rejoining member may have to wait for that): unreachable brokers would otherwise
// keep a cron run waiting forever.
constexpr int64_t kFirstAssignmentGraceMs = 60000;

// Consumer settings kpipe prefers over librdkafka's defaults; a passthrough key overrides each.
// Connect's sink consumers: no auto commit (offsets are committed after the sink's flush),
// earliest. Offsets are stored explicitly with rd_kafka_commit(list), so the automatic store is
// off. session.timeout.ms: Kafka's pre-3.0 default; a member killed without leaving the group
// holds its partitions this long. Prefetch: librdkafka's 64 MB queue made a 170-partition topic
// cost 235 MB of memory; 16 MB: 73 MB for 200k records on 34 partitions, 15 % slower than 64 MB
// (160 MB). queued.min.messages stays at its default: 10000 instead made that run 40 % slower.
KafkaProperties consumer_defaults() {
  return {
      {"client.id", "kpipe"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"session.timeout.ms", "10000"},
      {"queued.max.messages.kbytes", "16384"},
  };
}

int64_t parse_int(const std::string& text, int64_t fallback) {
  char* end = nullptr;
  long long n = std::strtoll(text.c_str(), &end, 10);
  return (text.empty() || *end != '\0') ? fallback : n;
}

std::string where(const std::string& topic, int32_t partition) {
  return "topic '" + topic + "' partition " + std::to_string(partition);
}

}  // namespace

ConfigSpec kafka_source_spec() {
  ConfigSpec spec;
  spec.name = "kafka";
  spec.kind = ComponentKind::kSource;
  spec.summary =
      "Consumes Kafka topics with librdkafka in a consumer group (what a Connect sink task reads)";
  FieldSpec servers;
  servers.name = "bootstrap.servers";
  servers.required = true;
  servers.description = "Brokers to connect to, host:port[,host:port...]";
  FieldSpec topics;
  topics.name = "topics";
  topics.type = FieldType::kList;
  topics.description = "Topics to consume (a list or a comma list); or use topics.regex";
  FieldSpec regex;
  regex.name = "topics.regex";
  regex.description =
      "Consume every topic matching this regular expression (librdkafka's ^ subscription; a "
      "leading ^ is added when missing)";
  FieldSpec group;
  group.name = "group.id";
  group.description =
      "Consumer group; its committed offsets mirror the offsets file. Default: kpipe-<pipeline "
      "name>";
  FieldSpec batch;
  batch.name = "batch.size";
  batch.type = FieldType::kInt;
  batch.default_value = "2000";
  batch.description = "Maximum records per batch";
  batch.min = 1;
  batch.max = 1000000;
  FieldSpec from_group;
  from_group.name = "offsets.from.group";
  from_group.type = FieldType::kBool;
  from_group.default_value = "false";
  from_group.description =
      "A partition the offsets file has no entry for starts at the group's committed offset when "
      "it has one (Connect's behaviour: how a Connect sink connector's position carries over), "
      "else as auto.offset.reset says";
  FieldSpec stop_at;
  stop_at.name = "stop.at";
  stop_at.default_value = "end-offsets";
  stop_at.allowed = {"end-offsets", "end-of-task"};
  stop_at.description =
      "Where a run (without --follow) ends: end-offsets, each partition's end offset as of its "
      "assignment; end-of-task, the record of task task.id whose isEnd batch header is true (seed "
      "002), however long it takes to arrive";
  FieldSpec task;
  task.name = "task.id";
  task.description =
      "With stop.at end-of-task: the task whose end to stop at (its taskId header); default: the "
      "run's task id (--task-id or run.task.id)";
  spec.fields = {servers, topics, regex, group, batch, from_group, stop_at, task};
  spec.passthrough = true;
  spec.passthrough_description =
      "a librdkafka consumer property, passed as written (security.protocol, ssl.*, sasl.*, "
      "fetch.*, partition.assignment.strategy, ...). kpipe's defaults: enable.auto.commit=false, "
      "enable.auto.offset.store=false, auto.offset.reset=earliest (where a partition without an "
      "entry in the offsets file starts), session.timeout.ms=10000";
  return spec;
}

KafkaSource::~KafkaSource() {
  close();
}

Status validate_kafka_source(const Config& config) {
  return check_kafka_client(RD_KAFKA_CONSUMER, config, consumer_defaults());
}

Status KafkaSource::open(const Config& config, const RunContext& context,
                         const OffsetReader& offsets) {
  context_ = &context;
  offsets_ = &offsets;
  opened_at_ = std::chrono::steady_clock::now();
  bootstrap_ = config.str("bootstrap.servers");
  if (bootstrap_.empty()) return config.invalid("bootstrap.servers", "must not be empty");
  batch_size_ = static_cast<size_t>(config.integer("batch.size"));

  std::vector<std::string> subscription;
  const bool has_topics = config.has("topics") && !config.list("topics").empty();
  const bool has_regex = config.has("topics.regex");
  if (has_topics && has_regex)
    return config.invalid("topics.regex", "set either topics or topics.regex, not both");
  if (!has_topics && !has_regex)
    return config.invalid("topics", "set topics (a list) or topics.regex");
  if (has_topics) {
    subscription = config.list("topics");
    for (const std::string& t : subscription)
      if (t.empty() || t[0] == '^')
        return config.invalid("topics", "'" + t + "' is not a topic name (use topics.regex)");
  } else {
    std::string regex = config.str("topics.regex");
    if (regex.empty()) return config.invalid("topics.regex", "must not be empty");
    if (regex[0] != '^') regex.insert(0, 1, '^');
    subscription.push_back(regex);
  }
  group_id_ = config.has("group.id") ? config.str("group.id") : "kpipe-" + context.pipeline_name;
  offsets_from_group_ = config.boolean("offsets.from.group");
  if (group_id_.empty()) return config.invalid("group.id", "must not be empty");
  subscription_ = subscription;
  regex_ = has_regex;
  end_of_task_ = config.str("stop.at") == "end-of-task";
  if (end_of_task_) {
    if (context.follow)
      return config.invalid("stop.at", "end-of-task ends the run; --follow never ends it");
    task_id_ = config.has("task.id")   ? config.str("task.id")
               : context.task_id_given ? context.task_id
                                       : "";
    if (task_id_.empty())
      return config.invalid(
          "stop.at", "end-of-task needs the task: set task.id here, run.task.id or --task-id");
  }

  KafkaConf conf;
  KPIPE_RETURN_IF_ERROR(build_kafka_conf(config, consumer_defaults(), &conf));
  Status st = kafka_conf_set(conf.get(), "bootstrap.servers", bootstrap_);
  if (!st.ok()) return config.invalid("bootstrap.servers", st.message());
  st = kafka_conf_set(conf.get(), "group.id", group_id_);
  if (!st.ok()) return config.invalid("group.id", st.message());
  // Default mode ends each partition at its end offset; an empty partition (or one already read
  // to its end) is known to be done only through this event.
  KPIPE_RETURN_IF_ERROR(kafka_conf_set(conf.get(), "enable.partition.eof", "true"));
  // Read back rather than parse the passthrough: librdkafka resolves aliases and defaults.
  const std::string reset = kafka_conf_get(conf.get(), "auto.offset.reset");
  if (reset == "smallest" || reset == "earliest" || reset == "beginning") {
    reset_offset_ = RD_KAFKA_OFFSET_BEGINNING;
  } else if (reset == "largest" || reset == "latest" || reset == "end") {
    reset_offset_ = RD_KAFKA_OFFSET_END;
  } else {
    reset_offset_ = RD_KAFKA_OFFSET_INVALID;  // "error": librdkafka reports it
  }
  const int64_t session_timeout_ms =
      parse_int(kafka_conf_get(conf.get(), "session.timeout.ms"), 45000);
  first_assignment_deadline_ =
      opened_at_ + std::chrono::milliseconds(session_timeout_ms + kFirstAssignmentGraceMs);
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_conf_set_rebalance_cb(conf.get(), &KafkaSource::on_rebalance);
  rd_kafka_conf_set_error_cb(conf.get(), &KafkaSource::on_error);

  KPIPE_RETURN_IF_ERROR(new_kafka_client(RD_KAFKA_CONSUMER, config, &conf, &consumer_));
  // Messages of every partition arrive on the consumer queue, served by rd_kafka_consumer_poll().
  rd_kafka_poll_set_consumer(consumer_.get());

  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(subscription.size())));
  for (const std::string& t : subscription)
    rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer_.get(), list.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return config.invalid(has_topics ? "topics" : "topics.regex",
                          std::string("cannot subscribe: ") + rd_kafka_err2str(err));
  std::string shown;
  for (const std::string& t : subscription) shown += (shown.empty() ? "" : ", ") + t;
  spdlog::info("kafka source: consuming {} from {} as group '{}'{}", shown, bootstrap_, group_id_,
               context.follow ? ""
               : end_of_task_ ? " up to the end of task '" + task_id_ + "'"
                              : " up to the end offsets as of the assignment");
  return Status::Ok();
}

KafkaSource::PartitionState& KafkaSource::state(const std::string& topic, int32_t partition) {
  auto [it, fresh] = partitions_.try_emplace(PartitionKey{topic, partition});
  if (fresh) {
    it->second.topic = topic;
    it->second.source_partition =
        std::make_shared<const Json>(Json{{"kafka_topic", topic}, {"kafka_partition", partition}});
  }
  return it->second;
}

void KafkaSource::assign(rd_kafka_topic_partition_list_t* partitions) {
  last_rkt_ = nullptr;
  for (int i = 0; i < partitions->cnt; ++i) {
    rd_kafka_topic_partition_t& tp = partitions->elems[i];
    PartitionState& s = state(tp.topic, tp.partition);
    s.assigned = true;
    s.done = false;
    s.end = -1;
    std::string from;
    Status st = start_offset(tp.topic, tp.partition, &tp.offset, &from);
    if (!st.ok()) callback_error_ = st;
    if (bounded()) {
      int64_t low = 0, high = 0;
      rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
          consumer_.get(), tp.topic, tp.partition, &low, &high, kWatermarkTimeoutMs);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        callback_error_ =
            Status::Runtime("cannot read the end offset of " + where(tp.topic, tp.partition) +
                            ": " + rd_kafka_err2str(err));
      }
      s.end = high;
      // Already at (or past) the end: nothing to read, no need to wait for the EOF event.
      if (tp.offset >= 0 && tp.offset >= high) s.done = true;
    }
    spdlog::info("kafka source: assigned {} from offset {} ({}){}", where(tp.topic, tp.partition),
                 tp.offset >= 0 ? std::to_string(tp.offset) : std::string("-"), from,
                 s.end >= 0 ? ", end offset " + std::to_string(s.end) : std::string());
  }
  assigned_once_ = true;
}

Status KafkaSource::start_offset(const std::string& topic, int32_t partition, int64_t* offset,
                                 std::string* from) {
  // The offsets file is the authority; without an entry, auto.offset.reset decides (not the
  // group's committed offset, so that `kpipe offsets reset` rewinds).
  *offset = reset_offset_;
  *from = "auto.offset.reset";
  const Json source_partition = Json{{"kafka_topic", topic}, {"kafka_partition", partition}};
  if (auto committed = offsets_->offset(source_partition)) {
    const Json* n = committed->is_object() && committed->contains("kafka_offset")
                        ? &(*committed)["kafka_offset"]
                        : nullptr;
    if (!n || !n->is_number_integer() || n->get<int64_t>() < 0)
      return Status::Runtime("the offsets file holds no valid kafka_offset for " +
                             where(topic, partition) + ": " + committed->dump());
    *offset = n->get<int64_t>();
    *from = "the offsets file";
  } else if (offsets_from_group_) {
    PartitionList one(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(one.get(), topic.c_str(), partition);
    rd_kafka_resp_err_t err = rd_kafka_committed(consumer_.get(), one.get(), kWatermarkTimeoutMs);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) err = one->elems[0].err;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      return Status::Runtime("cannot read group '" + group_id_ + "' offset of " +
                             where(topic, partition) + ": " + rd_kafka_err2str(err));
    if (one->elems[0].offset >= 0) {
      *offset = one->elems[0].offset;
      *from = "group '" + group_id_ + "'";
    }
  }
  return Status::Ok();
}

Status KafkaSource::estimate(Estimate* out) {
  *out = Estimate{};
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(consumer_.get(), 1, nullptr, &metadata, kWatermarkTimeoutMs);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return Status::Transient(std::string("reading the topics' metadata: ") + rd_kafka_err2str(err));
  KafkaMetadata owned(metadata);
  std::optional<std::regex> pattern;
  if (regex_) pattern.emplace(subscription_.front());
  uint64_t total = 0;
  size_t partitions = 0;
  for (int t = 0; t < metadata->topic_cnt; ++t) {
    const rd_kafka_metadata_topic_t& topic = metadata->topics[t];
    const std::string name = topic.topic;
    const bool wanted = pattern ? std::regex_search(name, *pattern)
                                : std::find(subscription_.begin(), subscription_.end(), name) !=
                                      subscription_.end();
    if (!wanted || topic.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    for (int p = 0; p < topic.partition_cnt; ++p) {
      const int32_t id = topic.partitions[p].id;
      int64_t start = 0, low = 0, high = 0;
      std::string from;
      KPIPE_RETURN_IF_ERROR(start_offset(name, id, &start, &from));
      err = rd_kafka_query_watermark_offsets(consumer_.get(), name.c_str(), id, &low, &high,
                                             kWatermarkTimeoutMs);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        return Status::Transient("cannot read the end offset of " + where(name, id) + ": " +
                                 rd_kafka_err2str(err));
      if (start == RD_KAFKA_OFFSET_END) start = high;
      if (start < low) start = low;  // earliest, or an offset the retention already deleted
      if (high > start) total += static_cast<uint64_t>(high - start);
      ++partitions;
    }
  }
  out->records = total;
  out->how = "end offsets minus start positions over " + std::to_string(partitions) +
             " partition(s), " +
             (end_of_task_ ? "what the topics hold now (the task may stop before or go beyond it)"
                           : "an upper bound");
  return Status::Ok();
}

void KafkaSource::revoke(rd_kafka_topic_partition_list_t* partitions) {
  last_rkt_ = nullptr;
  for (int i = 0; i < partitions->cnt; ++i) {
    auto it =
        partitions_.find(PartitionKey{partitions->elems[i].topic, partitions->elems[i].partition});
    if (it != partitions_.end()) it->second.assigned = false;
  }
}

void KafkaSource::on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                               rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* self = static_cast<KafkaSource*>(opaque);
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
  rd_kafka_error_t* error = nullptr;
  rd_kafka_resp_err_t assign_err = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    self->assign(partitions);
    if (cooperative) {
      error = rd_kafka_incremental_assign(rk, partitions);
    } else {
      assign_err = rd_kafka_assign(rk, partitions);
    }
  } else {
    self->revoke(partitions);
    if (cooperative) {
      error = rd_kafka_incremental_unassign(rk, partitions);
    } else {
      assign_err = rd_kafka_assign(rk, nullptr);
    }
  }
  if (error) {
    self->callback_error_ = Status::Runtime(std::string("partition assignment failed: ") +
                                            rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
  } else if (assign_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    self->callback_error_ = Status::Runtime(std::string("partition assignment failed: ") +
                                            rd_kafka_err2str(assign_err));
  }
  // Partitions already at their end in default mode: stop fetching them.
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS && self->bounded()) {
    for (int i = 0; i < partitions->cnt; ++i) {
      const rd_kafka_topic_partition_t& tp = partitions->elems[i];
      PartitionState& s = self->state(tp.topic, tp.partition);
      if (s.done) self->pause(tp.topic, tp.partition);
    }
  }
}

void KafkaSource::on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* self = static_cast<KafkaSource*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char fatal[512];
    rd_kafka_resp_err_t cause = rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
    self->callback_error_ = Status::Runtime(std::string("Kafka consumer failed: ") +
                                            rd_kafka_err2name(cause) + ": " + fatal);
    return;
  }
  // librdkafka retries everything else itself; the log callback has shown it as a warning.
  self->last_client_error_ = reason;
}

void KafkaSource::pause(const std::string& topic, int32_t partition) {
  PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
  rd_kafka_pause_partitions(consumer_.get(), list.get());
}

KafkaSource::PartitionState& KafkaSource::state_of(const rd_kafka_message_t* message) {
  if (message->rkt != last_rkt_ || message->partition != last_partition_) {
    last_state_ = &state(rd_kafka_topic_name(message->rkt), message->partition);
    last_rkt_ = message->rkt;
    last_partition_ = message->partition;
  }
  return *last_state_;
}

Status KafkaSource::take(const rd_kafka_message_t* m, Batch* batch) {
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    if (end_of_task_ && m->rkt) state_of(m).at_eof = true;
    if (bounded() && m->rkt) {
      PartitionState& s = state_of(m);
      if (s.assigned && !s.done) {
        s.done = true;
        pause(s.topic, m->partition);
      }
    }
    return Status::Ok();
  }
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::string what = m->rkt ? where(rd_kafka_topic_name(m->rkt), m->partition) + ": " : "";
    what += rd_kafka_message_errstr(m);
    const bool permanent = m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                           m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
                           m->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED ||
                           m->err == RD_KAFKA_RESP_ERR__FATAL;
    // --follow waits for a topic to appear; a one-shot run names the mistake.
    if (permanent && !(context_->follow && m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART))
      return Status::Runtime("Kafka consumer: " + what);
    spdlog::warn("kafka source: {}", what);
    return Status::Ok();
  }
  PartitionState& s = state_of(m);
  s.at_eof = false;
  if (bounded() || end_of_task_) {
    if (s.done || (s.end >= 0 && m->offset >= s.end)) {
      // Prefetched past the end offset: not part of this run (the next one reads it).
      if (!s.done) {
        s.done = true;
        pause(s.topic, m->partition);
      }
      return Status::Ok();
    }
  }
  Record& r = batch->emplace_back();
  r.topic = s.topic;
  r.partition = m->partition;
  if (m->key) r.key_bytes.emplace(static_cast<const char*>(m->key), m->key_len);
  if (m->payload) r.value_bytes.emplace(static_cast<const char*>(m->payload), m->len);
  rd_kafka_timestamp_type_t ts_type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  const int64_t ts = rd_kafka_message_timestamp(m, &ts_type);
  if (ts_type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE && ts >= 0) r.timestamp_ms = ts;
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR && headers) {
    const size_t count = rd_kafka_header_cnt(headers);
    r.headers.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      const char* name = nullptr;
      const void* value = nullptr;
      size_t size = 0;
      if (rd_kafka_header_get_all(headers, i, &name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR)
        break;
      Header& h = r.headers.emplace_back();
      h.key = name;
      if (value) h.value.emplace(static_cast<const char*>(value), size);
    }
  }
  r.source_partition = s.source_partition;
  // The next offset to consume (Kafka's committed offset, KIP-875's sink offset).
  r.source_offset = json_object({{"kafka_offset", m->offset + 1}});
  r.kafka_offset = m->offset;
  if (end_of_task_ && !before_task_end(s, m, r)) {
    batch->pop_back();
    return Status::Ok();
  }
  if (bounded() && s.end >= 0 && m->offset + 1 >= s.end) {
    s.done = true;
    pause(s.topic, m->partition);
  }
  return Status::Ok();
}

bool KafkaSource::before_task_end(PartitionState& s, const rd_kafka_message_t* m, const Record& r) {
  auto header = [&](const std::string& name) -> const std::optional<std::string>* {
    for (const Header& h : r.headers)
      if (h.key == name) return &h.value;
    return nullptr;
  };
  const auto* task = header(context_->task_id_header);
  const bool ours = task && *task && **task == task_id_;
  if (!ours) {
    if (!s.saw_task || s.interleaved) return true;  // older data, or tasks interleave: as usual
    s.held = m->offset;  // another task after ours: this partition is past it
    s.done = true;
    pause(s.topic, m->partition);
    return false;
  }
  s.saw_task = true;
  std::optional<uint64_t> index;
  if (const auto* text = header(context_->index_header); text && *text) {
    char* end = nullptr;
    const uint64_t n = std::strtoull((*text)->c_str(), &end, 10);
    if (!(*text)->empty() && *end == '\0' && n > 0) index = n;
  }
  if (index) task_indexes_.add(*index);
  const auto* end = header(context_->is_end_header);
  if (end && *end && **end == "true") {
    marker_seen_ = true;
    task_total_ = index;
    s.done = true;
    pause(s.topic, m->partition);
    if (index)
      spdlog::info("kafka source: the end of task '{}' (record {}) at {} offset {}", task_id_,
                   *index, where(s.topic, m->partition), m->offset);
    else
      spdlog::warn(
          "kafka source: the end of task '{}' at {} offset {} has no {} header: the run ends once "
          "every partition was read to its end",
          task_id_, where(s.topic, m->partition), m->offset, context_->index_header);
  }
  return true;
}

bool KafkaSource::task_complete() const {
  if (!marker_seen_) return false;
  if (!task_total_) return settled();
  return task_indexes_.count_upto(*task_total_) == *task_total_;
}

void KafkaSource::IndexRanges::add(uint64_t index) {
  auto next = ranges_.upper_bound(index);  // the first range starting after index
  if (next != ranges_.begin()) {
    auto prev = std::prev(next);
    if (prev->second > index) return;  // already read (a replay)
    if (prev->second == index) {       // extends prev, perhaps up to next
      prev->second = index + 1;
      if (next != ranges_.end() && next->first == prev->second) {
        prev->second = next->second;
        ranges_.erase(next);
      }
      return;
    }
  }
  uint64_t last = index + 1;
  if (next != ranges_.end() && next->first == last) {
    last = next->second;
    ranges_.erase(next);
  }
  ranges_.emplace(index, last);
}

uint64_t KafkaSource::IndexRanges::count_upto(uint64_t n) const {
  uint64_t count = 0;
  for (const auto& [first, last] : ranges_) {
    if (first > n) break;
    count += std::min(last, n + 1) - first;
  }
  return count;
}

bool KafkaSource::settled() const {
  if (!assigned_once_) return false;
  for (const auto& entry : partitions_)
    if (entry.second.assigned && !entry.second.done && !entry.second.at_eof) return false;
  return true;
}

Status KafkaSource::release_held() {
  PartitionList list(rd_kafka_topic_partition_list_new(1));
  for (auto& [key, s] : partitions_) {
    if (!s.assigned || s.held < 0) continue;
    rd_kafka_topic_partition_list_add(list.get(), key.first.c_str(), key.second)->offset = s.held;
    spdlog::info(
        "kafka source: task '{}' is not complete and {} is read to its end: its records of other "
        "tasks from offset {} on are emitted as usual",
        task_id_, where(key.first, key.second), s.held);
    s.held = -1;
    s.done = false;
    s.interleaved = true;
  }
  if (list->cnt == 0) return Status::Ok();
  if (rd_kafka_error_t* error = rd_kafka_seek_partitions(consumer_.get(), list.get(), 10000)) {
    Status st =
        Status::Runtime(std::string("kafka source: seeking: ") + rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
    return st;
  }
  for (int i = 0; i < list->cnt; ++i)
    if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR)
      return Status::Runtime("kafka source: seeking " +
                             where(list->elems[i].topic, list->elems[i].partition) + ": " +
                             rd_kafka_err2str(list->elems[i].err));
  rd_kafka_resume_partitions(consumer_.get(), list.get());
  return Status::Ok();
}

bool KafkaSource::all_done() const {
  for (const auto& entry : partitions_)
    if (entry.second.assigned && !entry.second.done) return false;
  return true;
}

Status KafkaSource::poll(Batch* batch) {
  if (!consumer_) return Status::Runtime("poll() before open()");
  int wait_ms = kPollWaitMs;
  while (batch->size() < batch_size_) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_.get(), wait_ms);
    if (!callback_error_.ok()) {
      if (m) rd_kafka_message_destroy(m);
      return callback_error_;
    }
    if (!m) break;
    Status st = take(m, batch);
    rd_kafka_message_destroy(m);
    KPIPE_RETURN_IF_ERROR(st);
    wait_ms = 0;  // take what is already fetched, then hand the batch over
    if (bounded() && assigned_once_ && all_done()) break;
    if (end_of_task_ && task_complete()) break;
  }
  if (context_->follow) return Status::Ok();
  if (end_of_task_ && task_complete()) {
    exhausted_ = true;
    spdlog::info("kafka source: read task '{}' to its end", task_id_);
  } else if (end_of_task_ && batch->empty() && settled()) {
    KPIPE_RETURN_IF_ERROR(release_held());
  } else if (assigned_once_) {
    if (!end_of_task_ && all_done()) exhausted_ = true;
  } else if (std::chrono::steady_clock::now() > first_assignment_deadline_) {
    // Brokers down or no coordinator yet (a missing topic fails above): worth a retry.
    return Status::Transient(
        "no partitions were assigned by the group coordinator at " + bootstrap_ +
        (last_client_error_.empty() ? std::string()
                                    : " (last client error: " + last_client_error_ + ")"));
  }
  return Status::Ok();
}

Status KafkaSource::commit_to_group() {
  if (group_pending_.empty() || !consumer_) return Status::Ok();
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(group_pending_.size())));
  for (const auto& [key, offset] : group_pending_)
    rd_kafka_topic_partition_list_add(list.get(), key.first.c_str(), key.second)->offset = offset;
  rd_kafka_resp_err_t err = rd_kafka_commit(consumer_.get(), list.get(), 0 /* synchronous */);
  std::string failure;
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) failure = rd_kafka_err2str(err);
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = list->elems[i];
    if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (failure.empty())
        failure = where(tp.topic, tp.partition) + ": " + rd_kafka_err2str(tp.err);
    } else if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      group_pending_.erase(PartitionKey{tp.topic, tp.partition});
    }
  }
  if (!failure.empty()) {
    // The offsets file already holds these offsets and is what the next run starts from; the
    // group only mirrors it (for lag monitoring and Connect), so retry at the next commit.
    spdlog::warn(
        "kafka source: committing offsets to group '{}' failed (retried at the next "
        "commit): {}",
        group_id_, failure);
  }
  return Status::Ok();
}

Status KafkaSource::committed(const std::vector<std::pair<Json, Json>>& offsets) {
  for (const auto& [partition, offset] : offsets) {
    const Json* topic = partition.contains("kafka_topic") ? &partition["kafka_topic"] : nullptr;
    const Json* number =
        partition.contains("kafka_partition") ? &partition["kafka_partition"] : nullptr;
    const Json* next = offset.contains("kafka_offset") ? &offset["kafka_offset"] : nullptr;
    if (!topic || !topic->is_string() || !number || !number->is_number_integer() || !next ||
        !next->is_number_integer())
      continue;  // not one of this source's partitions
    group_pending_[PartitionKey{topic->get<std::string>(), number->get<int32_t>()}] =
        next->get<int64_t>();
  }
  return commit_to_group();
}

void KafkaSource::close() {
  if (consumer_) {
    // Leaves the group at once (no session timeout for the next run to wait out).
    rd_kafka_resp_err_t err = rd_kafka_consumer_close(consumer_.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      spdlog::warn("kafka source: closing the consumer: {}", rd_kafka_err2str(err));
  }
  consumer_.reset();
  last_rkt_ = nullptr;
  last_state_ = nullptr;
}

}  // namespace kpipe
