// StatusServer: a read-only REST API in Kafka Connect's shapes over the pipelines of a running
// kpipe (`kpipe run --follow --rest-port PORT`), so a scheduler or a dashboard that polls
// Connect's API can poll kpipe. Each pipeline is a connector with one task, 0:
//   GET /                                 {"version":..,"commit":..,"kafka_cluster_id":null}
//   GET /health                           {"status":"healthy","message":..} (Connect 3.9)
//   GET /connectors[?expand=status&expand=info]
//   GET /connectors/{name}                {"name","config","tasks":[{"connector","task":0}],"type"}
//   GET /connectors/{name}/config         the flat config map
//   GET /connectors/{name}/status         {"name","connector":{..},"tasks":[{"id":0,..}],"type"}
//   GET /connectors/{name}/tasks          [{"id":{"connector","task":0},"config":{..}}]
//   GET /connectors/{name}/tasks/0/status {"id":0,"state":..,"worker_id":..[,"trace":..]}
//   GET /connectors/{name}/offsets        KIP-875's body
//   GET /metrics                          Prometheus text, text/plain; version=0.0.4
// Errors have Connect's body {"error_code":404,"message":"Connector x not found"}; any method
// but GET (and HEAD) is 405: the API changes nothing. Served by cpp-httplib on its own threads,
// plain HTTP; nothing in a body is masked here, so the caller gives config and trace clean.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "status.h"

namespace httplib {
class Server;
}

namespace kpipe {

// One pipeline as Connect's REST API shows a connector.
struct ConnectorView {
  std::string name;
  // "source" or "sink" as Connect says it: a pipeline from Kafka into something is a sink; one
  // from a source connector into Kafka, or any other, is a source.
  std::string type;
  std::string state;               // RUNNING or FAILED (Connect's PAUSED, STOPPED: unused)
  std::string trace;               // the error when FAILED; left out of bodies when empty
  nlohmann::ordered_json config;   // flat string map, secrets already masked
  nlohmann::ordered_json offsets;  // KIP-875: {"offsets":[{"partition":{..},"offset":{..}}]}
};

class StatusServer {
 public:
  // Each is called per request from the server's threads, so must be thread-safe.
  using Views = std::function<std::vector<ConnectorView>()>;
  using Metrics = std::function<std::string()>;  // the body of GET /metrics

  // Binds bind_address:port (0: any free port) and serves until destroyed. A port in use or an
  // address that is not this machine's is an Invalid status naming both.
  static Status start(const std::string& bind_address, int port, Views views, Metrics metrics,
                      std::unique_ptr<StatusServer>* out);
  // Stops listening, lets requests in progress finish, and joins.
  ~StatusServer();
  int port() const { return port_; }

 private:
  StatusServer() = default;
  void routes();

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> listened_{false};  // listen_after_bind() returned
  std::string worker_id_;              // "bind_address:port", as Connect's worker_id
  int port_ = 0;
  Views views_;
  Metrics metrics_;
};

}  // namespace kpipe
