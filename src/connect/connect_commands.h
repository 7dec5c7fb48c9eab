// The CLI's Kafka Connect commands that run or read connectors (the cluster handover is
// handover.h): connect-standalone, and the offsets file a Java worker reads.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "connect/connector_pipeline.h"
#include "pipeline.h"
#include "registry.h"
#include "runner.h"
#include "status.h"

namespace kpipe {

// A pipeline file, or a Connect connector file (*.properties, *.json) with an optional worker
// file; `connector` is set for the latter.
Status load_any_pipeline(const std::string& path, const std::string& worker_file,
                         const Registry& registry, Pipeline* out,
                         std::unique_ptr<ConnectorPipeline>* connector);

// kpipe connect-standalone WORKER CONNECTOR...: every connector a pipeline, run concurrently in
// this process, each resuming from Connect's offsets file on its first run. A connector created
// STOPPED or PAUSED (a JSON file's initial_state) is loaded and not run. Fails (after the others
// finished) when one failed, with the worst exit code.
Status connect_standalone(const std::string& worker_file,
                          const std::vector<std::string>& connector_files, const Registry& registry,
                          const RunOptions& options, const std::atomic<bool>& stopping);

// The pipeline's committed offsets as Connect names them: source partitions through
// `source_spec`'s partition_to_connect (none for a Kafka source: its entries are already
// Connect's sink shape), without the file sink's own position entry.
Status connect_form_offsets(const Pipeline& pipeline, const ConfigSpec* source_spec,
                            std::vector<std::pair<Json, Json>>* out);

// kpipe offsets export-connect: the pipeline's committed source offsets into a Java worker's
// offsets file (FileOffsetBackingStore), under the connector's name, in Connect's partition form.
// An existing file keeps every other entry as it was, in its place.
Status export_connect_offsets(const Pipeline& pipeline, const Registry& registry,
                              const std::string& to);

}  // namespace kpipe
