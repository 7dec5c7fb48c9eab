#include "connectors/kafka/kafka.h"

#include <memory>

#include "connectors/kafka/kafka_sink.h"
#include "connectors/kafka/kafka_source.h"

namespace kpipe {

void register_kafka(Registry& registry) {
  ConfigSpec source = kafka_source_spec(), sink = kafka_sink_spec();
  source.check = validate_kafka_source;
  sink.check = validate_kafka_sink;
  registry.add_source(std::move(source), [] { return std::make_unique<KafkaSource>(); });
  registry.add_sink(std::move(sink), [] { return std::make_unique<KafkaSink>(); });
}

}  // namespace kpipe
