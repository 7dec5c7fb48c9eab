// FileStreamSink: one line per record, the value converter's bytes (or with format: string the
// value's text, as Kafka's FileStreamSink prints it) then "\n". Appends. flush() is fflush +
// fsync, so a committed offset never points past lines the disk does not hold.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "connectors/file/file.h"
#include "converters.h"

namespace kpipe {
namespace {

class FileSink : public Sink {
 public:
  ~FileSink() override { close(); }

  Status open(const Config& config, const RunContext&) override {
    if (config.str("format") == "string") {
      text_ = make_string_converter();
      KPIPE_RETURN_IF_ERROR(text_->configure(config, false));
    }
    if (!config.has("file")) {
      out_ = stdout;
      name_ = "stdout";
      return Status::Ok();
    }
    name_ = config.str("file");
    exactly_once_ = config.boolean("exactly.once");
    if (exactly_once_)
      position_key_ = Json{{"kpipe.sink", "file"},
                           {"file", std::filesystem::absolute(name_).lexically_normal().string()}};
    // With exactly-once, restore() cuts back to the committed length instead.
    if (!exactly_once_) KPIPE_RETURN_IF_ERROR(drop_torn_line());
    out_ = std::fopen(name_.c_str(), "ab");
    if (!out_)
      return Status::Runtime("cannot open output file " + name_ + ": " + std::strerror(errno));
    std::setvbuf(out_, nullptr, _IOFBF, 1 << 20);
    return Status::Ok();
  }

  bool needs_bytes() const override { return !text_; }

  Status write(Batch& batch) override {
    std::optional<std::string> text;
    for (const Record& r : batch) {
      if (text_) KPIPE_RETURN_IF_ERROR(text_->to_bytes(r.topic, r.value_schema, r.value, &text));
      const std::optional<std::string>& bytes = text_ ? text : r.value_bytes;
      const std::string& v = bytes ? *bytes : kNull;
      if (std::fwrite(v.data(), 1, v.size(), out_) != v.size() || std::fputc('\n', out_) == EOF)
        return error("writing");
      length_ += static_cast<int64_t>(v.size()) + 1;
    }
    return Status::Ok();
  }

  std::optional<std::pair<Json, Json>> position() const override {
    if (!exactly_once_) return std::nullopt;
    return std::make_pair(position_key_, Json{{"length", length_}});
  }

  // Exactly-once: whatever lies past the committed length was written after the last commit, and
  // its records will be read again: cut it.
  Status restore(const OffsetReader& offsets) override {
    if (!exactly_once_) return Status::Ok();
    struct stat st {};
    if (::fstat(fileno(out_), &st) != 0) return error("stat of");
    auto committed = offsets.offset(position_key_);
    if (!committed) {  // the first exactly-once run: what the file holds is not ours to cut
      length_ = st.st_size;
      return Status::Ok();
    }
    const Json& recorded = (*committed)["length"];
    if (!recorded.is_number_integer())
      return Status::Runtime("the offsets file's entry for " + name_ + " has no length");
    const off_t length = recorded.get<off_t>();
    if (st.st_size < length)
      return Status::Runtime(name_ + " is shorter (" + std::to_string(st.st_size) +
                             " bytes) than its committed length " + std::to_string(length) +
                             ": it was changed outside kpipe; exactly-once cannot continue");
    if (st.st_size > length) {
      spdlog::info("{}: cutting {} bytes written after the last commit", name_,
                   st.st_size - length);
      if (::ftruncate(fileno(out_), length) != 0 || ::fsync(fileno(out_)) != 0)
        return error("truncating");
    }
    length_ = length;
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
  std::unique_ptr<Converter> text_;                // format: string
  std::FILE* out_ = nullptr;
  std::string name_;
  bool exactly_once_ = false;
  Json position_key_;   // {"kpipe.sink":"file","file":<absolute path>} in the offsets file
  int64_t length_ = 0;  // bytes in the file, as restore() left it plus what write() added
};

}  // namespace

ConfigSpec file_source_spec();
std::unique_ptr<Source> make_file_source();

void register_file(Registry& registry) {
  registry.add_source(file_source_spec(), make_file_source);
  ConfigSpec sink = ConfigSpec{"file",
                               ComponentKind::kSink,
                               "Records as lines of a file or stdout (Kafka's FileStreamSink)",
                               {{"file", FieldType::kString, std::nullopt, false,
                                 "Output file, appended to; stdout when not set"},
                                {"exactly.once", FieldType::kBool, "false", false,
                                 "Commit the file's length with the offsets and cut what a crash "
                                 "left after it: no duplicates (needs file)"},
                                {"format",
                                 FieldType::kString,
                                 "converter",
                                 false,
                                 "What a line holds: the value converter's bytes, or the value's "
                                 "text as Kafka's FileStreamSink prints it (StringConverter's)",
                                 {"converter", "string"}}}};
  sink.connect.connector_class = "org.apache.kafka.connect.file.FileStreamSinkConnector";
  sink.connect.implied = {{"format", "string"}};
  sink.connect.kpipe_only = {"exactly.once"};
  sink.connect.export_needs = {"file"};  // a worker's stdout is nobody's
  sink.check = [](const Config& config) {
    if (config.boolean("exactly.once") && !config.has("file"))
      return config.invalid("exactly.once", "needs a file: stdout cannot be cut back");
    return Status::Ok();
  };
  registry.add_sink(std::move(sink), [] { return std::make_unique<FileSink>(); });
}

}  // namespace kpipe
