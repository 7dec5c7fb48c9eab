// Shared librdkafka plumbing for the Kafka source and sink: RAII owners for the C handles and
// configuration building that turns librdkafka's complaints into Status::Invalid.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config.h"
#include "status.h"

namespace kpipe {

struct KafkaHandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct KafkaConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
struct KafkaTopicDeleter {
  void operator()(rd_kafka_topic_t* rkt) const { rd_kafka_topic_destroy(rkt); }
};
struct KafkaHeadersDeleter {
  void operator()(rd_kafka_headers_t* hdrs) const { rd_kafka_headers_destroy(hdrs); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
struct KafkaMetadataDeleter {
  void operator()(const rd_kafka_metadata_t* metadata) const {
    rd_kafka_metadata_destroy(metadata);
  }
};

using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaHandleDeleter>;
using KafkaConf = std::unique_ptr<rd_kafka_conf_t, KafkaConfDeleter>;
using KafkaTopic = std::unique_ptr<rd_kafka_topic_t, KafkaTopicDeleter>;
using KafkaHeaders = std::unique_ptr<rd_kafka_headers_t, KafkaHeadersDeleter>;
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using KafkaMetadata = std::unique_ptr<const rd_kafka_metadata_t, KafkaMetadataDeleter>;

using KafkaProperties = std::vector<std::pair<std::string, std::string>>;

// `message` with every occurrence of `value` replaced by "******" when `key` is secret, so a
// librdkafka error that quotes the value cannot leak it.
std::string redact_kafka_value(const std::string& key, const std::string& value,
                               std::string message);

// Sets one property. Failure -> Invalid with librdkafka's own message (secret values masked);
// the caller adds which block and key it came from.
Status kafka_conf_set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value);

// A new configuration: `defaults` first, then the block's passthrough keys (so the user's value,
// or an alias of the same property such as delivery.timeout.ms, wins), then log routing to
// spdlog. A property librdkafka rejects -> Invalid with the key's YAML location and librdkafka's
// message.
Status build_kafka_conf(const Config& config, const KafkaProperties& defaults, KafkaConf* out);

// rd_kafka_new() of `conf`, which it takes on success. librdkafka checks here what one property
// alone cannot show (a CA file that does not exist, transactional.id without idempotence).
// Failure -> Invalid "creating the Kafka producer|consumer: <librdkafka's message>", with the
// block's secret values masked.
Status new_kafka_client(rd_kafka_type_t type, const Config& config, KafkaConf* conf,
                        KafkaHandle* out);

// For `kpipe validate`: builds the configuration and the client as open() would, without
// bootstrap servers (so nothing connects), and destroys it.
Status check_kafka_client(rd_kafka_type_t type, const Config& config,
                          const KafkaProperties& defaults);

// The current value of a property in `conf` ("" when unset or unknown).
std::string kafka_conf_get(const rd_kafka_conf_t* conf, const std::string& key);

// Routes librdkafka's log lines to spdlog instead of its default stderr printer.
void route_kafka_logs(rd_kafka_conf_t* conf);

}  // namespace kpipe
