// The Kafka connectors: the `kafka` source (a librdkafka consumer), the `kafka` sink (a
// librdkafka producer) and `kpipe mock-kafka`, a librdkafka mock cluster for tests and laptops.
#pragma once

#include <string>
#include <vector>

#include "registry.h"

namespace kpipe {

// Adds the Kafka connectors to the registry.
void register_kafka(Registry& registry);

// `kpipe mock-kafka`: starts a mock cluster of `brokers` brokers, creates `topics` ("NAME" = one
// partition, "NAME:PARTITIONS"), prints the bootstrap servers as the first line of stdout, then
// blocks until SIGINT or SIGTERM. Returns the process exit code (2 for bad arguments).
int run_mock_kafka(int brokers, const std::vector<std::string>& topics);

}  // namespace kpipe
