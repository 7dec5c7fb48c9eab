// FileStreamSink: one line per record, the value converter's bytes then "\n". Appends. flush() is
// fflush + fsync, so a committed offset never points past lines the disk does not hold.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "connectors/file/file.h"

namespace kpipe {
namespace {

class FileSink : public Sink {
 public:
  ~FileSink() override { close(); }

  Status open(const Config& config, const RunContext&) override {
    if (!config.has("file")) {
      out_ = stdout;
      name_ = "stdout";
      return Status::Ok();
    }
    name_ = config.str("file");
    KPIPE_RETURN_IF_ERROR(drop_torn_line());
    out_ = std::fopen(name_.c_str(), "ab");
    if (!out_)
      return Status::Runtime("cannot open output file " + name_ + ": " + std::strerror(errno));
    std::setvbuf(out_, nullptr, _IOFBF, 1 << 20);
    return Status::Ok();
  }

  Status write(Batch& batch) override {
    for (const Record& r : batch) {
      const std::string& v = r.value_bytes ? *r.value_bytes : kNull;
      if (std::fwrite(v.data(), 1, v.size(), out_) != v.size() || std::fputc('\n', out_) == EOF)
        return error("writing");
    }
    return Status::Ok();
  }

  Status flush() override {
    if (std::fflush(out_) != 0) return error("flushing");
    // A pipe or terminal cannot be fsynced; that is not an error.
    if (::fsync(fileno(out_)) != 0 && errno != EINVAL && errno != ENOTSUP && errno != EROFS)
      return error("fsync of");
    return Status::Ok();
  }

  void close() override {
    if (out_ && out_ != stdout) std::fclose(out_);
    out_ = nullptr;
  }

 private:
  Status error(const char* what) const {
    return Status::Runtime(std::string(what) + " " + name_ + ": " + std::strerror(errno));
  }

  // A run killed mid-write can leave half a line at the end. Every committed record's line was
  // complete and fsynced before its offset was committed, so the tail after the last newline
  // belongs to records that will be sent again: cut it, so the file holds only whole lines.
  Status drop_torn_line() {
    int fd = ::open(name_.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return Status::Ok();  // new file, or fopen reports the error below
    struct stat st {};
    off_t end = ::fstat(fd, &st) == 0 ? st.st_size : 0;
    if (!S_ISREG(st.st_mode)) end = 0;
    off_t keep = end;
    char buf[4096];
    while (keep > 0) {
      off_t from = std::max<off_t>(0, keep - static_cast<off_t>(sizeof buf));
      ssize_t n = ::pread(fd, buf, static_cast<size_t>(keep - from), from);
      if (n <= 0) break;
      const void* nl = memrchr(buf, '\n', static_cast<size_t>(n));
      if (nl) {
        keep = from + (static_cast<const char*>(nl) - buf) + 1;
        break;
      }
      keep = from;
    }
    Status result;
    if (keep < end) {
      spdlog::warn(
          "{} ends with {} bytes of an incomplete line from an interrupted run: removing them",
          name_, end - keep);
      if (::ftruncate(fd, keep) != 0 || ::fsync(fd) != 0) result = error("truncating");
    }
    ::close(fd);
    return result;
  }

  inline static const std::string kNull = "null";  // Connect's println(null)
  std::FILE* out_ = nullptr;
  std::string name_;
};

}  // namespace

ConfigSpec file_source_spec();
std::unique_ptr<Source> make_file_source();

void register_file(Registry& registry) {
  registry.add_source(file_source_spec(), make_file_source);
  registry.add_sink(ConfigSpec{"file",
                               ComponentKind::kSink,
                               "Records as lines of a file or stdout (Kafka's FileStreamSink)",
                               {{"file", FieldType::kString, std::nullopt, false,
                                 "Output file, appended to; stdout when not set"}}},
                    [] { return std::make_unique<FileSink>(); });
}

}  // namespace kpipe
