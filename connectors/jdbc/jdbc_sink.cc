// The jdbc sink: Confluent's JDBC sink connector keys and semantics on PostgreSQL, MySQL/MariaDB
// and SQLite, without its slowness and with exactly-once:
// - rows are buffered per table up to batch.size and written the dialect's fastest way
//   (PostgreSQL COPY for inserts, multi-row INSERT ... ON CONFLICT / ON DUPLICATE KEY / UPDATE ...
//   FROM VALUES / DELETE ... IN otherwise; SQLite one prepared statement reused), never one
//   statement per row on a server;
// - every flush is one transaction; with exactly.once the source offsets are upserted in that
//   same transaction (table kpipe_offsets), and read back at start;
// - without exactly.once every batch is one transaction, sent on a thread of its own while the
//   runner reads and converts the next batch; the sink acknowledges it once committed;
// - within one buffered run of upserts, updates or deletes the last record per key wins (one
//   multi-row statement cannot touch a row twice); a change of operation (a delete after
//   upserts) sends the buffer first, so the order of operations on a key is kept.
// Tables are created (auto.create) and columns added (auto.evolve) before any row of the batch
// that needs them is sent, and only once the batches before it are committed: MySQL commits an
// open transaction on DDL (with exactly.once, the runner's default flush after every batch
// leaves none open then).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "connectors/jdbc/jdbc.h"
#include "connectors/jdbc/sql.h"
#include "connectors/jdbc/write_sql.h"

namespace kpipe {
namespace {

using jdbc::Column;
using jdbc::Connection;
using jdbc::WriteBatch;
using jdbc::WriteColumn;
using jdbc::WriteOp;

enum class InsertMode { kInsert, kUpsert, kUpdate };
enum class PkMode { kNone, kKafka, kRecordKey, kRecordValue };

// Where a column's value comes from in a record.
enum class From { kTopic, kPartition, kOffset, kKey, kKeyField, kValueField };
struct FieldSource {
  From from;
  int index = -1;  // field index for kKeyField / kValueField
};

// How records of one (key schema, value schema) become rows of one table.
struct Plan {
  SchemaPtr key_schema, value_schema;
  bool tombstone = false;      // a plan for deletes: key columns only
  bool table_missing = false;  // tombstones for a table that does not exist: nothing to delete
  std::vector<WriteColumn> columns;
  std::vector<FieldSource> sources;
  std::vector<size_t> key_index;
};

// Plans kept per table: one per schema seen recently.
constexpr size_t kMaxPlans = 64;

struct TableState {
  std::string name;
  std::vector<std::shared_ptr<Plan>> plans;  // the schemas seen lately for this table
  std::shared_ptr<Plan> last;                // the most recently used one (fast path)
  // Buffered rows, all of `op` and `plan`.
  std::shared_ptr<Plan> plan;
  WriteOp op = WriteOp::kInsert;
  std::vector<std::vector<Value>> rows;
  std::unordered_map<std::string, size_t> by_key;
};

bool same_schema(const SchemaPtr& a, const SchemaPtr& b) {
  if (a == b) return true;
  if (!a || !b) return false;
  return a->equals(*b);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// A key's values as one string, for finding the buffered row of the same key.
void append_key(const Value& v, std::string* out) {
  out->push_back(static_cast<char>('a' + v.v.index()));
  std::string text;
  if (v.is<bool>()) text = v.as<bool>() ? "1" : "0";
  if (v.is<int64_t>()) text = std::to_string(v.as<int64_t>());
  if (v.is<double>()) {
    char buf[sizeof(double)];
    double d = v.as<double>();
    std::memcpy(buf, &d, sizeof d);
    text.assign(buf, sizeof buf);
  }
  if (v.is<std::string>()) text = v.as<std::string>();
  if (v.is<Bytes>()) text = v.as<Bytes>().data;
  if (v.is<Decimal>()) text = v.as<Decimal>().to_string();
  *out += std::to_string(text.size());
  out->push_back(':');
  *out += text;
}

// Sends transactions on a thread of its own, in order: each is BEGIN, its statements, COMMIT.
// Once one fails it is rolled back and nothing more is sent; every later call reports the failure.
class TxnWriter {
 public:
  struct Txn {
    std::vector<WriteBatch> writes;
    uint64_t records = 0;  // records written to the sink once this one commits
  };

  TxnWriter(Connection* conn, const jdbc::TimeZone* zone)
      : conn_(conn), zone_(zone), thread_([this] { work(); }) {}
  // Stops after the transaction under way (if any); queued ones are dropped.
  ~TxnWriter() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      queue_.clear();
    }
    wake_.notify_all();
    thread_.join();
  }

  void submit(Txn txn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(txn));
    }
    wake_.notify_all();
  }

  // Waits until at least `records` are committed (or one failed); *committed = how many are.
  Status committed(uint64_t records, uint64_t* committed) {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [&] { return committed_ >= records || !failure_.ok(); });
    *committed = committed_;
    return failure_;
  }

  // Waits until everything submitted is committed (or one failed): the connection is then free
  // for the caller, e.g. for DDL, until the next submit().
  Status idle() {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [&] { return (queue_.empty() && !busy_) || !failure_.ok(); });
    return failure_;
  }

 private:
  void work() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (stopping_) return;
      if (!failure_.ok()) {
        queue_.clear();
        done_.notify_all();
        continue;
      }
      Txn txn = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
      lock.unlock();
      Status st = send(txn);
      lock.lock();
      busy_ = false;
      if (st.ok()) {
        committed_ = txn.records;
      } else {
        failure_ = st;
      }
      done_.notify_all();
    }
  }

  Status send(const Txn& txn) {
    if (txn.writes.empty()) return Status::Ok();  // a batch of skipped records
    // A lone rendered write is one statement (a PostgreSQL COPY), atomic without BEGIN/COMMIT:
    // two round trips fewer per batch.
    if (txn.writes.size() == 1 && !txn.writes[0].rendered.empty()) {
      return conn_->write(txn.writes[0], *zone_)
          .with_context("table '" + txn.writes[0].table + "'");
    }
    KPIPE_RETURN_IF_ERROR(conn_->begin());
    for (const WriteBatch& batch : txn.writes) {
      Status st = conn_->write(batch, *zone_);
      if (!st.ok()) {
        conn_->rollback();
        return st.with_context("table '" + batch.table + "'");
      }
    }
    Status st = conn_->commit();
    if (!st.ok()) conn_->rollback();
    return st;
  }

  Connection* conn_;
  const jdbc::TimeZone* zone_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  std::deque<Txn> queue_;
  uint64_t committed_ = 0;
  bool busy_ = false, stopping_ = false;
  Status failure_;
  std::thread thread_;  // last: started once the members above exist
};

class JdbcSink : public Sink {
 public:
  // The cross-key rules of read_config(), for ConfigSpec::check.
  static Status check(const Config& config) { return JdbcSink().read_config(config); }

  Status open(const Config& config, const RunContext& context) override {
    context_ = &context;
    KPIPE_RETURN_IF_ERROR(read_config(config));
    jdbc::ConnectOptions options;
    options.url = config.str("connection.url");
    if (config.has("connection.user")) options.user = config.str("connection.user");
    if (config.has("connection.password")) options.password = config.str("connection.password");
    Status tz = jdbc::TimeZone::load(config.str("db.timezone"), &options.timezone);
    if (!tz.ok()) return config.invalid("db.timezone", tz.message());
    options.create_database = true;
    zone_ = options.timezone;
    KPIPE_RETURN_IF_ERROR(jdbc::connect_with_retries(
        options, config.integer("connection.attempts"), config.integer("connection.backoff.ms"),
        [this] { return context_->stop_requested(); }, &conn_));
    const std::string dialect = conn_->dialect();
    flavor_ = dialect == "postgresql" ? jdbc::Flavor::kPostgres
              : dialect == "mysql"    ? jdbc::Flavor::kMySql
                                      : jdbc::Flavor::kSqlite;
    if (exactly_once_) KPIPE_RETURN_IF_ERROR(prepare_offsets_table());
    if (acknowledges()) {
      // A zone of its own: TimeZone memoises, and copies share the memo.
      KPIPE_RETURN_IF_ERROR(jdbc::TimeZone::load(config.str("db.timezone"), &writer_zone_)
                                .with_context("db.timezone"));
      writer_ = std::make_unique<TxnWriter>(conn_.get(), &writer_zone_);
    }
    return Status::Ok();
  }

  bool needs_bytes() const override { return false; }

  // Exactly-once keeps a transaction open across batches until the runner's commit; otherwise
  // each batch is a transaction of its own, committed by writer_ while the next batch is read.
  bool acknowledges() const override { return !exactly_once_; }

  Status acknowledged(uint64_t wait_for, uint64_t* count) override {
    return writer_->committed(wait_for, count);
  }

  Status write(Batch& batch) override {
    // Plans first: any CREATE or ALTER runs before a row of this batch is sent.
    std::vector<Plan*> plans(batch.size());
    std::vector<TableState*> states(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      Record& r = batch[i];
      const bool tombstone = r.value.is_null();
      if (tombstone && !delete_enabled_) {
        if (!warned_tombstone_)
          spdlog::warn(
              "jdbc sink: skipping records with a null value (set delete.enabled: true with "
              "pk.mode: record_key to delete their rows)");
        warned_tombstone_ = true;
        continue;
      }
      const std::string table = table_name(r.topic);
      TableState& state = tables_[table];
      state.name = table;
      states[i] = &state;
      Status st = plan_for(table, state, r, tombstone, &plans[i]);
      if (!st.ok()) return st.with_context(where(r));
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!plans[i]) continue;
      Status st = add(batch[i], states[i], plans[i]);
      if (!st.ok()) return st.with_context(where(batch[i]));
    }
    // The oldest plans go once the batch no longer points at them (the buffered rows' plan and
    // the last one used are shared and stay alive).
    for (auto& [name, state] : tables_) {
      if (state.plans.size() > kMaxPlans)
        state.plans.erase(state.plans.begin(), state.plans.end() - kMaxPlans);
    }
    if (writer_) {
      for (auto& [name, state] : tables_) KPIPE_RETURN_IF_ERROR(send(state));
      txn_.records = written_ += batch.size();
      writer_->submit(std::move(txn_));
      txn_ = {};
    }
    return Status::Ok();
  }

  Status flush() override {
    Status st = writer_ ? writer_->idle() : flush_all();
    if (!st.ok()) {
      rollback();
      for (auto& [name, state] : tables_) clear(state);
      pending_offsets_.clear();
    }
    return st;
  }

  bool stores_offsets() const override { return exactly_once_; }

  Status write_offsets(const std::vector<std::pair<Json, Json>>& offsets) override {
    for (const auto& [partition, offset] : offsets) pending_offsets_[partition.dump()] = offset;
    return Status::Ok();
  }

  Status read_offsets(std::vector<std::pair<Json, Json>>* offsets) override {
    std::unique_ptr<jdbc::RowStream> rows;
    KPIPE_RETURN_IF_ERROR(conn_->query("SELECT " + conn_->quote("source_partition") + ", " +
                                           conn_->quote("source_offset") + " FROM " +
                                           conn_->quote_table(offsets_table_) + " WHERE " +
                                           conn_->quote("pipeline") + " = ?",
                                       {jdbc::Param(context_->pipeline_name)}, &rows));
    std::vector<Value> row;
    for (bool has = true;;) {
      KPIPE_RETURN_IF_ERROR(rows->next(&row, &has));
      if (!has) break;
      if (row.size() < 2 || !row[0].is<std::string>() || !row[1].is<std::string>())
        return Status::Runtime("table '" + offsets_table_ + "' holds a row that is not text");
      try {
        offsets->emplace_back(Json::parse(row[0].as<std::string>()),
                              Json::parse(row[1].as<std::string>()));
      } catch (const std::exception& e) {
        return Status::Runtime("table '" + offsets_table_ +
                               "' holds an unreadable offset: " + e.what());
      }
    }
    return Status::Ok();
  }

  void close() override {
    writer_.reset();  // before the connection it uses
    txn_ = {};
    if (conn_) rollback();
    conn_.reset();
  }

 private:
  Status read_config(const Config& config) {
    if (Status url = jdbc::check_url(config.str("connection.url")); !url.ok())
      return config.invalid("connection.url", url.message());
    const std::string& mode = config.str("insert.mode");
    mode_ = mode == "upsert"   ? InsertMode::kUpsert
            : mode == "update" ? InsertMode::kUpdate
                               : InsertMode::kInsert;
    const std::string& pk = config.str("pk.mode");
    pk_mode_ = pk == "kafka"          ? PkMode::kKafka
               : pk == "record_key"   ? PkMode::kRecordKey
               : pk == "record_value" ? PkMode::kRecordValue
                                      : PkMode::kNone;
    pk_fields_ = config.list("pk.fields");
    const auto& whitelist = config.list("fields.whitelist");
    whitelist_.insert(whitelist.begin(), whitelist.end());
    auto_create_ = config.boolean("auto.create");
    auto_evolve_ = config.boolean("auto.evolve");
    table_format_ = config.str("table.name.format");
    delete_enabled_ = config.boolean("delete.enabled");
    batch_size_ = static_cast<size_t>(config.integer("batch.size"));
    exactly_once_ = config.boolean("exactly.once");
    offsets_table_ = config.str("exactly.once.offsets.table");
    if (delete_enabled_ && pk_mode_ != PkMode::kRecordKey)
      return config.invalid("delete.enabled",
                            "deletes find rows by the record key: it needs pk.mode: record_key "
                            "(pk.mode is " +
                                pk + ")");
    if (mode_ != InsertMode::kInsert && pk_mode_ == PkMode::kNone)
      return config.invalid("insert.mode", "insert.mode " + mode +
                                               " finds rows by their primary key: set pk.mode "
                                               "(kafka, record_key or record_value)");
    if (pk_mode_ == PkMode::kKafka && !pk_fields_.empty() && pk_fields_.size() != 3)
      return config.invalid("pk.fields",
                            "pk.mode kafka takes three names (topic, partition, offset columns) or "
                            "none for __connect_topic, __connect_partition, __connect_offset");
    if (pk_mode_ == PkMode::kNone && !pk_fields_.empty())
      return config.invalid("pk.fields", "pk.fields needs a pk.mode other than none");
    if (table_format_.empty()) return config.invalid("table.name.format", "must not be empty");
    if (exactly_once_ && offsets_table_.empty())
      return config.invalid("exactly.once.offsets.table", "must not be empty");
    return Status::Ok();
  }

  std::string table_name(const std::string& topic) const {
    std::string out = table_format_;
    static const std::string kTopic = "${topic}";
    for (size_t pos = out.find(kTopic); pos != std::string::npos;
         pos = out.find(kTopic, pos + topic.size()))
      out.replace(pos, kTopic.size(), topic);
    return out;
  }

  static std::string where(const Record& r) {
    if (r.source_partition)
      return "record of topic '" + r.topic + "' from " + r.source_partition->dump() + " at " +
             r.source_offset.dump();
    return "record of topic '" + r.topic + "'";
  }

  // ---- Plans: the columns for a record's schemas, and the table made to have them.

  Status plan_for(const std::string& table, TableState& state, const Record& r, bool tombstone,
                  Plan** out) {
    auto matches = [&](const Plan& p) {
      if (p.tombstone != tombstone) return false;
      if (p.key_schema != r.key_schema && pk_mode_ == PkMode::kRecordKey) return false;
      return tombstone || p.value_schema == r.value_schema;
    };
    if (state.last && matches(*state.last)) {
      *out = state.last.get();
      return Status::Ok();
    }
    for (const auto& p : state.plans) {
      const bool same =
          p->tombstone == tombstone &&
          (pk_mode_ != PkMode::kRecordKey || same_schema(p->key_schema, r.key_schema)) &&
          (tombstone || same_schema(p->value_schema, r.value_schema));
      if (same) {
        state.last = p;
        *out = p.get();
        return Status::Ok();
      }
    }
    auto plan = std::make_shared<Plan>();
    plan->key_schema = r.key_schema;
    plan->value_schema = r.value_schema;
    plan->tombstone = tombstone;
    KPIPE_RETURN_IF_ERROR(build_columns(r, plan.get()));
    // The connection is writer_'s while it sends: wait for it (DDL also commits on MySQL).
    if (writer_) KPIPE_RETURN_IF_ERROR(writer_->idle());
    KPIPE_RETURN_IF_ERROR(ensure_table(table, plan.get()));
    // Delete plans made while the table was missing would skip their deletes forever: once this
    // plan made the table exist, they find their columns (and later tombstones reach the rows).
    for (const auto& p : state.plans) {
      if (!p->table_missing || plan->table_missing) continue;
      p->table_missing = false;
      KPIPE_RETURN_IF_ERROR(ensure_table(table, p.get()));
    }
    state.plans.push_back(plan);
    state.last = plan;
    *out = plan.get();
    return Status::Ok();
  }

  Status build_columns(const Record& r, Plan* plan) {
    auto add = [&](const std::string& name, SchemaPtr schema, bool key, FieldSource from) {
      WriteColumn c;
      c.name = name;
      c.schema = std::move(schema);
      c.key = key;
      if (key) plan->key_index.push_back(plan->columns.size());
      plan->columns.push_back(std::move(c));
      plan->sources.push_back(from);
    };
    std::vector<std::string> key_names;
    switch (pk_mode_) {
      case PkMode::kNone:
      case PkMode::kRecordValue:
        break;
      case PkMode::kKafka: {
        const auto names = pk_fields_.empty()
                               ? std::vector<std::string>{"__connect_topic", "__connect_partition",
                                                          "__connect_offset"}
                               : pk_fields_;
        add(names[0], Schema::primitive(Type::kString), true, {From::kTopic});
        add(names[1], Schema::primitive(Type::kInt32), true, {From::kPartition});
        add(names[2], Schema::primitive(Type::kInt64), true, {From::kOffset});
        key_names = names;
        break;
      }
      case PkMode::kRecordKey: {
        const SchemaPtr& ks = r.key_schema;
        if (!ks || r.key.is_null())
          return Status::Invalid(
              "pk.mode record_key needs records with a key and a key schema; this record has " +
              std::string(r.key.is_null() ? "a null key" : "a schemaless key"));
        if (ks->type == Type::kStruct) {
          for (const std::string& f : pk_fields_)
            if (ks->field_index(f) < 0)
              return Status::Invalid("pk.fields: the record key has no field '" + f + "'");
          for (size_t i = 0; i < ks->fields.size(); ++i) {
            const Field& f = ks->fields[i];
            if (!pk_fields_.empty() &&
                std::find(pk_fields_.begin(), pk_fields_.end(), f.name) == pk_fields_.end())
              continue;
            add(f.name, f.schema, true, {From::kKeyField, static_cast<int>(i)});
            key_names.push_back(f.name);
          }
        } else {
          if (pk_fields_.size() != 1)
            return Status::Invalid("pk.fields: the record key is a primitive (" +
                                   std::string(type_name(ks->type)) +
                                   "): name its one column in pk.fields");
          add(pk_fields_[0], ks, true, {From::kKey});
          key_names.push_back(pk_fields_[0]);
        }
        break;
      }
    }
    if (plan->tombstone) return Status::Ok();
    const SchemaPtr& vs = r.value_schema;
    if (!vs || vs->type != Type::kStruct)
      return Status::Invalid(
          "the jdbc sink writes records whose value is a struct with a schema; this one is " +
          std::string(vs ? type_name(vs->type) : "schemaless") +
          " (use a converter with schemas, e.g. value.schemas.enable: true)");
    if (pk_mode_ == PkMode::kRecordValue) {
      for (const std::string& f : pk_fields_)
        if (vs->field_index(f) < 0)
          return Status::Invalid("pk.fields: the record value has no field '" + f + "'");
    }
    for (size_t i = 0; i < vs->fields.size(); ++i) {
      const Field& f = vs->fields[i];
      bool key = false;
      if (pk_mode_ == PkMode::kRecordValue)
        key = pk_fields_.empty() ||
              std::find(pk_fields_.begin(), pk_fields_.end(), f.name) != pk_fields_.end();
      if (!key && std::find(key_names.begin(), key_names.end(), f.name) != key_names.end())
        continue;  // the key's column already
      if (!key && !whitelist_.empty() && !whitelist_.count(f.name)) continue;
      add(f.name, f.schema, key, {From::kValueField, static_cast<int>(i)});
    }
    if (plan->columns.empty())
      return Status::Invalid("the record value has no fields to write (fields.whitelist?)");
    return Status::Ok();
  }

  Status ensure_table(const std::string& table, Plan* plan) {
    std::vector<Column> existing;
    Status st = conn_->columns(table, &existing);
    if (!st.ok() && st.code() != Code::kInvalid) return st;
    if (!st.ok()) {
      if (plan->tombstone) {
        plan->table_missing = true;  // nothing to delete
        return Status::Ok();
      }
      if (!auto_create_)
        return Status::Invalid("table '" + table + "' does not exist (" + st.message() +
                               "); create it, or set auto.create: true to create it from the "
                               "records' schema");
      std::string sql;
      KPIPE_RETURN_IF_ERROR(jdbc::create_table_sql(flavor_, table, plan->columns, &sql)
                                .with_context("creating table '" + table + "'"));
      spdlog::info("jdbc sink: {}", sql);
      KPIPE_RETURN_IF_ERROR(conn_->execute(sql).with_context("creating table '" + table + "'"));
      KPIPE_RETURN_IF_ERROR(conn_->columns(table, &existing));
    }
    bool altered = false;
    for (WriteColumn& c : plan->columns) {
      if (find_column(existing, c.name)) continue;
      if (!auto_evolve_)
        return Status::Invalid("table '" + table + "' has no column '" + c.name + "' for field '" +
                               c.name + "'; add it, or set auto.evolve: true to add it");
      if (c.key)
        return Status::Invalid("cannot add key field '" + c.name + "' to table '" + table +
                               "': auto.evolve adds columns, never primary key columns");
      std::string sql;
      KPIPE_RETURN_IF_ERROR(jdbc::add_column_sql(flavor_, table, c, zone_, &sql));
      spdlog::info("jdbc sink: {}", sql);
      KPIPE_RETURN_IF_ERROR(conn_->execute(sql).with_context("evolving table '" + table + "'"));
      altered = true;
    }
    if (altered) KPIPE_RETURN_IF_ERROR(conn_->columns(table, &existing));
    for (WriteColumn& c : plan->columns) {
      const Column* col = find_column(existing, c.name);
      if (!col) return Status::Runtime("table '" + table + "' lost column '" + c.name + "'");
      c.name = col->name;
      c.zoneless = col->schema->logical() == Logical::kTimestamp ? col->zoneless : true;
      c.db_type = col->type_name;
    }
    return Status::Ok();
  }

  static const Column* find_column(const std::vector<Column>& columns, const std::string& name) {
    for (const Column& c : columns)
      if (c.name == name) return &c;
    // Unquoted names fold case (PostgreSQL to lower, MySQL by platform): match them too.
    const std::string folded = lower(name);
    for (const Column& c : columns)
      if (lower(c.name) == folded) return &c;
    return nullptr;
  }

  // ---- Buffering and sending.

  Status add(Record& r, TableState* state, Plan* plan) {
    if (plan->table_missing) return Status::Ok();
    const WriteOp op = plan->tombstone                ? WriteOp::kDelete
                       : mode_ == InsertMode::kUpsert ? WriteOp::kUpsert
                       : mode_ == InsertMode::kUpdate ? WriteOp::kUpdate
                                                      : WriteOp::kInsert;
    if (!state->rows.empty() && (state->op != op || state->plan.get() != plan))
      KPIPE_RETURN_IF_ERROR(send(*state));
    if (state->rows.empty()) {
      for (const auto& p : state->plans)
        if (p.get() == plan) state->plan = p;
      state->op = op;
    }
    std::vector<Value> row;
    const size_t n = op == WriteOp::kDelete ? plan->key_index.size() : plan->columns.size();
    row.reserve(n);
    for (size_t j = 0; j < n; ++j) {
      const size_t i = op == WriteOp::kDelete ? plan->key_index[j] : j;
      Value v;
      KPIPE_RETURN_IF_ERROR(extract(r, plan->sources[i], plan->columns[i], &v));
      if (v.is_null() && plan->columns[i].key)
        return Status::Runtime("key column '" + plan->columns[i].name + "' is null");
      row.push_back(std::move(v));
    }
    if (op == WriteOp::kInsert) {
      state->rows.push_back(std::move(row));
    } else {
      std::string key;
      if (op == WriteOp::kDelete) {
        for (const Value& v : row) append_key(v, &key);
      } else {
        for (size_t i : plan->key_index) append_key(row[i], &key);
      }
      auto [it, fresh] = state->by_key.try_emplace(std::move(key), state->rows.size());
      if (fresh) {
        state->rows.push_back(std::move(row));
      } else {
        state->rows[it->second] = std::move(row);
      }
    }
    if (state->rows.size() >= batch_size_) return send(*state);
    return Status::Ok();
  }

  Status extract(Record& r, const FieldSource& from, const WriteColumn& c, Value* out) {
    switch (from.from) {
      case From::kTopic:
        *out = Value(r.topic);
        return Status::Ok();
      case From::kPartition:
        if (r.partition) {
          *out = Value(static_cast<int64_t>(*r.partition));
        } else if (r.source_partition && r.source_partition->contains("kafka_partition")) {
          *out = Value((*r.source_partition)["kafka_partition"].get<int64_t>());
        } else {
          return Status::Invalid(
              "pk.mode kafka: the record has no Kafka partition (it did not "
              "come from Kafka)");
        }
        return Status::Ok();
      case From::kOffset:
        // The message's own offset; source_offset holds the next one to read.
        if (!r.kafka_offset)
          return Status::Invalid(
              "pk.mode kafka: the record has no Kafka offset (it did not come from Kafka)");
        *out = Value(*r.kafka_offset);
        return Status::Ok();
      case From::kKey:
        *out = r.key;
        return Status::Ok();
      case From::kKeyField:
        if (!r.key.is<Struct>()) return Status::Runtime("the record key is not a struct");
        *out = r.key.as<Struct>().fields.at(static_cast<size_t>(from.index));
        return Status::Ok();
      case From::kValueField: {
        if (!r.value.is<Struct>()) return Status::Runtime("the record value is not a struct");
        auto& fields = r.value.as<Struct>().fields;
        if (static_cast<size_t>(from.index) >= fields.size())
          return Status::Runtime("the record value has fewer fields than its schema");
        // Key columns are read again for deletes and dedup: copy those, move the rest.
        if (c.key) {
          *out = fields[static_cast<size_t>(from.index)];
        } else {
          *out = std::move(fields[static_cast<size_t>(from.index)]);
        }
        return Status::Ok();
      }
    }
    return Status::Ok();
  }

  Status begin_if_needed() {
    if (in_transaction_) return Status::Ok();
    KPIPE_RETURN_IF_ERROR(conn_->begin());
    in_transaction_ = true;
    return Status::Ok();
  }

  // Sends the buffered rows: as part of the next transaction of writer_, or right away.
  Status send(TableState& state) {
    if (state.rows.empty()) return Status::Ok();
    if (!writer_) KPIPE_RETURN_IF_ERROR(begin_if_needed());
    WriteBatch batch;
    batch.op = state.op;
    const Plan& plan = *state.plan;
    batch.table = state.name;
    if (state.op == WriteOp::kDelete) {
      for (size_t i : plan.key_index) batch.columns.push_back(plan.columns[i]);
    } else {
      batch.columns = plan.columns;
    }
    batch.rows = std::move(state.rows);
    clear(state);
    if (writer_) {
      // Rendered here while writer_ sends the previous batch: the two overlap.
      KPIPE_RETURN_IF_ERROR(
          conn_->render(&batch, zone_).with_context("table '" + batch.table + "'"));
      txn_.writes.push_back(std::move(batch));
      return Status::Ok();
    }
    return conn_->write(batch, zone_).with_context("table '" + batch.table + "'");
  }

  static void clear(TableState& state) {
    state.rows.clear();
    state.by_key.clear();
  }

  Status flush_all() {
    for (auto& [name, state] : tables_) KPIPE_RETURN_IF_ERROR(send(state));
    if (exactly_once_ && !pending_offsets_.empty()) {
      KPIPE_RETURN_IF_ERROR(begin_if_needed());
      WriteBatch batch;
      batch.op = WriteOp::kUpsert;
      batch.table = offsets_table_;
      batch.columns = offsets_columns();
      for (const auto& [partition, offset] : pending_offsets_)
        batch.rows.push_back(
            {Value(context_->pipeline_name), Value(partition), Value(offset.dump())});
      KPIPE_RETURN_IF_ERROR(
          conn_->write(batch, zone_).with_context("storing offsets in '" + offsets_table_ + "'"));
      pending_offsets_.clear();
    }
    if (!in_transaction_) return Status::Ok();
    in_transaction_ = false;
    return conn_->commit();
  }

  void rollback() {
    if (in_transaction_ && conn_) conn_->rollback();
    in_transaction_ = false;
  }

  std::vector<WriteColumn> offsets_columns() const {
    std::vector<WriteColumn> cols(3);
    cols[0].name = "pipeline";
    cols[0].key = true;
    cols[1].name = "source_partition";
    cols[1].key = true;
    cols[2].name = "source_offset";
    for (auto& c : cols) c.schema = Schema::primitive(Type::kString);
    return cols;
  }

  Status prepare_offsets_table() {
    std::vector<Column> existing;
    Status st = conn_->columns(offsets_table_, &existing);
    if (st.ok()) return Status::Ok();
    if (st.code() != Code::kInvalid) return st;
    std::string sql;
    KPIPE_RETURN_IF_ERROR(jdbc::create_table_sql(flavor_, offsets_table_, offsets_columns(), &sql));
    spdlog::info("jdbc sink: {}", sql);
    return conn_->execute(sql).with_context("creating the offsets table");
  }

  const RunContext* context_ = nullptr;
  InsertMode mode_ = InsertMode::kInsert;
  PkMode pk_mode_ = PkMode::kNone;
  std::vector<std::string> pk_fields_;
  std::unordered_set<std::string> whitelist_;
  bool auto_create_ = false, auto_evolve_ = false, delete_enabled_ = false;
  bool exactly_once_ = false;
  bool warned_tombstone_ = false;
  std::string table_format_, offsets_table_;
  size_t batch_size_ = 3000;
  jdbc::TimeZone zone_;
  jdbc::Flavor flavor_ = jdbc::Flavor::kPostgres;
  std::unique_ptr<Connection> conn_;
  std::map<std::string, TableState> tables_;
  std::map<std::string, Json> pending_offsets_;  // partition JSON text -> offset
  bool in_transaction_ = false;
  // When acknowledging: the transactions' sender, the one being built, and the records written.
  std::unique_ptr<TxnWriter> writer_;
  jdbc::TimeZone writer_zone_;
  TxnWriter::Txn txn_;
  uint64_t written_ = 0;
};

}  // namespace

ConfigSpec jdbc_sink_spec() {
  ConfigSpec spec{
      "jdbc",
      ComponentKind::kSink,
      "Rows into SQL tables: PostgreSQL, MySQL/MariaDB, SQLite (Confluent's JDBC sink), "
      "exactly-once with exactly.once",
      {
          {"insert.mode",
           FieldType::kString,
           "insert",
           false,
           "insert: INSERT (PostgreSQL: COPY); upsert: insert or replace by primary key; update: "
           "UPDATE rows by primary key",
           {"insert", "upsert", "update"}},
          {"pk.mode",
           FieldType::kString,
           "none",
           false,
           "Where the primary key comes from: none; kafka (__connect_topic, __connect_partition, "
           "__connect_offset); record_key; record_value",
           {"none", "kafka", "record_key", "record_value"}},
          {"pk.fields", FieldType::kList, "", false,
           "Key columns: record_key/record_value fields (default: all of the key's / value's "
           "fields), a primitive key's column name, or kafka's three column names"},
          {"fields.whitelist", FieldType::kList, "", false,
           "Value fields to write (default: all); key fields are always written"},
          {"auto.create", FieldType::kBool, "false", false,
           "CREATE TABLE from the record schema (primary key included) when the table is missing"},
          {"auto.evolve", FieldType::kBool, "false", false,
           "ALTER TABLE ADD COLUMN for new optional fields (or fields with a default)"},
          {"table.name.format", FieldType::kString, "${topic}", false,
           "Table name; ${topic} is replaced by the record's topic. \"schema.table\" allowed"},
          {"delete.enabled", FieldType::kBool, "false", false,
           "A record with a null value deletes the row of its key (needs pk.mode record_key); "
           "otherwise such records are skipped"},
          {"batch.size",
           FieldType::kInt,
           "3000",
           false,
           "Rows buffered per table before they are sent (one statement or COPY)",
           {},
           false,
           1,
           10000000},
          {"db.timezone", FieldType::kString, "UTC", false,
           "Zone of timestamps written to columns without time zone (DATETIME, timestamp)"},
          {"exactly.once", FieldType::kBool, "false", false,
           "Store the source offsets in the target database in the same transaction as the rows; "
           "a restart resumes from them (no duplicates, no losses)"},
          {"exactly.once.offsets.table", FieldType::kString, "kpipe_offsets", false,
           "Table of the offsets (pipeline, source_partition, source_offset); created if missing"},
      }};
  spec.fields.insert(spec.fields.begin(), jdbc::connection_fields().begin(),
                     jdbc::connection_fields().end());
  spec.check = JdbcSink::check;
  spec.connect.connector_class = "io.confluent.connect.jdbc.JdbcSinkConnector";
  spec.connect.ignored = {{"max.retries", "errors.retry.timeout covers it"},
                          {"retry.backoff.ms", "errors.retry.delay.max.ms covers it"},
                          {"dialect.name", "kpipe picks the dialect from connection.url"},
                          {"quote.sql.identifiers", "kpipe always quotes identifiers"},
                          {"table.types", "kpipe writes tables"},
                          {"timestamp.precision.mode", "kpipe keeps the record's precision"},
                          {"timestamp.fields.list", "kpipe keeps the record's precision"},
                          {"mssql.use.merge.holdlock", "kpipe has no SQL Server dialect"},
                          {"trim.sensitive.log", "kpipe never logs values"}};
  spec.connect.kpipe_only = {"exactly.once", "exactly.once.offsets.table"};
  return spec;
}

std::unique_ptr<Sink> make_jdbc_sink() {
  return std::make_unique<JdbcSink>();
}

}  // namespace kpipe
