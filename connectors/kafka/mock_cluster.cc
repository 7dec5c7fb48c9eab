#include "connectors/kafka/mock_cluster.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "connectors/kafka/kafka.h"

namespace kpipe {

Status MockCluster::start(int brokers, std::unique_ptr<MockCluster>* out) {
  if (brokers < 1) {
    return Status::Invalid("a mock Kafka cluster needs at least 1 broker, got " +
                           std::to_string(brokers));
  }
  // rd_kafka_mock_cluster_new() needs a client instance to run on; a dedicated producer that
  // never produces keeps the cluster independent of the clients that talk to it.
  KafkaConf conf(rd_kafka_conf_new());
  KPIPE_RETURN_IF_ERROR(kafka_conf_set(conf.get(), "client.id", "kpipe-mock-kafka"));
  // This handle never connects anywhere: its notices ("no bootstrap.servers configured") are
  // noise, warnings and errors still show.
  KPIPE_RETURN_IF_ERROR(kafka_conf_set(conf.get(), "log_level", "4"));
  route_kafka_logs(conf.get());
  char errstr[512];
  KafkaHandle handle(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof(errstr)));
  if (!handle) return Status::Runtime(std::string("mock Kafka cluster: ") + errstr);
  conf.release();  // rd_kafka_new() took ownership

  auto cluster = std::make_unique<MockCluster>(Key{});
  cluster->brokers_ = brokers;
  cluster->cluster_.reset(rd_kafka_mock_cluster_new(handle.get(), brokers));
  if (!cluster->cluster_) {
    return Status::Runtime("mock Kafka cluster: could not start " + std::to_string(brokers) +
                           " broker(s)");
  }
  cluster->handle_ = std::move(handle);
  *out = std::move(cluster);
  return Status::Ok();
}

std::string MockCluster::bootstraps() const {
  return rd_kafka_mock_cluster_bootstraps(cluster_.get());
}

Status MockCluster::create_topic(const std::string& name, int partitions) {
  if (partitions < 1) {
    return Status::Invalid("topic '" + name + "': needs at least 1 partition, got " +
                           std::to_string(partitions));
  }
  // Replication factor 1: the mock does not replicate data, more replicas only add followers.
  rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(cluster_.get(), name.c_str(), partitions, 1);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Runtime("mock Kafka cluster: creating topic '" + name +
                           "': " + rd_kafka_err2str(err));
  }
  return Status::Ok();
}

Status MockCluster::set_down(bool down) {
  for (int32_t id = 1; id <= brokers_; ++id) {  // the mock numbers its brokers from 1
    const rd_kafka_resp_err_t err = down ? rd_kafka_mock_broker_set_down(cluster_.get(), id)
                                         : rd_kafka_mock_broker_set_up(cluster_.get(), id);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      return Status::Runtime("mock Kafka cluster: broker " + std::to_string(id) + ": " +
                             rd_kafka_err2str(err));
  }
  return Status::Ok();
}

namespace {

// "NAME" or "NAME:PARTITIONS". Kafka topic names cannot contain ':', so the last one splits.
Status parse_topic_arg(const std::string& arg, std::string* name, int* partitions) {
  size_t colon = arg.rfind(':');
  *name = arg.substr(0, colon);
  *partitions = 1;
  if (colon != std::string::npos) {
    const std::string count = arg.substr(colon + 1);
    char* end = nullptr;
    long n = std::strtol(count.c_str(), &end, 10);
    if (count.empty() || *end != '\0' || n < 1 || n > 100000) {
      return Status::Invalid("--topic " + arg + ": the partition count must be a positive integer");
    }
    *partitions = static_cast<int>(n);
  }
  if (name->empty()) return Status::Invalid("--topic " + arg + ": empty topic name");
  return Status::Ok();
}

}  // namespace

int run_mock_kafka(int brokers, const std::vector<std::string>& topics) {
  std::vector<std::pair<std::string, int>> parsed;
  for (const std::string& arg : topics) {
    std::string name;
    int partitions = 1;
    Status st = parse_topic_arg(arg, &name, &partitions);
    if (!st.ok()) {
      spdlog::error("mock-kafka: {}", st.message());
      return st.exit_code();
    }
    parsed.emplace_back(name, partitions);
  }

  // Block the signals before librdkafka starts its threads (they inherit the mask), so sigwait()
  // below is the only place they are delivered. SIGUSR1 / SIGUSR2 start and end an outage.
  sigset_t signals, previous;
  sigemptyset(&signals);
  for (int s : {SIGINT, SIGTERM, SIGUSR1, SIGUSR2}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, &previous);

  int exit_code = 0;
  {
    std::unique_ptr<MockCluster> cluster;
    Status st = MockCluster::start(brokers, &cluster);
    for (size_t i = 0; st.ok() && i < parsed.size(); ++i) {
      st = cluster->create_topic(parsed[i].first, parsed[i].second);
    }
    if (!st.ok()) {
      spdlog::error("mock-kafka: {}", st.message());
      exit_code = st.exit_code();
    } else {
      // The first stdout line is the contract with scripts and tests: print and flush it before
      // anything else can be written.
      std::printf("%s\n", cluster->bootstraps().c_str());
      std::fflush(stdout);
      for (const auto& [name, partitions] : parsed) {
        spdlog::info("mock-kafka: topic '{}' with {} partition(s)", name, partitions);
      }
      spdlog::info(
          "mock-kafka: {} broker(s) at {}; stop with Ctrl-C or SIGTERM; SIGUSR1 takes the "
          "brokers down (an outage), SIGUSR2 brings them back",
          brokers, cluster->bootstraps());
      for (;;) {
        int signal_number = 0;
        if (sigwait(&signals, &signal_number) != 0) continue;
        if (signal_number == SIGUSR1 || signal_number == SIGUSR2) {
          const bool down = signal_number == SIGUSR1;
          if (Status st = cluster->set_down(down); !st.ok()) {
            spdlog::error("mock-kafka: {}", st.message());
          } else {
            spdlog::info("mock-kafka: brokers {}", down ? "down" : "up");
          }
          continue;
        }
        spdlog::info("mock-kafka: signal {} received, stopping", signal_number);
        break;
      }
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return exit_code;
}

}  // namespace kpipe
