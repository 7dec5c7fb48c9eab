#include "connect/connect_commands.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "connect/java_offsets.h"
#include "offsets.h"

namespace kpipe {

Status load_any_pipeline(const std::string& path, const std::string& worker_file,
                         const Registry& registry, Pipeline* out,
                         std::unique_ptr<ConnectorPipeline>* connector) {
  if (!is_connector_file(path)) {
    if (!worker_file.empty())
      return Status::Invalid(
          "--worker goes with a Connect connector file (.properties or "
          ".json), not with the pipeline file " +
          path);
    return load_pipeline(path, registry, out);
  }
  auto loaded = std::make_unique<ConnectorPipeline>();
  ConnectorOptions options;
  options.worker_file = worker_file;
  KPIPE_RETURN_IF_ERROR(load_connector_pipeline(path, options, registry, loaded.get()));
  *out = loaded->pipeline;
  *connector = std::move(loaded);
  return Status::Ok();
}

Status connect_standalone(const std::string& worker_file,
                          const std::vector<std::string>& connector_files, const Registry& registry,
                          const RunOptions& options, const std::atomic<bool>& stopping) {
  // Like ConnectStandalone: every connector is loaded before any runs; one bad file stops all.
  std::vector<ConnectorPipeline> connectors(connector_files.size());
  ConnectorOptions load;
  load.worker_file = worker_file;
  for (size_t i = 0; i < connector_files.size(); ++i) {
    KPIPE_RETURN_IF_ERROR(
        load_connector_pipeline(connector_files[i], load, registry, &connectors[i]));
    for (size_t j = 0; j < i; ++j)
      if (connectors[j].connector_name == connectors[i].connector_name)
        return Status::Invalid(connector_files[i] + ": Connector " + connectors[i].connector_name +
                               " already exists (" + connector_files[j] + ")");
  }
  if (connectors.empty())
    spdlog::info("no connector files: nothing to run (Connect would wait for REST requests)");
  std::vector<Status> results(connectors.size());
  std::vector<std::thread> threads;
  RunOptions each = options;
  each.progress = options.progress && connectors.size() == 1;
  for (size_t i = 0; i < connectors.size(); ++i) {
    const ConnectorPipeline& c = connectors[i];
    if (c.initial_state != "RUNNING") {
      spdlog::info("connector '{}' created in state {}: not running it", c.connector_name,
                   c.initial_state);
      continue;
    }
    threads.emplace_back([&, i] {
      Status st = import_connect_offsets(connectors[i]);
      if (st.ok()) st = run_pipeline(connectors[i].pipeline, registry, each, stopping);
      results[i] = st.with_context("connector '" + connectors[i].connector_name + "'");
    });
  }
  for (auto& t : threads) t.join();
  size_t worst = results.size();
  for (size_t i = 0; i < results.size(); ++i)
    if (!results[i].ok() &&
        (worst == results.size() || results[i].exit_code() > results[worst].exit_code()))
      worst = i;
  for (size_t i = 0; i < results.size(); ++i)
    if (!results[i].ok() && i != worst) spdlog::error("{}", results[i].message());
  return worst == results.size() ? Status::Ok() : results[worst];
}

Status connect_form_offsets(const Pipeline& pipeline, const ConfigSpec* source_spec,
                            std::vector<std::pair<Json, Json>>* out) {
  std::unique_ptr<OffsetStore> store;
  KPIPE_RETURN_IF_ERROR(
      OffsetStore::open(pipeline.offsets_file, pipeline.name, OffsetStore::Mode::kRead, &store));
  const nlohmann::ordered_json committed = store->to_kip875();
  for (const auto& entry : committed["offsets"]) {
    Json partition = Json::parse(entry["partition"].dump());
    if (partition.contains("kpipe.sink")) continue;  // the file sink's own position
    if (source_spec && source_spec->connect.partition_to_connect)
      partition = source_spec->connect.partition_to_connect(pipeline.source.config, partition);
    out->emplace_back(std::move(partition), Json::parse(entry["offset"].dump()));
  }
  return Status::Ok();
}

Status export_connect_offsets(const Pipeline& pipeline, const Registry& registry,
                              const std::string& to) {
  const ConfigSpec& spec = registry.source(pipeline.source.name)->spec;
  if (spec.connect.empty()) {
    if (pipeline.source.name == "kafka")
      return Status::Invalid(
          pipeline.file +
          ": a Kafka source is a Connect sink connector, whose offsets are its consumer group's "
          "(connect-<name>), not a worker file's; kpipe commits them to its group.id as it runs");
    return Status::Invalid(pipeline.file + ": no Connect source connector stands for kpipe's " +
                           pipeline.source.name + " source: there are no Connect offsets to write");
  }
  std::vector<std::pair<Json, Json>> committed;
  KPIPE_RETURN_IF_ERROR(connect_form_offsets(pipeline, &spec, &committed));
  std::vector<std::pair<Json, std::optional<Json>>> offsets(committed.begin(), committed.end());
  JavaOffsetsFile file;
  KPIPE_RETURN_IF_ERROR(read_java_offsets(to, &file));
  put_connector_offsets(&file, pipeline.name, offsets);
  KPIPE_RETURN_IF_ERROR(write_java_offsets(to, file));
  spdlog::info(
      "wrote {} offsets of connector '{}' to {} (a Java worker's "
      "offset.storage.file.filename)",
      offsets.size(), pipeline.name, to);
  return Status::Ok();
}

}  // namespace kpipe
