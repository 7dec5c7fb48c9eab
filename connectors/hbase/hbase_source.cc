// The hbase source: rows of one table through REST gateway scanners, streamed one response at a
// time. Offsets live under the partition {"table": "<ns:table>"}:
//   bulk       {"row": b64}            resume after this row (the last one fully emitted)
//              {"row": b64, "completed": true}   the scan finished; the next run scans anew
//   timestamp  {"lower": L, "upper": U, "row": b64}   mid-window: resume [L, U) after the row
//              {"lower": U}                       the window finished; next window starts at U
// A row is emitted only once it is complete: when the next row key appears or the scan ends (a
// scanner response holds `batch` cells, so one row may span responses). An expired or failed
// scanner is re-created after the last emitted row, dropping the partial row it held.
//
// The gateway has no clock endpoint, so the window's upper bound is the local clock minus
// timestamp.delay.interval.ms; cell timestamps are set by clients, so a writer whose clock lags
// (or that back-dates cells) can write below a finished window: the delay is the margin.
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>
#include <unordered_map>

#include "connectors/hbase/codec.h"
#include "connectors/hbase/hbase.h"
#include "connectors/hbase/rest_client.h"

namespace kpipe {
namespace {

using hbase::Cell;
using hbase::CellType;
using hbase::FieldMapping;
using hbase::HttpResponse;
using hbase::RestClient;
using hbase::Row;

constexpr size_t kRecordsPerPoll = 1000;
constexpr int kMaxExpiriesWithoutProgress = 10;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// An open gateway scanner; DELETEd when it goes away, whatever ended the scan.
class Scanner {
 public:
  Scanner(RestClient* client, std::string location)
      : client_(client), location_(std::move(location)) {}
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;
  ~Scanner() {
    HttpResponse ignored;
    Status st = client_->call("DELETE", location_, "", &ignored);
    if (!st.ok()) spdlog::debug("closing scanner {}: {}", location_, st.message());
  }
  const std::string& location() const { return location_; }

 private:
  RestClient* client_;
  std::string location_;
};

enum class Mode { kBulk, kTimestamp };

class HbaseSource : public Source {
 public:
  Status open(const Config& config, const RunContext& context,
              const OffsetReader& offsets) override {
    context_ = &context;
    KPIPE_RETURN_IF_ERROR(client_.open(config, context));
    table_ = config.str("hbase.table");
    topic_ = config.has("topic") ? config.str("topic") : table_;
    columns_ = config.list("hbase.columns");
    batch_cells_ = config.integer("hbase.batch.size");
    max_versions_ = config.integer("hbase.max.versions");
    mode_ = config.str("mode") == "timestamp" ? Mode::kTimestamp : Mode::kBulk;
    delay_ms_ = config.integer("timestamp.delay.interval.ms");
    full_rows_ = config.boolean("hbase.incremental.full.rows");
    poll_interval_ms_ = config.integer("poll.interval.ms");
    rowkey_field_ = config.str("rowkey.field");
    auto rowkey_type = hbase::cell_type_from_name(config.str("rowkey.type"));
    if (!rowkey_type) return config.invalid("rowkey.type", "unknown type");
    rowkey_type_ = *rowkey_type;
    KPIPE_RETURN_IF_ERROR(hbase::parse_field_mapping(config, "field.mapping", &mapping_));
    for (const FieldMapping& m : mapping_)
      if (m.target == rowkey_field_)
        return config.invalid("field.mapping",
                              "target '" + m.target + "' is also rowkey.field; rename one of them");
    build_schemas();

    KPIPE_RETURN_IF_ERROR(check_table());
    partition_ = std::make_shared<const Json>(Json{{"table", table_}});
    lower_ = config.has("timestamp.initial") ? config.integer("timestamp.initial") : 0;
    if (lower_ == -1) lower_ = now_ms();
    if (auto committed = offsets.offset(*partition_)) KPIPE_RETURN_IF_ERROR(resume(*committed));
    return start_scan();
  }

  Status poll(Batch* batch) override {
    while (batch->size() < kRecordsPerPoll && !context_->stop_requested()) {
      if (!scanning_) {
        if (!batch->empty()) return Status::Ok();
        if (emitted_in_scan_ == 0 && resumed_scan_) {
          // A resumed scan found nothing after its row: its completion was never recorded, so
          // go on to the next scan now rather than resuming the same empty tail forever.
          advance_scan();
          KPIPE_RETURN_IF_ERROR(start_scan());
          continue;
        }
        if (!context_->follow) {
          exhausted_ = true;
          return Status::Ok();
        }
        wait();
        advance_scan();
        return start_scan();
      }
      KPIPE_RETURN_IF_ERROR(next_response(batch));
    }
    return Status::Ok();
  }

  bool exhausted() const override { return exhausted_; }

  // Unknown. The REST gateway has no row count: counting means a second scan of the same rows
  // (a FirstKeyOnlyFilter scanner still reads every row server-side and returns every key), as
  // costly as the run itself, and the source has no row range or limit that would bound it.
  Status estimate(Estimate* out) override {
    *out = Estimate{};
    out->how = "the HBase REST API gives no row count";
    return Status::Ok();
  }

  void close() override { scanner_.reset(); }

 private:
  // Schemas are fixed when the columns are known (a mapping, or hbase.columns naming only
  // family:qualifier); otherwise the value schema grows by one optional string field per column
  // first seen, so records before and after carry the schema that describes them.
  void build_schemas() {
    rowkey_schema_ = hbase::cell_schema(rowkey_type_, 0, false);
    if (mapping_.empty()) {
      fixed_columns_ = !columns_.empty();
      for (const std::string& c : columns_) {
        if (c.find(':') == std::string::npos)
          fixed_columns_ = false;
        else
          add_string_column(c);
      }
    } else {
      fixed_columns_ = true;
      for (size_t i = 0; i < mapping_.size(); ++i) column_index_[mapping_[i].source] = i;
      // Read only the mapped columns unless hbase.columns says otherwise.
      if (columns_.empty())
        for (const FieldMapping& m : mapping_) columns_.push_back(m.source);
    }
    rebuild_value_schema();
    StructBuilder key(schema_name() + "Key");
    size_t pk_count = 0;
    for (const FieldMapping& m : mapping_)
      if (m.pk) {
        key.field(m.target, hbase::cell_schema(m.type, m.scale));
        ++pk_count;
      }
    if (pk_count > 0) key_schema_ = key.build();
  }

  std::string schema_name() const {
    std::string name = table_;
    for (char& c : name)
      if (c == ':') c = '.';  // ns:table -> ns.table, a valid Avro/Connect name
    return name;
  }

  void add_string_column(const std::string& column) {
    column_index_[column] = mapping_.size();
    mapping_.push_back(FieldMapping{column, column, CellType::kString, 0, false});
  }

  void rebuild_value_schema() {
    StructBuilder value(schema_name());
    value.field(rowkey_field_, rowkey_schema_);
    for (const FieldMapping& m : mapping_)
      value.field(m.target, hbase::cell_schema(m.type, m.scale));
    value_schema_ = value.build();
  }

  Status check_table() {
    HttpResponse r;
    const std::string path = "/" + RestClient::escape(table_) + "/schema";
    KPIPE_RETURN_IF_ERROR(client_.call("GET", path, "", &r));
    if (r.status == 404)
      return Status::Runtime("HBase table '" + table_ + "' does not exist at " + client_.gateway());
    if (r.status != 200)
      return Status::Runtime("reading the schema of HBase table '" + table_ + "' at " +
                             client_.gateway() + ": HTTP " + std::to_string(r.status));
    return Status::Ok();
  }

  Status resume(const Json& offset) {
    std::string row;
    const bool has_row = offset.contains("row") && offset["row"].is_string();
    if (has_row && !hbase::base64_decode(offset["row"].get<std::string>(), &row))
      return Status::Runtime("committed offset for " + table_ + " has a bad row: " + offset.dump());
    if (mode_ == Mode::kBulk) {
      if (has_row && !offset.value("completed", false)) resume_after_ = row;
      return Status::Ok();
    }
    if (!offset.contains("lower") || !offset["lower"].is_number_integer())
      return Status::Runtime(
          "committed offset for " + table_ +
          " has no timestamp window (was it written in bulk mode?): " + offset.dump());
    lower_ = offset["lower"].get<int64_t>();
    if (has_row && offset.contains("upper") && offset["upper"].is_number_integer()) {
      upper_ = offset["upper"].get<int64_t>();
      resume_after_ = row;
    }
    return Status::Ok();
  }

  // Moves to the next scan: bulk starts over, timestamp moves its window up.
  void advance_scan() {
    resume_after_.reset();
    if (mode_ == Mode::kTimestamp && upper_) lower_ = *upper_;
    upper_.reset();
  }

  Status start_scan() {
    emitted_in_scan_ = 0;
    resumed_scan_ = resume_after_.has_value();
    last_row_ = resume_after_;
    pending_.reset();
    if (mode_ == Mode::kTimestamp && !upper_) {
      upper_ = now_ms() - delay_ms_;
      if (*upper_ <= lower_) {  // nothing old enough yet
        upper_.reset();
        scanning_ = false;
        return Status::Ok();
      }
    }
    scanning_ = true;
    failures_ = 0;
    return open_scanner();
  }

  // A scanner from after the last emitted row (or the scan's resume point) to the end.
  Status open_scanner() {
    scanner_.reset();
    Json spec{{"batch", batch_cells_}, {"maxVersions", max_versions_}, {"cacheBlocks", false}};
    if (last_row_) spec["startRow"] = hbase::base64_encode(hbase::key_after(*last_row_));
    if (!columns_.empty()) {
      Json cols = Json::array();
      for (const std::string& c : columns_) cols.push_back(hbase::base64_encode(c));
      spec["column"] = std::move(cols);
    }
    if (mode_ == Mode::kTimestamp) {
      spec["startTime"] = lower_;
      spec["endTime"] = *upper_;
    }
    HttpResponse r;
    const std::string path = "/" + RestClient::escape(table_) + "/scanner";
    KPIPE_RETURN_IF_ERROR(client_.call("PUT", path, spec.dump(), &r));
    if (r.status == 404)
      return Status::Runtime("HBase table '" + table_ + "' does not exist at " + client_.gateway());
    if (r.status != 201 || r.location.empty())
      return Status::Runtime("creating a scanner on HBase table '" + table_ + "' at " +
                             client_.gateway() + ": HTTP " + std::to_string(r.status) + " " +
                             r.body.substr(0, 200));
    scanner_ = std::make_unique<Scanner>(&client_, r.location);
    return Status::Ok();
  }

  // One scanner response: completes the rows it finishes, keeps the last one pending.
  Status next_response(Batch* batch) {
    HttpResponse r;
    Status st = client_.send("GET", scanner_->location(), "", &r);
    if (st.ok() && r.status == 200) {
      std::vector<Row> rows;
      KPIPE_RETURN_IF_ERROR(hbase::parse_cell_set(r.body, &rows)
                                .with_context("scanner response from " + client_.gateway()));
      failures_ = 0;
      for (Row& row : rows) {
        if (pending_ && pending_->key == row.key) {
          for (Cell& c : row.cells) pending_->cells.push_back(std::move(c));
          continue;
        }
        if (pending_) KPIPE_RETURN_IF_ERROR(complete(*pending_, false, batch));
        pending_ = std::move(row);
      }
      return Status::Ok();
    }
    if (st.ok() && r.status == 204) {  // exhausted
      scanner_.reset();
      scanning_ = false;
      if (pending_) KPIPE_RETURN_IF_ERROR(complete(*pending_, true, batch));
      pending_.reset();
      return Status::Ok();
    }
    if (st.ok() && r.status != 404 && r.status != 410 && r.status < 500)
      return Status::Runtime("reading a scanner of HBase table '" + table_ + "' at " +
                             client_.gateway() + ": HTTP " + std::to_string(r.status) + " " +
                             r.body.substr(0, 200));
    // Expired (404/410), a server error or a lost connection: the scanner's position is unknown,
    // so start a new one after the last emitted row; the partial row is read again whole.
    const std::string why = st.ok() ? "HTTP " + std::to_string(r.status) : st.message();
    if (st.ok() && (r.status == 404 || r.status == 410)) {
      // A scanner that expires before the next row key or the end shows up would loop forever.
      if (++expiries_without_progress_ > kMaxExpiriesWithoutProgress)
        return Status::Runtime("scanners on HBase table '" + table_ + "' keep expiring (" + why +
                               ") before a row completes: a slow sink or a short scanner lease");
      spdlog::info("scanner on {} expired ({}): re-creating it after the last complete row", table_,
                   why);
    } else {
      if (failures_ >= client_.retries()) {
        const Status failed =
            Status::Runtime("reading a scanner of HBase table '" + table_ + "': " + why);
        return st.ok() || st.transient() ? failed.as_transient() : failed;  // 5xx or lost
      }
      spdlog::warn("reading a scanner of {} failed ({}): retrying", table_, why);
      if (!client_.backoff(failures_++)) return Status::Ok();
    }
    pending_.reset();
    return open_scanner();
  }

  // Emits a complete row; `last` marks the end of the scan (its offset records completion).
  Status complete(Row& row, bool last, Batch* batch) {
    if (mode_ == Mode::kTimestamp && full_rows_) {
      // A time range returns only the changed cells of a row: read the row whole.
      Row whole;
      bool found = false;
      KPIPE_RETURN_IF_ERROR(read_row(row.key, &whole, &found));
      if (!found) {  // deleted since: nothing to emit, but the position still moves
        last_row_ = row.key;
        return Status::Ok();
      }
      row.cells = std::move(whole.cells);
    }
    Record& rec = batch->emplace_back();
    KPIPE_RETURN_IF_ERROR(to_record(row, &rec));
    last_row_ = row.key;
    expiries_without_progress_ = 0;
    ++emitted_in_scan_;
    rec.source_partition = partition_;
    const std::string key64 = hbase::base64_encode(row.key);
    if (mode_ == Mode::kBulk) {
      rec.source_offset = json_object({{"row", key64}});
      if (last) rec.source_offset["completed"] = true;
    } else if (last) {
      rec.source_offset = json_object({{"lower", *upper_}});
    } else {
      rec.source_offset = json_object({{"lower", lower_}, {"upper", *upper_}, {"row", key64}});
    }
    return Status::Ok();
  }

  Status read_row(const std::string& key, Row* row, bool* found) {
    std::string path = "/" + RestClient::escape(table_) + "/" + RestClient::escape(key);
    if (!columns_.empty()) {
      path += "/";
      for (size_t i = 0; i < columns_.size(); ++i)
        path += (i ? "," : "") + RestClient::escape(columns_[i]);
    }
    HttpResponse r;
    KPIPE_RETURN_IF_ERROR(client_.call("GET", path, "", &r));
    if (r.status == 404) return Status::Ok();
    if (r.status != 200)
      return Status::Runtime("reading row '" + hbase::printable(key) + "' of HBase table '" +
                             table_ + "': HTTP " + std::to_string(r.status));
    std::vector<Row> rows;
    KPIPE_RETURN_IF_ERROR(hbase::parse_cell_set(r.body, &rows));
    for (Row& got : rows) {
      if (got.key != key) continue;
      for (Cell& c : got.cells) row->cells.push_back(std::move(c));
      *found = true;
    }
    return Status::Ok();
  }

  Status to_record(const Row& row, Record* rec) {
    // Newest version of each column (a scan with maxVersions > 1 returns several).
    std::unordered_map<std::string, const Cell*> newest;
    int64_t row_ts = 0;
    for (const Cell& c : row.cells) {
      auto [it, added] = newest.emplace(c.column, &c);
      if (!added && c.timestamp > it->second->timestamp) it->second = &c;
      row_ts = std::max(row_ts, c.timestamp);
      if (added && column_index_.count(c.column) == 0 && !has_fixed_columns()) {
        add_string_column(c.column);
        rebuild_value_schema();
      }
    }
    Struct value;
    value.fields.resize(1 + mapping_.size());
    std::string error;
    if (!hbase::decode_cell(row.key, rowkey_type_, 0, &value.fields[0], &error))
      return Status::Runtime("HBase table '" + table_ + "' row '" + hbase::printable(row.key) +
                             "': the row key does not decode as " +
                             hbase::cell_type_name(rowkey_type_) + ": " + error);
    for (const auto& [column, cell] : newest) {
      auto idx = column_index_.find(column);
      if (idx == column_index_.end()) continue;  // not mapped
      const FieldMapping& m = mapping_[idx->second];
      if (!hbase::decode_cell(cell->value, m.type, m.scale, &value.fields[1 + idx->second], &error))
        return Status::Runtime("HBase table '" + table_ + "' row '" + hbase::printable(row.key) +
                               "' column '" + hbase::printable(column) +
                               "': value does not decode as " + hbase::cell_type_name(m.type) +
                               ": " + error);
    }
    rec->topic = topic_;
    rec->value_schema = value_schema_;
    if (key_schema_) {
      Struct key;
      for (size_t i = 0; i < mapping_.size(); ++i)
        if (mapping_[i].pk) key.fields.push_back(value.fields[1 + i]);
      rec->key_schema = key_schema_;
      rec->key = Value(std::move(key));
    } else {
      rec->key_schema = rowkey_schema_;
      rec->key = value.fields[0];
    }
    rec->value = Value(std::move(value));
    if (row_ts > 0) rec->timestamp_ms = row_ts;
    return Status::Ok();
  }

  bool has_fixed_columns() const { return fixed_columns_; }

  void wait() {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(poll_interval_ms_);
    while (!context_->stop_requested() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::min<int64_t>(100, poll_interval_ms_)));
  }

  const RunContext* context_ = nullptr;
  RestClient client_;
  std::string table_, topic_, rowkey_field_;
  std::vector<std::string> columns_;
  int64_t batch_cells_ = 1000, max_versions_ = 1, delay_ms_ = 0, poll_interval_ms_ = 5000;
  Mode mode_ = Mode::kBulk;
  bool full_rows_ = true;
  CellType rowkey_type_ = CellType::kString;
  std::vector<FieldMapping> mapping_;  // without field.mapping: one string field per column
  bool fixed_columns_ = false;
  std::unordered_map<std::string, size_t> column_index_;  // column -> index in mapping_
  SchemaPtr rowkey_schema_, value_schema_, key_schema_;
  std::shared_ptr<const Json> partition_;

  // Scan state.
  int64_t lower_ = 0;
  std::optional<int64_t> upper_;
  std::optional<std::string> resume_after_;  // the committed row to resume after
  std::optional<std::string> last_row_;      // last row emitted (or resumed after) in this scan
  std::optional<Row> pending_;               // the row the last response ended with
  std::unique_ptr<Scanner> scanner_;
  bool scanning_ = false, resumed_scan_ = false, exhausted_ = false;
  size_t emitted_in_scan_ = 0;
  int failures_ = 0;
  int expiries_without_progress_ = 0;
};

}  // namespace

ConfigSpec hbase_source_spec() {
  std::vector<FieldSpec> fields = hbase::rest_fields();
  std::vector<FieldSpec> own = {
      {"hbase.table", FieldType::kString, std::nullopt, true, "Table to read: table or ns:table"},
      {"hbase.columns", FieldType::kList, "", false,
       "Families or family:qualifier columns to read; default: all"},
      {"hbase.batch.size",
       FieldType::kInt,
       "1000",
       false,
       "Cells per scanner response (the scanner's batch; always sent)",
       {},
       false,
       1,
       10000000},
      {"hbase.max.versions",
       FieldType::kInt,
       "1",
       false,
       "Versions per cell the scanner returns (always sent); a record takes the newest",
       {},
       false,
       1,
       1000000},
      {"mode",
       FieldType::kString,
       "bulk",
       false,
       "bulk: scan the whole table each run; timestamp: cells written in [last upper, now - delay)",
       {"bulk", "timestamp"}},
      {"timestamp.delay.interval.ms",
       FieldType::kInt,
       "0",
       false,
       "Read cells only once they are this old by the local clock (the gateway has no clock)",
       {},
       false,
       0},
      {"timestamp.initial", FieldType::kInt, std::nullopt, false,
       "Timestamp mode with no committed offset: start at this cell time (ms since epoch); "
       "-1 = now; default 0"},
      {"hbase.incremental.full.rows", FieldType::kBool, "true", false,
       "Timestamp mode: re-read each changed row whole, so a record has every column, not just "
       "the changed cells"},
      {"topic", FieldType::kString, std::nullopt, false,
       "Topic of the records; default: the table"},
      {"field.mapping", FieldType::kObjects, "", false,
       "Columns to fields: [{source: cf:col, target: name, type: string|int|long|short|double|"
       "float|boolean|bytes|decimal, pk: true, scale: N (decimal)}]; pk fields form the record "
       "key (a struct). Without it every column is an optional string field named "
       "family:qualifier"},
      {"rowkey.field", FieldType::kString, "rowkey", false, "Value field holding the row key"},
      {"rowkey.type", FieldType::kString, "string", false,
       "How the row key decodes (a field.mapping type); without pk fields it is also the key"},
      {"poll.interval.ms",
       FieldType::kInt,
       "5000",
       false,
       "With --follow: wait between scans",
       {},
       false,
       1},
  };
  fields.insert(fields.end(), own.begin(), own.end());
  return ConfigSpec{"hbase", ComponentKind::kSource,
                    "Rows of an HBase table through the REST gateway: bulk or by cell timestamp",
                    std::move(fields)};
}

std::unique_ptr<Source> make_hbase_source() {
  return std::make_unique<HbaseSource>();
}

}  // namespace kpipe
