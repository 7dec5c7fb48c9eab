// The MySQL / MariaDB dialect of the jdbc connectors, on MySQL Connector/C++ 1.1 (libmysqlcppconn,
// built on libmariadb).
//
// Why the statements look the way they do (REFERENCE.md, "Libraries on Debian 12"):
// - Prepared statements always buffer their whole result and print DATETIME/DOUBLE differently, so
//   every statement here is a plain text-protocol statement. Parameters are spliced as literals
//   escaped by the driver (mysql_real_escape_string, which knows the connection's charset and
//   NO_BACKSLASH_ESCAPES), never raw.
// - A plain statement streams (mysql_use_result, flat memory) only when its result set type is
//   TYPE_FORWARD_ONLY, and then the connection can run nothing else until the result is consumed.
//   So streams run on a second connection of their own; metadata queries and now() use the first.
// - DECIMAL, DATETIME and DOUBLE are read as the server's text (getString) and converted here, so
//   nothing is rounded on the way.
//
// Type decisions (documented for users in the connector's docs):
// - tinyint(1) and bit(1) -> boolean, as Kafka Connect does with Connector/J's default
//   tinyInt1isBit=true (MySQL's BOOLEAN is tinyint(1)). Any non-zero value reads as true.
// - Unsigned integers widen to the next Connect type that holds every value: tinyint unsigned ->
//   int16, smallint/mediumint unsigned -> int32, int unsigned -> int64, bigint unsigned ->
//   Decimal(20,0) (through numeric_schema, so numeric.mapping applies).
// - bit(n > 1) -> int64 holding the bits (bit(64) with the top bit set reads as negative).
// - TIME is a duration in MySQL (-838:59:59..838:59:59); Connect's Time is a time of day. A value
//   outside 00:00:00..23:59:59.999999 is an error naming the column, never silently clamped.
// - Zero dates ('0000-00-00', or a zero month/day): null in a nullable column (Connector/J's
//   zeroDateTimeBehavior=convertToNull), an error naming the column in a NOT NULL one.
// - datetime is wall-clock in db.timezone (zoneless); timestamp is read exactly: the session runs
//   with time_zone '+00:00', so the server prints it in UTC.
// - Types this file does not know read as their text (string), geometry as bytes (WKB).

#include <array>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

// The Connector/C++ headers (and the boost headers they pull in) are not -Wpedantic clean.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>
#include <mysql_connection.h>
#include <mysql_driver.h>
#pragma GCC diagnostic pop

#include <spdlog/spdlog.h>

#include "connectors/jdbc/sql.h"
#include "connectors/jdbc/write_sql.h"

namespace kpipe::jdbc {

namespace {

constexpr int64_t kNanosPerSecond = 1000000000;
constexpr int64_t kNanosPerDay = 86400 * kNanosPerSecond;
// Server error numbers that mean "the statement names something that does not exist or is not
// SQL": configuration errors (exit 2), not runtime failures.
constexpr int kErrBadDb = 1049;
constexpr int kErrParse = 1064;
constexpr int kErrBadField = 1054;
constexpr int kErrNoSuchTable = 1146;

// Whether an error number may pass by itself (errors.retry.timeout): client errors for a refused,
// lost or timed-out connection and an unresolved host; the server shutting down, out of
// connections, killing the connection or losing a lock race. Access denied, unknown databases
// and bad statements are not.
bool transient_error(int code) {
  switch (code) {
    case 1040:  // ER_CON_COUNT_ERROR: too many connections
    case 1053:  // ER_SERVER_SHUTDOWN
    case 1205:  // ER_LOCK_WAIT_TIMEOUT
    case 1213:  // ER_LOCK_DEADLOCK
    case 1927:  // ER_CONNECTION_KILLED (MariaDB)
    case 2002:  // CR_CONNECTION_ERROR
    case 2003:  // CR_CONN_HOST_ERROR
    case 2005:  // CR_UNKNOWN_HOST
    case 2006:  // CR_SERVER_GONE_ERROR
    case 2013:  // CR_SERVER_LOST
    case 2055:  // CR_SERVER_LOST_EXTENDED
    case 4031:  // ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8)
      return true;
    default:
      return false;
  }
}
// Connector/J's netTimeoutForStreamingResults: the server aborts a streamed result when the client
// stops reading for net_write_timeout seconds (60 by default), e.g. while a slow sink flushes.
constexpr int kStreamNetWriteTimeoutSeconds = 600;

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// A secret must not reach a message, even if a driver echoes it. Very short passwords are left:
// masking every "a" in a message would make it unreadable and protect nothing.
std::string scrub(std::string message, const std::string& password) {
  if (password.size() < 4) return message;
  for (size_t pos = message.find(password); pos != std::string::npos;
       pos = message.find(password, pos)) {
    message.replace(pos, password.size(), "****");
  }
  return message;
}

// ---- URL -----------------------------------------------------------------------------------

struct MySqlUrl {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string database;
  std::optional<std::string> user;
  std::optional<std::string> password;
  std::optional<int> ssl_mode;  // sql::ssl_mode
  std::string ssl_ca;           // PEM file of the CA(s) the server's certificate must chain to
  int connect_timeout_seconds = 30;
  std::optional<int> socket_timeout_seconds;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoding (a password may hold '&' or '@'); '+' stays '+' as in JDBC URLs.
bool percent_decode(const std::string& in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size() || hex_value(in[i + 1]) < 0 || hex_value(in[i + 2]) < 0) return false;
    out->push_back(static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2])));
    i += 2;
  }
  return true;
}

bool parse_int(const std::string& s, int64_t lo, int64_t hi, int64_t* out) {
  if (s.empty() || s.size() > 12) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool parse_bool(const std::string& s, bool* out) {
  const std::string l = lower(s);
  if (l == "true" || l == "yes" || l == "1") {
    *out = true;
    return true;
  }
  if (l == "false" || l == "no" || l == "0") {
    *out = false;
    return true;
  }
  return false;
}

// jdbc:mysql://[user[:password]@]host[:port][/database][?key=value&...], also jdbc:mariadb://.
// Messages name the parameter, never the URL (it may hold the password).
Status parse_url(const std::string& url, MySqlUrl* out) {
  static const char* const kPrefixes[] = {"jdbc:mysql://", "jdbc:mariadb://", "mysql://",
                                          "mariadb://"};
  size_t start = std::string::npos;
  for (const char* prefix : kPrefixes) {
    const std::string p(prefix);
    if (url.compare(0, p.size(), p) == 0) {
      start = p.size();
      break;
    }
  }
  if (start == std::string::npos)
    return Status::Invalid(
        "connection.url: a MySQL URL starts with jdbc:mysql:// or jdbc:mariadb://");
  MySqlUrl result;
  const size_t query_pos = url.find('?', start);
  const std::string before_query =
      url.substr(start, query_pos == std::string::npos ? std::string::npos : query_pos - start);
  const size_t slash = before_query.find('/');
  std::string authority = before_query.substr(0, slash);
  if (slash != std::string::npos &&
      !percent_decode(before_query.substr(slash + 1), &result.database))
    return Status::Invalid("connection.url: bad %-escape in the database name");

  const size_t at = authority.rfind('@');
  if (at != std::string::npos) {
    const std::string userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const size_t colon = userinfo.find(':');
    std::string decoded;
    if (!percent_decode(userinfo.substr(0, colon), &decoded))
      return Status::Invalid("connection.url: bad %-escape in the user name");
    result.user = decoded;
    if (colon != std::string::npos) {
      if (!percent_decode(userinfo.substr(colon + 1), &decoded))
        return Status::Invalid("connection.url: bad %-escape in the password");
      result.password = decoded;
    }
  }
  if (authority.find(',') != std::string::npos)
    return Status::Invalid(
        "connection.url: host lists (failover) are not supported; name one host");
  std::string port_text;
  if (!authority.empty() && authority[0] == '[') {  // [IPv6]:port
    const size_t close = authority.find(']');
    if (close == std::string::npos) return Status::Invalid("connection.url: unclosed '[' in host");
    result.host = authority.substr(0, close + 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return Status::Invalid("connection.url: bad host");
      port_text = authority.substr(close + 2);
    }
  } else {
    const size_t colon = authority.find(':');
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
    if (!authority.substr(0, colon).empty()) result.host = authority.substr(0, colon);
  }
  if (!port_text.empty()) {
    int64_t port;
    if (!parse_int(port_text, 1, 65535, &port))
      return Status::Invalid("connection.url: port '" + port_text + "' is not 1..65535");
    result.port = static_cast<int>(port);
  }

  if (query_pos != std::string::npos) {
    const std::string query = url.substr(query_pos + 1);
    size_t pos = 0;
    while (pos <= query.size()) {
      size_t amp = query.find('&', pos);
      if (amp == std::string::npos) amp = query.size();
      const std::string pair = query.substr(pos, amp - pos);
      pos = amp + 1;
      if (pair.empty()) continue;
      const size_t eq = pair.find('=');
      std::string key, value;
      if (!percent_decode(pair.substr(0, eq), &key) ||
          !percent_decode(eq == std::string::npos ? "" : pair.substr(eq + 1), &value))
        return Status::Invalid("connection.url: bad %-escape in a parameter");
      int64_t n;
      bool b;
      if (key == "user") {
        result.user = value;
      } else if (key == "password") {
        result.password = value;
      } else if (key == "useSSL" || key == "requireSSL") {
        if (!parse_bool(value, &b))
          return Status::Invalid("connection.url: " + key + " must be true or false");
        if (!b && key == "useSSL") result.ssl_mode = sql::SSL_MODE_DISABLED;
        if (b) result.ssl_mode = sql::SSL_MODE_REQUIRED;
      } else if (key == "sslMode") {
        const std::string mode = lower(value);
        if (mode == "disabled") {
          result.ssl_mode = sql::SSL_MODE_DISABLED;
        } else if (mode == "preferred") {
          result.ssl_mode = sql::SSL_MODE_PREFERRED;
        } else if (mode == "required") {
          result.ssl_mode = sql::SSL_MODE_REQUIRED;
        } else if (mode == "verify_ca") {
          result.ssl_mode = sql::SSL_MODE_VERIFY_CA;
        } else if (mode == "verify_identity") {
          result.ssl_mode = sql::SSL_MODE_VERIFY_IDENTITY;
        } else {
          return Status::Invalid("connection.url: sslMode '" + value +
                                 "' is not DISABLED, PREFERRED, REQUIRED, VERIFY_CA or "
                                 "VERIFY_IDENTITY");
        }
      } else if (key == "serverSslCert" || key == "sslCA") {
        // MariaDB Connector/J's name (a PEM file here, not inline PEM) and Connector/C++'s.
        if (value.empty()) return Status::Invalid("connection.url: " + key + " names no file");
        result.ssl_ca = value;
      } else if (key == "connectTimeout" || key == "socketTimeout") {
        // Milliseconds, as in Connector/J; the C client counts whole seconds (0 = none).
        if (!parse_int(value, 0, 86400000, &n))
          return Status::Invalid("connection.url: " + key + " must be milliseconds");
        const int seconds = static_cast<int>((n + 999) / 1000);
        if (key == "connectTimeout") {
          result.connect_timeout_seconds = seconds;
        } else {
          result.socket_timeout_seconds = seconds;
        }
      } else {
        spdlog::debug("jdbc mysql: ignoring URL parameter '{}'", key);
      }
    }
  }
  *out = std::move(result);
  return Status::Ok();
}

sql::mysql::MySQL_Driver* driver() {
  // get_driver_instance() is not thread-safe on its first call; a function-local static is.
  static sql::mysql::MySQL_Driver* instance = sql::mysql::get_driver_instance();
  return instance;
}

// Opens one connection with the session settings every read relies on.
Status open_connection(const ConnectOptions& options, const MySqlUrl& url,
                       std::unique_ptr<sql::Connection>* out) {
  const std::string user = options.user ? *options.user : url.user.value_or("");
  const std::string password = options.password ? *options.password : url.password.value_or("");
  const std::string where = (user.empty() ? "" : user + "@") + url.host + ":" +
                            std::to_string(url.port) +
                            (url.database.empty() ? "" : "/" + url.database);
  try {
    sql::ConnectOptionsMap props;
    props["hostName"] = sql::SQLString("tcp://" + url.host + ":" + std::to_string(url.port));
    props["userName"] = sql::SQLString(user);
    props["password"] = sql::SQLString(password);
    if (!url.database.empty()) props["schema"] = sql::SQLString(url.database);
    // The client must know the charset too: mysql_real_escape_string escapes by it.
    props["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
    props["OPT_CONNECT_TIMEOUT"] = url.connect_timeout_seconds;
    // A silent reconnect would lose time_zone and an open stream's position: fail instead.
    props["OPT_RECONNECT"] = false;
    if (url.socket_timeout_seconds) {
      props["OPT_READ_TIMEOUT"] = *url.socket_timeout_seconds;
      props["OPT_WRITE_TIMEOUT"] = *url.socket_timeout_seconds;
    }
    if (url.ssl_mode) props["OPT_SSL_MODE"] = *url.ssl_mode;
    // Debian's Connector/C++ runs on MariaDB Connector/C, which ignores OPT_SSL_MODE: REQUIRED
    // would connect in clear. Its own switches: enforce TLS, and verify the server's certificate
    // and host name (no CA-only check there, so VERIFY_CA verifies the name too).
    if (url.ssl_mode && *url.ssl_mode >= sql::SSL_MODE_REQUIRED) props["sslEnforce"] = true;
    if (url.ssl_mode && *url.ssl_mode >= sql::SSL_MODE_VERIFY_CA) props["sslVerify"] = true;
    if (!url.ssl_ca.empty()) props["sslCA"] = sql::SQLString(url.ssl_ca);
    std::unique_ptr<sql::Connection> conn(driver()->connect(props));
    std::unique_ptr<sql::Statement> stmt(conn->createStatement());
    // TIMESTAMP columns then print in UTC, and UTC_TIMESTAMP/NOW agree.
    stmt->execute("SET time_zone = '+00:00'");
    stmt->execute("SET NAMES utf8mb4");
    *out = std::move(conn);
    return Status::Ok();
  } catch (const sql::SQLException& e) {
    const Status st =
        Status::Runtime(scrub("mysql: cannot connect to " + where + ": " + e.what(), password));
    return transient_error(e.getErrorCode()) ? st.as_transient() : st;
  } catch (const std::exception& e) {
    return Status::Runtime(
        scrub("mysql: cannot connect to " + where + ": " + std::string(e.what()), password));
  }
}

// ---- types ---------------------------------------------------------------------------------

// How a column's text is turned into its memory Value.
enum class Kind {
  kBool,       // tinyint(1), bit(1)
  kInt,        // integers that fit int64, year
  kBits,       // bit(n > 1)
  kFloat,      // float, double: the server's shortest round-trip text, parsed with strtod
  kNumeric,    // decimal, bigint unsigned: numeric_value() per numeric_schema()
  kString,     // text types, enum, set, json, unknown types
  kBytes,      // binary types, blobs, geometry
  kDate,       // date
  kTime,       // time
  kDateTime,   // datetime: wall-clock in db.timezone
  kTimestamp,  // timestamp: printed in UTC by the session
};

// A column type as the server describes it, from information_schema or result metadata.
struct MySqlType {
  std::string base;  // lower case: "int", "decimal", "datetime", ...
  bool is_unsigned = false;
  int64_t width = 0;  // display width (tinyint(1)) or bits (bit(n))
  int precision = 0;
  int scale = 0;
};

struct MappedType {
  Kind kind = Kind::kString;
  SchemaPtr schema;
  bool zoneless = false;
};

bool is_one_of(const std::string& s, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (s == n) return true;
  }
  return false;
}

MappedType map_type(const MySqlType& t, NumericMapping mapping, bool optional) {
  MappedType m;
  auto primitive = [&](Kind kind, Type type) {
    m.kind = kind;
    m.schema = Schema::primitive(type, optional);
  };
  const std::string& b = t.base;
  if (b == "tinyint") {
    if (t.width == 1) {
      primitive(Kind::kBool, Type::kBoolean);
    } else {
      primitive(Kind::kInt, t.is_unsigned ? Type::kInt16 : Type::kInt8);
    }
  } else if (b == "bool" || b == "boolean") {
    primitive(Kind::kBool, Type::kBoolean);
  } else if (b == "smallint") {
    primitive(Kind::kInt, t.is_unsigned ? Type::kInt32 : Type::kInt16);
  } else if (b == "mediumint") {
    primitive(Kind::kInt, Type::kInt32);
  } else if (b == "int" || b == "integer") {
    primitive(Kind::kInt, t.is_unsigned ? Type::kInt64 : Type::kInt32);
  } else if (b == "bigint") {
    if (t.is_unsigned) {
      m.kind = Kind::kNumeric;
      m.schema = numeric_schema(20, 0, mapping, optional);
    } else {
      primitive(Kind::kInt, Type::kInt64);
    }
  } else if (b == "year") {
    primitive(Kind::kInt, Type::kInt32);
  } else if (b == "bit") {
    if (t.width == 1) {
      primitive(Kind::kBool, Type::kBoolean);
    } else {
      primitive(Kind::kBits, Type::kInt64);
    }
  } else if (b == "float") {
    primitive(Kind::kFloat, Type::kFloat32);
  } else if (is_one_of(b, {"double", "real", "double precision"})) {
    primitive(Kind::kFloat, Type::kFloat64);
  } else if (is_one_of(b, {"decimal", "numeric", "dec", "fixed"})) {
    m.kind = Kind::kNumeric;
    m.schema = numeric_schema(t.precision, t.scale, mapping, optional);
  } else if (is_one_of(b, {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob",
                           "geometry", "point", "linestring", "polygon", "multipoint",
                           "multilinestring", "multipolygon", "geometrycollection"})) {
    primitive(Kind::kBytes, Type::kBytes);
  } else if (b == "date") {
    m.kind = Kind::kDate;
    m.schema = Schema::date(optional);
  } else if (b == "time") {
    m.kind = Kind::kTime;
    m.schema = Schema::time(optional);
  } else if (b == "datetime") {
    m.kind = Kind::kDateTime;
    m.schema = Schema::timestamp(optional);
    m.zoneless = true;
  } else if (b == "timestamp") {
    m.kind = Kind::kTimestamp;
    m.schema = Schema::timestamp(optional);
  } else {
    // char, varchar, *text, enum, set, json, uuid, inet4/6 and anything newer: the text.
    primitive(Kind::kString, Type::kString);
  }
  return m;
}

// "tinyint(1) unsigned zerofill" -> width 1 (information_schema's COLUMN_TYPE).
int64_t declared_width(const std::string& column_type) {
  const size_t open = column_type.find('(');
  if (open == std::string::npos) return 0;
  int64_t w = 0;
  for (size_t i = open + 1;
       i < column_type.size() && column_type[i] >= '0' && column_type[i] <= '9'; ++i) {
    w = w * 10 + (column_type[i] - '0');
    if (w > 1000000) break;
  }
  return w;
}

// ---- statements ----------------------------------------------------------------------------

Status sql_error(const std::string& what, const sql::SQLException& e) {
  const int code = e.getErrorCode();
  std::string message = "mysql: " + what + ": " + e.what();
  if (code == kErrNoSuchTable || code == kErrBadField || code == kErrParse || code == kErrBadDb)
    return Status::Invalid(std::move(message));
  if (transient_error(code)) return Status::Transient(std::move(message));
  return Status::Runtime(std::move(message));
}

// Runs `body`, turning any exception into a Status: nothing thrown by the driver leaves this
// file.
template <typename F>
Status guarded(const char* what, F&& body) {
  try {
    return body();
  } catch (const sql::SQLException& e) {
    return sql_error(what, e);
  } catch (const std::exception& e) {
    return Status::Runtime(std::string("mysql: ") + what + ": " + e.what());
  }
}

// Splices literals for the '?' placeholders that are outside quotes and comments.
Status splice_params(const std::string& sql, const std::vector<std::string>& literals,
                     std::string* out) {
  out->clear();
  out->reserve(sql.size() + 32 * literals.size());
  size_t next_param = 0;
  size_t placeholders = 0;
  const size_t n = sql.size();
  for (size_t i = 0; i < n; ++i) {
    const char c = sql[i];
    if (c == '\'' || c == '"' || c == '`') {
      // A quoted string or identifier: the doubled quote and (not in identifiers) a backslash
      // escape stay inside it.
      size_t j = i + 1;
      while (j < n) {
        if (c != '`' && sql[j] == '\\') {
          j += 2;
          continue;
        }
        if (sql[j] == c) {
          if (j + 1 < n && sql[j + 1] == c) {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      const size_t end = j < n ? j + 1 : n;
      out->append(sql, i, end - i);
      i = end - 1;
    } else if (c == '#' || (c == '-' && i + 2 < n && sql[i + 1] == '-' &&
                            (sql[i + 2] == ' ' || sql[i + 2] == '\t' || sql[i + 2] == '\n'))) {
      const size_t eol = sql.find('\n', i);
      const size_t end = eol == std::string::npos ? n : eol;
      out->append(sql, i, end - i);
      i = end - 1;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      const size_t close = sql.find("*/", i + 2);
      const size_t end = close == std::string::npos ? n : close + 2;
      out->append(sql, i, end - i);
      i = end - 1;
    } else if (c == '?') {
      ++placeholders;
      if (next_param < literals.size()) out->append(literals[next_param++]);
    } else {
      out->push_back(c);
    }
  }
  if (placeholders != literals.size())
    return Status::Invalid("mysql: the query has " + std::to_string(placeholders) +
                           " '?' placeholders but " + std::to_string(literals.size()) +
                           " values were given");
  return Status::Ok();
}

std::string timestamp_literal(int64_t epoch_nanos, const TimeZone& zone) {
  // int64 nanos span the years 1677..2262, all inside DATETIME's range. A bound at the very ends
  // means "everything" on that side (and shifting it by the zone's offset would overflow), so it
  // becomes DATETIME's own end.
  constexpr int64_t kMin = INT64_MIN + 2 * kNanosPerDay;
  constexpr int64_t kMax = INT64_MAX - 2 * kNanosPerDay;
  if (epoch_nanos < kMin) return "TIMESTAMP'0001-01-01 00:00:00.000000'";
  if (epoch_nanos > kMax) return "TIMESTAMP'9999-12-31 23:59:59.999999'";
  // A TIMESTAMP'...' literal is a DATETIME(6) value: it compares as a time against datetime,
  // timestamp and COALESCE(...) expressions alike, never as a string.
  return "TIMESTAMP'" + format_timestamp(epoch_nanos, zone, 6) + "'";
}

std::string double_literal(double d) {
  // %.17e round-trips every double, and the exponent makes MySQL read a DOUBLE, not a DECIMAL.
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17e", d);
  return buf;
}

bool is_zero_date(const std::string& text) {
  // '0000-00-00', or a zero month or day ('2020-00-15'), which MySQL accepts without
  // NO_ZERO_IN_DATE.
  return text.size() >= 10 && (text.compare(0, 4, "0000") == 0 || text.compare(5, 2, "00") == 0 ||
                               text.compare(8, 2, "00") == 0);
}

// State shared by a connection and its streams: a stream may outlive neither connection.
struct Session {
  ConnectOptions options;
  MySqlUrl url;
  std::unique_ptr<sql::Connection> main;
  sql::mysql::MySQL_Connection* main_native = nullptr;  // escapeString lives on the subclass
  std::unique_ptr<sql::Connection> stream;              // for forward-only results only
  std::string stream_connection_id;                     // CONNECTION_ID() of `stream`
  class MySqlRowStream* active = nullptr;               // the stream now reading on `stream`
};

class MySqlRowStream : public RowStream {
 public:
  MySqlRowStream(std::shared_ptr<Session> session, std::unique_ptr<sql::Statement> stmt,
                 std::unique_ptr<sql::ResultSet> rs, std::vector<Column> columns,
                 std::vector<Kind> kinds)
      : session_(std::move(session)),
        stmt_(std::move(stmt)),
        rs_(std::move(rs)),
        columns_(std::move(columns)),
        kinds_(std::move(kinds)),
        zone_(session_->options.timezone) {}
  ~MySqlRowStream() override { close(); }

  const std::vector<Column>& columns() const override { return columns_; }

  Status next(std::vector<Value>* row, bool* has_row) override {
    *has_row = false;
    if (!rs_) return Status::Ok();
    try {
      if (!rs_->next()) {
        // The C client ends a forward-only fetch on a lost connection just as at the end of the
        // rows; only a ping tells them apart, and a lost connection must not look like "done".
        done_ = true;
        close();
        const bool alive = session_->stream && session_->stream->isValid();
        if (!alive) {
          session_->stream.reset();
          return Status::Transient("mysql: the connection was lost while reading rows");
        }
        return Status::Ok();
      }
      row->resize(columns_.size());
      for (size_t i = 0; i < columns_.size(); ++i) {
        KPIPE_RETURN_IF_ERROR(read_cell(static_cast<uint32_t>(i + 1), i, &(*row)[i]));
      }
    } catch (const sql::SQLException& e) {
      Status st = Status::Runtime(std::string("mysql: reading rows: ") + e.what());
      if (transient_error(e.getErrorCode())) st = st.as_transient();
      done_ = true;
      close();
      session_->stream.reset();  // the connection's state is unknown after a failed fetch
      return st;
    }
    *has_row = true;
    return Status::Ok();
  }

  // Releases the result so the stream connection is free again. Abandoning a result early makes
  // the C client read (and drop) every remaining row, so the server is told to stop first and the
  // connection, whose state after KILL QUERY is not worth trusting, is replaced next time.
  void close() noexcept {
    if (session_->active == this) session_->active = nullptr;
    if (!rs_) return;
    const bool abandoned = !done_;
    if (abandoned && session_->main && !session_->stream_connection_id.empty()) {
      try {
        std::unique_ptr<sql::Statement> kill(session_->main->createStatement());
        kill->execute("KILL QUERY " + session_->stream_connection_id);
      } catch (const std::exception& e) {
        spdlog::debug("jdbc mysql: stopping an abandoned query: {}", e.what());
      }
    }
    try {
      rs_.reset();
      stmt_.reset();
    } catch (const std::exception& e) {
      spdlog::debug("jdbc mysql: closing a result: {}", e.what());
    }
    if (abandoned) session_->stream.reset();
  }

 private:
  Status bad_value(size_t i, const std::string& text, const char* why) const {
    return Status::Runtime("mysql: column '" + columns_[i].name + "' (" + columns_[i].type_name +
                           "): value '" + text + "' " + why);
  }

  Status read_cell(uint32_t c, size_t i, Value* v) {
    if (rs_->isNull(c)) {
      *v = Value();
      return Status::Ok();
    }
    switch (kinds_[i]) {
      case Kind::kBool:
        *v = Value(rs_->getInt64(c) != 0);
        return Status::Ok();
      case Kind::kInt:
        *v = Value(rs_->getInt64(c));
        return Status::Ok();
      case Kind::kBits:
        *v = Value(static_cast<int64_t>(rs_->getUInt64(c)));
        return Status::Ok();
      case Kind::kFloat: {
        const sql::SQLString text = rs_->getString(c);
        char* end = nullptr;
        const double d = std::strtod(text.c_str(), &end);
        if (end == text.c_str()) return bad_value(i, text, "is not a number");
        *v = Value(d);
        return Status::Ok();
      }
      case Kind::kNumeric: {
        const Status st = numeric_value(rs_->getString(c), *columns_[i].schema, v);
        if (!st.ok()) return st.with_context("mysql: column '" + columns_[i].name + "'");
        return Status::Ok();
      }
      case Kind::kString:
        *v = Value(std::string(rs_->getString(c).asStdString()));
        return Status::Ok();
      case Kind::kBytes:
        *v = Value(Bytes{rs_->getString(c).asStdString()});
        return Status::Ok();
      default:
        return read_temporal(c, i, v);
    }
  }

  Status read_temporal(uint32_t c, size_t i, Value* v) {
    const std::string text = rs_->getString(c);
    if (kinds_[i] == Kind::kTime) {
      int64_t nanos;
      if (!parse_time(text, &nanos) || nanos >= kNanosPerDay)
        return bad_value(i, text,
                         "is not a time of day (Connect's Time is 00:00:00..23:59:59.999999); "
                         "select the column as text, e.g. CAST(col AS CHAR), to read durations");
      *v = Value(nanos);
      return Status::Ok();
    }
    if (is_zero_date(text)) {
      if (columns_[i].nullable) {
        *v = Value();
        return Status::Ok();
      }
      return bad_value(i, text,
                       "is a zero date, which is no point in time, in a NOT NULL column; fix the "
                       "row or read it through a query that maps it (e.g. NULLIF)");
    }
    if (kinds_[i] == Kind::kDate) {
      int64_t days;
      if (!parse_date(text, &days)) return bad_value(i, text, "is not a date");
      *v = Value(days);
      return Status::Ok();
    }
    // Parsed as UTC wall-clock; a datetime then moves from db.timezone's wall-clock to an instant.
    static const TimeZone kUtc;
    int64_t nanos;
    if (!parse_timestamp(text, kUtc, &nanos)) return bad_value(i, text, "is not a timestamp");
    if (kinds_[i] == Kind::kDateTime) nanos = zone_.to_instant(nanos);
    *v = Value(nanos);
    return Status::Ok();
  }

  std::shared_ptr<Session> session_;
  std::unique_ptr<sql::Statement> stmt_;
  std::unique_ptr<sql::ResultSet> rs_;
  std::vector<Column> columns_;
  std::vector<Kind> kinds_;
  TimeZone zone_;  // a copy of session_->options.timezone, sharing its conversion memo
  bool done_ = false;
};

using TextRow = std::vector<std::optional<std::string>>;

class MySqlConnection : public Connection {
 public:
  explicit MySqlConnection(std::shared_ptr<Session> session) : session_(std::move(session)) {}
  ~MySqlConnection() override {
    // A stream left open by the caller keeps the session alive; stop its server-side query now
    // rather than when it is finally destroyed.
    if (session_->active) session_->active->close();
  }

  Status init() {
    std::vector<TextRow> rows;
    KPIPE_RETURN_IF_ERROR(run_small("SELECT DATABASE()", &rows));
    if (!rows.empty() && rows[0][0]) database_ = *rows[0][0];
    return Status::Ok();
  }

  std::string dialect() const override { return "mysql"; }
  std::string database() const override { return database_; }

  std::string quote(const std::string& identifier) const override {
    std::string out = "`";
    for (char c : identifier) {
      if (c == '`') out.push_back('`');
      out.push_back(c);
    }
    out.push_back('`');
    return out;
  }

  Status tables(const std::vector<std::string>& types, std::vector<std::string>* out) override {
    return guarded("listing tables", [&]() -> Status {
      out->clear();
      std::string in;
      for (const std::string& type : types.empty() ? std::vector<std::string>{"TABLE"} : types) {
        std::vector<std::string> names;
        const std::string upper_type = [&] {
          std::string u = type;
          for (char& ch : u) {
            if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
          }
          return u;
        }();
        if (upper_type == "TABLE") {
          // MariaDB lists system-versioned tables under their own type; they are tables too.
          names = {"BASE TABLE", "SYSTEM VERSIONED"};
        } else {
          names = {upper_type};
        }
        for (const std::string& name : names) {
          in += (in.empty() ? "" : ", ") + string_literal(name);
        }
      }
      std::vector<TextRow> rows;
      KPIPE_RETURN_IF_ERROR(run_small(
          "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
          "TABLE_TYPE IN (" +
              in + ") ORDER BY TABLE_NAME",
          &rows));
      for (const TextRow& row : rows) {
        if (row[0]) out->push_back(*row[0]);
      }
      return Status::Ok();
    });
  }

  Status columns(const std::string& table, std::vector<Column>* out) override {
    return guarded("reading columns", [&]() -> Status {
      out->clear();
      std::vector<TextRow> rows;
      KPIPE_RETURN_IF_ERROR(
          run_small("SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE, "
                    "IS_NULLABLE FROM information_schema.COLUMNS WHERE " +
                        table_filter(table) + " ORDER BY ORDINAL_POSITION",
                    &rows));
      if (rows.empty())
        return Status::Invalid("mysql: table '" + table + "' not found in database '" +
                               schema_of(table) + "' (or no privilege to read it)");
      for (const TextRow& row : rows) {
        MySqlType t;
        t.base = lower(row[1].value_or(""));
        const std::string column_type = lower(row[2].value_or(""));
        t.is_unsigned = column_type.find(" unsigned") != std::string::npos;
        t.width = declared_width(column_type);
        t.precision = std::atoi(row[3].value_or("0").c_str());
        t.scale = std::atoi(row[4].value_or("0").c_str());
        if (t.base == "bit") t.width = t.precision;
        Column col;
        col.name = row[0].value_or("");
        col.nullable = row[5].value_or("YES") == "YES";
        col.type_name = t.base + (t.is_unsigned ? " unsigned" : "");
        MappedType m = map_type(t, session_->options.numeric_mapping, col.nullable);
        col.schema = std::move(m.schema);
        col.zoneless = m.zoneless;
        out->push_back(std::move(col));
      }
      return Status::Ok();
    });
  }

  Status unique_key(const std::string& table, std::vector<std::string>* out) override {
    return guarded("reading keys", [&]() -> Status {
      out->clear();
      std::vector<TextRow> rows;
      KPIPE_RETURN_IF_ERROR(run_small(
          "SELECT INDEX_NAME, COLUMN_NAME, NON_UNIQUE, NULLABLE FROM information_schema.STATISTICS "
          "WHERE " +
              table_filter(table) +
              " ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX",
          &rows));
      // Rows come grouped by index, the primary key first.
      size_t i = 0;
      while (i < rows.size()) {
        const std::string index = rows[i][0].value_or("");
        std::vector<std::string> cols;
        bool usable = rows[i][2].value_or("1") == "0";
        for (; i < rows.size() && rows[i][0].value_or("") == index; ++i) {
          // An expression index part has no column; a nullable part allows duplicate NULLs.
          if (!rows[i][1] || rows[i][3].value_or("") == "YES") usable = false;
          if (rows[i][1]) cols.push_back(*rows[i][1]);
        }
        if (usable && !cols.empty()) {
          *out = std::move(cols);
          return Status::Ok();
        }
      }
      return Status::Ok();
    });
  }

  Status now(int64_t* epoch_nanos) override {
    std::vector<TextRow> rows;
    KPIPE_RETURN_IF_ERROR(run_small("SELECT UTC_TIMESTAMP(6)", &rows));
    if (rows.empty() || !rows[0][0] || !parse_timestamp(*rows[0][0], TimeZone(), epoch_nanos))
      return Status::Runtime("mysql: UTC_TIMESTAMP(6) returned no timestamp");
    return Status::Ok();
  }

  Status query(const std::string& sql, const std::vector<Param>& params,
               std::unique_ptr<RowStream>* out) override {
    std::vector<std::string> literals;
    literals.reserve(params.size());
    for (const Param& p : params) {
      literals.push_back(literal(p));
    }
    std::string text;
    KPIPE_RETURN_IF_ERROR(splice_params(sql, literals, &text));
    if (session_->active) session_->active->close();
    KPIPE_RETURN_IF_ERROR(ensure_stream_connection());
    try {
      std::unique_ptr<sql::Statement> stmt(session_->stream->createStatement());
      stmt->setResultSetType(sql::ResultSet::TYPE_FORWARD_ONLY);
      std::unique_ptr<sql::ResultSet> rs(stmt->executeQuery(text));
      if (!rs) return Status::Invalid("mysql: the query returned no result set");
      sql::ResultSetMetaData* meta = rs->getMetaData();
      const unsigned count = meta->getColumnCount();
      std::vector<Column> columns;
      std::vector<Kind> kinds;
      columns.reserve(count);
      kinds.reserve(count);
      for (unsigned c = 1; c <= count; ++c) {
        // Metadata names a type "INT UNSIGNED"; precision comes back unusable from this driver,
        // so a DECIMAL's is derived from its display size (digits + point + sign).
        const std::string type_name = lower(meta->getColumnTypeName(c));
        MySqlType t;
        const size_t space = type_name.find(' ');
        t.base = type_name.substr(0, space);
        t.is_unsigned = type_name.find(" unsigned") != std::string::npos;
        t.width = meta->getColumnDisplaySize(c);
        t.scale = static_cast<int>(meta->getScale(c));
        if (is_one_of(t.base, {"decimal", "numeric"})) {
          int64_t p = t.width - (t.scale > 0 ? 1 : 0) - (t.is_unsigned ? 0 : 1);
          t.precision = static_cast<int>(p < 1 ? 1 : (p > 65 ? 65 : p));
        }
        Column col;
        col.name = meta->getColumnLabel(c);
        col.nullable = meta->isNullable(c) != sql::ResultSetMetaData::columnNoNulls;
        col.type_name = type_name;
        MappedType m = map_type(t, session_->options.numeric_mapping, col.nullable);
        col.schema = std::move(m.schema);
        col.zoneless = m.zoneless;
        kinds.push_back(m.kind);
        columns.push_back(std::move(col));
      }
      auto stream = std::make_unique<MySqlRowStream>(session_, std::move(stmt), std::move(rs),
                                                     std::move(columns), std::move(kinds));
      session_->active = stream.get();
      *out = std::move(stream);
      return Status::Ok();
    } catch (const sql::SQLException& e) {
      const Status st = sql_error("query failed", e);
      // A server-side error leaves the connection usable; a lost one is replaced next time.
      if (st.code() == Code::kRuntime) session_->stream.reset();
      return st;
    } catch (const std::exception& e) {
      session_->stream.reset();
      return Status::Runtime(std::string("mysql: query failed: ") + e.what());
    }
  }

  // ---- Write side, on the main connection. Multi-row statements of at most kStatementBytes
  // (MariaDB's default max_allowed_packet is 16 MB). DDL commits an open transaction implicitly
  // in MySQL: the sink creates and alters tables before it begins one.
  Status execute(const std::string& sql) override {
    KPIPE_RETURN_IF_ERROR(prepare_writes());
    return guarded("running a statement", [&]() -> Status {
      std::unique_ptr<sql::Statement> stmt(session_->main->createStatement());
      stmt->execute(sql);
      return Status::Ok();
    });
  }
  Status begin() override { return execute("START TRANSACTION"); }
  Status commit() override { return execute("COMMIT"); }
  void rollback() override {
    try {
      std::unique_ptr<sql::Statement> stmt(session_->main->createStatement());
      stmt->execute("ROLLBACK");
    } catch (const std::exception&) {
      // A lost connection rolled back on the server already.
    }
  }

  Status write(const WriteBatch& batch, const TimeZone& zone) override {
    KPIPE_RETURN_IF_ERROR(prepare_writes());
    std::string sql;
    for (size_t begin = 0, next = 0; begin < batch.rows.size(); begin = next) {
      KPIPE_RETURN_IF_ERROR(
          multi_row_sql(Flavor::kMySql, batch, zone, begin, kStatementBytes, &sql, &next));
      if (sql.empty()) break;
      KPIPE_RETURN_IF_ERROR(guarded("writing to a table", [&]() -> Status {
                              std::unique_ptr<sql::Statement> stmt(
                                  session_->main->createStatement());
                              stmt->execute(sql);
                              return Status::Ok();
                            }).with_context("table '" + batch.table + "'"));
    }
    return Status::Ok();
  }

 private:
  static constexpr size_t kStatementBytes = 8 << 20;

  // The literals of write_sql.cc escape backslashes, and strict mode turns a value that does not
  // fit its column into an error instead of a silent truncation.
  Status prepare_writes() {
    if (writes_prepared_) return Status::Ok();
    KPIPE_RETURN_IF_ERROR(guarded("preparing the session for writes", [&]() -> Status {
      std::unique_ptr<sql::Statement> stmt(session_->main->createStatement());
      stmt->execute(
          "SET SESSION sql_mode = TRIM(BOTH ',' FROM REPLACE(CONCAT(REPLACE("
          "@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', ''), ',STRICT_ALL_TABLES'), ',,', ','))");
      return Status::Ok();
    }));
    writes_prepared_ = true;
    return Status::Ok();
  }

  std::string string_literal(const std::string& s) const {
    return "'" + std::string(session_->main_native->escapeString(s).asStdString()) + "'";
  }

  std::string literal(const Param& p) const {
    static const TimeZone kUtc;
    if (std::holds_alternative<int64_t>(p)) return std::to_string(std::get<int64_t>(p));
    if (std::holds_alternative<double>(p)) return double_literal(std::get<double>(p));
    if (std::holds_alternative<std::string>(p)) return string_literal(std::get<std::string>(p));
    if (std::holds_alternative<TimestampParam>(p)) {
      const TimestampParam& ts = std::get<TimestampParam>(p);
      return timestamp_literal(ts.epoch_nanos, ts.zoneless ? session_->options.timezone : kUtc);
    }
    return "NULL";
  }

  std::string schema_of(const std::string& table) const {
    const size_t dot = table.find('.');
    return dot == std::string::npos ? database_ : table.substr(0, dot);
  }

  // WHERE clause for information_schema rows of `table` ("db.t" or "t" in the current database).
  // The plain comparison lets the server open only that table; BINARY makes it exact, as table
  // names are case-sensitive on Linux while information_schema compares case-insensitively.
  std::string table_filter(const std::string& table) const {
    const size_t dot = table.find('.');
    const std::string schema =
        dot == std::string::npos ? "DATABASE()" : string_literal(table.substr(0, dot));
    const std::string name =
        string_literal(dot == std::string::npos ? table : table.substr(dot + 1));
    return "TABLE_SCHEMA = " + schema + " AND TABLE_NAME = " + name +
           " AND BINARY TABLE_NAME = " + name;
  }

  // Runs a small statement on the main connection (buffered) and returns its rows as text.
  Status run_small(const std::string& sql, std::vector<TextRow>* rows) {
    rows->clear();
    if (!session_->main) return Status::Runtime("mysql: the connection is closed");
    try {
      std::unique_ptr<sql::Statement> stmt(session_->main->createStatement());
      std::unique_ptr<sql::ResultSet> rs(stmt->executeQuery(sql));
      const unsigned count = rs->getMetaData()->getColumnCount();
      while (rs->next()) {
        TextRow row(count);
        for (unsigned c = 1; c <= count; ++c) {
          if (!rs->isNull(c)) row[c - 1] = std::string(rs->getString(c).asStdString());
        }
        rows->push_back(std::move(row));
      }
      return Status::Ok();
    } catch (const sql::SQLException& e) {
      return sql_error("metadata query failed", e);
    } catch (const std::exception& e) {
      return Status::Runtime(std::string("mysql: metadata query failed: ") + e.what());
    }
  }

  Status ensure_stream_connection() {
    if (session_->stream) return Status::Ok();
    std::unique_ptr<sql::Connection> conn;
    KPIPE_RETURN_IF_ERROR(open_connection(session_->options, session_->url, &conn));
    try {
      std::unique_ptr<sql::Statement> stmt(conn->createStatement());
      stmt->execute("SET SESSION net_write_timeout = " +
                    std::to_string(kStreamNetWriteTimeoutSeconds));
      std::unique_ptr<sql::ResultSet> rs(stmt->executeQuery("SELECT CONNECTION_ID()"));
      session_->stream_connection_id = rs->next() ? std::string(rs->getString(1)) : "";
    } catch (const sql::SQLException& e) {
      return sql_error("preparing the streaming connection", e);
    }
    session_->stream = std::move(conn);
    return Status::Ok();
  }

  std::shared_ptr<Session> session_;
  std::string database_;
  bool writes_prepared_ = false;
};

}  // namespace

Status connect_mysql(const ConnectOptions& options, std::unique_ptr<Connection>* out) {
  auto session = std::make_shared<Session>();
  session->options = options;
  KPIPE_RETURN_IF_ERROR(parse_url(options.url, &session->url));
  KPIPE_RETURN_IF_ERROR(open_connection(options, session->url, &session->main));
  session->main_native = dynamic_cast<sql::mysql::MySQL_Connection*>(session->main.get());
  if (!session->main_native)
    return Status::Runtime("mysql: the driver returned an unexpected connection type");
  auto conn = std::make_unique<MySqlConnection>(std::move(session));
  KPIPE_RETURN_IF_ERROR(conn->init());
  *out = std::move(conn);
  return Status::Ok();
}

}  // namespace kpipe::jdbc
