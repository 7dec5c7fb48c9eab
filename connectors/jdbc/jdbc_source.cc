// The jdbc source: Confluent's JDBC source connector modes, keys and offsets, without its
// known row losses:
// - timestamp mode orders by (timestamp, unique key) and resumes after the exact row, so rows
//   sharing a timestamp are never skipped across batches or restarts; a table without a unique
//   key never commits timestamp T until every row at T was emitted (one row of lookahead);
// - the upper bound is the database's clock minus timestamp.delay.interval.ms;
// - offsets keep nanoseconds (Connect's timestamp + timestamp_nanos);
// - rows stream from one query per scan with flat memory (the dialect streams).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "connectors/jdbc/jdbc.h"
#include "connectors/jdbc/sql.h"

namespace kpipe {
namespace {

using jdbc::Column;
using jdbc::Connection;
using jdbc::Param;
using jdbc::RowStream;
using jdbc::TimestampParam;

constexpr int64_t kNanosPerMs = 1000000;
constexpr int64_t kNanosPerSecond = 1000000000;

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

enum class Mode { kBulk, kIncrementing, kTimestamp, kTimestampIncrementing };

// A timestamp offset as Connect writes it: ms since the epoch plus the nanos of that second.
Json timestamp_offset(int64_t nanos) {
  const int64_t ms = floor_div(nanos, kNanosPerMs);
  return json_object(
      {{"timestamp", ms},
       {"timestamp_nanos", nanos - floor_div(nanos, kNanosPerSecond) * kNanosPerSecond}});
}

bool read_timestamp_offset(const Json& offset, int64_t* nanos) {
  if (!offset.contains("timestamp") || !offset["timestamp"].is_number_integer()) return false;
  const int64_t ms = offset["timestamp"].get<int64_t>();
  int64_t sub =
      floor_div(ms, 1000) * 1000 == ms ? 0 : (ms - floor_div(ms, 1000) * 1000) * kNanosPerMs;
  if (offset.contains("timestamp_nanos") && offset["timestamp_nanos"].is_number_integer())
    sub = offset["timestamp_nanos"].get<int64_t>();
  *nanos = floor_div(ms, 1000) * kNanosPerSecond + sub;
  return true;
}

Json key_json(const Value& v) {
  if (v.is<int64_t>()) return v.as<int64_t>();
  if (v.is<std::string>()) return v.as<std::string>();
  if (v.is<double>()) return v.as<double>();
  if (v.is<bool>()) return v.as<bool>();
  if (v.is<Decimal>()) return v.as<Decimal>().to_string();
  return nullptr;
}

// A COUNT(*) as the dialect typed it: an integer, or (SQLite: an expression has no declared
// type) its text, a decimal or a double.
bool count_value(const Value& v, uint64_t* out) {
  std::string text;
  if (v.is<int64_t>()) {
    if (v.as<int64_t>() < 0) return false;
    *out = static_cast<uint64_t>(v.as<int64_t>());
    return true;
  }
  if (v.is<double>()) {
    if (!(v.as<double>() >= 0)) return false;
    *out = static_cast<uint64_t>(v.as<double>());
    return true;
  }
  if (v.is<std::string>()) text = v.as<std::string>();
  if (v.is<Decimal>()) text = v.as<Decimal>().to_string();
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return false;
  *out = std::stoull(text);
  return true;
}

// One table (or the custom query) and where its scan stands.
struct Scan {
  std::string table;  // empty in query mode
  std::string topic;
  std::shared_ptr<const Json> partition;  // null in bulk mode: nothing to resume
  SchemaPtr schema;
  std::vector<Column> columns;
  std::string from;     // quoted table, or "(query) kpipe_q"
  std::string ts_expr;  // timestamp_expr(column or COALESCE), empty without timestamps
  bool ts_zoneless = false;
  std::string inc_column;  // quoted
  size_t inc_index = 0;
  std::vector<std::string> key_columns;  // quoted tie-breaker columns (timestamp mode)
  std::vector<size_t> key_index;

  // Resume point: the last row emitted (timestamp, incrementing or key values).
  std::optional<int64_t> ts;
  std::optional<int64_t> inc;
  std::vector<Json> key;
  // The clock reading (ns) the next query's upper bound comes from, once estimate() took it.
  std::optional<int64_t> now;
};

class JdbcSource : public Source {
 public:
  // The cross-key rules of read_config(), for ConfigSpec::check.
  static Status check(const Config& config) { return JdbcSource().read_config(config); }

  Status open(const Config& config, const RunContext& context,
              const OffsetReader& offsets) override {
    context_ = &context;
    KPIPE_RETURN_IF_ERROR(read_config(config));
    KPIPE_RETURN_IF_ERROR(connect_with_retries(config));
    KPIPE_RETURN_IF_ERROR(build_scans(config));
    for (Scan& scan : scans_) KPIPE_RETURN_IF_ERROR(restore(scan, offsets));
    return Status::Ok();
  }

  Status poll(Batch* batch) override {
    while (batch->size() < batch_max_rows_) {
      if (!stream_) {
        if (next_scan_ == scans_.size()) {
          if (!context_->follow) {
            exhausted_ = true;
            return Status::Ok();
          }
          if (!batch->empty()) return Status::Ok();
          context_->sleep_ms(poll_interval_ms_);
          next_scan_ = 0;
          return Status::Ok();
        }
        KPIPE_RETURN_IF_ERROR(start_scan(scans_[next_scan_]));
      }
      Scan& scan = scans_[next_scan_];
      bool has_row = false;
      Status st = stream_->next(&row_, &has_row);
      if (!st.ok()) return st.with_context(scan.table.empty() ? "query" : "table " + scan.table);
      if (!has_row) {
        if (held_) {  // the scan saw every row at the held row's timestamp
          held_->source_offset = timestamp_offset(*held_ts_);
          scan.ts = held_ts_;
          batch->push_back(std::move(*held_));
          held_.reset();
        }
        stream_.reset();
        ++next_scan_;
        continue;
      }
      KPIPE_RETURN_IF_ERROR(emit(scan, batch));
    }
    return Status::Ok();
  }

  bool exhausted() const override { return exhausted_; }

  void close() override {
    stream_.reset();
    connection_.reset();
  }

 private:
  Status read_config(const Config& config) {
    if (Status url = jdbc::check_url(config.str("connection.url")); !url.ok())
      return config.invalid("connection.url", url.message());
    const std::string& mode = config.str("mode");
    mode_ = mode == "bulk"           ? Mode::kBulk
            : mode == "incrementing" ? Mode::kIncrementing
            : mode == "timestamp"    ? Mode::kTimestamp
                                     : Mode::kTimestampIncrementing;
    batch_max_rows_ = static_cast<size_t>(config.integer("batch.max.rows"));
    poll_interval_ms_ = config.integer("poll.interval.ms");
    delay_ms_ = config.integer("timestamp.delay.interval.ms");
    if (config.has("timestamp.initial")) initial_ms_ = config.integer("timestamp.initial");
    query_suffix_ = config.str("query.suffix");
    if (Status tz = jdbc::TimeZone::load(config.str("db.timezone"), &timezone_); !tz.ok())
      return config.invalid("db.timezone", tz.message());
    const bool needs_ts = mode_ == Mode::kTimestamp || mode_ == Mode::kTimestampIncrementing;
    const bool needs_inc = mode_ == Mode::kIncrementing || mode_ == Mode::kTimestampIncrementing;
    if (needs_ts && config.list("timestamp.column.name").empty())
      return config.invalid("timestamp.column.name", "required in mode " + mode);
    if (needs_inc && config.str("incrementing.column.name").empty())
      return config.invalid("incrementing.column.name", "required in mode " + mode);
    if (config.has("query") &&
        (!config.list("table.whitelist").empty() || !config.list("table.blacklist").empty()))
      return config.invalid("query",
                            "use either query or table.whitelist/table.blacklist, not both");
    if (!config.list("table.whitelist").empty() && !config.list("table.blacklist").empty())
      return config.invalid("table.blacklist", "use either table.whitelist or table.blacklist");
    return Status::Ok();
  }

  Status connect_with_retries(const Config& config) {
    jdbc::ConnectOptions options;
    options.url = config.str("connection.url");
    if (config.has("connection.user")) options.user = config.str("connection.user");
    if (config.has("connection.password")) options.password = config.str("connection.password");
    KPIPE_RETURN_IF_ERROR(jdbc::TimeZone::load(config.str("db.timezone"), &options.timezone));
    const std::string& nm = config.str("numeric.mapping");
    options.numeric_mapping = nm == "best_fit" ? jdbc::NumericMapping::kBestFit
                              : nm == "best_fit_eager_double"
                                  ? jdbc::NumericMapping::kBestFitEagerDouble
                              : nm == "precision_only" ? jdbc::NumericMapping::kPrecisionOnly
                                                       : jdbc::NumericMapping::kNone;
    timezone_ = options.timezone;
    return jdbc::connect_with_retries(
        options, config.integer("connection.attempts"), config.integer("connection.backoff.ms"),
        [this] { return context_->stop_requested(); }, &connection_);
  }

  Status build_scans(const Config& config) {
    const std::string prefix = config.has("topic.prefix") ? config.str("topic.prefix") : "";
    if (config.has("query")) {
      Scan scan;
      scan.topic = prefix.empty() ? context_->pipeline_name : prefix;
      scan.from = "(" + config.str("query") + ") kpipe_q";
      if (mode_ != Mode::kBulk)
        scan.partition = std::make_shared<const Json>(Json{{"query", "query"}});
      // The query's own columns: run it for its metadata only.
      std::unique_ptr<RowStream> probe;
      KPIPE_RETURN_IF_ERROR(
          connection_->query("SELECT * FROM " + scan.from + " WHERE 1 = 0", {}, &probe)
              .with_context("query"));
      scan.columns = probe->columns();
      probe.reset();
      KPIPE_RETURN_IF_ERROR(prepare_scan(config, &scan));
      scans_.push_back(std::move(scan));
      return Status::Ok();
    }
    std::vector<std::string> tables = config.list("table.whitelist");
    if (tables.empty()) {
      KPIPE_RETURN_IF_ERROR(connection_->tables(config.list("table.types"), &tables));
      const auto& black = config.list("table.blacklist");
      tables.erase(std::remove_if(tables.begin(), tables.end(),
                                  [&](const std::string& t) {
                                    return std::find(black.begin(), black.end(), t) != black.end();
                                  }),
                   tables.end());
      if (tables.empty()) return Status::Invalid("source: the database has no tables to read");
    }
    for (const std::string& table : tables) {
      Scan scan;
      scan.table = table;
      scan.topic = prefix + table;
      scan.from = connection_->quote_table(table);
      if (mode_ != Mode::kBulk)
        scan.partition = std::make_shared<const Json>(
            Json{{"protocol", "1"}, {"table", connection_->database() + "." + table}});
      KPIPE_RETURN_IF_ERROR(connection_->columns(table, &scan.columns).with_context("source"));
      KPIPE_RETURN_IF_ERROR(prepare_scan(config, &scan));
      scans_.push_back(std::move(scan));
    }
    return Status::Ok();
  }

  // Resolves the configured columns against the scan's, builds its schema and tie-breaker.
  Status prepare_scan(const Config& config, Scan* scan) {
    const std::string where = scan->table.empty() ? "the query" : "table '" + scan->table + "'";
    auto find = [&](const std::string& key, const std::string& name, size_t* index) -> Status {
      for (size_t i = 0; i < scan->columns.size(); ++i)
        if (scan->columns[i].name == name) {
          *index = i;
          if (config.boolean("validate.non.null") && scan->columns[i].nullable &&
              !scan->table.empty())
            return config.invalid(key,
                                  "column '" + name + "' of " + where +
                                      " is nullable; rows where it is NULL would never be read. "
                                      "Make it NOT NULL or set validate.non.null: false");
          return Status::Ok();
        }
      return config.invalid(key, "column '" + name + "' does not exist in " + where);
    };
    StructBuilder builder(scan->table.empty() ? std::nullopt
                                              : std::optional<std::string>(scan->table));
    for (const Column& c : scan->columns) builder.field(c.name, c.schema);
    scan->schema = builder.build();

    if (mode_ == Mode::kTimestamp || mode_ == Mode::kTimestampIncrementing) {
      std::string expr;
      const auto& names = config.list("timestamp.column.name");
      for (size_t n = 0; n < names.size(); ++n) {
        size_t index = 0;
        KPIPE_RETURN_IF_ERROR(find("timestamp.column.name", names[n], &index));
        if (scan->columns[index].schema->logical() != Logical::kTimestamp)
          return config.invalid("timestamp.column.name",
                                "column '" + names[n] + "' of " + where + " is " +
                                    scan->columns[index].type_name + ", not a timestamp");
        if (n == 0) scan->ts_zoneless = scan->columns[index].zoneless;
        expr += (n ? ", " : "") + connection_->quote(names[n]);
      }
      scan->ts_expr =
          connection_->timestamp_expr(names.size() > 1 ? "COALESCE(" + expr + ")" : expr);
    }
    if (mode_ == Mode::kIncrementing || mode_ == Mode::kTimestampIncrementing) {
      const std::string& name = config.str("incrementing.column.name");
      KPIPE_RETURN_IF_ERROR(find("incrementing.column.name", name, &scan->inc_index));
      scan->inc_column = connection_->quote(name);
    }
    if (mode_ == Mode::kTimestamp && !scan->table.empty()) {
      std::vector<std::string> key;
      KPIPE_RETURN_IF_ERROR(connection_->unique_key(scan->table, &key));
      for (const std::string& k : key) {
        for (size_t i = 0; i < scan->columns.size(); ++i)
          if (scan->columns[i].name == k) scan->key_index.push_back(i);
        scan->key_columns.push_back(connection_->quote(k));
      }
      if (scan->key_index.size() != key.size()) scan->key_columns.clear(), scan->key_index.clear();
      if (key.empty())
        spdlog::info(
            "{} has no primary or unique NOT NULL key: offsets advance only past timestamps "
            "whose rows were all emitted",
            where);
    }
    return Status::Ok();
  }

  Status restore(Scan& scan, const OffsetReader& offsets) {
    if (!scan.partition) return Status::Ok();
    auto offset = offsets.offset(*scan.partition);
    if (!offset) return Status::Ok();
    const std::string bad = "committed offset " + offset->dump() + " of " + scan.partition->dump();
    if (!scan.ts_expr.empty()) {
      int64_t ts;
      if (!read_timestamp_offset(*offset, &ts)) return Status::Runtime(bad + " has no timestamp");
      scan.ts = ts;
      if (offset->contains("key") && (*offset)["key"].is_array() &&
          (*offset)["key"].size() == scan.key_columns.size())
        scan.key = (*offset)["key"].get<std::vector<Json>>();
    }
    if (!scan.inc_column.empty()) {
      if (!offset->contains("incrementing") || !(*offset)["incrementing"].is_number_integer())
        return Status::Runtime(bad + " has no incrementing value");
      scan.inc = (*offset)["incrementing"].get<int64_t>();
    }
    return Status::Ok();
  }

  Param key_param(const Scan& scan, size_t i) const {
    const Json& j = scan.key[i];
    const Column& c = scan.columns[scan.key_index[i]];
    if (c.schema->logical() == Logical::kTimestamp && j.is_number_integer())
      return TimestampParam{j.get<int64_t>(), c.zoneless};
    if (j.is_number_integer()) return j.get<int64_t>();
    if (j.is_number_float()) return j.get<double>();
    if (j.is_boolean()) return static_cast<int64_t>(j.get<bool>());
    if (j.is_string()) return j.get<std::string>();
    return std::monostate();
  }

  // The scan's WHERE clause (with its parameters) and ORDER BY: from the resume point up to the
  // upper bound, the database's clock minus timestamp.delay.interval.ms. estimate() fixes the
  // clock reading for the scan's next query, so the count and the query see the same rows.
  struct Predicate {
    std::string where, order;
    std::vector<Param> params;
  };
  Status predicate(Scan& scan, Predicate* out) {
    std::vector<std::string> where;
    if (!scan.ts_expr.empty()) {
      int64_t now = 0;
      if (scan.now) {
        now = *scan.now;
      } else {
        KPIPE_RETURN_IF_ERROR(connection_->now(&now));
        scan.now = now;
      }
      const TimestampParam upper{now - delay_ms_ * kNanosPerMs, scan.ts_zoneless};
      std::optional<int64_t> lower = scan.ts;
      if (!lower && initial_ms_) lower = *initial_ms_ == -1 ? now : *initial_ms_ * kNanosPerMs;
      where.push_back(scan.ts_expr + " < ?");
      out->params.push_back(upper);
      const std::string& ts = scan.ts_expr;
      if (mode_ == Mode::kTimestampIncrementing && lower && scan.inc) {
        where.push_back("((" + ts + " = ? AND " + scan.inc_column + " > ?) OR " + ts + " > ?)");
        out->params.insert(out->params.end(), {TimestampParam{*lower, scan.ts_zoneless}, *scan.inc,
                                               TimestampParam{*lower, scan.ts_zoneless}});
      } else if (lower && !scan.key.empty()) {
        std::string cols, marks;
        for (size_t i = 0; i < scan.key_columns.size(); ++i) {
          cols += (i ? ", " : "") + scan.key_columns[i];
          marks += i ? ", ?" : "?";
        }
        where.push_back("(" + ts + " > ? OR (" + ts + " = ? AND (" + cols + ") > (" + marks +
                        ")))");
        out->params.push_back(TimestampParam{*lower, scan.ts_zoneless});
        out->params.push_back(TimestampParam{*lower, scan.ts_zoneless});
        for (size_t i = 0; i < scan.key.size(); ++i) out->params.push_back(key_param(scan, i));
      } else if (lower) {
        where.push_back(ts + " > ?");
        out->params.push_back(TimestampParam{*lower, scan.ts_zoneless});
      }
      out->order = ts;
      if (mode_ == Mode::kTimestampIncrementing) out->order += ", " + scan.inc_column;
      for (const auto& k : scan.key_columns) out->order += ", " + k;
    } else if (mode_ == Mode::kIncrementing) {
      if (scan.inc) {
        where.push_back(scan.inc_column + " > ?");
        out->params.push_back(*scan.inc);
      }
      out->order = scan.inc_column;
    }
    for (size_t i = 0; i < where.size(); ++i) out->where += (i ? " AND " : " WHERE ") + where[i];
    return Status::Ok();
  }

  Status start_scan(Scan& scan) {
    Predicate p;
    KPIPE_RETURN_IF_ERROR(predicate(scan, &p));
    scan.now.reset();  // the next scan of this table (--follow) reads the clock again
    std::string sql = "SELECT *";
    if (!scan.ts_expr.empty()) sql += ", " + scan.ts_expr + " AS kpipe_ts";
    sql += " FROM " + scan.from + p.where;
    if (!p.order.empty()) sql += " ORDER BY " + p.order;
    if (!query_suffix_.empty()) sql += " " + query_suffix_;
    spdlog::debug("{}", sql);
    return connection_->query(sql, p.params, &stream_)
        .with_context(scan.table.empty() ? "query" : "table " + scan.table);
  }

 public:
  // A COUNT(*) per table with the predicate and upper bound its query will use: exact, unless
  // rows change between the count and the query.
  Status estimate(Estimate* out) override {
    uint64_t total = 0;
    for (Scan& scan : scans_) {
      Predicate p;
      KPIPE_RETURN_IF_ERROR(predicate(scan, &p));
      std::string rows = "SELECT 1 AS kpipe_one FROM " + scan.from + p.where;
      if (!query_suffix_.empty()) rows += " " + query_suffix_;
      std::unique_ptr<RowStream> stream;
      KPIPE_RETURN_IF_ERROR(
          connection_->query("SELECT COUNT(*) FROM (" + rows + ") kpipe_count", p.params, &stream)
              .with_context(scan.table.empty() ? "counting the query's rows"
                                               : "counting the rows of table " + scan.table));
      std::vector<Value> row;
      bool has_row = false;
      KPIPE_RETURN_IF_ERROR(stream->next(&row, &has_row));
      uint64_t count = 0;
      if (!has_row || row.empty() || !count_value(row[0], &count))
        return Status::Runtime("COUNT(*) gave no number");
      total += count;
    }
    out->records = total;
    out->exact = true;
    out->how = "COUNT(*) over " + std::to_string(scans_.size()) +
               (scans_.size() == 1 && scans_[0].table.empty() ? " query" : " table(s)");
    return Status::Ok();
  }

 private:
  Status emit(Scan& scan, Batch* batch) {
    std::optional<int64_t> row_ts;
    if (!scan.ts_expr.empty()) {
      Value ts = std::move(row_.back());
      row_.pop_back();
      int64_t nanos = 0;
      if (ts.is<int64_t>()) {
        nanos = ts.as<int64_t>();
      } else if (!ts.is<std::string>() ||
                 !jdbc::parse_timestamp(ts.as<std::string>(), timezone_, &nanos)) {
        return Status::Runtime("table " + scan.table + ": unreadable timestamp value");
      }
      row_ts = nanos;
    }
    Record r;
    r.topic = scan.topic;
    r.value_schema = scan.schema;
    if (!scan.inc_column.empty()) {
      const Value& inc = row_[scan.inc_index];
      if (!inc.is<int64_t>())
        return Status::Runtime("table " + scan.table +
                               ": incrementing column value is not an integer");
      scan.inc = inc.as<int64_t>();
    }
    if (scan.partition) r.source_partition = scan.partition;
    switch (mode_) {
      case Mode::kBulk:
        break;
      case Mode::kIncrementing:
        r.source_offset = json_object({{"incrementing", *scan.inc}});
        break;
      case Mode::kTimestampIncrementing:
        r.source_offset = timestamp_offset(*row_ts);
        r.source_offset["incrementing"] = *scan.inc;
        scan.ts = row_ts;
        break;
      case Mode::kTimestamp:
        if (!scan.key_index.empty()) {
          scan.key.clear();
          for (size_t i : scan.key_index) scan.key.push_back(key_json(row_[i]));
          r.source_offset = timestamp_offset(*row_ts);
          r.source_offset["key"] = scan.key;
          scan.ts = row_ts;
        }
        break;
    }
    r.value = Value(Struct{std::move(row_)});
    row_ = std::vector<Value>();
    if (mode_ == Mode::kTimestamp && scan.key_index.empty()) {
      // Without a key, timestamp T is complete only once a later timestamp shows up.
      if (held_) {
        if (*row_ts > *held_ts_) scan.ts = held_ts_;
        if (scan.ts) {
          held_->source_offset = timestamp_offset(*scan.ts);
        } else {
          held_->source_partition.reset();  // nothing complete yet: nothing to commit
        }
        batch->push_back(std::move(*held_));
      }
      held_ = std::move(r);
      held_ts_ = row_ts;
      return Status::Ok();
    }
    batch->push_back(std::move(r));
    return Status::Ok();
  }

  const RunContext* context_ = nullptr;
  Mode mode_ = Mode::kBulk;
  size_t batch_max_rows_ = 1000;
  int64_t poll_interval_ms_ = 5000, delay_ms_ = 0;
  std::optional<int64_t> initial_ms_;
  std::string query_suffix_;
  jdbc::TimeZone timezone_;
  std::unique_ptr<Connection> connection_;
  std::vector<Scan> scans_;
  size_t next_scan_ = 0;
  std::unique_ptr<RowStream> stream_;
  std::vector<Value> row_;
  std::optional<Record> held_;
  std::optional<int64_t> held_ts_;
  bool exhausted_ = false;
};

}  // namespace

ConfigSpec jdbc_source_spec() {
  ConfigSpec spec{
      "jdbc",
      ComponentKind::kSource,
      "Rows of SQL tables or a query: PostgreSQL, MySQL/MariaDB, SQLite (Confluent's JDBC source)",
      {
          {"mode",
           FieldType::kString,
           std::nullopt,
           true,
           "How rows are found",
           {"bulk", "incrementing", "timestamp", "timestamp+incrementing"}},
          {"query", FieldType::kString, std::nullopt, false,
           "A custom SELECT read instead of tables (the mode's WHERE wraps it)"},
          {"query.suffix", FieldType::kString, "", false, "Appended to every generated query"},
          {"table.whitelist", FieldType::kList, "", false, "Tables to read; default: every table"},
          {"table.blacklist", FieldType::kList, "", false, "Tables not to read"},
          {"table.types", FieldType::kList, "TABLE", false, "Kinds of tables to list: TABLE, VIEW"},
          {"topic.prefix", FieldType::kString, std::nullopt, false,
           "Topic = prefix + table name (query: the prefix; default the pipeline name)"},
          {"timestamp.column.name", FieldType::kList, "", false,
           "Timestamp column(s); several are combined with COALESCE"},
          {"incrementing.column.name", FieldType::kString, "", false,
           "Strictly increasing integer column"},
          {"timestamp.delay.interval.ms",
           FieldType::kInt,
           "0",
           false,
           "Read rows only once they are this old by the database's clock",
           {},
           false,
           0},
          {"timestamp.initial", FieldType::kInt, std::nullopt, false,
           "With no committed offset, start after this time (ms since epoch); -1 = now"},
          {"batch.max.rows",
           FieldType::kInt,
           "1000",
           false,
           "Rows per batch",
           {},
           false,
           1,
           10000000},
          {"poll.interval.ms",
           FieldType::kInt,
           "5000",
           false,
           "With --follow: wait between scans",
           {},
           false,
           1},
          {"validate.non.null", FieldType::kBool, "true", false,
           "Fail when a timestamp or incrementing column is nullable"},
          {"numeric.mapping",
           FieldType::kString,
           "none",
           false,
           "How NUMERIC/DECIMAL map",
           {"none", "best_fit", "best_fit_eager_double", "precision_only"}},
          {"db.timezone", FieldType::kString, "UTC", false,
           "Zone of timestamps without time zone (DATETIME, timestamp)"},
      }};
  spec.fields.insert(spec.fields.begin(), jdbc::connection_fields().begin(),
                     jdbc::connection_fields().end());
  spec.check = JdbcSource::check;
  spec.connect.connector_class = "io.confluent.connect.jdbc.JdbcSourceConnector";
  // Connect requires topic.prefix; kpipe's default is none (table mode: the table's name).
  spec.connect.export_defaults = {{"topic.prefix", ""}};
  const std::string not_needed = "kpipe does not need it (see the README's JDBC section)";
  spec.connect.ignored = {
      {"table.poll.interval.ms", "kpipe reads the table list at each start"},
      {"table.monitoring.startup.polling.limit.ms", "kpipe reads the table list at each start"},
      {"dialect.name", "kpipe picks the dialect from connection.url"},
      {"quote.sql.identifiers", "kpipe always quotes identifiers"},
      {"schema.pattern", not_needed},
      {"catalog.pattern", not_needed},
      {"transaction.isolation.mode", "kpipe reads each batch in one transaction"},
      {"query.retry.attempts", "errors.retry.timeout covers it"},
      {"timestamp.granularity", "kpipe keeps each database's own precision"},
      {"date.calendar.system", not_needed},
      {"query.masked", "kpipe never logs the query's values"},
      {"numeric.precision.mapping", "deprecated by Connect; use numeric.mapping"}};
  return spec;
}

std::unique_ptr<Source> make_jdbc_source() {
  return std::make_unique<JdbcSource>();
}

}  // namespace kpipe
