// The SQL dialect interface of the jdbc connectors. One implementation per database
// (postgres.cc, mysql.cc, sqlite.cc); the source (jdbc_source.cc) builds its SQL from these
// pieces only, so modes and offsets behave the same on every database.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "config.h"
#include "connectors/jdbc/time_util.h"
#include "schema.h"
#include "status.h"
#include "value.h"

namespace kpipe::jdbc {

enum class NumericMapping { kNone, kBestFit, kBestFitEagerDouble, kPrecisionOnly };

// Everything a dialect needs to open a connection and map values.
struct ConnectOptions {
  std::string url;                  // jdbc:postgresql://..., postgresql://..., jdbc:mysql://...,
                                    // jdbc:mariadb://..., jdbc:sqlite:PATH
  std::optional<std::string> user;  // connection.user: overrides the URL's
  std::optional<std::string> password;  // connection.password: overrides the URL's; never printed
  TimeZone timezone;                    // db.timezone: how zone-less timestamps are read and bound
  NumericMapping numeric_mapping = NumericMapping::kNone;
  bool create_database = false;  // SQLite: create a missing database file (the sink does)
};

struct Column {
  std::string name;
  SchemaPtr schema;       // Connect schema: optional when nullable; logical types as value.h
  std::string type_name;  // the database's type name, lower case (for messages)
  bool nullable = true;
  bool zoneless = false;  // a timestamp without time zone (DATETIME, timestamp): db.timezone
};

// A value bound into a statement. Timestamps are bound as instants; the dialect writes them in
// the form the column compares correctly against (UTC for zoned, db.timezone for zone-less).
struct TimestampParam {
  int64_t epoch_nanos = 0;
  bool zoneless = false;
};
using Param = std::variant<std::monostate, int64_t, double, std::string, TimestampParam>;

// ---- The write side (the jdbc sink). ----

enum class WriteOp { kInsert, kUpsert, kUpdate, kDelete };

// One target column of a write: the record field's schema decides how a value renders; the
// target column's own facts decide zones and (PostgreSQL) casts.
struct WriteColumn {
  std::string name;
  SchemaPtr schema;
  bool key = false;      // primary key: upsert conflict target, update/delete WHERE
  bool zoneless = true;  // the column keeps wall-clock time (in db.timezone), not an instant
  std::string db_type;   // the column's type as the database names it; empty = unknown
};

// Rows for one table and one operation, in the memory form of value.h, one Value per column.
// For kDelete `columns` are the key columns only. Keys are unique within one batch for upsert,
// update and delete (the sink keeps the last record per key).
struct WriteBatch {
  WriteOp op = WriteOp::kInsert;
  std::string table;  // as configured ("t" or "schema.t"); the dialect quotes it
  std::vector<WriteColumn> columns;
  std::vector<std::vector<Value>> rows;
  // Set by Connection::render(): the rows as the dialect sends them (PostgreSQL COPY text, one
  // line per row); `rows` is then empty.
  std::string rendered;
};

// A forward-only result: rows arrive as the server sends them, never all in memory.
class RowStream {
 public:
  virtual ~RowStream() = default;
  virtual const std::vector<Column>& columns() const = 0;
  // Fills `row` (one Value per column, in memory form: value.h) and returns true, or returns
  // false at the end. Errors (a lost connection) come back as Status.
  virtual Status next(std::vector<Value>* row, bool* has_row) = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;
  // "postgresql", "mysql", "sqlite"
  virtual std::string dialect() const = 0;
  // The database (catalog) name, for offsets partitions "<db>.<table>".
  virtual std::string database() const = 0;
  // Quotes one identifier ("a""b" / `a``b`); never fails, the result is always safe to splice.
  virtual std::string quote(const std::string& identifier) const = 0;
  // A qualified table name "schema.table" (split at the first dot) or "table", quoted as one or
  // two identifiers.
  virtual std::string quote_table(const std::string& table) const {
    const size_t dot = table.find('.');
    if (dot == std::string::npos) return quote(table);
    return quote(table.substr(0, dot)) + "." + quote(table.substr(dot + 1));
  }

  // The SQL expression the source compares and orders timestamps by, for a column or COALESCE
  // expression. Its value is selected too and becomes the offset, so comparisons and offsets
  // always agree. SQLite, which stores timestamps as text, normalizes it; others use it as is.
  virtual std::string timestamp_expr(const std::string& expr) const { return expr; }

  // Tables of the current database/schema whose type is in `types` ("TABLE", "VIEW").
  virtual Status tables(const std::vector<std::string>& types, std::vector<std::string>* out) = 0;
  // Columns of a table, with nullability. A missing table is Status::Invalid naming it.
  virtual Status columns(const std::string& table, std::vector<Column>* out) = 0;
  // The primary key, else the columns of one unique index on NOT NULL columns, else empty.
  virtual Status unique_key(const std::string& table, std::vector<std::string>* out) = 0;
  // The database's own clock, as an instant.
  virtual Status now(int64_t* epoch_nanos) = 0;
  // Runs a SELECT whose '?' placeholders take `params` in order (bound, or escaped by the
  // driver; never spliced raw). The stream reads forward only with flat memory.
  virtual Status query(const std::string& sql, const std::vector<Param>& params,
                       std::unique_ptr<RowStream>* out) = 0;

  // ---- Write side. Statements run in the transaction begin() opened, else in autocommit.
  // A statement that returns no rows (DDL, INSERT, DELETE). Names that do not exist: Invalid.
  virtual Status execute(const std::string& sql) = 0;
  virtual Status begin() = 0;
  virtual Status commit() = 0;
  // Never fails: a lost connection has rolled back already.
  virtual void rollback() = 0;
  // Writes the batch the dialect's fastest way: PostgreSQL COPY (insert) or multi-row
  // statements, MySQL multi-row statements, SQLite one prepared statement reused per row.
  virtual Status write(const WriteBatch& batch, const TimeZone& zone) = 0;
  // May turn batch->rows into batch->rendered ahead of write(), so that one thread renders the
  // next batch while another writes this one: it must not use the connection.
  virtual Status render(WriteBatch* batch, const TimeZone& zone) const {
    (void)batch;
    (void)zone;
    return Status::Ok();
  }
};

// The connection keys the jdbc source and sink share: connection.url (secret: it may carry
// credentials), connection.user, connection.password, connection.attempts, connection.backoff.ms.
const std::vector<FieldSpec>& connection_fields();

// Invalid unless the URL names a database kpipe speaks (connect() checks it too).
Status check_url(const std::string& url);

// Opens a connection for the URL's dialect. Unreachable server or bad credentials:
// Status::Runtime whose message never contains the password.
Status connect(const ConnectOptions& options, std::unique_ptr<Connection>* out);

// connect(), retried `attempts` times `backoff_ms` apart on runtime failures (not on Invalid),
// giving up early when `stopping` returns true.
Status connect_with_retries(const ConnectOptions& options, int64_t attempts, int64_t backoff_ms,
                            const std::function<bool()>& stopping,
                            std::unique_ptr<Connection>* out);

// Dialect entry points used by connect().
Status connect_postgres(const ConnectOptions& options, std::unique_ptr<Connection>* out);
Status connect_mysql(const ConnectOptions& options, std::unique_ptr<Connection>* out);
Status connect_sqlite(const ConnectOptions& options, std::unique_ptr<Connection>* out);

// The Connect schema of a NUMERIC/DECIMAL(precision, scale) column under `mapping`
// (Confluent's rules: best_fit turns scale-0 numerics into INT8..INT64 by precision and
// scale>0 into FLOAT64 when precision <= 15; precision_only only the scale-0 ones;
// best_fit_eager_double every scale>0 into FLOAT64). precision <= 0 means unknown.
SchemaPtr numeric_schema(int precision, int scale, NumericMapping mapping, bool optional);
// Converts a decimal text ("-12.34") into the memory Value for `schema` (Decimal, int64 or
// double, per numeric_schema's choice).
Status numeric_value(const std::string& text, const Schema& schema, Value* out);

}  // namespace kpipe::jdbc
