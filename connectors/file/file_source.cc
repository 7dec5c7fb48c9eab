// FileStreamSource: one STRING record per line. Partition {"filename": <absolute path>}, offset
// {"position": <bytes after the line>} (bytes, unlike Connect's characters, so non-ASCII input
// resumes at the right place). Lines end at \n, \r\n or \r.
//
// Default mode reads to the end and emits a last line without newline. --follow emits a line only
// once its end arrived and follows the file like `tail -F`: truncation and replacement (a new
// inode at the path) are logged and read from the start; a missing file is waited for.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "connectors/file/file.h"

namespace kpipe {
namespace {

class FileSource : public Source {
 public:
  ~FileSource() override { close(); }

  Status open(const Config& config, const RunContext& context,
              const OffsetReader& offsets) override {
    context_ = &context;
    topic_ = config.has("topic") ? config.str("topic") : context.pipeline_name;
    batch_size_ = static_cast<size_t>(config.integer("batch.size"));
    poll_interval_ms_ = config.integer("poll.interval.ms");
    buffer_.resize(static_cast<size_t>(config.integer("buffer.bytes")));
    if (!config.has("file")) {
      fd_ = STDIN_FILENO;  // stdin has no position to resume from: no source partition
      return Status::Ok();
    }
    path_ = std::filesystem::absolute(config.str("file")).lexically_normal().string();
    partition_ = std::make_shared<const Json>(Json{{"filename", path_}});
    if (auto committed = offsets.offset(*partition_)) {
      const Json& p = (*committed)["position"];
      if (!p.is_number_unsigned() && !p.is_number_integer())
        return Status::Runtime("committed offset for " + path_ +
                               " has no numeric position: " + committed->dump());
      position_ = p.get<uint64_t>();
    }
    Status st = reopen();
    if (!st.ok()) return st;
    if (fd_ < 0 && !context.follow)
      return Status::Runtime("input file " + path_ + " does not exist");
    if (fd_ < 0) spdlog::info("waiting for {} to appear", path_);
    return Status::Ok();
  }

  Status poll(Batch* batch) override {
    while (batch->size() < batch_size_) {
      if (!take_line(batch)) {
        if (eof_) break;
        KPIPE_RETURN_IF_ERROR(fill());
      }
    }
    if (!batch->empty() || !eof_) return Status::Ok();
    if (!context_->follow) {
      exhausted_ = true;
      return Status::Ok();
    }
    // Caught up: check for truncation or replacement, then wait for more.
    KPIPE_RETURN_IF_ERROR(check_rotation());
    if (eof_) wait();
    return Status::Ok();
  }

  bool exhausted() const override { return exhausted_; }

  void close() override {
    if (fd_ > STDIN_FILENO) ::close(fd_);
    fd_ = -1;
  }

 private:
  // Opens path_ at position_ (if it exists). A position beyond the end means the file was
  // truncated since the offset was committed: read it from the start.
  Status reopen() {
    close();
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      if (errno == ENOENT) return Status::Ok();
      return Status::Runtime("cannot open input file " + path_ + ": " + std::strerror(errno));
    }
    struct stat st {};
    ::fstat(fd_, &st);
    inode_ = st.st_ino;
    if (position_ > static_cast<uint64_t>(st.st_size)) {
      spdlog::warn(
          "{} is shorter ({} bytes) than the committed position {}: reading it from the start",
          path_, st.st_size, position_);
      position_ = 0;
    }
    if (::lseek(fd_, static_cast<off_t>(position_), SEEK_SET) < 0)
      return Status::Runtime("cannot seek in " + path_ + ": " + std::strerror(errno));
    begin_ = end_ = 0;
    eof_ = false;
    return Status::Ok();
  }

  Status check_rotation() {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) return Status::Ok();  // gone for now: keep waiting
    if (fd_ < 0 || st.st_ino != inode_) {
      if (fd_ >= 0) spdlog::info("{} was replaced: reading the new file from the start", path_);
      position_ = 0;
      return reopen();
    }
    if (static_cast<uint64_t>(st.st_size) < position_ + (end_ - begin_)) {
      spdlog::info("{} was truncated: reading it from the start", path_);
      position_ = 0;
      return reopen();
    }
    if (static_cast<uint64_t>(st.st_size) > position_ + (end_ - begin_)) eof_ = false;
    return Status::Ok();
  }

  void wait() {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(poll_interval_ms_);
    while (!context_->stop_requested() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::min<int64_t>(100, poll_interval_ms_)));
  }

  // Reads more bytes after the unconsumed ones; sets eof_ when none came.
  Status fill() {
    if (fd_ < 0) {
      eof_ = true;
      return Status::Ok();
    }
    if (begin_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == buffer_.size())
      buffer_.resize(buffer_.size() * 2);  // a line longer than the buffer
    ssize_t n;
    do {
      n = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
      return Status::Runtime("reading " + (path_.empty() ? "stdin" : path_) + ": " +
                             std::strerror(errno));
    if (n == 0) eof_ = true;
    end_ += static_cast<size_t>(n);
    return Status::Ok();
  }

  // Moves one complete line from the buffer into the batch; false when none is complete.
  bool take_line(Batch* batch) {
    const char* data = buffer_.data();
    size_t i = begin_;
    for (; i < end_; ++i)
      if (data[i] == '\n' || data[i] == '\r') break;
    size_t next;
    if (i < end_) {
      if (data[i] == '\r' && i + 1 == end_ && (!eof_ || context_->follow))
        return false;  // \r or \r\n? wait for one more byte
      next = (data[i] == '\r' && i + 1 < end_ && data[i + 1] == '\n') ? i + 2 : i + 1;
    } else if (eof_ && begin_ < end_ && !context_->follow) {
      next = end_;  // the last line has no newline; in follow mode it waits for one
    } else {
      return false;
    }
    emit(batch, std::string(data + begin_, i - begin_), next - begin_);
    begin_ = next;
    return true;
  }

  void emit(Batch* batch, std::string line, size_t consumed) {
    position_ += consumed;
    Record& r = batch->emplace_back();
    r.topic = topic_;
    r.value_schema = Schema::primitive(Type::kString);
    r.value = std::move(line);
    if (partition_) {
      r.source_partition = partition_;
      r.source_offset = Json{{"position", position_}};
    }
  }

  const RunContext* context_ = nullptr;
  std::string topic_, path_;
  size_t batch_size_ = 2000;
  int64_t poll_interval_ms_ = 1000;
  std::shared_ptr<const Json> partition_;
  uint64_t position_ = 0;  // bytes consumed, up to the end of the last emitted line
  int fd_ = -1;
  ino_t inode_ = 0;
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;  // unconsumed bytes in buffer_
  bool eof_ = false;
  bool exhausted_ = false;
};

}  // namespace

ConfigSpec file_source_spec() {
  return ConfigSpec{
      "file",
      ComponentKind::kSource,
      "Lines of a file or stdin as STRING records (Kafka's FileStreamSource)",
      {
          {"file", FieldType::kString, std::nullopt, false, "Input file; stdin when not set"},
          {"topic", FieldType::kString, std::nullopt, false,
           "Topic of the records; default: the pipeline name"},
          {"batch.size",
           FieldType::kInt,
           "2000",
           false,
           "Maximum records per batch",
           {},
           false,
           1,
           1000000},
          {"poll.interval.ms",
           FieldType::kInt,
           "1000",
           false,
           "With --follow: how long to wait at the end of the file before looking again",
           {},
           false,
           1,
           3600000},
          {"buffer.bytes",
           FieldType::kInt,
           "1048576",
           false,
           "Read buffer size; a longer line grows it",
           {},
           false,
           4096,
           1 << 30},
      }};
}

std::unique_ptr<Source> make_file_source() {
  return std::make_unique<FileSource>();
}

}  // namespace kpipe
