// BatchHeaders: seed 002's four headers on every record of a run, so that whoever reads the
// records knows when a run's data is complete: taskId, predictedTotal (the source's estimate at
// the start; -1 when it cannot say), currentIndex (1-based, no gaps) and isEnd ("true" on the
// run's last record only; the runner holds back one batch to know which that is).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "record.h"
#include "run/run_settings.h"

namespace kpipe {

class BatchHeaders {
 public:
  BatchHeaders(const RunSettings& settings, std::string task_id, std::optional<uint64_t> predicted)
      : settings_(settings),
        task_id_(std::move(task_id)),
        predicted_(predicted ? std::to_string(*predicted) : "-1") {}

  // Adds taskId, predictedTotal and currentIndex to each record; *index is the last one given.
  void stamp(Batch& batch, uint64_t* index) const {
    for (Record& r : batch) {
      r.headers.push_back({settings_.task_id_header, task_id_});
      r.headers.push_back({settings_.predicted_header, predicted_});
      r.headers.push_back({settings_.index_header, std::to_string(++*index)});
    }
  }
  void mark_end(Record& last) const { last.headers.push_back({settings_.is_end_header, "true"}); }

 private:
  const RunSettings& settings_;
  std::string task_id_;
  std::string predicted_;
};

}  // namespace kpipe
