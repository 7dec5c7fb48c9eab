// A Kafka Connect connector as a kpipe pipeline: a connector file (connect-standalone's three
// forms) and a worker file become the pipeline file kpipe would have been given, so a Connect
// connector is validated, run and committed exactly as a YAML pipeline is.
//
// A source connector reads its system and writes to the worker's Kafka; a sink connector reads
// the worker's Kafka (group connect-<name>, starting where that group stopped) and writes its
// system. What each connector stands for in Connect (its classes, renamed and ignored keys) is
// its ConfigSpec's `connect`; the worker's side (converters, producer.*/consumer.*, offsets)
// is here. Errors name the connector or worker file, the line and the key.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "pipeline.h"
#include "registry.h"
#include "status.h"

namespace kpipe {

struct ConnectorPipeline {
  Pipeline pipeline;
  std::string yaml;                     // the pipeline file it stands for (kpipe convert prints it)
  std::string connector_name;           // Connect's name: the pipeline's, and the offsets namespace
  std::string connector_file;           // as given
  std::string java_offsets_file;        // the worker's offset.storage.file.filename; "" = none
  std::string initial_state;            // RUNNING | PAUSED | STOPPED (connect-standalone's JSON)
  const ConfigSpec* spec = nullptr;     // the kpipe connector standing for the Connect class
  bool is_source = true;                // a Connect source connector (else a sink connector)
  std::set<std::string> secret_values;  // what config providers gave: never printed
};

struct ConnectorOptions {
  std::string worker_file;  // "" = kpipe's defaults (bootstrap.servers localhost:9092, JSON)
  // Resolve config providers (a run) or keep their variables as kpipe ${env:}/${file:} ones
  // (kpipe convert, so that no secret lands in the printed YAML).
  bool resolve = true;
};

// True for a file connect-standalone would read: *.properties or *.json.
bool is_connector_file(const std::string& path);

Status load_connector_pipeline(const std::string& connector_file, const ConnectorOptions& options,
                               const Registry& registry, ConnectorPipeline* out);

// The same for a connector config held in memory (GET /connectors/{name}/config of a cluster);
// `origin` names it in messages (e.g. "http://host:8083/connectors/x").
Status connector_config_pipeline(const std::string& origin, const std::string& name,
                                 const std::vector<std::pair<std::string, std::string>>& config,
                                 const ConnectorOptions& options, const Registry& registry,
                                 ConnectorPipeline* out);

// Before the first run of a connector that Connect ran before: its offsets in the worker's Java
// offsets file become the pipeline's (in kpipe's form), so it resumes where Connect stopped.
// Does nothing when the pipeline already has offsets or the file holds none for it.
Status import_connect_offsets(const ConnectorPipeline& connector);

}  // namespace kpipe
