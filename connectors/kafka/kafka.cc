#include "connectors/kafka/kafka.h"

#include <memory>

#include "connectors/kafka/kafka_client.h"
#include "connectors/kafka/kafka_sink.h"
#include "connectors/kafka/kafka_source.h"

namespace kpipe {

namespace {

// librdkafka judges its own properties: build a throwaway configuration so `kpipe validate`
// reports an unknown or invalid one with librdkafka's message and the key's line.
Status check_properties(const Config& config) {
  KafkaConf conf;
  return build_kafka_conf(config, {}, &conf);
}

}  // namespace

void register_kafka(Registry& registry) {
  ConfigSpec source = kafka_source_spec(), sink = kafka_sink_spec();
  source.check = check_properties;
  sink.check = [](const Config& config) {
    KPIPE_RETURN_IF_ERROR(check_properties(config));
    return check_kafka_sink(config);
  };
  registry.add_source(std::move(source), [] { return std::make_unique<KafkaSource>(); });
  registry.add_sink(std::move(sink), [] { return std::make_unique<KafkaSink>(); });
}

}  // namespace kpipe
