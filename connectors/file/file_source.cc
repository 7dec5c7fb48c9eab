// FileStreamSource: one STRING record per line. Partition {"filename": <absolute path>}, offset
// {"position": <bytes after the line>} (bytes, unlike Connect's characters, so non-ASCII input
// resumes at the right place). Lines end at \n, \r\n or \r.
//
// `format` chooses what a record is:
//   lines  one STRING record per line (Connect's FileStreamSource).
//   jsonl  one JSON value per line, read by the json converter: a line that is an envelope
//          {"schema":..,"payload":..} keeps its schema, any other value is schemaless. Blank lines
//          are skipped.
//   csv    one struct per CSV record (csv.h); the header row names the fields, `csv.schema` types
//          them (otherwise optional strings). A record may span lines: its offset is the position
//          after its last line. Position 0 means "before the header"; on resume the header is
//          read again from the start of the file. As in PostgreSQL's COPY ... CSV, an unquoted
//          empty field is null and a quoted one ("") an empty string.
// A malformed record (bad JSON, a wrong field count, a value that does not parse as its column's
// type) goes to the errors policy as a record naming file and line: by default the run fails
// and the committed offset ends right before it; with errors.tolerance all it is skipped (and
// dead-lettered). A CSV syntax error (an unclosed quote) leaves nothing to resynchronise on and
// always fails the run.
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
#include <string_view>
#include <thread>

#include "connectors/file/csv.h"
#include "connectors/file/file.h"
#include "converters.h"
#include "swar.h"

namespace kpipe {
namespace {

enum class Format { kLines, kJsonl, kCsv };

// Counts the records in a run of bytes as the source splits them, with lines ending at \n, \r\n
// or \r: lines, every line; jsonl, lines with more than blanks; csv, records as parse_csv_record
// ends them (a line break inside a quoted field ends none, an empty line is no record; the
// header is one).
struct RecordCounter {
  Format format;
  CsvFormat csv;
  uint64_t records = 0;
  bool prev_cr = false;
  bool open = false;      // the line (record) has bytes
  bool nonblank = false;  // jsonl: ... other than blanks
  bool field_start = true, in_quotes = false, quote_pending = false;  // csv

  void add(const char* data, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      const char c = data[i];
      if (in_quotes) {
        if (!quote_pending) {
          quote_pending = c == csv.quote;
          continue;
        }
        quote_pending = false;
        if (c == csv.quote) continue;  // a doubled quote
        in_quotes = false;             // the field closed before c
      }
      if (c == '\n' && prev_cr) {
        prev_cr = false;
        continue;
      }
      prev_cr = c == '\r';
      if (c == '\n' || c == '\r') {
        end_line();
        continue;
      }
      open = true;
      nonblank |= c != ' ' && c != '\t';
      if (format == Format::kCsv) {
        in_quotes = field_start && c == csv.quote;
        field_start = c == csv.delimiter;
      }
    }
  }
  void end_line() {
    if (format == Format::kLines || (format == Format::kJsonl ? nonblank : open)) ++records;
    open = nonblank = false;
    field_start = true;
  }
  // The end of the input ends a last line without a line break (not in --follow mode, which
  // waits for its end).
  void finish() {
    if (open) end_line();
  }
};

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
    KPIPE_RETURN_IF_ERROR(configure_format(config));
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
    if (!failure_.ok()) return failure_;
    if (needs_header_lookup_ && fd_ >= 0) KPIPE_RETURN_IF_ERROR(read_header_ahead());
    if (needs_header_lookup_) {  // no complete header yet
      if (!context_->follow) {
        exhausted_ = true;
      } else {
        KPIPE_RETURN_IF_ERROR(check_rotation());
        wait();
      }
      return Status::Ok();
    }
    while (batch->size() < batch_size_ && failure_.ok()) {
      if (!take_record(batch)) {
        if (eof_ || !failure_.ok()) break;
        KPIPE_RETURN_IF_ERROR(fill());
      }
    }
    // Hand over the records before a malformed one; the failure comes with the next poll.
    if (!failure_.ok()) return batch->empty() ? failure_ : Status::Ok();
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

  // The records from the committed position to the end of the file, counted in one read of it
  // (exact); past 256 MiB estimated from the records in the first MiB.
  Status estimate(Estimate* out) override {
    *out = Estimate{};
    if (path_.empty()) {
      out->how = "stdin has no total";
      return Status::Ok();
    }
    if (fd_ < 0) {
      out->how = "the file does not exist yet";
      return Status::Ok();
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0)
      return Status::Runtime("cannot stat " + path_ + ": " + std::strerror(errno));
    constexpr uint64_t kExactBytes = uint64_t{256} << 20, kSampleBytes = uint64_t{1} << 20;
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    const uint64_t left = size > position_ ? size - position_ : 0;
    const uint64_t scan = left > kExactBytes ? kSampleBytes : left;
    RecordCounter counter{format_, csv_};
    std::string chunk(std::min<uint64_t>(scan, kSampleBytes), '\0');
    for (uint64_t done = 0; done < scan;) {
      const ssize_t n = ::pread(fd_, chunk.data(), std::min<uint64_t>(chunk.size(), scan - done),
                                static_cast<off_t>(position_ + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::Runtime("reading " + path_ + ": " + std::strerror(errno));
      if (n == 0) break;
      counter.add(chunk.data(), static_cast<size_t>(n));
      done += static_cast<uint64_t>(n);
    }
    if (scan < left) {
      out->records = counter.records * left / std::max<uint64_t>(scan, 1);
      out->how = "estimated from the first 1 MiB of the " + std::to_string(left) +
                 " bytes left in " + path_;
      return Status::Ok();
    }
    if (!context_->follow) counter.finish();
    out->records = counter.records;
    // Read from the start, a CSV file's first record is its header.
    if (format_ == Format::kCsv && position_ == 0 && counter.records > 0) --*out->records;
    out->exact = true;
    out->how = "records left in " + path_;
    return Status::Ok();
  }

  void close() override {
    if (fd_ > STDIN_FILENO) ::close(fd_);
    fd_ = -1;
  }

 private:
  // Opens path_ at position_ (if it exists). A position beyond the end means the file was
  // truncated since the offset was committed: read it from the start.
  Status reopen() {
    close();
    line_cache_ = LineCache();
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
    // A CSV file read from the start meets its header first; one resumed mid-file reads it
    // ahead (read_header_ahead) before the records.
    header_read_ = false;
    needs_header_lookup_ = format_ == Format::kCsv && position_ > 0;
    return seek(position_);
  }

  Status seek(uint64_t position) {
    position_ = position;
    if (::lseek(fd_, static_cast<off_t>(position_), SEEK_SET) < 0)
      return Status::Runtime("cannot seek in " + path_ + ": " + std::strerror(errno));
    begin_ = end_ = 0;
    eof_ = false;
    return Status::Ok();
  }

  Status configure_format(const Config& config) {
    const std::string& format = config.str("format");
    format_ = format == "jsonl" ? Format::kJsonl : format == "csv" ? Format::kCsv : Format::kLines;
    for (const char* key : {"csv.delimiter", "csv.quote", "csv.schema"})
      if (config.user_set(key) && format_ != Format::kCsv)
        return config.invalid(key, "applies to format: csv only");
    if (format_ == Format::kJsonl) {
      // The json converter itself, not a copy of its parsing: with schemas for envelope lines,
      // without for the rest.
      for (bool schemas : {true, false}) {
        Config cc;
        KPIPE_RETURN_IF_ERROR(parse_config(json_converter_spec(),
                                           {{"schemas.enable", schemas ? "true" : "false"}},
                                           "source.jsonl", &cc));
        auto& converter = schemas ? enveloped_ : plain_;
        converter = make_json_converter();
        KPIPE_RETURN_IF_ERROR(converter->configure(cc, false));
      }
    }
    if (format_ == Format::kCsv) {
      for (const char* key : {"csv.delimiter", "csv.quote"}) {
        const std::string& v = config.str(key);
        if (v.size() != 1 || v[0] == '\n' || v[0] == '\r')
          return config.invalid(key, "must be one character (not a line break)");
      }
      csv_.delimiter = config.str("csv.delimiter")[0];
      csv_.quote = config.str("csv.quote")[0];
      if (csv_.delimiter == csv_.quote)
        return config.invalid("csv.quote", "must differ from csv.delimiter");
      if (config.has("csv.schema")) {
        Status st = parse_csv_schema(config.str("csv.schema"), &columns_);
        if (!st.ok()) return config.invalid("csv.schema", st.message());
      }
    }
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

  void wait() { context_->sleep_ms(poll_interval_ms_); }

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

  // The next complete line in the buffer: its text and its length with the line end. False when
  // none is complete.
  bool next_line(std::string_view* line, size_t* consumed) const {
    const char* data = buffer_.data();
    size_t i = begin_;
    while (i + 8 <= end_) {  // eight bytes at a time while none ends a line
      const uint64_t v = swar::load(data + i);
      if (swar::equal(v, '\n') | swar::equal(v, '\r')) break;
      i += 8;
    }
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
    *line = std::string_view(data + begin_, i - begin_);
    *consumed = next - begin_;
    return true;
  }

  // Moves one complete record from the buffer into the batch; false when none is complete (or
  // the next one is malformed: failure_ is set).
  bool take_record(Batch* batch) {
    if (format_ == Format::kCsv) return take_csv(batch);
    std::string_view line;
    size_t consumed = 0;
    if (!next_line(&line, &consumed)) return false;
    if (format_ == Format::kLines) {
      emit(batch, Schema::primitive(Type::kString), std::string(line), consumed);
    } else if (!take_json(batch, line, consumed)) {
      return false;
    }
    begin_ += consumed;
    return true;
  }

  bool take_json(Batch* batch, std::string_view line, size_t consumed) {
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
      position_ += consumed;  // a blank line: no record
      ++lines_;
      return true;
    }
    line_bytes_.emplace().assign(line.data(), line.size());
    // An envelope is an object with exactly "schema" and "payload"; the text test is cheap and
    // the converter decides.
    const size_t first = line.find_first_not_of(" \t");
    const bool maybe_envelope = line[first] == '{' &&
                                line.find("\"schema\"") != std::string_view::npos &&
                                line.find("\"payload\"") != std::string_view::npos;
    SchemaAndValue out;
    Status st;
    if (maybe_envelope) {
      st = enveloped_->from_bytes(topic_, line_bytes_, &out);
      if (!st.ok()) {
        // Not an envelope after all (more fields, escaped names)? Then it is a plain value; but
        // an envelope whose schema or payload is wrong stays an error.
        SchemaAndValue plain;
        Status plain_st = plain_->from_bytes(topic_, line_bytes_, &plain);
        if (plain_st.ok() && !is_envelope_shape(plain.value)) {
          st = Status::Ok();
          out = std::move(plain);
        }
      }
    } else {
      st = plain_->from_bytes(topic_, line_bytes_, &out);
    }
    if (!st.ok()) {
      emit_error(batch, failure(position_, 0, st.message()).message(), std::move(*line_bytes_),
                 consumed);
      return true;
    }
    emit(batch, std::move(out.schema), std::move(out.value), consumed);
    return true;
  }

  static bool is_envelope_shape(const Value& v) {
    if (!v.is<Map>()) return false;
    const Map& m = v.as<Map>();
    if (m.keys.size() != 2) return false;
    for (const Value& k : m.keys)
      if (!k.is<std::string>() ||
          (k.as<std::string>() != "schema" && k.as<std::string>() != "payload"))
        return false;
    return true;
  }

  bool take_csv(Batch* batch) {
    const bool at_end = eof_ && !context_->follow;
    CsvResult res = parse_csv_record(std::string_view(buffer_.data() + begin_, end_ - begin_),
                                     at_end, csv_, &fields_, &quoted_);
    if (res.kind == CsvParse::kNeedMore) return false;
    if (res.kind == CsvParse::kError) {
      fail(position_, res.lines, res.error);
      return false;
    }
    if (fields_.empty()) {  // a blank line
      advance(res);
      return true;
    }
    if (!header_read_) {
      Status st = build_schema();
      if (!st.ok()) {
        fail(position_, 0, st.message());
        return false;
      }
      advance(res);
      return true;
    }
    if (fields_.size() != record_columns_.size()) {
      csv_error(batch, res,
                "expected " + std::to_string(record_columns_.size()) +
                    " fields as in the header, found " + std::to_string(fields_.size()));
      return true;
    }
    Struct value;
    value.fields.resize(fields_.size());
    std::string problem;
    for (size_t i = 0; i < fields_.size(); ++i) {
      const CsvColumn& column = record_columns_[i];
      if (fields_[i].empty() && quoted_[i] && column.schema->type == Type::kString) {
        value.fields[i] = Value(std::string());
      } else if (!csv_field_value(column, std::move(fields_[i]), &value.fields[i], &problem)) {
        csv_error(batch, res, "column '" + column.name + "': " + problem);
        return true;
      }
    }
    const uint64_t consumed = res.consumed;
    lines_ += res.lines;
    emit(batch, record_schema_, Value(std::move(value)), consumed);
    begin_ += consumed;
    return true;
  }

  // A CSV record that parsed but does not fit the header or csv.schema: the errors policy decides.
  void csv_error(Batch* batch, const CsvResult& res, const std::string& problem) {
    const std::string message = failure(position_, 0, problem).message();
    std::string raw(buffer_.data() + begin_, res.consumed);
    lines_ += res.lines;
    begin_ += res.consumed;
    emit_error(batch, message, std::move(raw), res.consumed);
  }

  void advance(const CsvResult& res) {
    position_ += res.consumed;
    begin_ += res.consumed;
    lines_ += res.lines;
  }

  // The header row (in fields_): one struct field per column, typed by csv.schema where it names
  // the column. Built once per file.
  Status build_schema() {
    StructBuilder builder;
    record_columns_.clear();
    for (const std::string& name : fields_) {
      for (const CsvColumn& c : record_columns_)
        if (c.name == name) return Status::Runtime("the header names column '" + name + "' twice");
      CsvColumn column{name, Schema::primitive(Type::kString, true), 0};
      for (const CsvColumn& typed : columns_)
        if (typed.name == name) column = typed;
      builder.field(name, column.schema);
      record_columns_.push_back(std::move(column));
    }
    for (const CsvColumn& typed : columns_) {
      bool found = false;
      for (const CsvColumn& c : record_columns_) found = found || c.name == typed.name;
      if (!found)
        return Status::Runtime("csv.schema names column '" + typed.name +
                               "', which the header does not have");
    }
    record_schema_ = builder.build();
    header_read_ = true;
    return Status::Ok();
  }

  // Resuming mid-file: reads the header from the start of the file, then goes back to
  // position_ (or to the first record when position_ is inside the header).
  Status read_header_ahead() {
    std::string head;
    uint64_t header_start = 0;
    CsvResult res;
    std::vector<char> chunk(64 * 1024);
    bool at_end = false;
    while (!at_end) {
      ssize_t n;
      do {
        n = ::pread(fd_, chunk.data(), chunk.size(), static_cast<off_t>(head.size()));
      } while (n < 0 && errno == EINTR);
      if (n < 0) return Status::Runtime("reading " + path_ + ": " + std::strerror(errno));
      at_end = n == 0;
      head.append(chunk.data(), static_cast<size_t>(n));
      res = parse_csv_record(head, at_end && !context_->follow, csv_, &fields_, &quoted_);
      while (res.kind == CsvParse::kRecord && fields_.empty()) {  // blank lines before it
        head.erase(0, res.consumed);
        header_start += res.consumed;
        res = parse_csv_record(head, at_end && !context_->follow, csv_, &fields_, &quoted_);
      }
      if (res.kind != CsvParse::kNeedMore) break;
    }
    if (res.kind == CsvParse::kError) return failure(header_start, res.lines, res.error);
    if (res.kind == CsvParse::kNeedMore) return Status::Ok();  // no complete header yet
    KPIPE_RETURN_IF_ERROR(build_schema().with_context(path_));
    needs_header_lookup_ = false;
    const uint64_t header_end = header_start + res.consumed;
    if (position_ < header_end) return seek(header_end);
    return Status::Ok();
  }

  // The failure of the record at byte `record_start`, `extra_lines` lines into it.
  Status failure(uint64_t record_start, size_t extra_lines, const std::string& message) const {
    return Status::Runtime((path_.empty() ? std::string("stdin") : path_) + ":" +
                           std::to_string(line_at(record_start) + extra_lines) + ": " + message);
  }
  void fail(uint64_t record_start, size_t extra_lines, const std::string& message) {
    failure_ = failure(record_start, extra_lines, message);
  }

  // The 1-based line number at byte `position`: counted from the file only when an error needs
  // it (a resumed run has not seen the lines before its start); stdin counts as it reads.
  uint64_t line_at(uint64_t position) const {
    if (path_.empty()) return lines_ + 1;
    int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    // Count on from the last answer when possible: many bad records must not cost O(n^2).
    uint64_t lines = 1, done = 0;
    bool after_cr = false;
    if (line_cache_.position <= position && line_cache_.position > 0) {
      lines = line_cache_.line;
      done = line_cache_.position;
      after_cr = line_cache_.after_cr;
    }
    char buf[65536];
    while (done < position) {
      ssize_t n = ::pread(fd, buf, std::min<uint64_t>(sizeof buf, position - done),
                          static_cast<off_t>(done));
      if (n <= 0) break;
      for (ssize_t i = 0; i < n; ++i) {
        if (buf[i] == '\n') {
          if (!after_cr) ++lines;
          after_cr = false;
        } else if (buf[i] == '\r') {
          ++lines;
          after_cr = true;
        } else {
          after_cr = false;
        }
      }
      done += static_cast<uint64_t>(n);
    }
    ::close(fd);
    line_cache_ = {done, lines, after_cr};
    return lines;
  }

  // A record the source could not parse: the runner's errors policy fails the run naming it
  // (the default) or skips it into the dead-letter queue. It still advances the position.
  void emit_error(Batch* batch, std::string message, std::string raw, size_t consumed) {
    emit(batch, nullptr, Value(), consumed);
    batch->back().error = std::move(message);
    batch->back().value_bytes = std::move(raw);
  }

  void emit(Batch* batch, SchemaPtr schema, Value value, size_t consumed) {
    position_ += consumed;
    if (format_ != Format::kCsv) ++lines_;
    Record& r = batch->emplace_back();
    r.topic = topic_;
    r.value_schema = std::move(schema);
    r.value = std::move(value);
    if (partition_) {
      r.source_partition = partition_;
      r.source_offset = json_object({{"position", position_}});
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

  Format format_ = Format::kLines;
  uint64_t lines_ = 0;  // line ends consumed (stdin's line numbers)
  struct LineCache {
    uint64_t position = 0, line = 1;
    bool after_cr = false;
  };
  mutable LineCache line_cache_;  // line_at's last answer; reset when the file is reopened
  Status failure_;  // a malformed record: returned once the records before it are handed over
  // jsonl
  std::unique_ptr<Converter> enveloped_, plain_;
  std::optional<std::string> line_bytes_;
  // csv
  CsvFormat csv_;
  std::vector<CsvColumn> columns_;         // csv.schema
  std::vector<CsvColumn> record_columns_;  // the header's columns, typed
  SchemaPtr record_schema_;
  bool header_read_ = false;
  bool needs_header_lookup_ = false;
  std::vector<std::string> fields_;
  std::vector<char> quoted_;
};

// Connect's FileStreamSource names its partition by the file as written; kpipe by its absolute
// path, so that a run from another folder resumes the same file. Only the configured file's
// partition is renamed: others (a connector's earlier files) stay as Connect wrote them.
Json connect_to_kpipe_partition(const Config& config, const Json& partition) {
  if (!config.has("file") || partition != Json{{"filename", config.str("file")}}) return partition;
  return Json{
      {"filename", std::filesystem::absolute(config.str("file")).lexically_normal().string()}};
}

Json kpipe_to_connect_partition(const Config& config, const Json& partition) {
  if (!config.has("file")) return partition;
  const std::string& file = config.str("file");
  if (partition != Json{{"filename", std::filesystem::absolute(file).lexically_normal().string()}})
    return partition;
  return Json{{"filename", file}};
}

}  // namespace

ConfigSpec file_source_spec() {
  ConfigSpec spec{
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
          {"format",
           FieldType::kString,
           "lines",
           false,
           "What a record is: lines (one STRING per line), jsonl (one JSON value per line; an "
           "envelope {\"schema\":..,\"payload\":..} keeps its schema) or csv (one struct per "
           "row, fields named by the header row)",
           {"lines", "jsonl", "csv"}},
          {"csv.delimiter", FieldType::kString, ",", false, "format csv: the field separator"},
          {"csv.quote", FieldType::kString, "\"", false,
           "format csv: the quote character (RFC 4180: doubled inside a quoted field)"},
          {"csv.schema", FieldType::kString, std::nullopt, false,
           "format csv: column types, e.g. id:int64,name:string,amount:decimal(10,2),at:timestamp "
           "(int8..int64, float32, float64, boolean, string, decimal(p,s), date, time, "
           "timestamp); unlisted columns are optional strings. An unquoted empty field is null"},
      }};
  spec.connect.connector_class = "org.apache.kafka.connect.file.FileStreamSourceConnector";
  spec.connect.implied = {{"format", "lines"}};
  spec.connect.export_defaults = {{"topic", "${pipeline}"}};
  spec.connect.export_needs = {"file"};  // a worker's stdin is nobody's
  spec.connect.kpipe_only = {"poll.interval.ms", "buffer.bytes", "format",
                             "csv.delimiter",    "csv.quote",    "csv.schema"};
  spec.connect.partition_to_kpipe = connect_to_kpipe_partition;
  spec.connect.partition_to_connect = kpipe_to_connect_partition;
  return spec;
}

std::unique_ptr<Source> make_file_source() {
  return std::make_unique<FileSource>();
}

}  // namespace kpipe
