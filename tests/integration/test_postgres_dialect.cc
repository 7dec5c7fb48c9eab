// The PostgreSQL dialect (connectors/jdbc/postgres.cc) against a real server:
//   dir=$(mktemp -d); export KPIPE_PG_URL=$(scripts/test-db.sh start postgres "$dir")
//   ...; scripts/test-db.sh stop "$dir"
// Without KPIPE_PG_URL every case is skipped with a message.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "connectors/jdbc/sql.h"

using kpipe::Bytes;
using kpipe::Code;
using kpipe::Decimal;
using kpipe::Logical;
using kpipe::Status;
using kpipe::Type;
using kpipe::Value;
using namespace kpipe::jdbc;

namespace {

const char* pg_url() {
  return std::getenv("KPIPE_PG_URL");
}

#define REQUIRE_PG()                                                     \
  do {                                                                   \
    if (!pg_url()) {                                                     \
      MESSAGE("KPIPE_PG_URL not set: skipping PostgreSQL dialect test"); \
      return;                                                            \
    }                                                                    \
  } while (0)

// DDL and fixtures go through pqxx directly: the dialect only reads.
void exec_sql(const std::string& sql) {
  pqxx::connection conn(pg_url());
  pqxx::nontransaction tx(conn);
  tx.exec(sql);
}

// "postgresql://user:pw@host:port/db" -> host, port.
void host_port(std::string* host, std::string* port) {
  std::string url = pg_url();
  url = url.substr(url.find('@') + 1);
  *host = url.substr(0, url.find(':'));
  *port = url.substr(url.find(':') + 1, url.find('/') - url.find(':') - 1);
}

std::unique_ptr<Connection> open(const std::string& tz = "UTC",
                                 NumericMapping mapping = NumericMapping::kNone) {
  ConnectOptions options;
  options.url = pg_url();
  REQUIRE(TimeZone::load(tz, &options.timezone).ok());
  options.numeric_mapping = mapping;
  std::unique_ptr<Connection> conn;
  Status st = connect_postgres(options, &conn);
  INFO(st.message());
  REQUIRE(st.ok());
  return conn;
}

std::vector<std::vector<Value>> read_all(Connection& conn, const std::string& sql,
                                         const std::vector<Param>& params = {},
                                         std::vector<Column>* columns = nullptr) {
  std::unique_ptr<RowStream> stream;
  Status st = conn.query(sql, params, &stream);
  INFO(st.message());
  REQUIRE(st.ok());
  if (columns) *columns = stream->columns();
  std::vector<std::vector<Value>> rows;
  while (true) {
    std::vector<Value> row;
    bool has_row = false;
    st = stream->next(&row, &has_row);
    INFO(st.message());
    REQUIRE(st.ok());
    if (!has_row) break;
    rows.push_back(std::move(row));
  }
  return rows;
}

const Column& find(const std::vector<Column>& columns, const std::string& name) {
  for (const auto& c : columns)
    if (c.name == name) return c;
  FAIL("no column " << name);
  return columns.front();
}

int64_t utc_nanos(const std::string& text) {
  int64_t n = 0;
  REQUIRE(parse_timestamp(text, TimeZone(), &n));
  return n;
}

const char* kTypesDdl = R"sql(
DROP TABLE IF EXISTS kp_types CASCADE;
DROP DOMAIN IF EXISTS kp_amount;
DROP TYPE IF EXISTS kp_mood;
CREATE DOMAIN kp_amount AS numeric(8, 2) NOT NULL;
CREATE TYPE kp_mood AS ENUM ('sad', 'happy');
CREATE TABLE kp_types (
  id serial PRIMARY KEY,
  s smallint NOT NULL,
  i integer,
  b bigint,
  flag boolean,
  r real,
  d double precision,
  n numeric(10, 3),
  nu numeric,
  c char(3),
  vc varchar(40),
  t text,
  by bytea,
  dt date,
  tm time,
  ts timestamp,
  tstz timestamptz,
  j json,
  jb jsonb,
  u uuid,
  iv interval,
  arr int[],
  amount kp_amount,
  mood kp_mood
);
INSERT INTO kp_types (s, i, b, flag, r, d, n, nu, c, vc, t, by, dt, tm, ts, tstz, j, jb, u, iv,
                      arr, amount, mood)
VALUES (-32768, 2147483647, -9223372036854775808, true, 1.5, 0.1, -1234567.891, 12.3400,
        'ab', 'name''s', E'tab\there\nnew\\line \u00e9\u2713 \r', '\x00ff5c0a09'::bytea,
        '2016-10-14', '23:59:59.999999', '2020-06-01 12:34:56.123456',
        '2020-06-01 12:34:56.654321+00', '{"a": [1, 2]}', '{"b": 1}',
        'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1 day 2 hours', '{1,2,3}', 12.5, 'happy');
INSERT INTO kp_types (s, amount) VALUES (1, 0);
)sql";

}  // namespace

TEST_CASE("postgres: connect, database, quoting") {
  REQUIRE_PG();
  auto conn = open();
  CHECK(conn->dialect() == "postgresql");
  CHECK(conn->database() == "kpipe");
  CHECK(conn->quote("a\"b") == "\"a\"\"b\"");
  CHECK(conn->quote_table("s.t") == "\"s\".\"t\"");
  CHECK(conn->quote_table("t") == "\"t\"");
}

TEST_CASE("postgres: URL forms and overrides") {
  REQUIRE_PG();
  std::string host, port;
  host_port(&host, &port);
  std::unique_ptr<Connection> conn;

  ConnectOptions jdbc;
  jdbc.url = "jdbc:postgresql://" + host + ":" + port +
             "/kpipe?user=kpipe&password=kpipe&prepareThreshold=0&ApplicationName=kp+test";
  Status st = connect_postgres(jdbc, &conn);
  INFO(st.message());
  CHECK(st.ok());

  // connection.user/password override the URL's (wrong) ones.
  ConnectOptions overridden;
  overridden.url = "postgresql://nobody:wrong@" + host + ":" + port + "/kpipe?connect_timeout=5";
  overridden.user = "kpipe";
  overridden.password = "kpipe";
  st = connect_postgres(overridden, &conn);
  INFO(st.message());
  CHECK(st.ok());

  ConnectOptions bad;
  bad.url = "postgresql://kpipe@[::1/kpipe";
  CHECK(connect_postgres(bad, &conn).code() == Code::kInvalid);
}

TEST_CASE("postgres: wrong password and unreachable server are Runtime, password hidden") {
  REQUIRE_PG();
  std::string host, port;
  host_port(&host, &port);
  std::unique_ptr<Connection> conn;

  ConnectOptions options;
  options.url = "jdbc:postgresql://" + host + ":" + port + "/kpipe?user=kpipe";
  options.password = "s3cr3t-Pw-xyz";
  Status st = connect_postgres(options, &conn);
  CHECK(st.code() == Code::kRuntime);
  CHECK(st.message().find("s3cr3t-Pw-xyz") == std::string::npos);
  CHECK(st.message().find("password authentication failed") != std::string::npos);

  // A port nobody listens on: bind one, close it.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int free_port = ntohs(addr.sin_port);
  ::close(fd);
  options.url = "postgresql://kpipe:s3cr3t-Pw-xyz@127.0.0.1:" + std::to_string(free_port) +
                "/kpipe?connect_timeout=3";
  options.password.reset();
  st = connect_postgres(options, &conn);
  CHECK(st.code() == Code::kRuntime);
  CHECK(st.message().find("s3cr3t-Pw-xyz") == std::string::npos);
  MESSAGE(st.message());
}

TEST_CASE("postgres: columns, keys, tables") {
  REQUIRE_PG();
  exec_sql(kTypesDdl);
  auto conn = open();
  std::vector<Column> cols;
  Status st = conn->columns("kp_types", &cols);
  INFO(st.message());
  REQUIRE(st.ok());
  REQUIRE(cols.size() == 24);

  auto check = [&](const char* name, Type type, bool optional) {
    INFO(name);
    const Column& c = find(cols, name);
    CHECK(c.schema->type == type);
    CHECK(c.schema->optional == optional);
    CHECK(c.nullable == optional);
  };
  check("id", Type::kInt32, false);
  check("s", Type::kInt16, false);
  check("i", Type::kInt32, true);
  check("b", Type::kInt64, true);
  check("flag", Type::kBoolean, true);
  check("r", Type::kFloat32, true);
  check("d", Type::kFloat64, true);
  check("nu", Type::kString, true);
  check("c", Type::kString, true);
  check("vc", Type::kString, true);
  check("t", Type::kString, true);
  check("by", Type::kBytes, true);
  check("j", Type::kString, true);
  check("jb", Type::kString, true);
  check("u", Type::kString, true);
  check("iv", Type::kString, true);
  check("arr", Type::kString, true);
  check("mood", Type::kString, true);
  const Column& n = find(cols, "n");
  CHECK(n.schema->logical() == Logical::kDecimal);
  CHECK(n.schema->decimal_scale() == 3);
  CHECK(n.type_name == "numeric(10,3)");
  const Column& amount = find(cols, "amount");  // a NOT NULL domain over numeric(8,2)
  CHECK(amount.schema->logical() == Logical::kDecimal);
  CHECK(amount.schema->decimal_scale() == 2);
  CHECK_FALSE(amount.nullable);
  CHECK(find(cols, "dt").schema->logical() == Logical::kDate);
  CHECK(find(cols, "tm").schema->logical() == Logical::kTime);
  CHECK(find(cols, "ts").schema->logical() == Logical::kTimestamp);
  CHECK(find(cols, "ts").zoneless);
  CHECK(find(cols, "tstz").schema->logical() == Logical::kTimestamp);
  CHECK_FALSE(find(cols, "tstz").zoneless);

  // numeric.mapping applies to declared numerics; unconstrained ones become doubles only under
  // best_fit_eager_double.
  auto eager = open("UTC", NumericMapping::kBestFitEagerDouble);
  REQUIRE(eager->columns("kp_types", &cols).ok());
  CHECK(find(cols, "n").schema->type == Type::kFloat64);
  CHECK(find(cols, "nu").schema->type == Type::kFloat64);

  std::vector<std::string> key;
  REQUIRE(conn->unique_key("kp_types", &key).ok());
  CHECK(key == std::vector<std::string>{"id"});

  exec_sql(
      "DROP TABLE IF EXISTS kp_uk; CREATE TABLE kp_uk (a int NOT NULL, b int NOT NULL, "
      "c int NOT NULL, d int, UNIQUE (d), UNIQUE (b, a), UNIQUE (c));"
      "DROP TABLE IF EXISTS kp_nokey; CREATE TABLE kp_nokey (a int, UNIQUE (a));");
  REQUIRE(conn->unique_key("kp_uk", &key).ok());
  CHECK(key == std::vector<std::string>{"c"});
  REQUIRE(conn->unique_key("kp_nokey", &key).ok());
  CHECK(key.empty());
  exec_sql("ALTER TABLE kp_uk DROP CONSTRAINT kp_uk_c_key");
  REQUIRE(conn->unique_key("kp_uk", &key).ok());
  CHECK(key == std::vector<std::string>{"b", "a"});

  std::vector<std::string> tables;
  REQUIRE(conn->tables({"TABLE"}, &tables).ok());
  CHECK(std::find(tables.begin(), tables.end(), "kp_types") != tables.end());
  exec_sql("CREATE OR REPLACE VIEW kp_view AS SELECT id FROM kp_types");
  REQUIRE(conn->tables({"VIEW"}, &tables).ok());
  CHECK(std::find(tables.begin(), tables.end(), "kp_view") != tables.end());
  CHECK(std::find(tables.begin(), tables.end(), "kp_types") == tables.end());

  // A missing table names itself and the database.
  st = conn->columns("no_such_table", &cols);
  CHECK(st.code() == Code::kInvalid);
  CHECK(st.message() == "table 'no_such_table' does not exist in database 'kpipe'");
  st = conn->unique_key("nosuchschema.t", &key);
  CHECK(st.code() == Code::kInvalid);
  CHECK(st.message().find("nosuchschema.t") != std::string::npos);
}

TEST_CASE("postgres: now() is the server clock") {
  REQUIRE_PG();
  auto conn = open();
  int64_t db_now = 0;
  REQUIRE(conn->now(&db_now).ok());
  const int64_t local = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  CHECK(std::llabs(db_now - local) < 5LL * 1000000000);
  CHECK(db_now % 1000 == 0);  // microseconds
}

TEST_CASE("postgres: values of every type, in a non-UTC db.timezone") {
  REQUIRE_PG();
  exec_sql(kTypesDdl);
  auto conn = open("Europe/Berlin");
  std::vector<Column> cols;
  auto rows = read_all(*conn, "SELECT * FROM kp_types ORDER BY id", {}, &cols);
  REQUIRE(rows.size() == 2);
  REQUIRE(cols.size() == 24);
  auto at = [&](size_t row, const char* name) -> const Value& {
    for (size_t i = 0; i < cols.size(); ++i)
      if (cols[i].name == name) return rows[row][i];
    FAIL("no column " << name);
    return rows[0][0];
  };
  CHECK(at(0, "s") == Value(int64_t{-32768}));
  CHECK(at(0, "i") == Value(int64_t{2147483647}));
  CHECK(at(0, "b") == Value(std::numeric_limits<int64_t>::min()));
  CHECK(at(0, "flag") == Value(true));
  CHECK(at(0, "r") == Value(1.5));
  CHECK(at(0, "d") == Value(0.1));  // all digits: extra_float_digits
  CHECK(at(0, "n") == Value(Decimal{"-1234567891", 3}));
  CHECK(at(0, "nu") == Value(std::string("12.3400")));
  CHECK(at(0, "c") == Value(std::string("ab ")));
  CHECK(at(0, "vc") == Value(std::string("name's")));
  CHECK(at(0, "t") == Value(std::string("tab\there\nnew\\line \xc3\xa9\xe2\x9c\x93 \r")));
  CHECK(at(0, "by") == Value(Bytes{std::string("\x00\xff\x5c\x0a\x09", 5)}));
  CHECK(at(0, "dt") == Value(days_from_civil(2016, 10, 14)));
  CHECK(at(0, "tm") == Value(int64_t{86399999999000}));
  // timestamp without time zone: wall clock in Europe/Berlin (CEST, +02 in June).
  CHECK(at(0, "ts") == Value(utc_nanos("2020-06-01 10:34:56.123456")));
  // timestamptz: exact whatever db.timezone says.
  CHECK(at(0, "tstz") == Value(utc_nanos("2020-06-01 12:34:56.654321")));
  CHECK(at(0, "j") == Value(std::string("{\"a\": [1, 2]}")));
  CHECK(at(0, "jb") == Value(std::string("{\"b\": 1}")));
  CHECK(at(0, "u") == Value(std::string("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")));
  CHECK(at(0, "iv") == Value(std::string("P1DT2H")));
  CHECK(at(0, "arr") == Value(std::string("{1,2,3}")));
  CHECK(at(0, "amount") == Value(Decimal{"1250", 2}));
  CHECK(at(0, "mood") == Value(std::string("happy")));
  // The second row: NULL everywhere but s and amount.
  CHECK(at(1, "s") == Value(int64_t{1}));
  CHECK(at(1, "amount") == Value(Decimal{"0", 2}));
  for (const char* name : {"i",  "b",  "flag", "r",    "d", "n",  "nu", "c",  "vc",  "t",   "by",
                           "dt", "tm", "ts",   "tstz", "j", "jb", "u",  "iv", "arr", "mood"}) {
    INFO(name);
    CHECK(at(1, name).is_null());
  }
  // A query's columns keep the table's numeric scale; an expression's is unknown (string).
  auto q = read_all(*conn, "SELECT n, n * 2 AS n2, amount FROM kp_types WHERE id = 1", {}, &cols);
  REQUIRE(q.size() == 1);
  CHECK(cols[0].schema->logical() == Logical::kDecimal);
  CHECK(cols[0].schema->optional);
  CHECK(cols[1].schema->type == Type::kString);
  CHECK(cols[2].schema->decimal_scale() == 2);
  CHECK(q[0][1] == Value(std::string("-2469135.782")));
}

TEST_CASE("postgres: parameters are bound safely and compare right") {
  REQUIRE_PG();
  exec_sql(kTypesDdl);
  auto conn = open("Europe/Berlin");
  // Zone-less: the bound instant is written as Berlin wall clock.
  auto rows = read_all(*conn, "SELECT id FROM kp_types WHERE ts = ?",
                       {TimestampParam{utc_nanos("2020-06-01 10:34:56.123456"), true}});
  CHECK(rows.size() == 1);
  rows =
      read_all(*conn, "SELECT id FROM kp_types WHERE tstz = ? AND s < ? AND d > ?",
               {TimestampParam{utc_nanos("2020-06-01 12:34:56.654321"), false}, int64_t{-5}, -1.5});
  CHECK(rows.size() == 1);
  rows = read_all(*conn, "SELECT id FROM kp_types WHERE tstz > ?",
                  {TimestampParam{utc_nanos("2020-06-01 12:34:56.654321"), false}});
  CHECK(rows.empty());

  // Hostile strings: quotes, backslashes, comment markers; '?' inside literals is not a
  // placeholder, "??" is a literal '?'.
  for (const std::string& evil :
       {std::string("x'); DROP TABLE kp_types; --"), std::string("x\\'); DROP TABLE kp_types; --"),
        std::string("name's"), std::string("\\")}) {
    INFO(evil);
    rows = read_all(*conn,
                    "SELECT vc, '?' AS q, jb ?? 'b' AS has_b /* ? */ FROM kp_types "
                    "WHERE vc = ? -- ?\n ORDER BY id",
                    {evil});
    if (evil == "name's") {
      REQUIRE(rows.size() == 1);
      CHECK(rows[0][1] == Value(std::string("?")));
      CHECK(rows[0][2] == Value(true));
    } else {
      CHECK(rows.empty());
    }
  }
  std::vector<Column> cols;
  REQUIRE(conn->columns("kp_types", &cols).ok());  // still there

  // A trailing comment or semicolon does not swallow the COPY's closing parenthesis.
  rows = read_all(*conn, "SELECT id FROM kp_types WHERE s = ? -- the second row", {int64_t{1}});
  CHECK(rows.size() == 1);
  rows = read_all(*conn, "SELECT id FROM kp_types ORDER BY id;  \n");
  CHECK(rows.size() == 2);

  std::unique_ptr<RowStream> stream;
  CHECK(conn->query("SELECT id FROM kp_types WHERE id = ?", {}, &stream).code() == Code::kInvalid);
  CHECK(conn->query("SELECT id FROM kp_types", {int64_t{1}}, &stream).code() == Code::kInvalid);
  CHECK(conn->query("SELECT nope FROM kp_types", {}, &stream).code() == Code::kInvalid);
}

TEST_CASE("postgres: a hostile table name is read safely") {
  REQUIRE_PG();
  auto conn = open();
  const std::string name = "we\"ird'; DROP TABLE kp_types; --";
  exec_sql("DROP TABLE IF EXISTS " + conn->quote(name) + "; CREATE TABLE " + conn->quote(name) +
           " (\"x\"\"y\" int PRIMARY KEY); INSERT INTO " + conn->quote(name) + " VALUES (7);");
  std::vector<Column> cols;
  Status st = conn->columns(name, &cols);
  INFO(st.message());
  REQUIRE(st.ok());
  REQUIRE(cols.size() == 1);
  CHECK(cols[0].name == "x\"y");
  std::vector<std::string> key;
  REQUIRE(conn->unique_key(name, &key).ok());
  CHECK(key == std::vector<std::string>{"x\"y"});
  auto rows = read_all(*conn, "SELECT " + conn->quote("x\"y") + " FROM " + conn->quote_table(name));
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][0] == Value(int64_t{7}));
  std::vector<std::string> tables;
  REQUIRE(conn->tables({"TABLE"}, &tables).ok());
  CHECK(std::find(tables.begin(), tables.end(), name) != tables.end());
  exec_sql("DROP TABLE " + conn->quote(name));

  // A schema-qualified table outside the search path is listed as schema.table.
  exec_sql(
      "DROP SCHEMA IF EXISTS kp_other CASCADE; CREATE SCHEMA kp_other; "
      "CREATE TABLE kp_other.t2 (a int);");
  REQUIRE(conn->columns("kp_other.t2", &cols).ok());
  CHECK(cols.size() == 1);
  CHECK(conn->columns("t2", &cols).code() == Code::kInvalid);
}

TEST_CASE("postgres: unrepresentable values name the column") {
  REQUIRE_PG();
  auto conn = open();
  for (const char* sql :
       {"SELECT 'infinity'::timestamptz AS far", "SELECT '0001-01-01 00:00:00'::timestamp AS far",
        "SELECT 'infinity'::date AS far"}) {
    INFO(sql);
    std::unique_ptr<RowStream> stream;
    REQUIRE(conn->query(sql, {}, &stream).ok());
    std::vector<Value> row;
    bool has_row = false;
    Status st = stream->next(&row, &has_row);
    CHECK(st.code() == Code::kRuntime);
    CHECK(st.message().find("column 'far'") != std::string::npos);
  }
  // BC dates are dates: year 44 BC is astronomical year -43.
  auto rows = read_all(*conn, "SELECT '0044-03-15 BC'::date, 'NaN'::numeric");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][0] == Value(days_from_civil(-43, 3, 15)));
  CHECK(rows[0][1] == Value(std::string("NaN")));
}

TEST_CASE("postgres: 200k rows stream; a dropped stream leaves the connection usable") {
  REQUIRE_PG();
  auto conn = open();
  const std::string sql =
      "SELECT g, md5(g::text), now() + g * interval '1 microsecond' FROM "
      "generate_series(1, 200000) g ORDER BY g";
  std::unique_ptr<RowStream> stream;
  REQUIRE(conn->query(sql, {}, &stream).ok());
  std::vector<Value> row;
  bool has_row = true;
  int64_t count = 0, sum = 0;
  while (true) {
    Status st = stream->next(&row, &has_row);
    REQUIRE(st.ok());
    if (!has_row) break;
    ++count;
    sum += row[0].as<int64_t>();
  }
  CHECK(count == 200000);
  CHECK(sum == int64_t{200000} * 200001 / 2);
  stream.reset();

  // Drop one after a few rows: the COPY is cancelled, the next query works.
  REQUIRE(conn->query(sql, {}, &stream).ok());
  for (int i = 0; i < 10; ++i) REQUIRE(stream->next(&row, &has_row).ok());
  stream.reset();
  auto rows = read_all(*conn, "SELECT 42");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][0] == Value(int64_t{42}));
  int64_t db_now = 0;
  CHECK(conn->now(&db_now).ok());
}
