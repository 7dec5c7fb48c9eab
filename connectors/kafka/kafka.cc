#include "connectors/kafka/kafka.h"

#include <memory>

#include "connectors/kafka/kafka_sink.h"
#include "connectors/kafka/kafka_source.h"

namespace kpipe {

void register_kafka(Registry& registry) {
  registry.add_source(kafka_source_spec(), [] { return std::make_unique<KafkaSource>(); });
  registry.add_sink(kafka_sink_spec(), [] { return std::make_unique<KafkaSink>(); });
}

}  // namespace kpipe
