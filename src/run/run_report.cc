#include "run/run_report.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "atomic_file.h"
#include "http_client.h"
#include "offsets.h"

namespace kpipe {

namespace {

using SystemClock = std::chrono::system_clock;

double unix_seconds(SystemClock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

std::string iso_utc(SystemClock::time_point t) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:03d}Z", text, static_cast<int>(ms % 1000));
}

// A Prometheus label value: backslash, double quote and newline escaped.
std::string label_value(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

nlohmann::ordered_json read_offsets(const Pipeline& p) {
  std::unique_ptr<OffsetStore> store;
  if (!OffsetStore::open(p.offsets_file, p.name, OffsetStore::Mode::kRead, &store).ok())
    return nullptr;
  return store->to_kip875();
}

// The last success time an earlier run wrote into the metrics file, so that it survives a failed
// run; 0 when there is none.
double previous_success(const std::string& file, const std::string& series) {
  std::ifstream in(file);
  std::string line;
  const std::string prefix = "kpipe_last_success_timestamp_seconds" + series + " ";
  while (std::getline(in, line))
    if (line.compare(0, prefix.size(), prefix) == 0)
      return std::strtod(line.c_str() + prefix.size(), nullptr);
  return 0;
}

}  // namespace

Status RunReport::open(const Pipeline& pipeline, const Registry& registry, ReportOptions options,
                       std::unique_ptr<RunReport>* out) {
  std::unique_ptr<RunReport> report(new RunReport(pipeline, registry, std::move(options)));
  if (pipeline.run.status() && !report->options_.dry_run)
    KPIPE_RETURN_IF_ERROR(
        StatusEvents::open(pipeline, registry, report->options_.task_id, &report->events_));
  if (!report->options_.summary_json.empty()) report->offsets_before_ = read_offsets(pipeline);
  if (!report->options_.metrics_file.empty())
    report->last_success_ = previous_success(report->options_.metrics_file,
                                             "{pipeline=\"" + label_value(pipeline.name) + "\"}");
  *out = std::move(report);
  return Status::Ok();
}

void RunReport::started(const RunCounts& counts) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    counts_ = counts;
  }
  if (events_) {
    Status st = events_->start(counts.predicted.records, counts.predicted.exact);
    if (!st.ok()) spdlog::error("status event start: {}", st.message());
  }
}

void RunReport::progressed(const RunCounts& counts) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    counts_ = counts;
  }
  if (events_) {
    Status st = events_->processing(counts.written);
    if (!st.ok()) spdlog::warn("status event processing: {}", st.message());
  }
  if (options_.follow && !options_.metrics_file.empty() &&
      std::chrono::steady_clock::now() - last_metrics_ >= std::chrono::seconds(5))
    write_metrics(counts, false);
}

void RunReport::finished(const Status& st, const RunCounts& counts) {
  const bool stopped = options_.stopping && options_.stopping->load();
  // A run stopped by a signal before it caught up did not do its job (a --follow run's job is
  // to run until stopped).
  const bool incomplete = st.ok() && stopped && !counts.caught_up && !options_.follow;
  {
    std::lock_guard<std::mutex> lock(mu_);
    counts_ = counts;
    done_ = true;
    ok_ = st.ok() && !incomplete;
    error_ = st.ok() ? (incomplete ? "stopped by a signal before the source was caught up" : "")
                     : st.message();
    if (ok_) last_success_ = unix_seconds(SystemClock::now());
  }
  if (events_) {
    Status sent = ok_ ? events_->end(counts.written)
                      : events_->error(error_ + " (" + std::to_string(counts.written) +
                                           " records written, offsets committed up to them)",
                                       counts.written);
    if (!sent.ok()) spdlog::error("status event {}: {}", ok_ ? "end" : "error", sent.message());
  }
  if (!options_.metrics_file.empty()) write_metrics(counts, true);
  if (!options_.summary_json.empty()) write_summary(st, counts);
}

std::string RunReport::metrics() const {
  std::lock_guard<std::mutex> lock(mu_);
  return metrics_text(counts_, done_);
}

std::pair<std::string, std::string> RunReport::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (done_ && !ok_) return {"FAILED", error_};
  return {"RUNNING", ""};
}

ConnectorView RunReport::view() const {
  ConnectorView v;
  v.name = pipeline_.name;
  // Connect's word for a connector reading Kafka is a sink connector.
  v.type = pipeline_.source.name == "kafka" ? "sink" : "source";
  std::tie(v.state, v.trace) = state();
  v.config = nlohmann::ordered_json::object();
  v.config["name"] = pipeline_.name;
  auto add = [&](const std::string& scope, const ComponentConfig& c, const ConfigSpec* spec) {
    v.config[scope + ".connector"] = c.name;
    for (const auto& [key, value] : c.config.values) {
      const FieldSpec* f = spec ? spec->find(key) : nullptr;
      const bool url = key.find("url") != std::string::npos;  // user:password@ stays out
      v.config[scope + "." + key] = f && f->secret ? "[hidden]"
                                    : url          ? HttpClient::redact(value_text(value))
                                                   : value_text(value);
    }
    for (const auto& [key, value] : c.config.passthrough)
      v.config[scope + "." + key] = looks_secret_key(key) ? "[hidden]" : value;
  };
  const auto* source = registry_.source(pipeline_.source.name);
  const auto* sink = registry_.sink(pipeline_.sink.name);
  add("source", pipeline_.source, source ? &source->spec : nullptr);
  add("sink", pipeline_.sink, sink ? &sink->spec : nullptr);
  v.offsets = read_offsets(pipeline_);
  if (v.offsets.is_null()) v.offsets = {{"offsets", nlohmann::ordered_json::array()}};
  return v;
}

std::string RunReport::metrics_text(const RunCounts& c, bool done) const {
  const std::string series = "{pipeline=\"" + label_value(pipeline_.name) + "\"}";
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help, double value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{}{} {}\n", name, help, name, type, name,
                       series, value);
  };
  metric("kpipe_records_read_total", "counter", "Records the source emitted in this run.", c.read);
  metric("kpipe_records_written_total", "counter", "Records the sink wrote in this run.",
         c.written);
  metric("kpipe_records_skipped_total", "counter",
         "Records that failed a stage and were skipped (errors.tolerance all).", c.skipped);
  metric("kpipe_records_dead_lettered_total", "counter",
         "Skipped records sent to the dead-letter file or topic.", c.dead_lettered);
  metric("kpipe_records_filtered_total", "counter", "Records a Filter transform dropped.",
         c.filtered);
  metric("kpipe_record_errors_total", "counter",
         "Records that failed the source, a converter or a transform.", c.record_errors);
  metric("kpipe_retries_total", "counter", "Retries after transient failures.", c.retries);
  metric("kpipe_offset_commits_total", "counter", "Writes of the offsets file.", c.commits);
  metric("kpipe_bytes_written_total", "counter", "Key and value bytes the converters produced.",
         c.bytes);
  if (c.predicted.records)
    metric("kpipe_records_predicted", "gauge",
           "Records the source expected at the start of the run.",
           static_cast<double>(*c.predicted.records));
  const auto now = SystemClock::now();
  metric("kpipe_run_start_timestamp_seconds", "gauge", "When the run started.",
         unix_seconds(start_));
  metric("kpipe_run_duration_seconds", "gauge", "How long the run took (so far).",
         std::chrono::duration<double>(now - start_).count());
  metric("kpipe_run_failed", "gauge", "1 when the run failed, else 0.", done && !ok_ ? 1 : 0);
  if (last_success_ > 0)
    metric("kpipe_last_success_timestamp_seconds", "gauge", "When a run last succeeded.",
           last_success_);
  return out;
}

void RunReport::write_metrics(const RunCounts& counts, bool done) {
  last_metrics_ = std::chrono::steady_clock::now();
  std::string text;
  {
    std::lock_guard<std::mutex> lock(mu_);
    text = metrics_text(counts, done);
  }
  Status st = write_file_atomically(options_.metrics_file, text);
  if (!st.ok()) spdlog::error("--metrics-file: {}", st.message());
}

void RunReport::write_summary(const Status& st, const RunCounts& c) {
  nlohmann::ordered_json s;
  s["pipeline"] = pipeline_.name;
  s["task_id"] = options_.task_id;
  s["start"] = iso_utc(start_);
  s["end"] = iso_utc(SystemClock::now());
  s["duration_seconds"] = std::chrono::duration<double>(SystemClock::now() - start_).count();
  s["exit_code"] = st.ok() ? 0 : st.exit_code();
  s["status"] = ok_ ? "done" : (st.ok() ? "stopped" : "failed");
  if (!error_.empty()) s["error"] = error_;
  s["dry_run"] = options_.dry_run;
  s["records"] = {{"read", c.read},         {"written", c.written},
                  {"skipped", c.skipped},   {"dead_lettered", c.dead_lettered},
                  {"filtered", c.filtered}, {"errors", c.record_errors}};
  s["predicted_total"] = c.predicted.records ? nlohmann::ordered_json(*c.predicted.records)
                                             : nlohmann::ordered_json(nullptr);
  s["predicted_exact"] = c.predicted.exact;
  s["retries"] = c.retries;
  s["bytes"] = c.bytes;
  s["offsets_before"] = offsets_before_;
  s["offsets_after"] = read_offsets(pipeline_);
  const std::string text = s.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  if (options_.summary_json == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return;
  }
  std::FILE* f = std::fopen(options_.summary_json.c_str(), "ab");
  bool written = f && std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (f && std::fclose(f) != 0) written = false;
  if (!written)
    spdlog::error("--summary-json {}: cannot write: {}", options_.summary_json,
                  std::strerror(errno));
}

}  // namespace kpipe
