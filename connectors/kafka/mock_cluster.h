// MockCluster: librdkafka's in-process mock Kafka cluster (real wire protocol, random ports on
// 127.0.0.1). Serves `kpipe mock-kafka`, `bootstrap.servers: mock://N` and the tests.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>  // needs rdkafka.h first

#include <memory>
#include <string>

#include "connectors/kafka/kafka_client.h"
#include "status.h"

namespace kpipe {

class MockCluster {
  struct Key {
    explicit Key() = default;
  };

 public:
  // Use start(); the key keeps construction inside this class while allowing make_unique.
  explicit MockCluster(Key) {}

  // Starts `brokers` brokers; they serve from librdkafka's own threads until destruction.
  static Status start(int brokers, std::unique_ptr<MockCluster>* out);

  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  // "127.0.0.1:PORT[,127.0.0.1:PORT...]"
  std::string bootstraps() const;
  int brokers() const { return brokers_; }
  // Creates `name` with `partitions` partitions (the mock would otherwise auto-create 4).
  Status create_topic(const std::string& name, int partitions);
  // An outage: every broker drops its connections and refuses new ones (down), or serves again.
  Status set_down(bool down);

 private:
  struct ClusterDeleter {
    void operator()(rd_kafka_mock_cluster_t* cluster) const {
      rd_kafka_mock_cluster_destroy(cluster);
    }
  };
  int brokers_ = 0;
  // The cluster runs on this handle's threads, so the handle is declared first: it is destroyed
  // after the cluster.
  KafkaHandle handle_;
  std::unique_ptr<rd_kafka_mock_cluster_t, ClusterDeleter> cluster_;
};

}  // namespace kpipe
