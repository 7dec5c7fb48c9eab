// The jdbc sink's SQL text per dialect (pure), and the sink itself on an in-process SQLite
// database for what no source can produce yet: record keys, tombstones, Kafka positions.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "config.h"
#include "connector.h"
#include "connectors/jdbc/write_sql.h"

namespace kpipe {
ConfigSpec jdbc_sink_spec();
std::unique_ptr<Sink> make_jdbc_sink();
}  // namespace kpipe

using namespace kpipe;
using namespace kpipe::jdbc;

namespace {

WriteColumn col(const std::string& name, SchemaPtr schema, bool key = false) {
  WriteColumn c;
  c.name = name;
  c.schema = std::move(schema);
  c.key = key;
  return c;
}

WriteBatch people(WriteOp op) {
  WriteBatch b;
  b.op = op;
  b.table = "people";
  b.columns = {col("id", Schema::primitive(Type::kInt64), true),
               col("name", Schema::primitive(Type::kString, true))};
  b.rows = {{Value(int64_t{1}), Value("a'b")}, {Value(int64_t{2}), Value()}};
  return b;
}

std::string sql_of(Flavor f, const WriteBatch& b) {
  std::string sql;
  size_t next = 0;
  REQUIRE(multi_row_sql(f, b, TimeZone(), 0, 1 << 20, &sql, &next).ok());
  CHECK(next == b.rows.size());
  return sql;
}

std::string literal(Flavor f, const Value& v, const SchemaPtr& s, bool zoneless = true,
                    const TimeZone& zone = TimeZone()) {
  std::string out;
  REQUIRE(append_literal(f, v, *s, zoneless, zone, &out).ok());
  return out;
}

}  // namespace

TEST_CASE("jdbc sink: column types per dialect") {
  auto dec = Schema::decimal(2, true, 10);
  CHECK(column_type(Flavor::kPostgres, *dec, false) == "NUMERIC(10,2)");
  CHECK(column_type(Flavor::kMySql, *Schema::decimal(3), false) == "DECIMAL(65,3)");
  CHECK(column_type(Flavor::kPostgres, *Schema::timestamp(), false) == "TIMESTAMP(6)");
  CHECK(column_type(Flavor::kMySql, *Schema::timestamp(), false) == "DATETIME(6)");
  CHECK(column_type(Flavor::kSqlite, *Schema::timestamp(), false) == "TIMESTAMP");
  CHECK(column_type(Flavor::kMySql, *Schema::time(), false) == "TIME(6)");
  CHECK(column_type(Flavor::kMySql, *Schema::primitive(Type::kString), true) == "VARCHAR(256)");
  CHECK(column_type(Flavor::kMySql, *Schema::primitive(Type::kString), false) == "LONGTEXT");
  CHECK(column_type(Flavor::kPostgres, *Schema::primitive(Type::kInt8), false) == "SMALLINT");
  CHECK(column_type(Flavor::kMySql, *Schema::primitive(Type::kBoolean), false) == "TINYINT(1)");
  CHECK(column_type(Flavor::kPostgres, *Schema::primitive(Type::kBytes), false) == "BYTEA");
  CHECK(column_type(Flavor::kPostgres, *Schema::array(Schema::primitive(Type::kInt32)), false) ==
        "");
}

TEST_CASE("jdbc sink: CREATE TABLE and ADD COLUMN") {
  std::string sql;
  REQUIRE(
      create_table_sql(Flavor::kMySql, "db.people", people(WriteOp::kInsert).columns, &sql).ok());
  CHECK(sql ==
        "CREATE TABLE `db`.`people` (`id` BIGINT NOT NULL, `name` LONGTEXT, PRIMARY KEY (`id`))");
  Status st = add_column_sql(Flavor::kPostgres, "people",
                             col("must", Schema::primitive(Type::kInt32)), TimeZone(), &sql);
  CHECK(st.code() == Code::kInvalid);
  CHECK(st.message().find("field 'must'") != std::string::npos);
  REQUIRE(add_column_sql(Flavor::kPostgres, "people",
                         col("opt", Schema::primitive(Type::kInt32, true)), TimeZone(), &sql)
              .ok());
  CHECK(sql == "ALTER TABLE \"people\" ADD COLUMN \"opt\" INTEGER");
  Schema with_default = *Schema::primitive(Type::kString);
  with_default.default_value = Value("x");
  REQUIRE(add_column_sql(Flavor::kSqlite, "people",
                         col("d", std::make_shared<const Schema>(with_default)), TimeZone(), &sql)
              .ok());
  CHECK(sql == "ALTER TABLE \"people\" ADD COLUMN \"d\" TEXT DEFAULT 'x' NOT NULL");
}

TEST_CASE("jdbc sink: multi-row statements") {
  CHECK(sql_of(Flavor::kPostgres, people(WriteOp::kInsert)) ==
        "INSERT INTO \"people\" (\"id\", \"name\") VALUES (1, 'a''b'),(2, NULL)");
  CHECK(sql_of(Flavor::kPostgres, people(WriteOp::kUpsert)) ==
        "INSERT INTO \"people\" (\"id\", \"name\") VALUES (1, 'a''b'),(2, NULL) ON CONFLICT "
        "(\"id\") DO UPDATE SET \"name\" = EXCLUDED.\"name\"");
  CHECK(sql_of(Flavor::kMySql, people(WriteOp::kUpsert)) ==
        "INSERT INTO `people` (`id`, `name`) VALUES (1, 'a\\'b'),(2, NULL) ON DUPLICATE KEY "
        "UPDATE `name` = VALUES(`name`)");
  WriteBatch update = people(WriteOp::kUpdate);
  update.columns[0].db_type = "bigint";
  update.columns[1].db_type = "text";
  CHECK(sql_of(Flavor::kPostgres, update) ==
        "UPDATE \"people\" AS kpipe_t SET \"name\" = kpipe_v.\"name\" FROM (VALUES (1::bigint, "
        "'a''b'::text),(2, NULL)) AS kpipe_v (\"id\", \"name\") WHERE kpipe_t.\"id\" = "
        "kpipe_v.\"id\"");
  CHECK(sql_of(Flavor::kMySql, people(WriteOp::kUpdate)) ==
        "UPDATE `people` AS kpipe_t JOIN (SELECT 1 AS `id`, 'a\\'b' AS `name` UNION ALL SELECT 2 "
        "AS `id`, NULL AS `name`) AS kpipe_v ON kpipe_t.`id` = kpipe_v.`id` SET kpipe_t.`name` = "
        "kpipe_v.`name`");
  WriteBatch del = people(WriteOp::kDelete);
  del.columns.resize(1);
  for (auto& r : del.rows) r.resize(1);
  CHECK(sql_of(Flavor::kPostgres, del) == "DELETE FROM \"people\" WHERE \"id\" IN (1,2)");
  WriteBatch del2 = people(WriteOp::kDelete);
  del2.columns[1].key = true;
  del2.rows[1][1] = Value("x");
  CHECK(sql_of(Flavor::kMySql, del2) ==
        "DELETE FROM `people` WHERE (`id`, `name`) IN ((1, 'a\\'b'),(2, 'x'))");
  // Upsert with every column in the key: nothing to update.
  WriteBatch all_key = people(WriteOp::kUpsert);
  all_key.columns[1].key = true;
  all_key.rows[1][1] = Value("x");
  CHECK(sql_of(Flavor::kPostgres, all_key).find("DO NOTHING") != std::string::npos);
  CHECK(sql_of(Flavor::kMySql, all_key).find("UPDATE `id` = VALUES(`id`)") != std::string::npos);
}

TEST_CASE("jdbc sink: statements are cut by size") {
  WriteBatch b = people(WriteOp::kInsert);
  for (int i = 3; i < 1000; ++i) b.rows.push_back({Value(int64_t{i}), Value("row")});
  std::string sql;
  size_t begin = 0, next = 0, statements = 0, rows = 0;
  while (begin < b.rows.size()) {
    REQUIRE(multi_row_sql(Flavor::kMySql, b, TimeZone(), begin, 2000, &sql, &next).ok());
    CHECK(sql.size() < 2100);
    rows += next - begin;
    begin = next;
    ++statements;
  }
  CHECK(rows == b.rows.size());
  CHECK(statements > 5);
}

TEST_CASE("jdbc sink: prepared statements (SQLite)") {
  CHECK(prepared_sql(Flavor::kSqlite, people(WriteOp::kUpsert)) ==
        "INSERT INTO \"people\" (\"id\", \"name\") VALUES (?, ?) ON CONFLICT (\"id\") DO UPDATE "
        "SET \"name\" = excluded.\"name\"");
  CHECK(prepared_sql(Flavor::kSqlite, people(WriteOp::kUpdate)) ==
        "UPDATE \"people\" SET \"name\" = ? WHERE \"id\" = ?");
  CHECK(bind_order(people(WriteOp::kUpdate)) == std::vector<size_t>{1, 0});
}

TEST_CASE("jdbc sink: literals") {
  auto str = Schema::primitive(Type::kString);
  CHECK(literal(Flavor::kMySql, Value("a\\b'\n\0c"), str) == "'a\\\\b\\'\\n'");
  CHECK(literal(Flavor::kMySql, Value(std::string("a\0b", 3)), str) == "'a\\0b'");
  CHECK(literal(Flavor::kPostgres, Value("a\\b'"), str) == "'a\\b'''");
  std::string out;
  CHECK(!append_literal(Flavor::kPostgres, Value(std::string("a\0b", 3)), *str, true, TimeZone(),
                        &out)
             .ok());
  CHECK(literal(Flavor::kPostgres, Value(Bytes{"\x01\xff"}), Schema::primitive(Type::kBytes)) ==
        "'\\x01ff'::bytea");
  CHECK(literal(Flavor::kMySql, Value(Bytes{"\x01\xff"}), Schema::primitive(Type::kBytes)) ==
        "X'01ff'");
  Decimal d;
  REQUIRE(Decimal::parse("-12.340", &d));
  CHECK(literal(Flavor::kPostgres, Value(d), Schema::decimal(3)) == "-12.340");
  // 2020-01-02 03:04:05.123456789 UTC: microseconds kept, zone applied to zone-less columns.
  const int64_t ts = 1577934245123456789LL;
  CHECK(literal(Flavor::kPostgres, Value(ts), Schema::timestamp()) ==
        "'2020-01-02 03:04:05.123456'");
  CHECK(literal(Flavor::kPostgres, Value(ts), Schema::timestamp(), false) ==
        "'2020-01-02 03:04:05.123456+00'");
  TimeZone berlin;
  REQUIRE(TimeZone::load("Europe/Berlin", &berlin).ok());
  CHECK(literal(Flavor::kMySql, Value(ts), Schema::timestamp(), true, berlin) ==
        "'2020-01-02 04:04:05.123456'");
  CHECK(literal(Flavor::kMySql, Value(int64_t{18321}), Schema::date()) == "'2020-02-29'");
  CHECK(literal(Flavor::kMySql, Value(int64_t{45296000001000}), Schema::time()) ==
        "'12:34:56.000001'");
  CHECK(literal(Flavor::kPostgres, Value(true), Schema::primitive(Type::kBoolean)) == "TRUE");
  CHECK(literal(Flavor::kPostgres, Value(0.1), Schema::primitive(Type::kFloat64)) == "0.1");
  CHECK(literal(Flavor::kPostgres, Value(0.1f), Schema::primitive(Type::kFloat32)) == "0.1");
  CHECK(!append_literal(Flavor::kPostgres, Value("x"), *Schema::primitive(Type::kInt32), true,
                        TimeZone(), &out)
             .ok());
}

TEST_CASE("jdbc sink: COPY text") {
  std::string out;
  REQUIRE(append_copy_text(Value("a\tb\\c\nd"), *Schema::primitive(Type::kString), true, TimeZone(),
                           &out)
              .ok());
  CHECK(out == "a\\tb\\\\c\\nd");
  out.clear();
  REQUIRE(append_copy_text(Value(), *Schema::primitive(Type::kString, true), true, TimeZone(), &out)
              .ok());
  CHECK(out == "\\N");
  out.clear();
  REQUIRE(append_copy_text(Value(Bytes{"\x0a"}), *Schema::primitive(Type::kBytes), true, TimeZone(),
                           &out)
              .ok());
  CHECK(out == "\\\\x0a");
}

TEST_CASE("jdbc sink: COPY text escapes a special byte wherever it is in a long string") {
  // Plain runs are scanned eight bytes at a time: every position and both sides of a word.
  const std::pair<std::string, std::string> specials[] = {
      {"\t", "\\t"},  {"\n", "\\n"},    {"\r", "\\r"},
      {"\\", "\\\\"}, {"\x01", "\x01"}, {"\xc3\xa9", "\xc3\xa9"}};
  for (const auto& [raw, escaped] : specials) {
    for (size_t at = 0; at <= 20; ++at) {
      const std::string text = std::string(at, 'a') + raw + std::string(20 - at, 'b');
      std::string out;
      REQUIRE(
          append_copy_text(Value(text), *Schema::primitive(Type::kString), true, TimeZone(), &out)
              .ok());
      CHECK(out == std::string(at, 'a') + escaped + std::string(20 - at, 'b'));
    }
  }
  std::string out;
  CHECK_FALSE(append_copy_text(Value(std::string("0123456789\0abc", 14)),
                               *Schema::primitive(Type::kString), true, TimeZone(), &out)
                  .ok());
}

// ---- The sink on SQLite, with records built by hand. ----

namespace {

struct TempDb {
  std::string dir;
  std::string path;
  TempDb() {
    char tmpl[] = "/tmp/kpipe-sink-XXXXXX";
    dir = ::mkdtemp(tmpl);
    path = dir + "/t.db";
  }
  ~TempDb() {
    ::unlink(path.c_str());
    ::rmdir(dir.c_str());
  }
  std::vector<std::string> rows(const std::string& sql) const {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_stmt* s = nullptr;
    std::vector<std::string> out;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK) {
      while (sqlite3_step(s) == SQLITE_ROW) {
        std::string row;
        for (int i = 0; i < sqlite3_column_count(s); ++i) {
          const unsigned char* t = sqlite3_column_text(s, i);
          row += (i ? "|" : "") + std::string(t ? reinterpret_cast<const char*>(t) : "NULL");
        }
        out.push_back(row);
      }
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
  }
};

Status open_sink(const TempDb& db, std::vector<std::pair<std::string, std::string>> entries,
                 std::unique_ptr<Sink>* sink, RunContext* context) {
  entries.emplace_back("connection.url", "jdbc:sqlite:" + db.path);
  Config config;
  KPIPE_RETURN_IF_ERROR(parse_config(jdbc_sink_spec(), entries, "sink", &config));
  *sink = make_jdbc_sink();
  context->pipeline_name = "unit";
  return (*sink)->open(config, *context);
}

const SchemaPtr kKey = StructBuilder("key").field("id", Schema::primitive(Type::kInt64)).build();
const SchemaPtr kValue = StructBuilder("value")
                             .field("id", Schema::primitive(Type::kInt64))
                             .field("name", Schema::primitive(Type::kString, true))
                             .build();

Record keyed(int64_t id, std::optional<std::string> name) {
  Record r;
  r.topic = "people";
  r.key_schema = kKey;
  r.key = Value(Struct{{Value(id)}});
  if (name) {
    r.value_schema = kValue;
    r.value = Value(Struct{{Value(id), Value(*name)}});
  }
  return r;
}

}  // namespace

TEST_CASE("jdbc sink on SQLite: record_key upserts and tombstones delete") {
  TempDb db;
  std::unique_ptr<Sink> sink;
  RunContext context;
  REQUIRE(open_sink(db,
                    {{"insert.mode", "upsert"},
                     {"pk.mode", "record_key"},
                     {"delete.enabled", "true"},
                     {"auto.create", "true"}},
                    &sink, &context)
              .ok());
  Batch batch;
  batch.push_back(keyed(1, "a"));
  batch.push_back(keyed(2, "b"));
  batch.push_back(keyed(1, "a2"));  // same key in one batch: the last wins
  batch.push_back(keyed(3, "c"));
  batch.push_back(keyed(3, std::nullopt));  // deleted after its upsert
  batch.push_back(keyed(4, std::nullopt));  // deleting what is not there
  REQUIRE(sink->write(batch).ok());
  REQUIRE(sink->flush().ok());
  CHECK(db.rows("SELECT id, name FROM people ORDER BY id") ==
        std::vector<std::string>{"1|a2", "2|b"});
  Batch again;
  again.push_back(keyed(2, std::nullopt));
  again.push_back(keyed(2, "b again"));  // re-inserted after the delete
  again.push_back(keyed(1, std::nullopt));
  REQUIRE(sink->write(again).ok());
  REQUIRE(sink->flush().ok());
  CHECK(db.rows("SELECT id, name FROM people ORDER BY id") ==
        std::vector<std::string>{"2|b again"});
  CHECK(db.rows("SELECT name, pk FROM pragma_table_info('people') WHERE pk > 0") ==
        std::vector<std::string>{"id|1"});
  sink->close();
}

TEST_CASE("jdbc sink on SQLite: a primitive key names its column with pk.fields") {
  TempDb db;
  std::unique_ptr<Sink> sink;
  RunContext context;
  REQUIRE(open_sink(db,
                    {{"insert.mode", "insert"},
                     {"pk.mode", "record_key"},
                     {"pk.fields", "k"},
                     {"auto.create", "true"}},
                    &sink, &context)
              .ok());
  Record r = keyed(7, "seven");
  r.key_schema = Schema::primitive(Type::kString);
  r.key = Value("key-7");
  Batch batch;
  batch.push_back(r);
  REQUIRE(sink->write(batch).ok());
  REQUIRE(sink->flush().ok());
  CHECK(db.rows("SELECT k, id, name FROM people") == std::vector<std::string>{"key-7|7|seven"});
}

TEST_CASE("jdbc sink on SQLite: pk.mode kafka keys rows by topic, partition, offset") {
  TempDb db;
  std::unique_ptr<Sink> sink;
  RunContext context;
  REQUIRE(open_sink(db, {{"insert.mode", "upsert"}, {"pk.mode", "kafka"}, {"auto.create", "true"}},
                    &sink, &context)
              .ok());
  auto partition =
      std::make_shared<const Json>(Json{{"kafka_topic", "people"}, {"kafka_partition", 2}});
  Batch batch;
  for (int64_t offset : {10, 11, 10}) {
    Record r = keyed(offset, "n" + std::to_string(offset));
    r.partition = 2;
    r.source_partition = partition;
    r.source_offset = Json{{"kafka_offset", offset + 1}};  // the next to read
    r.kafka_offset = offset;
    batch.push_back(r);
  }
  REQUIRE(sink->write(batch).ok());
  REQUIRE(sink->flush().ok());
  CHECK(db.rows("SELECT __connect_topic, __connect_partition, __connect_offset, name FROM people "
                "ORDER BY 3") == std::vector<std::string>{"people|2|10|n10", "people|2|11|n11"});
  // A record that did not come from Kafka has no offset: a configuration error.
  Batch plain;
  plain.push_back(keyed(1, "x"));
  Status st = sink->write(plain);
  CHECK(st.code() == Code::kInvalid);
  CHECK(st.message().find("did not come from Kafka") != std::string::npos);
}

TEST_CASE("jdbc sink on SQLite: exactly-once offsets commit with the rows") {
  TempDb db;
  std::unique_ptr<Sink> sink;
  RunContext context;
  REQUIRE(open_sink(db, {{"auto.create", "true"}, {"exactly.once", "true"}}, &sink, &context).ok());
  REQUIRE(sink->stores_offsets());
  Batch batch;
  batch.push_back(keyed(1, "a"));
  REQUIRE(sink->write(batch).ok());
  REQUIRE(sink->write_offsets({{Json{{"p", 1}}, Json{{"o", 5}}}}).ok());
  REQUIRE(sink->flush().ok());
  // Rows written but never flushed (the process dies) leave neither rows nor offsets.
  Batch lost;
  lost.push_back(keyed(2, "b"));
  REQUIRE(sink->write(lost).ok());
  REQUIRE(sink->write_offsets({{Json{{"p", 1}}, Json{{"o", 6}}}}).ok());
  sink->close();
  CHECK(db.rows("SELECT id FROM people") == std::vector<std::string>{"1"});
  REQUIRE(open_sink(db, {{"exactly.once", "true"}}, &sink, &context).ok());
  std::vector<std::pair<Json, Json>> offsets;
  REQUIRE(sink->read_offsets(&offsets).ok());
  REQUIRE(offsets.size() == 1);
  CHECK(offsets[0].first == Json{{"p", 1}});
  CHECK(offsets[0].second == Json{{"o", 5}});
}

TEST_CASE("jdbc sink on SQLite: one batch with more schemas than the plan cache keeps") {
  TempDb db;
  std::unique_ptr<Sink> sink;
  RunContext context;
  REQUIRE(open_sink(db, {{"auto.create", "true"}}, &sink, &context).ok());
  // 100 schemas with the same columns, each used twice, 100 records apart: the cache (64 plans)
  // must not drop a plan that an earlier record of the batch still needs.
  constexpr int kSchemas = 100;
  std::vector<SchemaPtr> schemas;
  for (int k = 0; k < kSchemas; ++k)
    schemas.push_back(StructBuilder("value" + std::to_string(k))
                          .field("id", Schema::primitive(Type::kInt64))
                          .field("name", Schema::primitive(Type::kString, true))
                          .build());
  Batch batch;
  for (int64_t i = 0; i < 2 * kSchemas; ++i) {
    Record r;
    r.topic = "people";
    r.value_schema = schemas[static_cast<size_t>(i % kSchemas)];
    r.value = Value(Struct{{Value(i), Value("n" + std::to_string(i))}});
    batch.push_back(std::move(r));
  }
  REQUIRE(sink->write(batch).ok());
  REQUIRE(sink->flush().ok());
  CHECK(db.rows("SELECT count(*), count(DISTINCT id), min(id), max(id), "
                "sum(name = 'n' || id) FROM people") ==
        std::vector<std::string>{"200|200|0|199|200"});
  sink->close();
}

TEST_CASE("jdbc sink: configurations that cannot work are refused at open") {
  TempDb db;
  std::unique_ptr<Sink> sink;
  RunContext context;
  Status st =
      open_sink(db, {{"delete.enabled", "true"}, {"pk.mode", "record_value"}}, &sink, &context);
  CHECK(st.code() == Code::kInvalid);
  CHECK(st.message().find("record_key") != std::string::npos);
  st = open_sink(db, {{"insert.mode", "update"}}, &sink, &context);
  CHECK(st.code() == Code::kInvalid);
  st = open_sink(db, {{"pk.mode", "kafka"}, {"pk.fields", "a,b"}}, &sink, &context);
  CHECK(st.code() == Code::kInvalid);
}
