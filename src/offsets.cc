#include "offsets.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "atomic_file.h"

namespace kpipe {
namespace fs = std::filesystem;

namespace {

std::string errno_text() {
  return std::strerror(errno);
}

}  // namespace

Status OffsetStore::open(const std::string& path, const std::string& pipeline, Mode mode,
                         std::unique_ptr<OffsetStore>* out) {
  std::unique_ptr<OffsetStore> store(new OffsetStore());
  store->path_ = path;
  store->pipeline_ = pipeline;
  if (mode == Mode::kWrite) {
    const std::string lock = path + ".lock";
    store->lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (store->lock_fd_ < 0)
      return Status::Runtime("cannot create lock file " + lock + ": " + errno_text());
    if (::flock(store->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK)
        return Status::Locked("another kpipe run holds " + lock + " (pipeline '" + pipeline +
                              "'); not starting a second one");
      return Status::Runtime("cannot lock " + lock + ": " + errno_text());
    }
  }
  KPIPE_RETURN_IF_ERROR(store->load());
  *out = std::move(store);
  return Status::Ok();
}

OffsetStore::~OffsetStore() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

Status OffsetStore::load() {
  document_ = {{"version", 1}, {"pipelines", nlohmann::ordered_json::object()}};
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Ok();  // first run
    return Status::Runtime("cannot read offsets file " + path_ + ": " + errno_text());
  }
  std::string text;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return Status::Runtime("cannot read offsets file " + path_ + ": " + std::strerror(e));
    }
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  const std::string corrupt = "offsets file " + path_ + " is corrupt";
  const std::string advice =
      "; kpipe will not overwrite it: repair it, or move it away to start over";
  auto doc = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::Runtime(corrupt + " (not valid JSON)" + advice);
  if (!doc.is_object() || !doc.contains("version") || !doc.contains("pipelines") ||
      !doc["pipelines"].is_object())
    return Status::Runtime(corrupt + " (expected {\"version\":1,\"pipelines\":{...}})" + advice);
  if (doc["version"] != 1)
    return Status::Runtime("offsets file " + path_ + " has version " + doc["version"].dump() +
                           "; this kpipe reads version 1");
  document_ = std::move(doc);
  auto it = document_["pipelines"].find(pipeline_);
  if (it == document_["pipelines"].end()) return Status::Ok();
  const auto& offsets = it->contains("offsets") ? (*it)["offsets"] : nlohmann::ordered_json();
  if (!offsets.is_array())
    return Status::Runtime(corrupt + " (pipelines." + pipeline_ + ".offsets is not a list)" +
                           advice);
  for (const auto& e : offsets) {
    if (!e.is_object() || !e.contains("partition") || !e.contains("offset") ||
        !e["partition"].is_object() || !e["offset"].is_object())
      return Status::Runtime(corrupt + " (an entry of pipelines." + pipeline_ +
                             ".offsets lacks a partition or offset object)" + advice);
    // Partitions are compared by their canonical (sorted-key) text.
    Json partition = Json::parse(e["partition"].dump()), offset = Json::parse(e["offset"].dump());
    index_[partition.dump()] = entries_.size();
    entries_.emplace_back(std::move(partition), std::move(offset));
  }
  return Status::Ok();
}

std::optional<Json> OffsetStore::offset(const Json& partition) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(partition.dump());
  if (it == index_.end()) return std::nullopt;
  return entries_[it->second].second;
}

Status OffsetStore::commit(const std::vector<std::pair<Json, Json>>& updates) {
  if (updates.empty()) return Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [partition, offset] : updates) {
    const std::string key = partition.dump();
    auto it = index_.find(key);
    if (offset.is_null()) {
      if (it == index_.end()) continue;
      entries_.erase(entries_.begin() + static_cast<long>(it->second));
      index_.clear();
      for (size_t i = 0; i < entries_.size(); ++i) index_[entries_[i].first.dump()] = i;
    } else if (it == index_.end()) {
      index_[key] = entries_.size();
      entries_.emplace_back(partition, offset);
    } else {
      entries_[it->second].second = offset;
    }
  }
  return write();
}

Status OffsetStore::reset_all() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
  index_.clear();
  return write();
}

nlohmann::ordered_json OffsetStore::to_kip875() const {
  std::lock_guard<std::mutex> lock(mu_);
  return kip875();
}

nlohmann::ordered_json OffsetStore::kip875() const {
  using Ordered = nlohmann::ordered_json;
  Ordered list = Ordered::array();
  for (const auto& [p, o] : entries_)
    list.push_back(
        Ordered{{"partition", Ordered::parse(p.dump())}, {"offset", Ordered::parse(o.dump())}});
  return Ordered{{"offsets", std::move(list)}};
}

Status OffsetStore::write() {
  document_["pipelines"][pipeline_] = kip875();
  return write_file_atomically(path_, document_.dump(2) + "\n")
      .with_context("offsets file " + path_);
}

}  // namespace kpipe
