#include "connectors/jdbc/sql.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

namespace kpipe::jdbc {

namespace {

enum class Dialect { kUnknown, kPostgres, kMysql, kSqlite };

Dialect dialect_of(const std::string& url) {
  auto starts = [&](const char* prefix) { return url.rfind(prefix, 0) == 0; };
  if (starts("jdbc:postgresql:") || starts("postgresql:") || starts("postgres:"))
    return Dialect::kPostgres;
  if (starts("jdbc:mysql:") || starts("jdbc:mariadb:") || starts("mysql:") || starts("mariadb:"))
    return Dialect::kMysql;
  if (starts("jdbc:sqlite:") || starts("sqlite:")) return Dialect::kSqlite;
  return Dialect::kUnknown;
}

}  // namespace

const std::vector<FieldSpec>& connection_fields() {
  static const std::vector<FieldSpec> fields = {
      {"connection.url",
       FieldType::kString,
       std::nullopt,
       true,
       "jdbc:postgresql://host:port/db, postgresql://..., jdbc:mysql://host:port/db, "
       "jdbc:mariadb://..., jdbc:sqlite:PATH (may carry credentials: never printed)",
       {},
       true},
      {"connection.user", FieldType::kString, std::nullopt, false, "User; overrides the URL's"},
      {"connection.password",
       FieldType::kString,
       std::nullopt,
       false,
       "Password; overrides the URL's",
       {},
       true},
      {"connection.attempts",
       FieldType::kInt,
       "3",
       false,
       "Connection attempts before failing",
       {},
       false,
       1,
       1000},
      {"connection.backoff.ms",
       FieldType::kInt,
       "10000",
       false,
       "Wait between connection attempts",
       {},
       false,
       0,
       3600000},
  };
  return fields;
}

Status check_url(const std::string& url) {
  if (dialect_of(url) != Dialect::kUnknown) return Status::Ok();
  return Status::Invalid(
      "unsupported database URL (expected jdbc:postgresql://, postgresql://, jdbc:mysql://, "
      "jdbc:mariadb:// or jdbc:sqlite:PATH)");
}

Status connect(const ConnectOptions& options, std::unique_ptr<Connection>* out) {
  switch (dialect_of(options.url)) {
    case Dialect::kPostgres:
      return connect_postgres(options, out);
    case Dialect::kMysql:
      return connect_mysql(options, out);
    case Dialect::kSqlite:
      return connect_sqlite(options, out);
    case Dialect::kUnknown:
      break;
  }
  return check_url(options.url).with_context("connection.url");
}

Status connect_with_retries(const ConnectOptions& options, int64_t attempts, int64_t backoff_ms,
                            const std::function<bool()>& stopping,
                            std::unique_ptr<Connection>* out) {
  for (int64_t attempt = 1;; ++attempt) {
    Status st = connect(options, out);
    if (st.ok() || st.code() == Code::kInvalid || attempt >= attempts || stopping())
      return st.with_context("connecting to the database");
    spdlog::warn("connecting to the database failed (attempt {} of {}): {}; retrying in {} ms",
                 attempt, attempts, st.message(), backoff_ms);
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff_ms);
    while (!stopping() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(100, backoff_ms)));
  }
}

SchemaPtr numeric_schema(int precision, int scale, NumericMapping mapping, bool optional) {
  // Confluent's GenericDatabaseDialect: integers up to 18 digits fit int64.
  auto integer = [&]() -> SchemaPtr {
    if (precision > 9) return Schema::primitive(Type::kInt64, optional);
    if (precision > 4) return Schema::primitive(Type::kInt32, optional);
    if (precision > 2) return Schema::primitive(Type::kInt16, optional);
    return Schema::primitive(Type::kInt8, optional);
  };
  if (precision > 0 && precision <= 18) {
    switch (mapping) {
      case NumericMapping::kPrecisionOnly:
        if (scale == 0) return integer();
        break;
      case NumericMapping::kBestFit:
      case NumericMapping::kBestFitEagerDouble:
        if (scale <= 0 && scale >= -84) return integer();
        if (scale > 0) return Schema::primitive(Type::kFloat64, optional);
        break;
      case NumericMapping::kNone:
        break;
    }
  } else if (mapping == NumericMapping::kBestFitEagerDouble && scale > 0) {
    return Schema::primitive(Type::kFloat64, optional);
  }
  return Schema::decimal(scale, optional,
                         precision > 0 ? std::optional<int32_t>(precision) : std::nullopt);
}

Status numeric_value(const std::string& text, const Schema& schema, Value* out) {
  if (schema.logical() == Logical::kDecimal) {
    Decimal d;
    if (!Decimal::parse(text, &d)) return Status::Runtime("not a decimal number: '" + text + "'");
    Decimal scaled;
    if (!d.rescale(schema.decimal_scale(), &scaled))
      return Status::Runtime("'" + text + "' has more than " +
                             std::to_string(schema.decimal_scale()) + " decimal places");
    d = std::move(scaled);
    *out = Value(std::move(d));
    return Status::Ok();
  }
  errno = 0;
  char* end = nullptr;
  if (schema.type == Type::kFloat64 || schema.type == Type::kFloat32) {
    double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0') return Status::Runtime("not a number: '" + text + "'");
    *out = Value(v);
    return Status::Ok();
  }
  // An integer mapping: the text may still carry a ".000" fraction.
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (end == text.c_str() || errno == ERANGE)
    return Status::Runtime("not an integer: '" + text + "'");
  if (*end == '.') {
    for (const char* p = end + 1; *p; ++p)
      if (*p != '0') return Status::Runtime("'" + text + "' is not a whole number");
  } else if (*end != '\0') {
    return Status::Runtime("not an integer: '" + text + "'");
  }
  *out = Value(static_cast<int64_t>(v));
  return Status::Ok();
}

}  // namespace kpipe::jdbc
