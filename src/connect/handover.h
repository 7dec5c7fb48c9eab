// Handing a pipeline and its exact position to a Kafka Connect cluster, and taking it back, over
// Connect's REST API (KIP-875 offsets, KIP-980 initial_state):
//   export: GET / (version gates), POST /connectors {initial_state: STOPPED}, PATCH offsets,
//           GET offsets (verify), PUT resume
//   import: PUT stop, poll status until STOPPED, GET offsets, GET config, write the pipeline file
//           and its offsets file; optionally DELETE offsets and the connector
// The pipeline <-> connector-config mapping is each connector's ConfigSpec::connect; variables
// (${env:..}, ${file:..}) travel unresolved, as Connect stores them.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "pipeline.h"
#include "registry.h"
#include "status.h"

namespace kpipe {

struct ConnectClusterOptions {
  std::string url;       // http(s)://host:8083
  std::string user;      // basic auth when set
  std::string password;  // from --connect-password-file or KPIPE_CONNECT_PASSWORD; never printed
  std::string ca_file;   // PEM CA for https
  long timeout_ms = 30000;
  std::string worker_file;  // import: the worker whose Kafka and converters the pipeline uses
};

struct ExportOptions {
  std::string name;      // connector name; default the pipeline's name
  bool dry_run = false;  // print each request (method, path, body) instead of sending it
  // Connect keys to add to the exported connector config (e.g. hbase.zookeeper.quorum=zk:2181).
  std::vector<std::pair<std::string, std::string>> set;
};

// kpipe connect export PIPELINE.yaml --connect-url URL [--name N] [--dry-run] [--set K=V]...
Status connect_export(const Pipeline& pipeline, const Registry& registry,
                      const ConnectClusterOptions& cluster, const ExportOptions& options);

// kpipe connect import NAME --connect-url URL -o PIPELINE.yaml [--delete]
Status connect_import(const std::string& name, const Registry& registry,
                      const ConnectClusterOptions& cluster, const std::string& output_file,
                      bool delete_after);

}  // namespace kpipe
