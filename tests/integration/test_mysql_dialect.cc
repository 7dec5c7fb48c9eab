// The MySQL/MariaDB dialect against a real server: scripts/test-db.sh start mariadb DIR prints the
// URL to put in KPIPE_MYSQL_URL. Without it every case is skipped with a message.

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>
#pragma GCC diagnostic pop

#include "connectors/jdbc/sql.h"

namespace kpipe::jdbc {
namespace {

constexpr int64_t kNanosPerSecond = 1000000000;

const char* mysql_url() {
  const char* url = std::getenv("KPIPE_MYSQL_URL");
  return url != nullptr && *url != '\0' ? url : nullptr;
}

#define REQUIRE_SERVER()                                                                \
  if (mysql_url() == nullptr) {                                                         \
    MESSAGE("KPIPE_MYSQL_URL is not set (scripts/test-db.sh start mariadb DIR): skip"); \
    return;                                                                             \
  }

// The URL's pieces, for the test's own setup connection (DDL is not part of the dialect API).
struct UrlParts {
  std::string host, port, db, user, password;
};

UrlParts url_parts(const std::string& url) {
  UrlParts p;
  size_t start = url.find("://") + 3;
  size_t slash = url.find('/', start);
  std::string authority = url.substr(start, slash - start);
  size_t colon = authority.find(':');
  p.host = authority.substr(0, colon);
  p.port = colon == std::string::npos ? "3306" : authority.substr(colon + 1);
  size_t q = url.find('?', slash);
  p.db = url.substr(slash + 1, q == std::string::npos ? std::string::npos : q - slash - 1);
  if (q != std::string::npos) {
    std::string query = url.substr(q + 1);
    size_t pos = 0;
    while (pos < query.size()) {
      size_t amp = query.find('&', pos);
      if (amp == std::string::npos) amp = query.size();
      std::string kv = query.substr(pos, amp - pos);
      size_t eq = kv.find('=');
      if (kv.substr(0, eq) == "user") p.user = kv.substr(eq + 1);
      if (kv.substr(0, eq) == "password") p.password = kv.substr(eq + 1);
      pos = amp + 1;
    }
  }
  return p;
}

// A plain driver connection that runs setup statements; throws on failure (a broken fixture).
class Admin {
 public:
  Admin() {
    UrlParts p = url_parts(mysql_url());
    sql::ConnectOptionsMap props;
    props["hostName"] = sql::SQLString("tcp://" + p.host + ":" + p.port);
    props["userName"] = sql::SQLString(p.user);
    props["password"] = sql::SQLString(p.password);
    props["schema"] = sql::SQLString(p.db);
    props["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
    conn_.reset(sql::mysql::get_driver_instance()->connect(props));
    exec("SET time_zone = '+00:00'");
    exec("SET NAMES utf8mb4");
  }
  void exec(const std::string& sql) {
    std::unique_ptr<sql::Statement> stmt(conn_->createStatement());
    stmt->execute(sql);
  }

 private:
  std::unique_ptr<sql::Connection> conn_;
};

std::unique_ptr<Connection> open(const std::string& timezone = "UTC") {
  ConnectOptions options;
  options.url = mysql_url();
  REQUIRE(TimeZone::load(timezone, &options.timezone).ok());
  std::unique_ptr<Connection> conn;
  Status st = connect_mysql(options, &conn);
  INFO(st.message());
  REQUIRE(st.ok());
  return conn;
}

// Runs a query and returns every row.
std::vector<std::vector<Value>> read_all(Connection& conn, const std::string& sql,
                                         const std::vector<Param>& params = {},
                                         std::vector<Column>* columns = nullptr) {
  std::unique_ptr<RowStream> stream;
  Status st = conn.query(sql, params, &stream);
  INFO(sql, ": ", st.message());
  REQUIRE(st.ok());
  if (columns) *columns = stream->columns();
  std::vector<std::vector<Value>> rows;
  for (;;) {
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

int64_t utc_nanos(const std::string& text) {
  int64_t nanos = 0;
  REQUIRE(parse_timestamp(text, TimeZone(), &nanos));
  return nanos;
}

long rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

const Column& by_name(const std::vector<Column>& cols, const std::string& name) {
  for (const Column& c : cols) {
    if (c.name == name) return c;
  }
  FAIL("no column " << name);
  return cols.front();
}

const char* kTypesDdl =
    "CREATE TABLE all_types ("
    " id int NOT NULL PRIMARY KEY, b tinyint(1), i8 tinyint, u8 tinyint unsigned,"
    " i16 smallint, u16 smallint unsigned, i24 mediumint, u24 mediumint unsigned,"
    " i32 int, u32 int unsigned, i64 bigint NOT NULL, u64 bigint unsigned,"
    " f32 float, f64 double, f64b double, dec10 decimal(10,2), dec30 decimal(30,0), bit1 bit(1),"
    " bits bit(12), c char(3), vc varchar(60), tx text, en enum('x','y'), st set('a','b'),"
    " js json, bin binary(3), vb varbinary(8), bl blob, d date, t time(6), dt datetime(6),"
    " dt0 datetime, ts timestamp(6) NULL, yr year)";

const std::string kText = "it's a \"quote\" and a back\\slash, \xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80";

void create_types_table(Admin& admin) {
  admin.exec("DROP TABLE IF EXISTS all_types");
  admin.exec(kTypesDdl);
  admin.exec(
      "INSERT INTO all_types VALUES (1, 1, -128, 255, -32768, 65535, -8388608, 16777215,"
      " -2147483648, 4294967295, -9223372036854775808, 18446744073709551615,"
      " 0.5, 0.1, 0.33333333333333331, -12.34, 123456789012345678901234567890, b'1',"
      " b'101010101010', 'abc', 'it''s a \"quote\" and a back\\\\slash, \xC3\xA9t\xC3\xA9 "
      "\xF0\x9F\x98\x80', 'long text', 'y', 'a,b', '{\"k\": [1, 2]}', x'610062', x'00ff00',"
      " x'0000410000', '2020-01-02', '12:34:56.789012', '2016-10-14 05:46:02.123456',"
      " '2016-10-14 05:46:02', '2016-10-14 05:46:02.500001', 2024)");
  admin.exec("INSERT INTO all_types (id, i64) VALUES (2, 7)");
}

TEST_CASE("mysql: columns() maps every type, nullability and zone") {
  REQUIRE_SERVER();
  Admin admin;
  create_types_table(admin);
  auto conn = open();
  CHECK(conn->dialect() == "mysql");
  CHECK(conn->database() == url_parts(mysql_url()).db);
  std::vector<Column> cols;
  Status st = conn->columns("all_types", &cols);
  INFO(st.message());
  REQUIRE(st.ok());
  REQUIRE(cols.size() == 34);
  CHECK(cols[0].name == "id");
  CHECK(cols[33].name == "yr");

  struct Expect {
    const char* name;
    Type type;
    Logical logical;
  };
  const Expect expects[] = {
      {"id", Type::kInt32, Logical::kNone},       {"b", Type::kBoolean, Logical::kNone},
      {"i8", Type::kInt8, Logical::kNone},        {"u8", Type::kInt16, Logical::kNone},
      {"i16", Type::kInt16, Logical::kNone},      {"u16", Type::kInt32, Logical::kNone},
      {"i24", Type::kInt32, Logical::kNone},      {"u24", Type::kInt32, Logical::kNone},
      {"i32", Type::kInt32, Logical::kNone},      {"u32", Type::kInt64, Logical::kNone},
      {"i64", Type::kInt64, Logical::kNone},      {"u64", Type::kBytes, Logical::kDecimal},
      {"f32", Type::kFloat32, Logical::kNone},    {"f64", Type::kFloat64, Logical::kNone},
      {"dec10", Type::kBytes, Logical::kDecimal}, {"dec30", Type::kBytes, Logical::kDecimal},
      {"bit1", Type::kBoolean, Logical::kNone},   {"bits", Type::kInt64, Logical::kNone},
      {"c", Type::kString, Logical::kNone},       {"vc", Type::kString, Logical::kNone},
      {"tx", Type::kString, Logical::kNone},      {"en", Type::kString, Logical::kNone},
      {"st", Type::kString, Logical::kNone},      {"js", Type::kString, Logical::kNone},
      {"bin", Type::kBytes, Logical::kNone},      {"vb", Type::kBytes, Logical::kNone},
      {"bl", Type::kBytes, Logical::kNone},       {"d", Type::kInt32, Logical::kDate},
      {"t", Type::kInt32, Logical::kTime},        {"dt", Type::kInt64, Logical::kTimestamp},
      {"dt0", Type::kInt64, Logical::kTimestamp}, {"ts", Type::kInt64, Logical::kTimestamp},
      {"yr", Type::kInt32, Logical::kNone},
  };
  for (const Expect& e : expects) {
    const Column& c = by_name(cols, e.name);
    INFO(e.name, " ", c.type_name);
    CHECK(c.schema->type == e.type);
    CHECK(c.schema->logical() == e.logical);
    const bool not_null = std::string(e.name) == "id" || std::string(e.name) == "i64";
    CHECK(c.nullable == !not_null);
    CHECK(c.schema->optional == !not_null);
    CHECK(c.zoneless == (std::string(e.name) == "dt" || std::string(e.name) == "dt0"));
  }
  CHECK(by_name(cols, "dec10").schema->decimal_scale() == 2);
  CHECK(by_name(cols, "u64").schema->decimal_scale() == 0);
  CHECK(by_name(cols, "u32").type_name == "int unsigned");

  // A query's columns come out the same as the table's.
  std::vector<Column> qcols;
  read_all(*conn, "SELECT * FROM all_types ORDER BY id", {}, &qcols);
  REQUIRE(qcols.size() == cols.size());
  for (size_t i = 0; i < cols.size(); ++i) {
    INFO(cols[i].name, " table ", cols[i].type_name, " query ", qcols[i].type_name);
    CHECK(qcols[i].name == cols[i].name);
    CHECK(qcols[i].schema->equals(*cols[i].schema));
    CHECK(qcols[i].zoneless == cols[i].zoneless);
  }
}

TEST_CASE("mysql: query() reads every value exactly") {
  REQUIRE_SERVER();
  Admin admin;
  create_types_table(admin);
  auto conn = open();
  std::vector<Column> cols;
  auto rows = read_all(*conn, "SELECT * FROM all_types ORDER BY id", {}, &cols);
  REQUIRE(rows.size() == 2);
  const std::vector<Value>& r = rows[0];
  auto at = [&](const char* name) -> const Value& {
    for (size_t i = 0; i < cols.size(); ++i) {
      if (cols[i].name == name) return r[i];
    }
    FAIL("no column " << name);
    return r[0];
  };
  CHECK(at("id") == Value(1));
  CHECK(at("b") == Value(true));
  CHECK(at("i8") == Value(-128));
  CHECK(at("u8") == Value(255));
  CHECK(at("i16") == Value(-32768));
  CHECK(at("u16") == Value(65535));
  CHECK(at("i24") == Value(-8388608));
  CHECK(at("u24") == Value(16777215));
  CHECK(at("i32") == Value(-2147483648LL));
  CHECK(at("u32") == Value(4294967295LL));
  CHECK(at("i64") == Value(static_cast<int64_t>(INT64_MIN)));
  CHECK(at("u64") == Value(Decimal{"18446744073709551615", 0}));
  CHECK(at("f32") == Value(0.5));
  CHECK(at("f64") == Value(0.1));
  CHECK(at("f64b") == Value(0.33333333333333331));
  CHECK(at("dec10") == Value(Decimal{"-1234", 2}));
  CHECK(at("dec30") == Value(Decimal{"123456789012345678901234567890", 0}));
  CHECK(at("bit1") == Value(true));
  CHECK(at("bits") == Value(2730));
  CHECK(at("c") == Value("abc"));
  CHECK(at("vc") == Value(kText));
  CHECK(at("en") == Value("y"));
  CHECK(at("st") == Value("a,b"));
  CHECK(at("js") == Value("{\"k\": [1, 2]}"));
  CHECK(at("bin") == Value(Bytes{std::string("a\0b", 3)}));
  CHECK(at("vb") == Value(Bytes{std::string("\0\xff\0", 3)}));
  CHECK(at("bl") == Value(Bytes{std::string("\0\0A\0\0", 5)}));
  CHECK(at("d") == Value(days_from_civil(2020, 1, 2)));
  CHECK(at("t") == Value(((12 * 60 + 34) * 60 + 56) * kNanosPerSecond + 789012000));
  CHECK(at("dt") == Value(utc_nanos("2016-10-14 05:46:02.123456")));
  CHECK(at("dt0") == Value(utc_nanos("2016-10-14 05:46:02")));
  CHECK(at("ts") == Value(utc_nanos("2016-10-14 05:46:02.500001")));
  CHECK(at("yr") == Value(2024));
  // Row 2: everything but the key is NULL.
  for (size_t i = 0; i < cols.size(); ++i) {
    INFO(cols[i].name);
    if (cols[i].name == "id" || cols[i].name == "i64") continue;
    CHECK(rows[1][i].is_null());
  }

  {  // datetime is wall-clock in db.timezone; timestamp stays exact
    auto shanghai = open("Asia/Shanghai");
    auto rows2 = read_all(*shanghai, "SELECT dt, ts FROM all_types WHERE id = 1");
    REQUIRE(rows2.size() == 1);
    CHECK(rows2[0][0] ==
          Value(utc_nanos("2016-10-14 05:46:02.123456") - 8 * 3600 * kNanosPerSecond));
    CHECK(rows2[0][1] == Value(utc_nanos("2016-10-14 05:46:02.500001")));
    // A zoneless bound is written in db.timezone, a zoned one in UTC: both find the row.
    auto hit = read_all(
        *shanghai, "SELECT id FROM all_types WHERE dt = ? AND ts = ?",
        {TimestampParam{utc_nanos("2016-10-14 05:46:02.123456") - 8 * 3600 * kNanosPerSecond, true},
         TimestampParam{utc_nanos("2016-10-14 05:46:02.500001"), false}});
    CHECK(hit.size() == 1);
  }
}

TEST_CASE("mysql: parameters are bound safely") {
  REQUIRE_SERVER();
  Admin admin;
  create_types_table(admin);
  auto conn = open();
  const std::string hostile = "x'); DROP TABLE all_types; -- \\";
  CHECK(read_all(*conn, "SELECT id FROM all_types WHERE vc = ?", {hostile}).empty());
  CHECK(read_all(*conn, "SELECT id FROM all_types WHERE vc = ?", {kText}).size() == 1);
  std::vector<Column> cols;
  REQUIRE(conn->columns("all_types", &cols).ok());  // still there

  auto echo = read_all(*conn, "SELECT ? AS s, '?' AS q, ? AS i, ? AS f, ? AS n /* ? */",
                       {hostile, int64_t{-42}, 0.1, std::monostate{}});
  REQUIRE(echo.size() == 1);
  CHECK(echo[0][0] == Value(hostile));
  CHECK(echo[0][1] == Value("?"));
  CHECK(echo[0][2] == Value(-42));
  CHECK(echo[0][3] == Value(0.1));
  CHECK(echo[0][4].is_null());

  auto ts = read_all(*conn, "SELECT id FROM all_types WHERE dt > ? AND ts = ? AND dt0 < ?",
                     {TimestampParam{utc_nanos("2016-10-14 05:46:02.123455"), true},
                      TimestampParam{utc_nanos("2016-10-14 05:46:02.500001"), false},
                      TimestampParam{INT64_MAX, true}});
  CHECK(ts.size() == 1);
  // Out-of-range bounds mean "everything" rather than an error.
  CHECK(read_all(*conn, "SELECT id FROM all_types WHERE dt > ?", {TimestampParam{INT64_MIN, true}})
            .size() == 1);

  std::unique_ptr<RowStream> stream;
  Status st = conn->query("SELECT ?", {}, &stream);
  CHECK(st.code() == Code::kInvalid);
}

TEST_CASE("mysql: unique_key(), tables(), hostile and missing tables") {
  REQUIRE_SERVER();
  Admin admin;
  create_types_table(admin);
  admin.exec("DROP TABLE IF EXISTS uk_pk, uk_unique, uk_nullable, uk_none");
  admin.exec("DROP VIEW IF EXISTS v_types");
  admin.exec("CREATE TABLE uk_pk (a int, b int, c int, PRIMARY KEY (b, a), UNIQUE (c))");
  admin.exec(
      "CREATE TABLE uk_unique (a int, b int NOT NULL, c int NOT NULL, UNIQUE KEY k1 (a),"
      " UNIQUE KEY k2 (c, b))");
  admin.exec("CREATE TABLE uk_nullable (a int, UNIQUE (a))");
  admin.exec("CREATE TABLE uk_none (a int NOT NULL, KEY (a))");
  admin.exec("CREATE VIEW v_types AS SELECT id FROM all_types");
  auto conn = open();
  std::vector<std::string> key;
  REQUIRE(conn->unique_key("all_types", &key).ok());
  CHECK(key == std::vector<std::string>{"id"});
  REQUIRE(conn->unique_key("uk_pk", &key).ok());
  CHECK(key == std::vector<std::string>{"b", "a"});
  REQUIRE(conn->unique_key("uk_unique", &key).ok());
  CHECK(key == std::vector<std::string>{"c", "b"});
  REQUIRE(conn->unique_key("uk_nullable", &key).ok());
  CHECK(key.empty());
  REQUIRE(conn->unique_key("uk_none", &key).ok());
  CHECK(key.empty());
  REQUIRE(conn->unique_key(conn->database() + ".uk_pk", &key).ok());
  CHECK(key == std::vector<std::string>{"b", "a"});

  std::vector<std::string> names;
  REQUIRE(conn->tables({"TABLE"}, &names).ok());
  CHECK(std::find(names.begin(), names.end(), "uk_pk") != names.end());
  CHECK(std::find(names.begin(), names.end(), "v_types") == names.end());
  REQUIRE(conn->tables({"VIEW"}, &names).ok());
  CHECK(names == std::vector<std::string>{"v_types"});

  CHECK(conn->quote("a`b") == "`a``b`");
  CHECK(conn->quote_table("db.t`x") == "`db`.`t``x`");

  // Identifiers are utf8mb3 in MariaDB: no emoji, but any other character.
  const std::string weird = "we`ird'; DROP TABLE all_types; -- \\ \xC3\xA9\"";
  admin.exec("DROP TABLE IF EXISTS " + conn->quote(weird));
  admin.exec("CREATE TABLE " + conn->quote(weird) + " (" + conn->quote("c`ol") + " int)");
  admin.exec("INSERT INTO " + conn->quote(weird) + " VALUES (5)");
  std::vector<Column> cols;
  Status st = conn->columns(weird, &cols);
  INFO(st.message());
  REQUIRE(st.ok());
  REQUIRE(cols.size() == 1);
  CHECK(cols[0].name == "c`ol");
  auto rows =
      read_all(*conn, "SELECT " + conn->quote("c`ol") + " FROM " + conn->quote_table(weird));
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][0] == Value(5));
  REQUIRE(conn->columns("all_types", &cols).ok());

  st = conn->columns("no_such_table", &cols);
  CHECK(st.code() == Code::kInvalid);
  CHECK(st.message().find("no_such_table") != std::string::npos);
  std::unique_ptr<RowStream> stream;
  st = conn->query("SELECT * FROM no_such_table", {}, &stream);
  CHECK(st.code() == Code::kInvalid);
  CHECK(st.message().find("no_such_table") != std::string::npos);
  // The connection is still usable after a failed query.
  CHECK(read_all(*conn, "SELECT 1").size() == 1);
}

TEST_CASE("mysql: now() is the server's clock") {
  REQUIRE_SERVER();
  auto conn = open("Asia/Shanghai");
  int64_t server = 0;
  REQUIRE(conn->now(&server).ok());
  const int64_t local = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  CHECK(std::llabs(server - local) < 5 * kNanosPerSecond);
  CHECK(server % 1000 == 0);  // microseconds, kept
}

TEST_CASE("mysql: datetime across DST transitions matches TimeZone::to_instant") {
  REQUIRE_SERVER();
  Admin admin;
  admin.exec("DROP TABLE IF EXISTS dst, digits");
  admin.exec("CREATE TABLE digits (d int)");
  admin.exec("INSERT INTO digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)");
  admin.exec("CREATE TABLE dst (id int PRIMARY KEY, dt datetime(6))");
  // Every 7 minutes 13 seconds over the spring-forward and fall-back nights of 2021 in Berlin.
  admin.exec(
      "INSERT INTO dst SELECT n, TIMESTAMP'2021-03-27 22:00:00.000001' + INTERVAL n * 433 SECOND"
      " FROM (SELECT a.d + 10 * b.d AS n FROM digits a, digits b) x");
  admin.exec(
      "INSERT INTO dst SELECT 100 + n, TIMESTAMP'2021-10-30 22:00:00.5' + INTERVAL n * 433 SECOND"
      " FROM (SELECT a.d + 10 * b.d AS n FROM digits a, digits b) x");
  auto conn = open("Europe/Berlin");
  TimeZone berlin;
  REQUIRE(TimeZone::load("Europe/Berlin", &berlin).ok());
  auto rows = read_all(*conn, "SELECT id, dt, CAST(dt AS CHAR) FROM dst ORDER BY id");
  REQUIRE(rows.size() == 200);
  for (const auto& row : rows) {
    int64_t expected = 0;
    REQUIRE(parse_timestamp(row[2].as<std::string>(), berlin, &expected));
    INFO(row[2].as<std::string>());
    CHECK(row[1] == Value(expected));
  }
}

TEST_CASE("mysql: the seeds' login table") {
  REQUIRE_SERVER();
  Admin admin;
  admin.exec("DROP TABLE IF EXISTS login");
  admin.exec("CREATE TABLE login (username varchar(30), login_time datetime)");
  admin.exec(
      "INSERT INTO login VALUES ('gwenshap','2016-10-14 05:46:02'), ('tpalino','2016-10-14 "
      "05:46:21')");
  auto conn = open();
  auto rows = read_all(*conn, "SELECT * FROM login ORDER BY login_time");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0][0] == Value("gwenshap"));
  CHECK(rows[0][1] == Value(int64_t{1476423962000} * 1000000));
  CHECK(rows[1][1] == Value(int64_t{1476423981000} * 1000000));
}

TEST_CASE("mysql: values Connect cannot hold are named errors or nulls") {
  REQUIRE_SERVER();
  Admin admin;
  admin.exec("SET SESSION sql_mode = ''");  // allows zero dates
  admin.exec("DROP TABLE IF EXISTS odd");
  admin.exec("CREATE TABLE odd (id int, dur time, zd datetime NULL, nd date NOT NULL)");
  admin.exec("INSERT INTO odd VALUES (1, '12:00:00', '0000-00-00 00:00:00', '2020-01-01')");
  admin.exec("INSERT INTO odd VALUES (2, '-25:00:00', NULL, '2020-01-01')");
  admin.exec("INSERT INTO odd VALUES (3, '01:00:00', NULL, '0000-00-00')");
  auto conn = open();
  auto rows = read_all(*conn, "SELECT zd FROM odd WHERE id = 1");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][0].is_null());

  for (const char* sql : {"SELECT dur FROM odd WHERE id = 2", "SELECT nd FROM odd WHERE id = 3"}) {
    std::unique_ptr<RowStream> stream;
    REQUIRE(conn->query(sql, {}, &stream).ok());
    std::vector<Value> row;
    bool has_row = false;
    Status st = stream->next(&row, &has_row);
    INFO(st.message());
    CHECK(!st.ok());
    CHECK(st.message().find(std::string(sql).find("dur") != std::string::npos ? "'dur'" : "'nd'") !=
          std::string::npos);
  }
  CHECK(read_all(*conn, "SELECT COUNT(*) FROM odd").size() == 1);
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST_CASE("mysql: connect failures are Runtime without the password") {
  REQUIRE_SERVER();
  ConnectOptions options;
  options.url = mysql_url();
  options.password = "Wr0ng-Secret-Pw";
  std::unique_ptr<Connection> conn;
  Status st = connect_mysql(options, &conn);
  CHECK(st.code() == Code::kRuntime);
  CHECK(st.message().find("Wr0ng-Secret-Pw") == std::string::npos);
  CHECK(st.message().find("Access denied") != std::string::npos);

  // The URL's own password, wrong, is not printed either.
  UrlParts p = url_parts(mysql_url());
  options = ConnectOptions();
  options.url = "jdbc:mariadb://" + p.host + ":" + p.port + "/" + p.db + "?user=" + p.user +
                "&password=Url-Secret-Pw&useSSL=false&someUnknownKey=1";
  st = connect_mysql(options, &conn);
  CHECK(st.code() == Code::kRuntime);
  CHECK(st.message().find("Url-Secret-Pw") == std::string::npos);

  // Known URL keys are honoured, unknown ones ignored; connection.user/password override.
  options = ConnectOptions();
  options.url = "jdbc:mariadb://" + p.host + ":" + p.port + "/" + p.db +
                "?user=nobody&password=nothing&useSSL=false&connectTimeout=5000&someUnknownKey=1";
  options.user = p.user;
  options.password = p.password;
  st = connect_mysql(options, &conn);
  INFO(st.message());
  CHECK(st.ok());

  options = ConnectOptions();
  options.url = "jdbc:mysql://127.0.0.1:" + std::to_string(free_port()) + "/kpipe";
  options.user = "kpipe";
  options.password = "Port-Secret-Pw";
  st = connect_mysql(options, &conn);
  CHECK(st.code() == Code::kRuntime);
  CHECK(st.message().find("127.0.0.1") != std::string::npos);
  CHECK(st.message().find("Port-Secret-Pw") == std::string::npos);

  options.url = "jdbc:mysql://127.0.0.1:99999/kpipe";
  CHECK(connect_mysql(options, &conn).code() == Code::kInvalid);
}

TEST_CASE("mysql: a large result streams with flat memory") {
  REQUIRE_SERVER();
  Admin admin;
  admin.exec("DROP TABLE IF EXISTS digits, big");
  admin.exec("CREATE TABLE digits (d int)");
  admin.exec("INSERT INTO digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)");
  admin.exec("CREATE TABLE big (id int PRIMARY KEY, s varchar(255))");
  // 200k rows of ~260 bytes: ~50 MB if the driver buffered the result.
  admin.exec(
      "INSERT INTO big SELECT a.d + 10*b.d + 100*c.d + 1000*e.d + 10000*f.d + 100000*g.d,"
      " REPEAT('x', 250) FROM digits a, digits b, digits c, digits e, digits f, digits g"
      " WHERE g.d < 2");
  auto conn = open();
  const long before = rss_kb();
  std::unique_ptr<RowStream> stream;
  REQUIRE(conn->query("SELECT id, s FROM big", {}, &stream).ok());
  long peak = rss_kb();
  int64_t count = 0, sum = 0;
  std::vector<Value> row;
  for (;;) {
    bool has_row = false;
    Status st = stream->next(&row, &has_row);
    REQUIRE(st.ok());
    if (!has_row) break;
    ++count;
    sum += row[0].as<int64_t>();
    if (count % 10000 == 0) {
      peak = std::max(peak, rss_kb());
      if (count == 100000) {  // the metadata connection stays usable meanwhile
        int64_t now = 0;
        CHECK(conn->now(&now).ok());
      }
    }
  }
  CHECK(count == 200000);
  CHECK(sum == int64_t{199999} * 200000 / 2);
  MESSAGE("RSS before " << before << " kB, peak " << peak << " kB");
#ifndef __SANITIZE_ADDRESS__  // AddressSanitizer's quarantine keeps freed memory resident
  CHECK(peak - before < 30 * 1024);
#endif

  {  // abandoning a stream early is quick and the next query works
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i) {
      REQUIRE(conn->query("SELECT id, s FROM big", {}, &stream).ok());
      bool has_row = false;
      REQUIRE(stream->next(&row, &has_row).ok());
      CHECK(has_row);
      stream.reset();
    }
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() < 3000);
    CHECK(read_all(*conn, "SELECT COUNT(*) FROM big")[0][0] == Value(200000));
  }

  {  // a connection lost mid-stream is an error, not the end of the rows
    REQUIRE(conn->query("SELECT id, s, 'kpipe-lost-marker' FROM big", {}, &stream).ok());
    bool has_row = false;
    REQUIRE(stream->next(&row, &has_row).ok());
    auto finder = open();
    auto ids = read_all(*finder,
                        "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE "
                        "'%kpipe-lost-marker%' AND INFO NOT LIKE '%PROCESSLIST%'");
    REQUIRE(ids.size() == 1);
    admin.exec("KILL CONNECTION " + std::to_string(ids[0][0].as<int64_t>()));
    Status st;
    int64_t more = 0;
    do {
      st = stream->next(&row, &has_row);
      if (has_row) ++more;
    } while (st.ok() && has_row);
    MESSAGE("rows after the kill: " << more << ", status: " << st.message());
    CHECK(!st.ok());
    CHECK(st.code() == Code::kRuntime);
    // The next query gets a fresh connection.
    CHECK(read_all(*conn, "SELECT COUNT(*) FROM digits")[0][0] == Value(10));
  }
}

}  // namespace
}  // namespace kpipe::jdbc
