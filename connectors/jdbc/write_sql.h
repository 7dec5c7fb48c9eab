// SQL text of the jdbc sink, per dialect, as pure functions (tested in
// tests/unit/test_jdbc_sql.cc): column types for CREATE TABLE / ADD COLUMN, value literals, and the
// multi-row statements.
//
// Type decisions (Kafka Connect's JDBC sink where it has one):
//   int8 -> SMALLINT (PostgreSQL has no 1-byte integer) / TINYINT; int16 SMALLINT; int32 INTEGER;
//   int64 BIGINT; float32 REAL / FLOAT; float64 DOUBLE PRECISION / DOUBLE; boolean BOOLEAN /
//   TINYINT(1) (MySQL's BOOLEAN) / BOOLEAN; string TEXT / LONGTEXT (VARCHAR(256) in a MySQL key,
//   where TEXT cannot be indexed) / TEXT; bytes BYTEA / LONGBLOB (VARBINARY(256) in a key) / BLOB;
//   Decimal NUMERIC(p,s) / DECIMAL(p,s) / DECIMAL(p,s), p from connect.decimal.precision, else
//   38 / 65 / 38; Date DATE; Time TIME(6) / TIME(6) / TIME; Timestamp TIMESTAMP(6) (without time
//   zone, as Connect: wall-clock in db.timezone) / DATETIME(6) / TIMESTAMP (text
//   'YYYY-MM-DD HH:MM:SS.ffffff').
#pragma once

#include <string>
#include <vector>

#include "connectors/jdbc/sql.h"

namespace kpipe::jdbc {

enum class Flavor { kPostgres, kMySql, kSqlite };

std::string quote_name(Flavor flavor, const std::string& name);
// "schema.table" as two quoted names, "table" as one.
std::string quote_table_name(Flavor flavor, const std::string& table);

// The column type for a field, or "" when the type has no column (array, map, struct).
std::string column_type(Flavor flavor, const Schema& schema, bool key);

// CREATE TABLE with every column (NOT NULL when required or part of the key) and the key.
// Invalid naming the field when a field's type has no column type.
Status create_table_sql(Flavor flavor, const std::string& table,
                        const std::vector<WriteColumn>& columns, std::string* out);
// ALTER TABLE ... ADD COLUMN for a field that is optional or has a default; Invalid naming the
// field otherwise (a required column cannot be added to a table that has rows).
Status add_column_sql(Flavor flavor, const std::string& table, const WriteColumn& column,
                      const TimeZone& zone, std::string* out);

// Appends `value` (memory form, value.h) as a SQL literal for `schema`. Errors name nothing: the
// caller adds the column. Strings: PostgreSQL and SQLite double the quote (PostgreSQL runs with
// standard_conforming_strings on), MySQL also escapes backslashes (the sink's session runs
// without NO_BACKSLASH_ESCAPES).
Status append_literal(Flavor flavor, const Value& value, const Schema& schema, bool zoneless,
                      const TimeZone& zone, std::string* out);

// The text form PostgreSQL's COPY ... FROM STDIN (text format) reads for a value, escaped for COPY
// ("\N" for null).
Status append_copy_text(const Value& value, const Schema& schema, bool zoneless,
                        const TimeZone& zone, std::string* out);

// The value as plain text without quotes ("12.30", "2020-01-02 03:04:05.000006", "t"), as
// SQLite stores text; false when the value is null. Bytes are returned raw.
Status value_text(Flavor flavor, const Value& value, const Schema& schema, bool zoneless,
                  const TimeZone& zone, std::string* out);

// Multi-row statements for `batch.rows[begin, end)` (PostgreSQL, MySQL):
//   insert  INSERT INTO t (c..) VALUES (..),(..)
//   upsert  ... ON CONFLICT (k..) DO UPDATE SET c=EXCLUDED.c / ON DUPLICATE KEY UPDATE c=VALUES(c)
//   update  PostgreSQL UPDATE t SET c=v.c FROM (VALUES ..) v(..) WHERE t.k=v.k;
//           MySQL UPDATE t JOIN (SELECT .. UNION ALL SELECT ..) v ON t.k=v.k SET t.c=v.c
//   delete  DELETE FROM t WHERE (k..) IN ((..),(..))
// Rows are added until the statement passes `max_bytes`; *next is where the next one starts.
Status multi_row_sql(Flavor flavor, const WriteBatch& batch, const TimeZone& zone, size_t begin,
                     size_t max_bytes, std::string* out, size_t* next);

// One-row statement with '?' placeholders (SQLite's prepared statements), columns in batch order
// except update (non-key columns, then key columns) — see bind_order().
std::string prepared_sql(Flavor flavor, const WriteBatch& batch);
// Column indices in the order prepared_sql() binds them.
std::vector<size_t> bind_order(const WriteBatch& batch);

}  // namespace kpipe::jdbc
