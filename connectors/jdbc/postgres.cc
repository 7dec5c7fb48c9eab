// The PostgreSQL dialect of the jdbc connectors, on libpqxx 6.4.
//
// Reads stream through `COPY (query) TO STDOUT` in text format: the server sends rows as fast as
// the socket takes them, memory stays flat, and there is no per-row round trip (a cursor's FETCH
// would add one per page). COPY takes no bind parameters, so each '?' is replaced by a literal
// escaped by libpq (PQescapeStringConn through pqxx); the result's column types come from the same
// query run once with LIMIT 0, cached per SQL text.
//
// Decisions a user can see:
// - numeric without a declared precision/scale ("numeric" alone) has no scale a Connect Decimal
//   schema could fix up front, and rounding would lose digits, so it maps to a string holding the
//   exact text ("12.3400", "NaN"). Under numeric.mapping best_fit_eager_double it maps to float64,
//   as that mapping asks for doubles.
// - A timestamp or date that does not fit in int64 nanoseconds (before 1677-09-21 or after
//   2262-04-11, 'infinity' and '-infinity' included) is an error naming the column and the value:
//   clamping would invent data, and a query can CASE such rows away.
// - tables() lists the tables of the schemas on the search_path. A table visible without a schema
//   (pg_table_is_visible: first on the search_path) is listed by its bare name, any other one as
//   "schema.table", so quote_table() always resolves the listed name to the same table. TABLE means
//   ordinary and partitioned tables but not the partitions themselves (each row is read once);
//   "MATERIALIZED VIEW" and "PARTITION" can be asked for by name.
// - time with time zone, interval (ISO 8601: "P1DT2H"), json, jsonb, uuid, enums, arrays, ranges,
//   network types and anything else unknown map to string, as the server prints them.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <functional>
#include <limits>
#include <pqxx/pqxx>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "connectors/jdbc/sql.h"
#include "connectors/jdbc/write_sql.h"
#include "swar.h"

namespace kpipe::jdbc {

namespace {

// pqxx 6.4's stream_to writes rows only as tuples of a fixed arity, escaped by its own COPY
// escaper (which mangles UTF-8 in 6.4); the sink's rows have a run-time arity and are escaped
// here (append_copy_text). stream_to's line writer is private: reach it through an explicit
// instantiation, where access checks do not apply ([temp.explicit]/12), not through a cast.
using RawLineWriter = void (pqxx::stream_to::*)(const std::string&);
struct RawLineTag {
  friend RawLineWriter raw_line_writer(RawLineTag);
};
template <RawLineWriter Member>
struct RawLineAccess {
  friend RawLineWriter raw_line_writer(RawLineTag) { return Member; }
};
template struct RawLineAccess<&pqxx::stream_to::write_raw_line>;

constexpr int64_t kNanosPerSecond = 1000000000;
constexpr int64_t kNanosPerDay = 86400 * kNanosPerSecond;

// ---------------------------------------------------------------------------------------------
// Connection URLs -> libpq keyword/value pairs.

using Params = std::vector<std::pair<std::string, std::string>>;

void set_param(Params* params, const std::string& key, std::string value) {
  for (auto& kv : *params) {
    if (kv.first == key) {
      kv.second = std::move(value);
      return;
    }
  }
  params->emplace_back(key, std::move(value));
}

const std::string* find_param(const Params& params, const std::string& key) {
  for (const auto& kv : params)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoding; pgjdbc decodes its query values with java.net.URLDecoder, where '+' is a space.
bool percent_decode(const std::string& in, bool plus_is_space, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex_digit(in[i + 1]), lo = hex_digit(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (in[i] == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(in[i]);
    }
  }
  return true;
}

bool is_keyword(const std::string& key) {
  if (key.empty()) return false;
  for (char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

// libpq's connection keywords (PostgreSQL 15/16): a JDBC URL's other parameters are pgjdbc's own.
bool is_libpq_keyword(const std::string& key) {
  static const std::string kKeywords =
      " host hostaddr port dbname user password passfile channel_binding connect_timeout"
      " client_encoding options application_name fallback_application_name keepalives"
      " keepalives_idle keepalives_interval keepalives_count tcp_user_timeout gssencmode sslmode"
      " requiressl sslcompression sslcert sslkey sslpassword sslrootcert sslcrl sslcrldir sslsni"
      " requirepeer ssl_min_protocol_version ssl_max_protocol_version krbsrvname gsslib service"
      " target_session_attrs load_balance_hosts require_auth gssdelegation ";
  return kKeywords.find(" " + key + " ") != std::string::npos;
}

// A value for libpq's "options" (-c name=value): spaces and backslashes are backslash-escaped.
std::string options_escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == ' ' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// pgjdbc parameters with a libpq equivalent are translated; the rest are pgjdbc tuning knobs
// (prepareThreshold, stringtype, ...) that mean nothing to libpq and are ignored with a warning.
Status add_jdbc_param(const std::string& key, const std::string& value, Params* params) {
  if (is_libpq_keyword(key)) {
    set_param(params, key, value);
  } else if (key == "ApplicationName") {
    set_param(params, "application_name", value);
  } else if (key == "connectTimeout" || key == "loginTimeout") {
    set_param(params, "connect_timeout", value);
  } else if (key == "ssl") {
    // pgjdbc: ssl=true without sslmode verifies the certificate and the host name.
    if (value == "true" && !find_param(*params, "sslmode"))
      set_param(params, "sslmode", "verify-full");
  } else if (key == "tcpKeepAlive") {
    set_param(params, "keepalives", value == "true" ? "1" : "0");
  } else if (key == "currentSchema") {
    const std::string* old = find_param(*params, "options");
    set_param(params, "options",
              (old ? *old + " " : std::string()) + "-c search_path=" + options_escape(value));
  } else if (key == "targetServerType") {
    if (value == "primary" || value == "master")
      set_param(params, "target_session_attrs", "read-write");
    else if (value == "secondary" || value == "slave")
      set_param(params, "target_session_attrs", "standby");
  } else {
    spdlog::warn("jdbc: ignoring PostgreSQL JDBC URL parameter '{}' (no libpq equivalent)", key);
  }
  return Status::Ok();
}

// Parses "[user[:password]@]host[:port][,host[:port]...][/db][?k=v&...]" (after "scheme://").
Status parse_authority_url(const std::string& rest, bool jdbc, Params* params) {
  const Status bad = Status::Invalid(
      "connection.url: malformed PostgreSQL URL (expected "
      "jdbc:postgresql://host[:port]/db[?k=v&...] "
      "or postgresql://[user[:password]@]host[:port]/db[?k=v&...])");
  std::string query;
  std::string main = rest;
  if (size_t q = main.find('?'); q != std::string::npos) {
    query = main.substr(q + 1);
    main.resize(q);
  }
  std::string path;
  std::string authority = main;
  if (size_t slash = main.find('/'); slash != std::string::npos) {
    authority = main.substr(0, slash);
    path = main.substr(slash + 1);
  }
  if (size_t at = authority.rfind('@'); at != std::string::npos) {
    const std::string userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    std::string user, password;
    const size_t colon = userinfo.find(':');
    if (!percent_decode(userinfo.substr(0, colon), false, &user)) return bad;
    if (!user.empty()) set_param(params, "user", user);
    if (colon != std::string::npos) {
      if (!percent_decode(userinfo.substr(colon + 1), false, &password)) return bad;
      set_param(params, "password", password);
    }
  }
  // Hosts: "h1:p1,h2,[::1]:p3" -> host=h1,h2,::1 port=p1,,p3 (libpq takes parallel lists).
  std::string hosts, ports;
  bool any_port = false;
  size_t start = 0;
  while (start <= authority.size() && !authority.empty()) {
    size_t end = authority.find(',', start);
    if (end == std::string::npos) end = authority.size();
    std::string item = authority.substr(start, end - start);
    std::string host, port;
    if (!item.empty() && item[0] == '[') {
      const size_t close = item.find(']');
      if (close == std::string::npos) return bad;
      host = item.substr(1, close - 1);
      if (close + 1 < item.size()) {
        if (item[close + 1] != ':') return bad;
        port = item.substr(close + 2);
      }
    } else {
      const size_t colon = item.find(':');
      host = item.substr(0, colon);
      if (colon != std::string::npos) port = item.substr(colon + 1);
    }
    for (char c : port)
      if (c < '0' || c > '9') return bad;
    std::string decoded;
    if (!percent_decode(host, false, &decoded)) return bad;
    if (start > 0) {
      hosts += ',';
      ports += ',';
    }
    hosts += decoded;
    ports += port;
    any_port = any_port || !port.empty();
    start = end + 1;
  }
  if (!hosts.empty() && hosts.find_first_not_of(',') != std::string::npos)
    set_param(params, "host", hosts);
  if (any_port) set_param(params, "port", ports);
  std::string db;
  if (!percent_decode(path, false, &db)) return bad;
  if (!db.empty()) set_param(params, "dbname", db);

  size_t pos = 0;
  while (pos < query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string::npos) amp = query.size();
    const std::string item = query.substr(pos, amp - pos);
    pos = amp + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    std::string key, value;
    if (!percent_decode(item.substr(0, eq), jdbc, &key) || !is_keyword(key)) return bad;
    if (eq != std::string::npos && !percent_decode(item.substr(eq + 1), jdbc, &value)) return bad;
    if (jdbc) {
      KPIPE_RETURN_IF_ERROR(add_jdbc_param(key, value, params));
    } else {
      // libpq's own URI parameters: passed through; an unknown one fails the connect, as in psql.
      set_param(params, key, value);
    }
  }
  return Status::Ok();
}

Status parse_url(const ConnectOptions& options, Params* params) {
  const std::string& url = options.url;
  auto strip = [&](const char* prefix, std::string* rest) {
    const size_t n = std::strlen(prefix);
    if (url.compare(0, n, prefix) != 0) return false;
    *rest = url.substr(n);
    return true;
  };
  std::string rest;
  if (strip("jdbc:postgresql://", &rest)) {
    KPIPE_RETURN_IF_ERROR(parse_authority_url(rest, true, params));
  } else if (strip("jdbc:postgresql:", &rest)) {
    // pgjdbc's host-less form "jdbc:postgresql:db" means localhost:5432 over TCP.
    set_param(params, "host", "localhost");
    KPIPE_RETURN_IF_ERROR(parse_authority_url("/" + rest, true, params));
  } else if (strip("postgresql://", &rest) || strip("postgres://", &rest)) {
    KPIPE_RETURN_IF_ERROR(parse_authority_url(rest, false, params));
  } else {
    return Status::Invalid("connection.url: not a PostgreSQL URL");
  }
  if (options.user) set_param(params, "user", *options.user);
  if (options.password) set_param(params, "password", *options.password);
  // The COPY text parser below splits on bytes: only UTF-8 (or another ASCII-safe encoding)
  // guarantees a tab or backslash byte is never part of a multi-byte character.
  set_param(params, "client_encoding", "UTF8");
  if (!find_param(*params, "application_name"))
    set_param(params, "fallback_application_name", "kpipe");
  return Status::Ok();
}

// "key='value' ...", with libpq's quoting (backslash before ' and \).
std::string conninfo(const Params& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    out += key;
    out += "='";
    for (char c : value) {
      if (c == '\'' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out += "' ";
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Types and values.

// How a result column's COPY text becomes a Value.
enum class Kind {
  kInt,
  kBool,
  kFloat32,
  kFloat64,
  kNumeric,  // numeric_value() per the column's schema
  kString,
  kBytes,
  kDate,
  kTime,
  kTimestamp,    // without time zone: wall clock in db.timezone
  kTimestampTz,  // with time zone: printed in UTC (the session's TimeZone)
};

// Built-in type OIDs (pg_type.h); they never change.
enum : uint32_t {
  kOidBool = 16,
  kOidBytea = 17,
  kOidInt8 = 20,
  kOidInt2 = 21,
  kOidInt4 = 23,
  kOidText = 25,
  kOidOid = 26,
  kOidFloat4 = 700,
  kOidFloat8 = 701,
  kOidBpchar = 1042,
  kOidVarchar = 1043,
  kOidDate = 1082,
  kOidTime = 1083,
  kOidTimestamp = 1114,
  kOidTimestampTz = 1184,
  kOidNumeric = 1700,
};

// The built-in types mapped to something other than string, with their SQL names.
const char* builtin_name(uint32_t oid) {
  static constexpr std::pair<uint32_t, const char*> kNames[] = {
      {kOidBool, "boolean"},
      {kOidBytea, "bytea"},
      {kOidInt8, "bigint"},
      {kOidInt2, "smallint"},
      {kOidInt4, "integer"},
      {kOidText, "text"},
      {kOidOid, "oid"},
      {kOidFloat4, "real"},
      {kOidFloat8, "double precision"},
      {kOidBpchar, "character"},
      {kOidVarchar, "character varying"},
      {kOidDate, "date"},
      {kOidTime, "time without time zone"},
      {kOidTimestamp, "timestamp without time zone"},
      {kOidTimestampTz, "timestamp with time zone"},
      {kOidNumeric, "numeric"},
  };
  for (const auto& [o, name] : kNames)
    if (o == oid) return name;
  return nullptr;
}

// numeric's typmod packs (precision << 16 | scale) + 4; the scale is 11-bit signed since PG 15.
void numeric_typmod(int32_t typmod, int* precision, int* scale) {
  if (typmod < 4) {
    *precision = 0;
    *scale = 0;
    return;
  }
  const int32_t t = typmod - 4;
  *precision = (t >> 16) & 0xffff;
  *scale = ((t & 0x7ff) ^ 1024) - 1024;
}

// The Connect schema and decoding of a column of base type `oid` (domains already resolved).
void map_type(uint32_t oid, int32_t typmod, bool optional, NumericMapping mapping, Column* column,
              Kind* kind) {
  switch (oid) {
    case kOidInt2:
      column->schema = Schema::primitive(Type::kInt16, optional);
      *kind = Kind::kInt;
      return;
    case kOidInt4:
      column->schema = Schema::primitive(Type::kInt32, optional);
      *kind = Kind::kInt;
      return;
    case kOidInt8:
    case kOidOid:
      column->schema = Schema::primitive(Type::kInt64, optional);
      *kind = Kind::kInt;
      return;
    case kOidBool:
      column->schema = Schema::primitive(Type::kBoolean, optional);
      *kind = Kind::kBool;
      return;
    case kOidFloat4:
      column->schema = Schema::primitive(Type::kFloat32, optional);
      *kind = Kind::kFloat32;
      return;
    case kOidFloat8:
      column->schema = Schema::primitive(Type::kFloat64, optional);
      *kind = Kind::kFloat64;
      return;
    case kOidNumeric: {
      int precision, scale;
      numeric_typmod(typmod, &precision, &scale);
      if (precision > 0) {
        column->schema = numeric_schema(precision, scale, mapping, optional);
        *kind = Kind::kNumeric;
      } else if (mapping == NumericMapping::kBestFitEagerDouble) {
        column->schema = Schema::primitive(Type::kFloat64, optional);
        *kind = Kind::kFloat64;
      } else {
        // Unconstrained numeric: see the file comment.
        column->schema = Schema::primitive(Type::kString, optional);
        *kind = Kind::kString;
      }
      return;
    }
    case kOidBytea:
      column->schema = Schema::primitive(Type::kBytes, optional);
      *kind = Kind::kBytes;
      return;
    case kOidDate:
      column->schema = Schema::date(optional);
      *kind = Kind::kDate;
      return;
    case kOidTime:
      column->schema = Schema::time(optional);
      *kind = Kind::kTime;
      return;
    case kOidTimestamp:
      column->schema = Schema::timestamp(optional);
      column->zoneless = true;
      *kind = Kind::kTimestamp;
      return;
    case kOidTimestampTz:
      column->schema = Schema::timestamp(optional);
      *kind = Kind::kTimestampTz;
      return;
    default:
      column->schema = Schema::primitive(Type::kString, optional);
      *kind = Kind::kString;
      return;
  }
}

bool read_digits(std::string_view s, size_t pos, size_t n, int64_t* out) {
  if (pos + n > s.size()) return false;
  int64_t v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// "YYYY-MM-DD" with DateStyle ISO (4+ year digits, " BC" for years <= 0) at the start of `s`.
bool parse_pg_date(std::string_view s, size_t* pos, int64_t* days) {
  size_t year_digits = 0;
  while (year_digits < s.size() && s[year_digits] >= '0' && s[year_digits] <= '9') ++year_digits;
  int64_t y, m, d;
  if (year_digits < 4 || year_digits > 7 || !read_digits(s, 0, year_digits, &y)) return false;
  const size_t p = year_digits;
  if (p + 6 > s.size() || s[p] != '-' || s[p + 3] != '-' || !read_digits(s, p + 1, 2, &m) ||
      !read_digits(s, p + 4, 2, &d) || m < 1 || m > 12 || d < 1 || d > 31)
    return false;
  *days = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  *pos = p + 6;
  return true;
}

// "HH:MM:SS[.ffffff]" at `pos`.
bool parse_pg_clock(std::string_view s, size_t* pos, int64_t* nanos) {
  size_t p = *pos;
  int64_t h, m, sec;
  if (!read_digits(s, p, 2, &h) || p + 8 > s.size() || s[p + 2] != ':' ||
      !read_digits(s, p + 3, 2, &m) || s[p + 5] != ':' || !read_digits(s, p + 6, 2, &sec))
    return false;
  p += 8;
  int64_t frac = 0;
  if (p < s.size() && s[p] == '.') {
    ++p;
    int n = 0;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
      if (n < 9) {
        frac = frac * 10 + (s[p] - '0');
        ++n;
      }
      ++p;
    }
    for (; n < 9; ++n) frac *= 10;
  }
  *nanos = ((h * 60 + m) * 60 + sec) * kNanosPerSecond + frac;
  *pos = p;
  return true;
}

// days * 86400e9 + nanos without overflowing int64.
bool to_nanos(int64_t days, int64_t nanos_of_day, int64_t* out) {
  int64_t base;
  if (__builtin_mul_overflow(days, kNanosPerDay, &base)) return false;
  return !__builtin_add_overflow(base, nanos_of_day, out);
}

// Applies "+HH", "+HH:MM" or "+HH:MM:SS" (the zone PostgreSQL prints) at `pos`: local -> instant.
bool apply_offset(std::string_view s, size_t* pos, int64_t* nanos) {
  size_t p = *pos;
  if (p >= s.size() || (s[p] != '+' && s[p] != '-')) return false;
  const bool negative = s[p] == '-';
  int64_t h, m = 0, sec = 0;
  if (!read_digits(s, p + 1, 2, &h)) return false;
  p += 3;
  if (p < s.size() && s[p] == ':') {
    if (!read_digits(s, p + 1, 2, &m)) return false;
    p += 3;
    if (p < s.size() && s[p] == ':') {
      if (!read_digits(s, p + 1, 2, &sec)) return false;
      p += 3;
    }
  }
  const int64_t offset = ((h * 60 + m) * 60 + sec) * kNanosPerSecond;
  if (__builtin_sub_overflow(*nanos, negative ? -offset : offset, nanos)) return false;
  *pos = p;
  return true;
}

std::string excerpt(std::string_view text) {
  return text.size() <= 64 ? std::string(text) : std::string(text.substr(0, 61)) + "...";
}

// ---------------------------------------------------------------------------------------------
// Errors.

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

// Replaces every occurrence of the secret in a message (libpq may echo connection parameters).
std::string scrub(std::string message, const std::string& secret) {
  if (secret.empty()) return message;
  for (size_t pos = message.find(secret); pos != std::string::npos;
       pos = message.find(secret, pos + 5))
    message.replace(pos, secret.size(), "*****");
  return message;
}

// Whether a failure may pass by itself (errors.retry.timeout): the connection is gone, the server
// is shutting down or starting up, it has no free connection slot, or the transaction lost a
// serialization or deadlock race. A statement, a name or a password fails the same way again.
bool transient_failure(const std::exception& e, const pqxx::connection_base& conn) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) ||
      dynamic_cast<const pqxx::in_doubt_error*>(&e) ||
      dynamic_cast<const pqxx::transaction_rollback*>(&e))
    return true;
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    const std::string& state = sql->sqlstate();
    // 08: connection exception; 57P01..57P03: admin shutdown, crash shutdown, cannot connect now;
    // 53300: too many connections.
    if (state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0 || state == "53300") return true;
  }
  return !conn.is_open();
}

// The same for a failed connection attempt, which libpq reports as text only. Authentication,
// a missing role or database and a rejected pg_hba entry are not transient.
bool transient_connect_failure(const std::string& message) {
  for (const char* permanent :
       {"authentication failed", "does not exist", "no pg_hba.conf entry", "no password supplied",
        "permission denied", "certificate", "does not support SSL", "invalid"})
    if (message.find(permanent) != std::string::npos) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Parameter substitution.

// Splices `params` into the '?' placeholders of `sql` outside string literals, quoted identifiers,
// comments and dollar quotes; "??" is a literal '?' (as in pgjdbc, for jsonb's ? operators).
Status substitute(const std::string& sql, const std::vector<Param>& params,
                  const std::function<std::string(const Param&)>& render, std::string* out) {
  out->clear();
  out->reserve(sql.size() + params.size() * 32);
  size_t next = 0;
  const size_t n = sql.size();
  auto ident_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
  };
  size_t i = 0;
  while (i < n) {
    const char c = sql[i];
    if (c == '\'') {
      // E'...' strings take backslash escapes; standard strings only '' (the session has
      // standard_conforming_strings on).
      const bool escapes =
          i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') && (i < 2 || !ident_char(sql[i - 2]));
      size_t j = i + 1;
      while (j < n) {
        if (escapes && sql[j] == '\\') {
          j += 2;
        } else if (sql[j] == '\'') {
          if (j + 1 < n && sql[j + 1] == '\'') {
            j += 2;
          } else {
            break;
          }
        } else {
          ++j;
        }
      }
      const size_t end = std::min(n, j + 1);
      out->append(sql, i, end - i);
      i = end;
    } else if (c == '"') {
      size_t j = i + 1;
      while (j < n && !(sql[j] == '"' && !(j + 1 < n && sql[j + 1] == '"')))
        j += sql[j] == '"' ? 2 : 1;
      const size_t end = std::min(n, j + 1);
      out->append(sql, i, end - i);
      i = end;
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      size_t j = sql.find('\n', i);
      if (j == std::string::npos) j = n;
      out->append(sql, i, j - i);
      i = j;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      int depth = 1;  // PostgreSQL's block comments nest
      size_t j = i + 2;
      while (j < n && depth > 0) {
        if (sql[j] == '/' && j + 1 < n && sql[j + 1] == '*') {
          ++depth;
          j += 2;
        } else if (sql[j] == '*' && j + 1 < n && sql[j + 1] == '/') {
          --depth;
          j += 2;
        } else {
          ++j;
        }
      }
      out->append(sql, i, j - i);
      i = j;
    } else if (c == '$' && (i == 0 || !ident_char(sql[i - 1]))) {
      // $tag$ ... $tag$ (a "$1" positional parameter is not a dollar quote).
      size_t j = i + 1;
      while (j < n && ident_char(sql[j]) && !(sql[j] >= '0' && sql[j] <= '9' && j == i + 1)) ++j;
      if (j < n && sql[j] == '$') {
        const std::string tag = sql.substr(i, j - i + 1);
        size_t close = sql.find(tag, j + 1);
        const size_t end = close == std::string::npos ? n : close + tag.size();
        out->append(sql, i, end - i);
        i = end;
      } else {
        out->push_back(c);
        ++i;
      }
    } else if (c == '?') {
      if (i + 1 < n && sql[i + 1] == '?') {
        out->push_back('?');
        i += 2;
        continue;
      }
      if (next >= params.size())
        return Status::Invalid("the query has more '?' placeholders than the " +
                               std::to_string(params.size()) + " values given");
      // "SELECT E?" must not turn the literal into an E'' string: keep tokens apart.
      if (!out->empty() && ident_char(out->back())) out->push_back(' ');
      out->append(render(params[next++]));
      ++i;
    } else {
      out->push_back(c);
      ++i;
    }
  }
  if (next != params.size())
    return Status::Invalid("the query has " + std::to_string(next) + " '?' placeholders but " +
                           std::to_string(params.size()) + " values were given");
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Streams.

struct QueryMeta {
  std::vector<Column> columns;
  std::vector<Kind> kinds;
};

class PgRowStream : public RowStream {
 public:
  PgRowStream(pqxx::connection& conn, std::shared_ptr<const QueryMeta> meta, const TimeZone& zone,
              std::string password)
      : conn_(conn), meta_(std::move(meta)), zone_(zone), password_(std::move(password)) {}

  ~PgRowStream() override {
    // Dropped before the end: cancel the COPY so the server stops sending, instead of libpq
    // draining the rest of a possibly huge result on the next statement.
    if (stream_ && !done_) {
      try {
        conn_.cancel_query();
      } catch (const std::exception&) {
        // The connection is gone; closing below is all there is left to do.
      }
    }
    stream_.reset();
    tx_.reset();
  }

  Status open(const std::string& sql) {
    try {
      tx_ = std::make_unique<pqxx::nontransaction>(conn_, "kpipe_read");
      // The table-name constructor with a parenthesised query: COPY (query) TO STDOUT. The
      // newline ends a trailing "-- comment" of the query before the closing parenthesis.
      stream_ = std::make_unique<pqxx::stream_from>(*tx_, "(" + sql + "\n)");
    } catch (const std::exception& e) {
      return error(e);
    }
    return Status::Ok();
  }

  const std::vector<Column>& columns() const override { return meta_->columns; }

  Status next(std::vector<Value>* row, bool* has_row) override {
    *has_row = false;
    if (done_) return Status::Ok();
    try {
      if (!stream_->get_raw_line(line_)) {
        done_ = true;
        stream_->complete();
        tx_->commit();
        stream_.reset();
        tx_.reset();
        return Status::Ok();
      }
    } catch (const std::exception& e) {
      done_ = true;
      return error(e);
    }
    KPIPE_RETURN_IF_ERROR(split());
    const size_t ncols = meta_->columns.size();
    row->resize(ncols);
    for (size_t i = 0; i < ncols; ++i) {
      if (nulls_[i]) {
        (*row)[i] = Value();
        continue;
      }
      KPIPE_RETURN_IF_ERROR(decode(i, fields_[i], &(*row)[i]));
    }
    *has_row = true;
    return Status::Ok();
  }

 private:
  Status error(const std::exception& e) {
    Status st = Status::Runtime(scrub("PostgreSQL: " + trim(e.what()), password_));
    return transient_failure(e, conn_) ? st.as_transient() : st;
  }

  // Splits one COPY text line into fields, undoing its backslash escapes. Fields without escapes
  // are views into the line; escaped ones are unescaped into `scratch_`, sized up front so the
  // views stay valid.
  Status split() {
    std::string_view line(line_);
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    const size_t ncols = meta_->columns.size();
    fields_.clear();
    nulls_.clear();
    if (scratch_.size() < line.size()) scratch_.resize(line.size());
    char* write = scratch_.data();
    size_t pos = 0;
    while (true) {
      size_t end = pos;
      // Eight bytes at a time while none is a tab or a backslash.
      while (end + 8 <= line.size()) {
        const uint64_t v = swar::load(line.data() + end);
        if (swar::equal(v, '\t') | swar::equal(v, '\\')) break;
        end += 8;
      }
      while (end < line.size() && line[end] != '\t' && line[end] != '\\') ++end;
      if (end >= line.size() || line[end] == '\t') {
        fields_.emplace_back(line.substr(pos, end - pos));
        nulls_.push_back(false);
      } else if (end == pos && end + 1 < line.size() && line[end + 1] == 'N' &&
                 (end + 2 == line.size() || line[end + 2] == '\t')) {
        fields_.emplace_back();
        nulls_.push_back(true);
        end += 2;
      } else {
        char* begin = write;
        std::memcpy(write, line.data() + pos, end - pos);
        write += end - pos;
        size_t p = end;
        while (p < line.size() && line[p] != '\t') {
          if (line[p] != '\\') {
            *write++ = line[p++];
            continue;
          }
          if (p + 1 >= line.size()) return Status::Runtime("PostgreSQL: malformed COPY line");
          const char e = line[p + 1];
          p += 2;
          switch (e) {
            case 'b':
              *write++ = '\b';
              break;
            case 'f':
              *write++ = '\f';
              break;
            case 'n':
              *write++ = '\n';
              break;
            case 'r':
              *write++ = '\r';
              break;
            case 't':
              *write++ = '\t';
              break;
            case 'v':
              *write++ = '\v';
              break;
            case 'x': {
              int v = 0, k = 0;
              while (k < 2 && p < line.size() && hex_digit(line[p]) >= 0)
                v = v * 16 + hex_digit(line[p++]), ++k;
              *write++ = static_cast<char>(v);
              break;
            }
            default:
              if (e >= '0' && e <= '7') {
                int v = e - '0', k = 1;
                while (k < 3 && p < line.size() && line[p] >= '0' && line[p] <= '7')
                  v = v * 8 + (line[p++] - '0'), ++k;
                *write++ = static_cast<char>(v);
              } else {
                *write++ = e;
              }
          }
        }
        fields_.emplace_back(begin, static_cast<size_t>(write - begin));
        nulls_.push_back(false);
        end = p;
      }
      if (end >= line.size()) break;
      pos = end + 1;  // past the tab
    }
    if (fields_.size() != ncols)
      return Status::Runtime("PostgreSQL: a row has " + std::to_string(fields_.size()) +
                             " fields, expected " + std::to_string(ncols) +
                             " (was the table altered while reading?)");
    return Status::Ok();
  }

  Status bad_value(size_t i, std::string_view text, const char* what) const {
    return Status::Runtime("column '" + meta_->columns[i].name + "': " + what + " '" +
                           excerpt(text) + "'");
  }

  Status decode(size_t i, std::string_view text, Value* out) {
    switch (meta_->kinds[i]) {
      case Kind::kInt: {
        int64_t v;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc() || p != text.data() + text.size())
          return bad_value(i, text, "not an integer:");
        *out = Value(v);
        return Status::Ok();
      }
      case Kind::kBool:
        if (text == "t") {
          *out = Value(true);
        } else if (text == "f") {
          *out = Value(false);
        } else {
          return bad_value(i, text, "not a boolean:");
        }
        return Status::Ok();
      case Kind::kFloat32: {
        float v;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc() || p != text.data() + text.size())
          return bad_value(i, text, "not a number:");
        *out = Value(static_cast<double>(v));
        return Status::Ok();
      }
      case Kind::kFloat64: {
        double v;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc() || p != text.data() + text.size())
          return bad_value(i, text, "not a number:");
        *out = Value(v);
        return Status::Ok();
      }
      case Kind::kNumeric: {
        Status st = numeric_value(std::string(text), *meta_->columns[i].schema, out);
        if (!st.ok()) return st.with_context("column '" + meta_->columns[i].name + "'");
        return Status::Ok();
      }
      case Kind::kString:
        *out = Value(std::string(text));
        return Status::Ok();
      case Kind::kBytes: {
        // bytea_output = hex: "\x0a0b..."
        if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0)
          return bad_value(i, text, "not hex bytea:");
        Bytes b;
        b.data.resize((text.size() - 2) / 2);
        for (size_t k = 0; k < b.data.size(); ++k) {
          const int hi = hex_digit(text[2 + 2 * k]), lo = hex_digit(text[3 + 2 * k]);
          if (hi < 0 || lo < 0) return bad_value(i, text, "not hex bytea:");
          b.data[k] = static_cast<char>(hi * 16 + lo);
        }
        *out = Value(std::move(b));
        return Status::Ok();
      }
      case Kind::kDate: {
        size_t pos;
        int64_t days;
        if (!parse_pg_date(text, &pos, &days)) return out_of_range(i, text, "date");
        if (pos != text.size()) {
          if (text.substr(pos) != " BC") return out_of_range(i, text, "date");
          // Year N BC is astronomical year 1 - N.
          int64_t y;
          unsigned m, d;
          civil_from_days(days, &y, &m, &d);
          days = days_from_civil(1 - y, m, d);
        }
        *out = Value(days);
        return Status::Ok();
      }
      case Kind::kTime: {
        size_t pos = 0;
        int64_t nanos;
        if (!parse_pg_clock(text, &pos, &nanos) || pos != text.size())
          return bad_value(i, text, "not a time:");
        *out = Value(nanos);
        return Status::Ok();
      }
      case Kind::kTimestamp:
      case Kind::kTimestampTz: {
        size_t pos;
        int64_t days, clock, nanos;
        if (!parse_pg_date(text, &pos, &days) || pos >= text.size() || text[pos] != ' ')
          return out_of_range(i, text, "timestamp");
        ++pos;
        if (!parse_pg_clock(text, &pos, &clock) || !to_nanos(days, clock, &nanos))
          return out_of_range(i, text, "timestamp");
        if (meta_->kinds[i] == Kind::kTimestampTz) {
          if (!apply_offset(text, &pos, &nanos)) return out_of_range(i, text, "timestamp");
        } else {
          // Keep clear of int64's edges before the zone shifts the value by hours.
          if (nanos > std::numeric_limits<int64_t>::max() - kNanosPerDay ||
              nanos < std::numeric_limits<int64_t>::min() + kNanosPerDay)
            return out_of_range(i, text, "timestamp");
          nanos = zone_.to_instant(nanos);
        }
        if (pos != text.size()) return out_of_range(i, text, "timestamp");
        *out = Value(nanos);
        return Status::Ok();
      }
    }
    return Status::Ok();
  }

  Status out_of_range(size_t i, std::string_view text, const char* type) const {
    return Status::Runtime("column '" + meta_->columns[i].name + "': " + type + " '" +
                           excerpt(text) +
                           "' cannot be represented (kpipe holds timestamps as int64 "
                           "nanoseconds: 1677-09-21 to 2262-04-11; infinity is not a time)");
  }

  pqxx::connection& conn_;
  std::shared_ptr<const QueryMeta> meta_;
  TimeZone zone_;  // a copy: it shares the zone's conversion memo
  std::string password_;
  std::unique_ptr<pqxx::nontransaction> tx_;
  std::unique_ptr<pqxx::stream_from> stream_;
  bool done_ = false;
  std::string line_;
  std::string scratch_;
  std::vector<std::string_view> fields_;
  std::vector<bool> nulls_;
};

// ---------------------------------------------------------------------------------------------
// The connection.

class PgConnection : public Connection {
 public:
  PgConnection(ConnectOptions options, std::unique_ptr<pqxx::connection> conn, std::string database,
               std::string password)
      : options_(std::move(options)),
        conn_(std::move(conn)),
        database_(std::move(database)),
        password_(std::move(password)) {}

  std::string dialect() const override { return "postgresql"; }
  std::string database() const override { return database_; }

  std::string quote(const std::string& identifier) const override {
    std::string out = "\"";
    for (char c : identifier) {
      if (c == '\0') continue;  // cannot occur in a PostgreSQL name; would cut the statement
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    out.push_back('"');
    return out;
  }

  Status tables(const std::vector<std::string>& types, std::vector<std::string>* out) override {
    std::string kinds;
    bool partitions = false;
    for (std::string type : types) {
      std::transform(type.begin(), type.end(), type.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      if (type == "TABLE") kinds += "rp";
      if (type == "PARTITIONED TABLE") kinds += "p";
      if (type == "PARTITION") partitions = true;
      if (type == "VIEW") kinds += "v";
      if (type == "MATERIALIZED VIEW") kinds += "m";
      if (type == "FOREIGN TABLE") kinds += "f";
    }
    out->clear();
    return guarded("listing tables", [&] {
      pqxx::nontransaction tx(*conn_);
      const pqxx::result r = tx.exec_params(
          "SELECT n.nspname, c.relname, pg_catalog.pg_table_is_visible(c.oid), c.relispartition "
          "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
          "WHERE n.nspname = ANY (pg_catalog.current_schemas(false)) "
          "AND ((strpos($1, c.relkind::text) > 0 AND NOT c.relispartition) "
          "     OR ($2 AND c.relispartition)) "
          "ORDER BY array_position(pg_catalog.current_schemas(false), n.nspname), c.relname",
          kinds, partitions);
      for (const auto& row : r) {
        const std::string schema = row[0].c_str();
        const std::string name = row[1].c_str();
        const bool visible = row[2].as<bool>();
        if (visible && name.find('.') == std::string::npos) {
          out->push_back(name);
        } else {
          out->push_back(schema + "." + name);
        }
      }
      return Status::Ok();
    });
  }

  Status columns(const std::string& table, std::vector<Column>* out) override {
    out->clear();
    return guarded("reading the columns of '" + table + "'", [&] {
      pqxx::nontransaction tx(*conn_);
      const pqxx::result r = tx.exec_params(
          "SELECT a.attname, "
          "  (CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END)::int8, "
          "  CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END, "
          "  a.attnotnull OR t.typnotnull, "
          "  pg_catalog.format_type(a.atttypid, a.atttypmod) "
          "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
          "WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped "
          "ORDER BY a.attnum",
          quote_table(table));
      if (r.empty()) return missing_table(tx, table);
      for (const auto& row : r) {
        Column column;
        column.name = row[0].c_str();
        column.nullable = !row[3].as<bool>();
        column.type_name = row[4].c_str();
        Kind kind;
        map_type(row[1].as<uint32_t>(), row[2].as<int32_t>(), column.nullable,
                 options_.numeric_mapping, &column, &kind);
        out->push_back(std::move(column));
      }
      return Status::Ok();
    });
  }

  Status unique_key(const std::string& table, std::vector<std::string>* out) override {
    out->clear();
    return guarded("reading the keys of '" + table + "'", [&] {
      pqxx::nontransaction tx(*conn_);
      // Key columns of the primary key and of unique, valid, non-partial, non-expression indexes,
      // in index order; INCLUDE columns (beyond indnkeyatts) are not part of the key.
      const pqxx::result r = tx.exec_params(
          "SELECT i.indexrelid::int8, i.indisprimary, a.attname, a.attnotnull, "
          "       i.indexrelid::regclass::text "
          "FROM pg_catalog.pg_index i "
          "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
          "JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
          "WHERE i.indrelid = pg_catalog.to_regclass($1) AND (i.indisprimary OR i.indisunique) "
          "  AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL "
          "  AND k.ord <= i.indnkeyatts "
          "ORDER BY i.indisprimary DESC, i.indexrelid, k.ord",
          quote_table(table));
      struct Candidate {
        bool primary = false;
        bool all_not_null = true;
        std::string name;
        std::vector<std::string> columns;
      };
      std::vector<Candidate> candidates;
      int64_t current = -1;
      for (const auto& row : r) {
        const int64_t index = row[0].as<int64_t>();
        if (index != current) {
          current = index;
          candidates.emplace_back();
          candidates.back().primary = row[1].as<bool>();
          candidates.back().name = row[4].c_str();
        }
        candidates.back().columns.push_back(row[2].c_str());
        candidates.back().all_not_null = candidates.back().all_not_null && row[3].as<bool>();
      }
      const Candidate* best = nullptr;
      for (const auto& c : candidates) {
        if (c.primary) {
          best = &c;
          break;
        }
        if (!c.all_not_null) continue;
        // Fewest columns; ties go to the index name, so the choice is stable across runs.
        if (!best || c.columns.size() < best->columns.size() ||
            (c.columns.size() == best->columns.size() && c.name < best->name))
          best = &c;
      }
      if (best) {
        *out = best->columns;
      } else {
        // Either no key or a missing table: tell them apart for the caller.
        const pqxx::result exists =
            tx.exec_params("SELECT pg_catalog.to_regclass($1) IS NOT NULL", quote_table(table));
        if (!exists[0][0].as<bool>()) return missing_table(tx, table);
      }
      return Status::Ok();
    });
  }

  Status now(int64_t* epoch_nanos) override {
    return guarded("reading the database clock", [&] {
      pqxx::nontransaction tx(*conn_);
      const pqxx::result r = tx.exec("SELECT CURRENT_TIMESTAMP");
      const std::string_view text = r[0][0].c_str();
      size_t pos;
      int64_t days, clock, nanos;
      if (!parse_pg_date(text, &pos, &days) || pos >= text.size() || text[pos] != ' ' ||
          !parse_pg_clock(text, &(++pos), &clock) || !to_nanos(days, clock, &nanos) ||
          !apply_offset(text, &pos, &nanos) || pos != text.size())
        return Status::Runtime("PostgreSQL: unexpected CURRENT_TIMESTAMP '" + std::string(text) +
                               "'");
      *epoch_nanos = nanos;
      return Status::Ok();
    });
  }

  Status query(const std::string& sql_in, const std::vector<Param>& params,
               std::unique_ptr<RowStream>* out) override {
    // COPY (...) and the LIMIT 0 wrapper both need the bare statement.
    std::string sql = sql_in;
    while (!sql.empty() &&
           (sql.back() == ';' || std::isspace(static_cast<unsigned char>(sql.back()))))
      sql.pop_back();
    std::string bound;
    Status st = guarded("binding query parameters", [&] {
      return substitute(
          sql, params, [&](const Param& p) { return literal(p); }, &bound);
    });
    if (!st.ok()) return st;

    std::string key = sql;
    key.push_back('\0');
    for (const auto& p : params) key.push_back(static_cast<char>('0' + p.index()));
    std::shared_ptr<const QueryMeta> meta;
    if (auto it = meta_cache_.find(key); it != meta_cache_.end()) {
      meta = it->second;
    } else {
      KPIPE_RETURN_IF_ERROR(describe(bound, &meta));
      if (meta_cache_.size() >= 256) meta_cache_.clear();
      meta_cache_.emplace(std::move(key), meta);
    }
    auto stream = std::make_unique<PgRowStream>(*conn_, meta, options_.timezone, password_);
    KPIPE_RETURN_IF_ERROR(stream->open(bound));
    *out = std::move(stream);
    return Status::Ok();
  }

  // ---- Write side. Transactions are plain BEGIN/COMMIT on the session, so the short-lived
  // pqxx::nontransaction objects of every call (reads included) run inside them.
  Status execute(const std::string& sql) override {
    return guarded("running '" + excerpt(sql) + "'", [&] {
      pqxx::nontransaction tx(*conn_);
      tx.exec(sql);
      return Status::Ok();
    });
  }
  Status begin() override { return execute("BEGIN"); }
  Status commit() override { return execute("COMMIT"); }
  void rollback() override {
    try {
      pqxx::nontransaction tx(*conn_);
      tx.exec("ROLLBACK");
    } catch (const std::exception&) {
      // A lost connection rolled back on the server already.
    }
  }

  Status write(const WriteBatch& batch, const TimeZone& zone) override {
    if (batch.op == WriteOp::kInsert) {
      if (!batch.rendered.empty()) return copy_in(batch.table, batch.columns, batch.rendered);
      std::string text;
      KPIPE_RETURN_IF_ERROR(copy_text(batch, zone, &text));
      return copy_in(batch.table, batch.columns, text);
    }
    if (batch.rows.empty()) return Status::Ok();
    return guarded("writing to table '" + batch.table + "'", [&] {
      pqxx::nontransaction tx(*conn_);
      std::string sql;
      for (size_t begin = 0, next = 0; begin < batch.rows.size(); begin = next) {
        KPIPE_RETURN_IF_ERROR(
            multi_row_sql(Flavor::kPostgres, batch, zone, begin, kStatementBytes, &sql, &next));
        if (sql.empty()) break;
        tx.exec(sql);
      }
      return Status::Ok();
    });
  }

 private:
  static constexpr size_t kStatementBytes = 8 << 20;

  // Inserts go in with COPY ... FROM STDIN in text format: the server's fastest way in, one
  // round trip per batch.
  Status render(WriteBatch* batch, const TimeZone& zone) const override {
    if (batch->op != WriteOp::kInsert || batch->rows.empty()) return Status::Ok();
    KPIPE_RETURN_IF_ERROR(copy_text(*batch, zone, &batch->rendered));
    batch->rows.clear();
    return Status::Ok();
  }

  static Status copy_text(const WriteBatch& batch, const TimeZone& zone, std::string* out) {
    for (const auto& row : batch.rows) {
      for (size_t i = 0; i < batch.columns.size(); ++i) {
        if (i) out->push_back('\t');
        const WriteColumn& c = batch.columns[i];
        Status st = append_copy_text(row[i], *c.schema, c.zoneless, zone, out);
        if (!st.ok()) return st.with_context("column '" + c.name + "'");
      }
      out->push_back('\n');
      // Room for the rest, judged by the first row, instead of growing by doubling.
      if (&row == &batch.rows.front()) out->reserve(out->size() * batch.rows.size() * 9 / 8);
    }
    return Status::Ok();
  }

  // Sends COPY text in pieces of whole lines (pqxx adds each piece's last newline).
  Status copy_in(const std::string& table, const std::vector<WriteColumn>& columns,
                 const std::string& text) {
    if (text.empty()) return Status::Ok();
    return guarded("copying rows into table '" + table + "'", [&] {
      std::vector<std::string> names;
      for (const auto& c : columns) names.push_back(quote(c.name));
      pqxx::nontransaction tx(*conn_);
      pqxx::stream_to copy(tx, quote_table(table), names);
      const RawLineWriter write_line = raw_line_writer(RawLineTag{});
      constexpr size_t kPiece = 1 << 20;
      std::string piece;
      for (size_t begin = 0; begin < text.size();) {
        // The last newline within a piece from `begin`, else the first after it (a line longer
        // than a piece); the text ends with one.
        size_t end = text.size() - 1;
        if (end - begin > kPiece) {
          end = text.rfind('\n', begin + kPiece);
          if (end == std::string::npos || end < begin) end = text.find('\n', begin + kPiece);
        }
        piece.assign(text, begin, end - begin);
        (copy.*write_line)(piece);
        begin = end + 1;
      }
      copy.complete();
      return Status::Ok();
    });
  }

  template <typename F>
  Status guarded(const std::string& what, F&& f) {
    try {
      return f();
    } catch (const pqxx::syntax_error& e) {
      // pqxx 6.4 derives undefined_table/_column/_function from syntax_error: a query or name
      // the user wrote that cannot run is a configuration error (exit 2).
      return Status::Invalid(message(what, e));
    } catch (const std::exception& e) {
      Status st = Status::Runtime(message(what, e));
      return transient_failure(e, *conn_) ? st.as_transient() : st;
    }
  }

  std::string message(const std::string& what, const std::exception& e) const {
    return scrub("PostgreSQL: " + what + ": " + trim(e.what()), password_);
  }

  Status missing_table(pqxx::transaction_base&, const std::string& table) const {
    return Status::Invalid("table '" + table + "' does not exist in database '" + database_ + "'");
  }

  // A parameter as a SQL literal (see the file comment: COPY cannot take bind parameters).
  std::string literal(const Param& param) {
    struct Render {
      PgConnection* self;
      std::string operator()(std::monostate) const { return "NULL"; }
      // Parenthesised when negative: "a -?" must not become the comment "a --5".
      std::string operator()(int64_t v) const {
        return v < 0 ? "(" + std::to_string(v) + ")" : std::to_string(v);
      }
      std::string operator()(double v) const {
        char buf[64];
        auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
        (void)ec;
        return "'" + std::string(buf, p) + "'::float8";
      }
      std::string operator()(const std::string& v) const {
        if (v.find('\0') != std::string::npos)
          throw std::invalid_argument("a string parameter contains a NUL byte");
        return self->conn_->quote(v);
      }
      std::string operator()(const TimestampParam& t) const {
        // PostgreSQL keeps microseconds: 6 digits, the rest cannot match any stored value.
        if (t.zoneless)
          return "'" + format_timestamp(t.epoch_nanos, self->options_.timezone, 6) + "'::timestamp";
        return "'" + format_timestamp(t.epoch_nanos, TimeZone(), 6) + "+00'::timestamptz";
      }
    };
    return std::visit(Render{this}, param);
  }

  // The result's columns: the query run with LIMIT 0, its type OIDs resolved through the catalog
  // where they are not built-in (domains, enums, extension types) or need a typmod (numeric).
  Status describe(const std::string& bound, std::shared_ptr<const QueryMeta>* out) {
    return guarded("preparing the query", [&] {
      pqxx::nontransaction tx(*conn_);
      const pqxx::result r = tx.exec("SELECT * FROM (" + bound + "\n) AS kpipe_q LIMIT 0");
      const size_t ncols = static_cast<size_t>(r.columns());
      std::vector<uint32_t> oids(ncols);
      std::vector<int32_t> typmods(ncols, -1);
      std::string unknown = "{";
      std::string origins;
      for (size_t i = 0; i < ncols; ++i) {
        const auto col = static_cast<pqxx::row::size_type>(i);
        oids[i] = r.column_type(col);
        if (!builtin_name(oids[i])) {
          if (unknown.size() > 1) unknown += ',';
          unknown += std::to_string(oids[i]);
        }
        const pqxx::oid table = r.column_table(col);
        if (table != 0) {
          if (!origins.empty()) origins += ',';
          origins += "(" + std::to_string(i) + "," + std::to_string(table) + "::oid," +
                     std::to_string(r.table_column(col) + 1) + ")";
        }
      }
      unknown += "}";
      // Domains over a base type: resolve to the base type and its typmod.
      std::unordered_map<uint32_t, std::pair<uint32_t, int32_t>> bases;
      if (unknown.size() > 2) {
        const pqxx::result t = tx.exec_params(
            "SELECT oid::int8, (CASE WHEN typtype = 'd' THEN typbasetype ELSE oid END)::int8, "
            "typtypmod FROM pg_catalog.pg_type WHERE oid = ANY ($1::oid[])",
            unknown);
        for (const auto& row : t)
          bases[row[0].as<uint32_t>()] = {row[1].as<uint32_t>(), row[2].as<int32_t>()};
      }
      for (size_t i = 0; i < ncols; ++i) {
        if (auto it = bases.find(oids[i]); it != bases.end()) {
          oids[i] = it->second.first;
          typmods[i] = it->second.second;
        }
      }
      // numeric's precision and scale live in the typmod, which pqxx 6.4 does not expose for a
      // result: read it from the source table's column.
      bool need_typmods = false;
      for (size_t i = 0; i < ncols; ++i) need_typmods = need_typmods || oids[i] == kOidNumeric;
      if (need_typmods && !origins.empty()) {
        const pqxx::result t = tx.exec(
            "SELECT o.i, CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END "
            "FROM (VALUES " +
            origins +
            ") AS o(i, rel, num) "
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = o.rel AND a.attnum = o.num "
            "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid");
        for (const auto& row : t) {
          const size_t i = row[0].as<size_t>();
          if (i < ncols && oids[i] == kOidNumeric) typmods[i] = row[1].as<int32_t>();
        }
      }
      auto meta = std::make_shared<QueryMeta>();
      for (size_t i = 0; i < ncols; ++i) {
        Column column;
        column.name = r.column_name(static_cast<pqxx::row::size_type>(i));
        column.type_name = type_name_of(oids[i]);
        // A query's columns may be NULL whatever their source (outer joins, expressions).
        column.nullable = true;
        Kind kind;
        map_type(oids[i], typmods[i], true, options_.numeric_mapping, &column, &kind);
        meta->columns.push_back(std::move(column));
        meta->kinds.push_back(kind);
      }
      *out = std::move(meta);
      return Status::Ok();
    });
  }

  static std::string type_name_of(uint32_t oid) {
    const char* name = builtin_name(oid);
    return name ? name : "oid " + std::to_string(oid);
  }

  ConnectOptions options_;
  std::unique_ptr<pqxx::connection> conn_;
  std::string database_;
  std::string password_;
  std::unordered_map<std::string, std::shared_ptr<const QueryMeta>> meta_cache_;
};

}  // namespace

Status connect_postgres(const ConnectOptions& options, std::unique_ptr<Connection>* out) {
  Params params;
  KPIPE_RETURN_IF_ERROR(parse_url(options, &params));
  const std::string* pw = find_param(params, "password");
  const std::string password = pw ? *pw : std::string();
  try {
    auto conn = std::make_unique<pqxx::connection>(conninfo(params));
    // A silent reconnect by pqxx would lose the session settings below mid-run; a lost
    // connection must surface as an error so the runner stops at the last durable point.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    conn->inhibit_reactivation(true);
#pragma GCC diagnostic pop
    std::string database;
    {
      pqxx::nontransaction tx(*conn);
      // One round trip: what the COPY text parser and the literals above rely on.
      // extra_float_digits 3: doubles print with all their digits (PostgreSQL < 12 included).
      const pqxx::result r = tx.exec(
          "SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, YMD'; SET extra_float_digits TO 3; "
          "SET IntervalStyle TO 'iso_8601'; SET bytea_output TO 'hex'; "
          "SET standard_conforming_strings TO on; SELECT pg_catalog.current_database()");
      database = r[0][0].c_str();
    }
    *out = std::make_unique<PgConnection>(options, std::move(conn), std::move(database), password);
    return Status::Ok();
  } catch (const std::exception& e) {
    Status st = Status::Runtime(scrub("connecting to PostgreSQL: " + trim(e.what()), password));
    return transient_connect_failure(e.what()) ? st.as_transient() : st;
  }
}

}  // namespace kpipe::jdbc
