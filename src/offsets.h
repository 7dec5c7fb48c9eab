// OffsetStore: the offsets file. One JSON object holding every pipeline's offsets as the body of
// Kafka Connect's KIP-875 offsets API:
//   {"version":1,"pipelines":{"<name>":{"offsets":[{"partition":{..},"offset":{..}}]}}}
// Written atomically (temp file, fsync, rename, fsync of the folder); never in place. A writer
// holds an exclusive flock on "<file>.lock" for its whole life. A corrupt or unreadable file is
// an error, never "no offsets", and is never overwritten.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "connector.h"
#include "record.h"
#include "status.h"

namespace kpipe {

class OffsetStore : public OffsetReader {
 public:
  enum class Mode { kRead, kWrite };
  // kWrite takes the lock first: Status::Locked (exit 3) when another process holds it.
  static Status open(const std::string& path, const std::string& pipeline, Mode mode,
                     std::unique_ptr<OffsetStore>* out);
  ~OffsetStore() override;

  // offset() and commit() may be called from different threads (the runner commits on its own).
  std::optional<Json> offset(const Json& partition) const override;
  // Sets these partitions' offsets (a null offset removes the partition) and writes the file.
  Status commit(const std::vector<std::pair<Json, Json>>& updates);
  // Removes every offset of this pipeline and writes the file.
  Status reset_all();
  // {"offsets":[{"partition":..,"offset":..}, ...]}, keys in that order as Connect's REST API.
  nlohmann::ordered_json to_kip875() const;
  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_.size();
  }
  const std::string& path() const { return path_; }

 private:
  OffsetStore() = default;
  Status load();
  Status write();                         // with mu_ held
  nlohmann::ordered_json kip875() const;  // with mu_ held

  std::string path_;
  std::string pipeline_;
  int lock_fd_ = -1;
  mutable std::mutex mu_;  // guards what follows
  nlohmann::ordered_json
      document_;  // the whole file: other pipelines' offsets are kept as they are
  std::vector<std::pair<Json, Json>> entries_;     // this pipeline's, in first-commit order
  std::unordered_map<std::string, size_t> index_;  // partition.dump() -> entries_ index
};

}  // namespace kpipe
