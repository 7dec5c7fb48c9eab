// RunReport: what a run tells the world besides its data — status events (run.status), the
// Prometheus metrics file (--metrics-file), the run summary (--summary-json) and the state the
// status API serves (--rest-port). The runner calls it as a RunObserver.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "pipeline.h"
#include "registry.h"
#include "run/status_events.h"
#include "run/status_server.h"
#include "runner.h"

namespace kpipe {

struct ReportOptions {
  std::string task_id;
  std::string metrics_file;  // Prometheus textfile-collector format, written atomically
  std::string summary_json;  // one JSON object per run; "-" = stdout
  bool follow = false;       // metrics every few seconds, not only at the end
  bool dry_run = false;      // no status events: a dry run leaves no trace
  const std::atomic<bool>* stopping = nullptr;
};

class RunReport : public RunObserver {
 public:
  // Opens the status events' file or topic; an unreachable status topic fails here.
  static Status open(const Pipeline& pipeline, const Registry& registry, ReportOptions options,
                     std::unique_ptr<RunReport>* out);

  void started(const RunCounts& counts) override;
  void progressed(const RunCounts& counts) override;
  void finished(const Status& st, const RunCounts& counts) override;
  bool wants_estimate() const override { return events_ != nullptr; }  // the start event's total

  // Thread-safe, for the status API: the metrics text, and RUNNING / FAILED with the error.
  std::string metrics() const;
  std::pair<std::string, std::string> state() const;
  // The pipeline as Connect's REST API shows a connector: its state, its configuration (secrets
  // hidden) and its committed offsets, read from the offsets file.
  ConnectorView view() const;

 private:
  RunReport(const Pipeline& pipeline, const Registry& registry, ReportOptions options)
      : pipeline_(pipeline), registry_(registry), options_(std::move(options)) {}
  std::string metrics_text(const RunCounts& counts, bool done) const;  // with mu_ held
  void write_metrics(const RunCounts& counts, bool done);
  void write_summary(const Status& st, const RunCounts& counts);

  const Pipeline& pipeline_;
  const Registry& registry_;
  const ReportOptions options_;
  std::unique_ptr<StatusEvents> events_;
  std::chrono::system_clock::time_point start_ = std::chrono::system_clock::now();
  std::chrono::steady_clock::time_point last_metrics_{};
  nlohmann::ordered_json offsets_before_;
  mutable std::mutex mu_;  // guards what follows
  RunCounts counts_;
  bool done_ = false, ok_ = true;
  std::string error_;
  double last_success_ = 0;  // unix seconds; 0 = never (kept across runs in the metrics file)
};

}  // namespace kpipe
