#include "connectors/jdbc/write_sql.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "swar.h"

namespace kpipe::jdbc {

namespace {

constexpr int64_t kNanosPerSecond = 1000000000;
constexpr int64_t kNanosPerDay = 86400 * kNanosPerSecond;

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

enum class Cell { kNull, kNumber, kText, kBytes, kBool };

const char* kind_of(const Value& v) {
  return v.kind_name();
}

Status mismatch(const Value& v, const Schema& s) {
  std::string type = s.name ? *s.name : type_name(s.type);
  return Status::Runtime(std::string("a ") + kind_of(v) + " value for a field of type " + type);
}

std::string date_text(int64_t days) {
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

std::string time_text(int64_t nanos) {
  nanos = nanos - floor_div(nanos, kNanosPerDay) * kNanosPerDay;
  const int64_t secs = nanos / kNanosPerSecond;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld.%06lld", static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60),
                static_cast<long long>(nanos % kNanosPerSecond / 1000));
  return buf;
}

std::string double_text(double d, bool float32) {
  char buf[64];
  auto r = float32 ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(d))
                   : std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

// The value's text and how it is written in SQL.
Status render(Flavor flavor, const Value& v, const Schema& s, bool zoneless, const TimeZone& zone,
              Cell* cell, std::string* text) {
  if (v.is_null()) {
    *cell = Cell::kNull;
    return Status::Ok();
  }
  switch (s.logical()) {
    case Logical::kDecimal:
      *cell = Cell::kNumber;
      if (v.is<Decimal>()) {
        *text = v.as<Decimal>().to_string();
      } else if (v.is<int64_t>()) {
        *text = std::to_string(v.as<int64_t>());
      } else if (v.is<std::string>()) {  // a decimal that arrived as text (csv, schemaless json)
        Decimal d;
        if (!Decimal::parse(v.as<std::string>(), &d))
          return Status::Runtime("'" + v.as<std::string>() + "' is not a decimal number");
        *text = d.to_string();
      } else {
        return mismatch(v, s);
      }
      return Status::Ok();
    case Logical::kDate:
      if (!v.is<int64_t>()) return mismatch(v, s);
      *cell = Cell::kText;
      *text = date_text(v.as<int64_t>());
      return Status::Ok();
    case Logical::kTime:
      if (!v.is<int64_t>()) return mismatch(v, s);
      *cell = Cell::kText;
      *text = time_text(v.as<int64_t>());
      return Status::Ok();
    case Logical::kTimestamp:
      if (!v.is<int64_t>()) return mismatch(v, s);
      *cell = Cell::kText;
      *text = format_timestamp(v.as<int64_t>(), zoneless ? zone : TimeZone(), 6);
      // A PostgreSQL timestamptz reads a zone-less text in the session's zone (UTC): be explicit.
      if (!zoneless && flavor == Flavor::kPostgres) *text += "+00";
      return Status::Ok();
    case Logical::kNone:
      break;
  }
  switch (s.type) {
    case Type::kBoolean:
      if (!v.is<bool>()) return mismatch(v, s);
      *cell = Cell::kBool;
      *text = v.as<bool>() ? "1" : "0";
      return Status::Ok();
    case Type::kInt8:
    case Type::kInt16:
    case Type::kInt32:
    case Type::kInt64:
      if (!v.is<int64_t>()) return mismatch(v, s);
      *cell = Cell::kNumber;
      *text = std::to_string(v.as<int64_t>());
      return Status::Ok();
    case Type::kFloat32:
    case Type::kFloat64: {
      double d;
      if (v.is<double>()) {
        d = v.as<double>();
      } else if (v.is<int64_t>()) {
        d = static_cast<double>(v.as<int64_t>());
      } else {
        return mismatch(v, s);
      }
      if (std::isfinite(d)) {
        *cell = Cell::kNumber;
        *text = double_text(d, s.type == Type::kFloat32);
        return Status::Ok();
      }
      if (flavor != Flavor::kPostgres)
        return Status::Runtime("the database cannot store the floating-point value " +
                               std::string(std::isnan(d) ? "NaN" : "infinity"));
      *cell = Cell::kText;
      *text = std::isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
      return Status::Ok();
    }
    case Type::kString:
      if (!v.is<std::string>()) return mismatch(v, s);
      *cell = Cell::kText;
      *text = v.as<std::string>();
      return Status::Ok();
    case Type::kBytes:
      if (!v.is<Bytes>()) return mismatch(v, s);
      *cell = Cell::kBytes;
      *text = v.as<Bytes>().data;
      return Status::Ok();
    default:
      return Status::Runtime(std::string("a field of type ") + type_name(s.type) +
                             " has no column type");
  }
}

void append_hex(const std::string& bytes, std::string* out) {
  static const char* kDigits = "0123456789abcdef";
  for (unsigned char c : bytes) {
    out->push_back(kDigits[c >> 4]);
    out->push_back(kDigits[c & 0xf]);
  }
}

Status append_quoted(Flavor flavor, const std::string& text, std::string* out) {
  out->push_back('\'');
  if (flavor == Flavor::kMySql) {
    for (char c : text) {
      switch (c) {
        case '\0':
          out->append("\\0");
          break;
        case '\'':
          out->append("\\'");
          break;
        case '\\':
          out->append("\\\\");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\x1a':
          out->append("\\Z");
          break;
        default:
          out->push_back(c);
      }
    }
  } else {
    for (char c : text) {
      if (c == '\0') return Status::Runtime("a text value contains a NUL byte");
      if (c == '\'') out->push_back('\'');
      out->push_back(c);
    }
  }
  out->push_back('\'');
  return Status::Ok();
}

std::string join_names(Flavor flavor, const std::vector<WriteColumn>& columns,
                       const std::vector<size_t>& which, const std::string& prefix = "") {
  std::string out;
  for (size_t i = 0; i < which.size(); ++i) {
    if (i) out += ", ";
    out += prefix + quote_name(flavor, columns[which[i]].name);
  }
  return out;
}

std::vector<size_t> all_columns(const WriteBatch& batch) {
  std::vector<size_t> out;
  for (size_t i = 0; i < batch.columns.size(); ++i) out.push_back(i);
  return out;
}

std::vector<size_t> key_columns(const WriteBatch& batch, bool key) {
  std::vector<size_t> out;
  for (size_t i = 0; i < batch.columns.size(); ++i)
    if (batch.columns[i].key == key) out.push_back(i);
  return out;
}

Status append_row(Flavor flavor, const WriteBatch& batch, const std::vector<Value>& row,
                  const std::vector<size_t>& which, const TimeZone& zone, bool cast,
                  const std::string& mysql_alias, std::string* out) {
  out->push_back(mysql_alias.empty() ? '(' : ' ');
  for (size_t i = 0; i < which.size(); ++i) {
    if (i) out->append(", ");
    const WriteColumn& c = batch.columns[which[i]];
    Status st = append_literal(flavor, row[which[i]], *c.schema, c.zoneless, zone, out);
    if (!st.ok()) return st.with_context("column '" + c.name + "'");
    if (cast && !c.db_type.empty()) *out += "::" + c.db_type;
    if (!mysql_alias.empty()) *out += " AS " + quote_name(flavor, c.name);
  }
  if (mysql_alias.empty()) out->push_back(')');
  return Status::Ok();
}

}  // namespace

std::string quote_name(Flavor flavor, const std::string& name) {
  const char q = flavor == Flavor::kMySql ? '`' : '"';
  std::string out(1, q);
  for (char c : name) {
    if (c == '\0') continue;
    if (c == q) out.push_back(q);
    out.push_back(c);
  }
  out.push_back(q);
  return out;
}

std::string quote_table_name(Flavor flavor, const std::string& table) {
  const size_t dot = table.find('.');
  if (dot == std::string::npos || flavor == Flavor::kSqlite) return quote_name(flavor, table);
  return quote_name(flavor, table.substr(0, dot)) + "." + quote_name(flavor, table.substr(dot + 1));
}

std::string column_type(Flavor flavor, const Schema& s, bool key) {
  const bool pg = flavor == Flavor::kPostgres, my = flavor == Flavor::kMySql;
  switch (s.logical()) {
    case Logical::kDecimal: {
      const int32_t scale = std::max<int32_t>(0, s.decimal_scale());
      int32_t precision = pg ? 38 : my ? 65 : 38;
      for (const auto& [k, v] : s.parameters)
        if (k == "connect.decimal.precision") precision = std::atoi(v.c_str());
      if (precision < scale) precision = scale;
      if (precision < 1) precision = 1;
      return std::string(pg ? "NUMERIC(" : "DECIMAL(") + std::to_string(precision) + "," +
             std::to_string(scale) + ")";
    }
    case Logical::kDate:
      return "DATE";
    case Logical::kTime:
      return flavor == Flavor::kSqlite ? "TIME" : "TIME(6)";
    case Logical::kTimestamp:
      return pg ? "TIMESTAMP(6)" : my ? "DATETIME(6)" : "TIMESTAMP";
    case Logical::kNone:
      break;
  }
  switch (s.type) {
    case Type::kInt8:
      return pg ? "SMALLINT" : "TINYINT";
    case Type::kInt16:
      return "SMALLINT";
    case Type::kInt32:
      return "INTEGER";
    case Type::kInt64:
      return "BIGINT";
    case Type::kFloat32:
      return my ? "FLOAT" : "REAL";
    case Type::kFloat64:
      return pg ? "DOUBLE PRECISION" : "DOUBLE";
    case Type::kBoolean:
      return my ? "TINYINT(1)" : "BOOLEAN";
    case Type::kString:
      return my ? (key ? "VARCHAR(256)" : "LONGTEXT") : "TEXT";
    case Type::kBytes:
      return pg ? "BYTEA" : my ? (key ? "VARBINARY(256)" : "LONGBLOB") : "BLOB";
    default:
      return "";
  }
}

Status create_table_sql(Flavor flavor, const std::string& table,
                        const std::vector<WriteColumn>& columns, std::string* out) {
  std::string sql = "CREATE TABLE " + quote_table_name(flavor, table) + " (";
  std::vector<std::string> keys;
  for (size_t i = 0; i < columns.size(); ++i) {
    const WriteColumn& c = columns[i];
    const std::string type = column_type(flavor, *c.schema, c.key);
    if (type.empty())
      return Status::Invalid("field '" + c.name + "' has type " + type_name(c.schema->type) +
                             ", which has no column type (flatten it first)");
    sql += (i ? ", " : "") + quote_name(flavor, c.name) + " " + type;
    if (c.key || !c.schema->optional) sql += " NOT NULL";
    if (c.key) keys.push_back(quote_name(flavor, c.name));
  }
  if (!keys.empty()) {
    sql += ", PRIMARY KEY (";
    for (size_t i = 0; i < keys.size(); ++i) sql += (i ? ", " : "") + keys[i];
    sql += ")";
  }
  *out = sql + ")";
  return Status::Ok();
}

Status add_column_sql(Flavor flavor, const std::string& table, const WriteColumn& column,
                      const TimeZone& zone, std::string* out) {
  const Schema& s = *column.schema;
  const std::string type = column_type(flavor, s, false);
  if (type.empty())
    return Status::Invalid("cannot add field '" + column.name + "' to table '" + table +
                           "': type " + type_name(s.type) + " has no column type");
  const bool has_default = s.default_value && !s.default_value->is_null();
  if (!s.optional && !has_default)
    return Status::Invalid("cannot add field '" + column.name + "' to table '" + table +
                           "': it is required and has no default value, so existing rows would "
                           "have no value for it (make it optional or give it a default)");
  std::string sql = "ALTER TABLE " + quote_table_name(flavor, table) + " ADD COLUMN " +
                    quote_name(flavor, column.name) + " " + type;
  if (has_default) {
    sql += " DEFAULT ";
    Status st = append_literal(flavor, *s.default_value, s, true, zone, &sql);
    if (!st.ok()) return Status::Invalid("field '" + column.name + "' default: " + st.message());
  }
  if (!s.optional) sql += " NOT NULL";
  *out = sql;
  return Status::Ok();
}

Status append_literal(Flavor flavor, const Value& value, const Schema& schema, bool zoneless,
                      const TimeZone& zone, std::string* out) {
  Cell cell;
  std::string text;
  KPIPE_RETURN_IF_ERROR(render(flavor, value, schema, zoneless, zone, &cell, &text));
  switch (cell) {
    case Cell::kNull:
      out->append("NULL");
      return Status::Ok();
    case Cell::kNumber:
      out->append(text);
      return Status::Ok();
    case Cell::kBool:
      if (flavor == Flavor::kPostgres) {
        out->append(text == "1" ? "TRUE" : "FALSE");
      } else {
        out->append(text);
      }
      return Status::Ok();
    case Cell::kText:
      return append_quoted(flavor, text, out);
    case Cell::kBytes:
      if (flavor == Flavor::kPostgres) {
        out->append("'\\x");
        append_hex(text, out);
        out->append("'::bytea");
      } else {
        out->append("X'");
        append_hex(text, out);
        out->push_back('\'');
      }
      return Status::Ok();
  }
  return Status::Ok();
}

namespace {

// COPY text escaping: runs of ordinary characters are appended whole; only these four are escaped.
Status append_copy_escaped(std::string_view text, std::string* out) {
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    // Eight bytes at a time while none is below 0x20 or a backslash.
    while (i + 8 <= text.size()) {
      const uint64_t v = swar::load(text.data() + i);
      if (swar::below(v, 0x20) | swar::equal(v, '\\')) break;
      i += 8;
    }
    if (i >= text.size()) break;
    const char* escaped;
    switch (text[i]) {
      case '\0':
        return Status::Runtime("a text value contains a NUL byte");
      case '\\':
        escaped = "\\\\";
        break;
      case '\n':
        escaped = "\\n";
        break;
      case '\r':
        escaped = "\\r";
        break;
      case '\t':
        escaped = "\\t";
        break;
      default:
        continue;
    }
    out->append(text.data() + start, i - start);
    out->append(escaped);
    start = i + 1;
  }
  out->append(text.data() + start, text.size() - start);
  return Status::Ok();
}

}  // namespace

Status append_copy_text(const Value& value, const Schema& schema, bool zoneless,
                        const TimeZone& zone, std::string* out) {
  if (value.is_null()) {
    out->append("\\N");
    return Status::Ok();
  }
  // Plain strings and integers (no logical type: those are named) straight into `out`.
  if (!schema.name) {
    if (schema.type == Type::kString && value.is<std::string>())
      return append_copy_escaped(value.as<std::string>(), out);
    if ((schema.type == Type::kInt64 || schema.type == Type::kInt32 ||
         schema.type == Type::kInt16 || schema.type == Type::kInt8) &&
        value.is<int64_t>()) {
      char buf[24];
      const auto r = std::to_chars(buf, buf + sizeof buf, value.as<int64_t>());
      out->append(buf, r.ptr);
      return Status::Ok();
    }
  }
  Cell cell;
  thread_local std::string text;  // reused: one value per call, millions of calls
  text.clear();
  KPIPE_RETURN_IF_ERROR(render(Flavor::kPostgres, value, schema, zoneless, zone, &cell, &text));
  switch (cell) {
    case Cell::kNull:
      out->append("\\N");
      break;
    case Cell::kBool:
      out->push_back(text == "1" ? 't' : 'f');
      break;
    case Cell::kBytes:
      out->append("\\\\x");
      append_hex(text, out);
      break;
    case Cell::kNumber:
    case Cell::kText:
      return append_copy_escaped(text, out);
  }
  return Status::Ok();
}

Status value_text(Flavor flavor, const Value& value, const Schema& schema, bool zoneless,
                  const TimeZone& zone, std::string* out) {
  Cell cell;
  return render(flavor, value, schema, zoneless, zone, &cell, out);
}

Status multi_row_sql(Flavor flavor, const WriteBatch& batch, const TimeZone& zone, size_t begin,
                     size_t max_bytes, std::string* out, size_t* next) {
  out->clear();
  *next = batch.rows.size();
  const std::string table = quote_table_name(flavor, batch.table);
  const std::vector<size_t> all = all_columns(batch);
  const std::vector<size_t> keys = key_columns(batch, true);
  const std::vector<size_t> values = key_columns(batch, false);
  const bool pg = flavor == Flavor::kPostgres;
  std::string head, tail;
  bool cast_first = false;
  std::string row_alias;  // MySQL update: rows are "SELECT a AS x, ..."
  std::string separator = ",";
  const std::vector<size_t>* row_columns = &all;
  switch (batch.op) {
    case WriteOp::kInsert:
    case WriteOp::kUpsert:
      head = "INSERT INTO " + table + " (" + join_names(flavor, batch.columns, all) + ") VALUES ";
      if (batch.op == WriteOp::kUpsert) {
        if (pg) {
          tail = " ON CONFLICT (" + join_names(flavor, batch.columns, keys) + ") DO ";
          if (values.empty()) tail += "NOTHING";
          for (size_t i = 0; i < values.size(); ++i) {
            const std::string n = quote_name(flavor, batch.columns[values[i]].name);
            tail += (i ? ", " : "UPDATE SET ") + n + " = EXCLUDED." + n;
          }
        } else {
          tail = " ON DUPLICATE KEY UPDATE ";
          const std::vector<size_t>& set = values.empty() ? keys : values;
          for (size_t i = 0; i < set.size(); ++i) {
            const std::string n = quote_name(flavor, batch.columns[set[i]].name);
            tail += (i ? ", " : "") + n + " = VALUES(" + n + ")";
          }
        }
      }
      break;
    case WriteOp::kUpdate: {
      if (values.empty()) return Status::Ok();  // nothing to set
      std::string set, on;
      for (size_t i = 0; i < values.size(); ++i) {
        const std::string n = quote_name(flavor, batch.columns[values[i]].name);
        set += (i ? ", " : "") + (pg ? n : "kpipe_t." + n) + " = kpipe_v." + n;
      }
      for (size_t i = 0; i < keys.size(); ++i) {
        const std::string n = quote_name(flavor, batch.columns[keys[i]].name);
        on += (i ? " AND " : "") + std::string("kpipe_t.") + n + " = kpipe_v." + n;
      }
      if (pg) {
        head = "UPDATE " + table + " AS kpipe_t SET " + set + " FROM (VALUES ";
        tail = ") AS kpipe_v (" + join_names(flavor, batch.columns, all) + ") WHERE " + on;
        cast_first = true;
      } else {
        head = "UPDATE " + table + " AS kpipe_t JOIN (";
        tail = ") AS kpipe_v ON " + on + " SET " + set;
        row_alias = "SELECT";
        separator = " UNION ALL ";
      }
      break;
    }
    case WriteOp::kDelete:
      if (keys.size() == 1) {
        head =
            "DELETE FROM " + table + " WHERE " + join_names(flavor, batch.columns, keys) + " IN (";
      } else {
        head = "DELETE FROM " + table + " WHERE (" + join_names(flavor, batch.columns, keys) +
               ") IN (";
      }
      tail = ")";
      row_columns = &keys;
      break;
  }
  out->append(head);
  size_t i = begin;
  for (; i < batch.rows.size(); ++i) {
    if (i > begin) {
      if (out->size() + tail.size() >= max_bytes) break;
      out->append(separator);
    }
    if (!row_alias.empty()) out->append(row_alias);
    if (batch.op == WriteOp::kDelete && keys.size() == 1) {
      const WriteColumn& c = batch.columns[keys[0]];
      Status st = append_literal(flavor, batch.rows[i][keys[0]], *c.schema, c.zoneless, zone, out);
      if (!st.ok()) return st.with_context("column '" + c.name + "'");
      continue;
    }
    KPIPE_RETURN_IF_ERROR(append_row(flavor, batch, batch.rows[i], *row_columns, zone,
                                     cast_first && i == begin, row_alias, out));
  }
  out->append(tail);
  *next = i;
  return Status::Ok();
}

std::vector<size_t> bind_order(const WriteBatch& batch) {
  switch (batch.op) {
    case WriteOp::kUpdate: {
      std::vector<size_t> order = key_columns(batch, false);
      for (size_t k : key_columns(batch, true)) order.push_back(k);
      return order;
    }
    case WriteOp::kDelete:
      return key_columns(batch, true);
    default:
      return all_columns(batch);
  }
}

std::string prepared_sql(Flavor flavor, const WriteBatch& batch) {
  const std::string table = quote_table_name(flavor, batch.table);
  const std::vector<size_t> all = all_columns(batch);
  const std::vector<size_t> keys = key_columns(batch, true);
  const std::vector<size_t> values = key_columns(batch, false);
  auto assignments = [&](const std::vector<size_t>& which, const char* sep) {
    std::string out;
    for (size_t i = 0; i < which.size(); ++i)
      out += (i ? sep : "") + quote_name(flavor, batch.columns[which[i]].name) + " = ?";
    return out;
  };
  switch (batch.op) {
    case WriteOp::kInsert:
    case WriteOp::kUpsert: {
      std::string sql =
          "INSERT INTO " + table + " (" + join_names(flavor, batch.columns, all) + ") VALUES (";
      for (size_t i = 0; i < all.size(); ++i) sql += i ? ", ?" : "?";
      sql += ")";
      if (batch.op == WriteOp::kUpsert) {
        sql += " ON CONFLICT (" + join_names(flavor, batch.columns, keys) + ") DO ";
        if (values.empty()) sql += "NOTHING";
        for (size_t i = 0; i < values.size(); ++i) {
          const std::string n = quote_name(flavor, batch.columns[values[i]].name);
          sql += (i ? ", " : "UPDATE SET ") + n + " = excluded." + n;
        }
      }
      return sql;
    }
    case WriteOp::kUpdate:
      if (values.empty()) return "";
      return "UPDATE " + table + " SET " + assignments(values, ", ") + " WHERE " +
             assignments(keys, " AND ");
    case WriteOp::kDelete:
      return "DELETE FROM " + table + " WHERE " + assignments(keys, " AND ");
  }
  return "";
}

}  // namespace kpipe::jdbc
