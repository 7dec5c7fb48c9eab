// SQLite dialect: the embedded database, `jdbc:sqlite:PATH`. SQLite types are declared, not
// enforced, so a column's Connect type comes from its declared type (affinity rules), and each
// value is converted from whatever storage class the row holds. Timestamps are text (or unix
// seconds) in db.timezone.
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include "connectors/jdbc/sql.h"
#include "connectors/jdbc/write_sql.h"

namespace kpipe::jdbc {
namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool contains(const std::string& s, const char* part) {
  return s.find(part) != std::string::npos;
}

// Declared type -> Connect schema, after SQLite's affinity rules, refined by common names.
SchemaPtr schema_for(const std::string& declared, bool optional, NumericMapping mapping) {
  const std::string t = lower(declared);
  if (t == "boolean" || t == "bool") return Schema::primitive(Type::kBoolean, optional);
  if (t == "tinyint") return Schema::primitive(Type::kInt8, optional);
  if (t == "smallint") return Schema::primitive(Type::kInt16, optional);
  if (t == "date") return Schema::date(optional);
  if (t == "time") return Schema::time(optional);
  if (contains(t, "timestamp") || contains(t, "datetime")) return Schema::timestamp(optional);
  if (contains(t, "decimal") || contains(t, "numeric")) {
    int p = 0, s = 0;
    size_t open = t.find('(');
    if (open != std::string::npos) std::sscanf(t.c_str() + open, "(%d,%d)", &p, &s);
    return numeric_schema(p, s, mapping, optional);
  }
  if (contains(t, "int")) return Schema::primitive(Type::kInt64, optional);
  if (contains(t, "char") || contains(t, "clob") || contains(t, "text"))
    return Schema::primitive(Type::kString, optional);
  if (contains(t, "blob") || t.empty())
    return Schema::primitive(t.empty() ? Type::kString : Type::kBytes, optional);
  if (contains(t, "real") || contains(t, "floa") || contains(t, "doub"))
    return Schema::primitive(Type::kFloat64, optional);
  return Schema::primitive(Type::kString, optional);
}

class SqliteStream : public RowStream {
 public:
  SqliteStream(StmtPtr stmt, std::vector<Column> columns, TimeZone zone)
      : stmt_(std::move(stmt)), columns_(std::move(columns)), zone_(std::move(zone)) {}

  const std::vector<Column>& columns() const override { return columns_; }

  Status next(std::vector<Value>* row, bool* has_row) override {
    int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_DONE) {
      *has_row = false;
      return Status::Ok();
    }
    if (rc != SQLITE_ROW)
      return Status::Runtime(std::string("sqlite: ") +
                             sqlite3_errmsg(sqlite3_db_handle(stmt_.get())));
    *has_row = true;
    row->resize(columns_.size());
    for (size_t i = 0; i < columns_.size(); ++i)
      KPIPE_RETURN_IF_ERROR(read(static_cast<int>(i), &(*row)[i]));
    return Status::Ok();
  }

 private:
  Status read(int i, Value* out) {
    sqlite3_stmt* s = stmt_.get();
    const int storage = sqlite3_column_type(s, i);
    if (storage == SQLITE_NULL) {
      *out = Value();
      return Status::Ok();
    }
    const Schema& schema = *columns_[static_cast<size_t>(i)].schema;
    auto text = [&] {
      const char* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
      return std::string(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(s, i)));
    };
    auto bad = [&](const std::string& what) {
      return Status::Runtime("column '" + columns_[static_cast<size_t>(i)].name + "': " + what);
    };
    switch (schema.logical()) {
      case Logical::kTimestamp: {
        if (storage == SQLITE_INTEGER) {  // unix seconds, as SQLite's 'unixepoch'
          *out = Value(static_cast<int64_t>(sqlite3_column_int64(s, i)) * 1000000000);
          return Status::Ok();
        }
        int64_t ns;
        if (!parse_timestamp(text(), zone_, &ns)) return bad("not a timestamp: '" + text() + "'");
        *out = Value(ns);
        return Status::Ok();
      }
      case Logical::kDate: {
        int64_t days;
        if (!parse_date(text(), &days)) return bad("not a date: '" + text() + "'");
        *out = Value(days);
        return Status::Ok();
      }
      case Logical::kTime: {
        int64_t ns;
        if (!parse_time(text(), &ns)) return bad("not a time: '" + text() + "'");
        *out = Value(ns);
        return Status::Ok();
      }
      case Logical::kDecimal: {
        Status st = numeric_value(text(), schema, out);
        return st.ok() ? st : bad(st.message());
      }
      case Logical::kNone:
        break;
    }
    switch (schema.type) {
      case Type::kBoolean:
        *out = Value(sqlite3_column_int64(s, i) != 0);
        break;
      case Type::kInt8:
      case Type::kInt16:
      case Type::kInt32:
      case Type::kInt64:
        if (storage != SQLITE_INTEGER) return bad("not an integer: '" + text() + "'");
        *out = Value(static_cast<int64_t>(sqlite3_column_int64(s, i)));
        break;
      case Type::kFloat32:
      case Type::kFloat64:
        *out = Value(sqlite3_column_double(s, i));
        break;
      case Type::kBytes: {
        const char* p = static_cast<const char*>(sqlite3_column_blob(s, i));
        *out =
            Value(Bytes{std::string(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(s, i)))});
        break;
      }
      default:
        if (schema.type == Type::kInt64 && storage == SQLITE_INTEGER) {
          *out = Value(static_cast<int64_t>(sqlite3_column_int64(s, i)));
        } else {
          *out = Value(text());
        }
    }
    return Status::Ok();
  }

  StmtPtr stmt_;
  std::vector<Column> columns_;
  TimeZone zone_;
};

class SqliteConnection : public Connection {
 public:
  SqliteConnection(DbPtr db, ConnectOptions options)
      : db_(std::move(db)), options_(std::move(options)) {}

  std::string dialect() const override { return "sqlite"; }
  std::string database() const override { return "main"; }
  std::string quote(const std::string& id) const override {
    std::string out = "\"";
    for (char c : id) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
  }
  std::string quote_table(const std::string& table) const override { return quote(table); }
  // Text timestamps compare as text: normalize every form to one (millisecond) form first.
  std::string timestamp_expr(const std::string& expr) const override {
    return "strftime('%Y-%m-%d %H:%M:%f', " + expr + ")";
  }

  Status tables(const std::vector<std::string>& types, std::vector<std::string>* out) override {
    std::string kinds;
    for (const auto& t : types) {
      std::string k = lower(t);
      if (k != "table" && k != "view")
        return Status::Invalid("table.types: '" + t + "' is not TABLE or VIEW");
      kinds += (kinds.empty() ? "'" : ",'") + k + "'";
    }
    StmtPtr stmt;
    KPIPE_RETURN_IF_ERROR(prepare("SELECT name FROM sqlite_master WHERE type IN (" + kinds +
                                      ") AND name NOT LIKE 'sqlite_%' ORDER BY name",
                                  &stmt));
    while (sqlite3_step(stmt.get()) == SQLITE_ROW)
      out->emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0)));
    return Status::Ok();
  }

  Status columns(const std::string& table, std::vector<Column>* out) override {
    StmtPtr stmt;
    KPIPE_RETURN_IF_ERROR(
        prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)", &stmt));
    sqlite3_bind_text(stmt.get(), 1, table.c_str(), static_cast<int>(table.size()),
                      SQLITE_TRANSIENT);
    out->clear();
    while (sqlite3_step(stmt.get()) == SQLITE_ROW) {
      Column c;
      c.name = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
      const unsigned char* type = sqlite3_column_text(stmt.get(), 1);
      c.type_name = lower(type ? reinterpret_cast<const char*>(type) : "");
      c.nullable = sqlite3_column_int(stmt.get(), 2) == 0 && sqlite3_column_int(stmt.get(), 3) == 0;
      c.schema = schema_for(c.type_name, c.nullable, options_.numeric_mapping);
      c.zoneless = c.schema->logical() == Logical::kTimestamp;
      out->push_back(std::move(c));
    }
    if (out->empty())
      return Status::Invalid("table '" + table + "' does not exist in " + path_hint());
    return Status::Ok();
  }

  Status unique_key(const std::string& table, std::vector<std::string>* out) override {
    StmtPtr stmt;
    KPIPE_RETURN_IF_ERROR(
        prepare("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", &stmt));
    sqlite3_bind_text(stmt.get(), 1, table.c_str(), static_cast<int>(table.size()),
                      SQLITE_TRANSIENT);
    out->clear();
    while (sqlite3_step(stmt.get()) == SQLITE_ROW)
      out->emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0)));
    if (!out->empty()) return Status::Ok();
    // Else the unique index with the fewest columns, all NOT NULL.
    KPIPE_RETURN_IF_ERROR(
        prepare("SELECT il.name, group_concat(ii.name, char(31)), count(*), min(ti.\"notnull\") "
                "FROM pragma_index_list(?1) il, pragma_index_info(il.name) ii "
                "JOIN pragma_table_info(?1) ti ON ti.name = ii.name "
                "WHERE il.\"unique\" = 1 GROUP BY il.name HAVING min(ti.\"notnull\") = 1 "
                "ORDER BY count(*), il.name LIMIT 1",
                &stmt));
    sqlite3_bind_text(stmt.get(), 1, table.c_str(), static_cast<int>(table.size()),
                      SQLITE_TRANSIENT);
    if (sqlite3_step(stmt.get()) == SQLITE_ROW) {
      std::string names = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 1));
      size_t start = 0;
      for (size_t pos; (pos = names.find('\x1f', start)) != std::string::npos; start = pos + 1)
        out->push_back(names.substr(start, pos - start));
      out->push_back(names.substr(start));
    }
    return Status::Ok();
  }

  Status now(int64_t* epoch_nanos) override {
    StmtPtr stmt;
    KPIPE_RETURN_IF_ERROR(prepare("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')", &stmt));
    if (sqlite3_step(stmt.get()) != SQLITE_ROW) return error("reading the clock");
    std::string text = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
    if (!parse_timestamp(text, TimeZone(), epoch_nanos))
      return Status::Runtime("sqlite: cannot parse its clock '" + text + "'");
    // Compared against wall-clock text in db.timezone, like every SQLite timestamp.
    return Status::Ok();
  }

  Status query(const std::string& sql, const std::vector<Param>& params,
               std::unique_ptr<RowStream>* out) override {
    StmtPtr stmt;
    KPIPE_RETURN_IF_ERROR(prepare(sql, &stmt));
    for (size_t i = 0; i < params.size(); ++i) {
      const int n = static_cast<int>(i) + 1;
      const Param& p = params[i];
      int rc = SQLITE_OK;
      if (std::holds_alternative<std::monostate>(p)) {
        rc = sqlite3_bind_null(stmt.get(), n);
      } else if (auto* v = std::get_if<int64_t>(&p)) {
        rc = sqlite3_bind_int64(stmt.get(), n, *v);
      } else if (auto* d = std::get_if<double>(&p)) {
        rc = sqlite3_bind_double(stmt.get(), n, *d);
      } else if (auto* s = std::get_if<std::string>(&p)) {
        rc = sqlite3_bind_text(stmt.get(), n, s->data(), static_cast<int>(s->size()),
                               SQLITE_TRANSIENT);
      } else {
        // The same millisecond text form timestamp_expr() produces.
        std::string text =
            format_timestamp(std::get<TimestampParam>(p).epoch_nanos, options_.timezone, 3);
        rc = sqlite3_bind_text(stmt.get(), n, text.data(), static_cast<int>(text.size()),
                               SQLITE_TRANSIENT);
      }
      if (rc != SQLITE_OK) return error("binding parameter " + std::to_string(n));
    }
    std::vector<Column> columns;
    const int count = sqlite3_column_count(stmt.get());
    for (int i = 0; i < count; ++i) {
      Column c;
      c.name = sqlite3_column_name(stmt.get(), i);
      const char* declared = sqlite3_column_decltype(stmt.get(), i);
      c.type_name = lower(declared ? declared : "");
      c.schema = schema_for(c.type_name, true, options_.numeric_mapping);
      c.zoneless = c.schema->logical() == Logical::kTimestamp;
      columns.push_back(std::move(c));
    }
    *out = std::make_unique<SqliteStream>(std::move(stmt), std::move(columns), options_.timezone);
    return Status::Ok();
  }

  // ---- Write side: one prepared statement per SQL text, reused row after row.
  Status execute(const std::string& sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db_.get());
      sqlite3_free(err);
      if (msg.find("no such table") == 0 || msg.find("no such column") == 0)
        return Status::Invalid("sqlite: " + msg);
      return Status::Runtime("sqlite: " + msg);
    }
    return Status::Ok();
  }
  Status begin() override { return execute("BEGIN"); }
  Status commit() override { return execute("COMMIT"); }
  void rollback() override {
    if (!sqlite3_get_autocommit(db_.get()))
      sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }

  Status write(const WriteBatch& batch, const TimeZone& zone) override {
    const std::string sql = prepared_sql(Flavor::kSqlite, batch);
    if (sql.empty()) return Status::Ok();
    auto it = prepared_.find(sql);
    if (it == prepared_.end()) {
      StmtPtr stmt;
      KPIPE_RETURN_IF_ERROR(prepare(sql, &stmt));
      if (prepared_.size() > 64) prepared_.clear();
      it = prepared_.emplace(sql, std::move(stmt)).first;
    }
    sqlite3_stmt* stmt = it->second.get();
    const std::vector<size_t> order = bind_order(batch);
    std::string text;
    for (const auto& row : batch.rows) {
      sqlite3_reset(stmt);
      for (size_t i = 0; i < order.size(); ++i) {
        const WriteColumn& c = batch.columns[order[i]];
        const Value& v = row[order[i]];
        const int n = static_cast<int>(i) + 1;
        int rc;
        if (v.is_null()) {
          rc = sqlite3_bind_null(stmt, n);
        } else if (v.is<bool>()) {
          rc = sqlite3_bind_int64(stmt, n, v.as<bool>() ? 1 : 0);
        } else if (v.is<int64_t>() && c.schema->logical() == Logical::kNone) {
          rc = sqlite3_bind_int64(stmt, n, v.as<int64_t>());
        } else if (v.is<double>()) {
          rc = sqlite3_bind_double(stmt, n, v.as<double>());
        } else if (v.is<Bytes>()) {
          const std::string& b = v.as<Bytes>().data;
          rc = sqlite3_bind_blob(stmt, n, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT);
        } else {
          Status st = value_text(Flavor::kSqlite, v, *c.schema, c.zoneless, zone, &text);
          if (!st.ok()) return st.with_context("column '" + c.name + "'");
          rc = sqlite3_bind_text(stmt, n, text.data(), static_cast<int>(text.size()),
                                 SQLITE_TRANSIENT);
        }
        if (rc != SQLITE_OK) return error("binding column '" + c.name + "'");
      }
      if (sqlite3_step(stmt) != SQLITE_DONE) {
        Status st = error("writing to table '" + batch.table + "'");
        sqlite3_reset(stmt);
        return st;
      }
    }
    sqlite3_reset(stmt);
    return Status::Ok();
  }

 private:
  Status prepare(const std::string& sql, StmtPtr* out) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_.get(), sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr) !=
        SQLITE_OK) {
      std::string msg = sqlite3_errmsg(db_.get());
      // A missing table or column is the user's configuration, not a runtime failure.
      if (msg.find("no such table") == 0 || msg.find("no such column") == 0)
        return Status::Invalid("sqlite: " + msg);
      return Status::Runtime("sqlite: " + msg);
    }
    out->reset(raw);
    return Status::Ok();
  }
  Status error(const std::string& what) const {
    return Status::Runtime("sqlite: " + what + ": " + sqlite3_errmsg(db_.get()));
  }
  std::string path_hint() const {
    return "the SQLite database " + options_.url.substr(options_.url.find(':') + 1);
  }

  DbPtr db_;
  ConnectOptions options_;
  std::unordered_map<std::string, StmtPtr> prepared_;  // after db_: finalized before it closes
};

}  // namespace

Status connect_sqlite(const ConnectOptions& options, std::unique_ptr<Connection>* out) {
  std::string path = options.url;
  for (const char* prefix : {"jdbc:sqlite:", "sqlite:"})
    if (path.rfind(prefix, 0) == 0) path = path.substr(std::string(prefix).size());
  if (path.rfind("//", 0) == 0) path = path.substr(2);
  sqlite3* raw = nullptr;
  // Never create a database the user misspelled.
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | (options.create_database ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK)
    return Status::Runtime("cannot open the SQLite database '" + path +
                           "': " + (raw ? sqlite3_errmsg(raw) : "out of memory"));
  sqlite3_busy_timeout(db.get(), 10000);
  *out = std::make_unique<SqliteConnection>(std::move(db), options);
  return Status::Ok();
}

}  // namespace kpipe::jdbc
