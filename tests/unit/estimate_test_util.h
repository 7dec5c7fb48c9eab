// Drives a source as a run does, to hold its estimate() against what it then emits: open() with
// the committed offsets, estimate(), poll() until exhausted(), then "commit" the last offset of
// each partition for the next run. Shared by tests/unit/test_estimate.cc (SQLite, files, Kafka)
// and tests/integration/test_estimate_jdbc.cc (PostgreSQL, MariaDB).
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config.h"
#include "connector.h"
#include "connectors/jdbc/sql.h"
#include "connectors/jdbc/time_util.h"
#include "registry.h"

namespace kpipe::estimate_test {

// The offsets a run committed: partition -> offset, as the offsets file keeps them.
class MemoryOffsets : public OffsetReader {
 public:
  std::optional<Json> offset(const Json& partition) const override {
    auto it = entries.find(partition.dump());
    if (it == entries.end()) return std::nullopt;
    return it->second;
  }
  std::map<std::string, Json> entries;
};

struct Drained {
  Estimate estimate;
  std::vector<Record> records;
};

using Entries = std::vector<std::pair<std::string, std::string>>;

// One run of `connector` configured with `entries`: its estimate and what it emitted. With
// `between`, called after estimate() and before the first poll() (data changing meanwhile).
inline Drained drain(const std::string& connector, const Entries& entries, MemoryOffsets* offsets,
                     const RunContext& context,
                     const std::function<void()>& between = std::function<void()>()) {
  Registry registry;
  register_builtins(registry);
  const Registry::SourceEntry* entry = registry.source(connector);
  REQUIRE(entry);
  Config config;
  Status st = parse_config(entry->spec, entries, "source", &config);
  INFO(st.message());
  REQUIRE(st.ok());
  if (entry->spec.check) {
    st = entry->spec.check(config);
    INFO(st.message());
    REQUIRE(st.ok());
  }
  std::unique_ptr<Source> source = entry->make();
  st = source->open(config, context, *offsets);
  INFO(st.message());
  REQUIRE(st.ok());
  Drained out;
  st = source->estimate(&out.estimate);
  INFO(st.message());
  REQUIRE(st.ok());
  if (between) between();
  // Not a synchronisation: a bound on a source that never ends (a bug this test is to catch).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!source->exhausted()) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    Batch batch;
    st = source->poll(&batch);
    INFO(st.message());
    REQUIRE(st.ok());
    for (Record& r : batch) {
      if (r.source_partition) offsets->entries[r.source_partition->dump()] = r.source_offset;
      out.records.push_back(std::move(r));
    }
  }
  source->close();
  return out;
}

// Checks that a run counted exactly what it then emitted, and returns that number.
inline uint64_t exact_run(const std::string& connector, const Entries& entries,
                          MemoryOffsets* offsets, const RunContext& context,
                          const std::function<void()>& between = std::function<void()>()) {
  Drained d = drain(connector, entries, offsets, context, between);
  INFO(d.estimate.how);
  REQUIRE(d.estimate.records.has_value());
  CHECK(d.estimate.exact);
  CHECK(*d.estimate.records == d.records.size());
  return d.records.size();
}

// The jdbc source's modes on one database (`url`: jdbc:sqlite:..., postgresql://...,
// mysql://...; `ts_type`: its timestamp column type). Each run's COUNT(*) must equal the rows it
// emits, from scratch and from the committed offsets, in every mode, the no-key timestamp mode's
// held row included.
class JdbcEstimateScenarios {
 public:
  JdbcEstimateScenarios(std::string url, std::string ts_type)
      : url_(std::move(url)), ts_type_(std::move(ts_type)) {
    jdbc::ConnectOptions options;
    options.url = url_;
    options.create_database = url_.rfind("jdbc:sqlite:", 0) == 0;
    Status st = jdbc::connect(options, &db_);
    INFO(st.message());
    REQUIRE(st.ok());
    context_.pipeline_name = "estimate";
  }

  void sql(const std::string& statement) {
    Status st = db_->execute(statement);
    INFO(statement << ": " << st.message());
    REQUIRE(st.ok());
  }

  // A timestamp literal `ms` milliseconds from the database's clock now (UTC, zoneless).
  std::string at(int64_t ms) {
    int64_t now = 0;
    REQUIRE(db_->now(&now).ok());
    return at_nanos(now + ms * 1000000);
  }
  std::string at_nanos(int64_t nanos) {
    return "'" + jdbc::format_timestamp(nanos, jdbc::TimeZone(), 6) + "'";
  }

  Entries source(const std::string& mode, const std::string& table,
                 Entries more = Entries()) const {
    Entries e = {{"connection.url", url_}, {"mode", mode}, {"batch.max.rows", "3"}};
    if (!table.empty()) e.push_back({"table.whitelist", table});
    e.insert(e.end(), more.begin(), more.end());
    return e;
  }

  void incrementing() {
    sql("DROP TABLE IF EXISTS est_inc");
    sql("CREATE TABLE est_inc (id BIGINT NOT NULL PRIMARY KEY, v VARCHAR(20) NOT NULL)");
    for (int i = 1; i <= 7; ++i)
      sql("INSERT INTO est_inc VALUES (" + std::to_string(i) + ", 'v" + std::to_string(i) + "')");
    MemoryOffsets offsets;
    const Entries e = source("incrementing", "est_inc", {{"incrementing.column.name", "id"}});
    CHECK(exact_run("jdbc", e, &offsets, context_) == 7);
    sql("INSERT INTO est_inc VALUES (8, 'v8'), (9, 'v9')");
    CHECK(exact_run("jdbc", e, &offsets, context_) == 2);  // only the new rows
    CHECK(exact_run("jdbc", e, &offsets, context_) == 0);
    Drained d = drain("jdbc", e, &offsets, context_);
    CHECK(d.estimate.how == "COUNT(*) over 1 table(s)");

    // Query mode: the same predicate around the query.
    MemoryOffsets query_offsets;
    const Entries q = {{"connection.url", url_},
                       {"mode", "incrementing"},
                       {"incrementing.column.name", "id"},
                       {"query", "SELECT id, v FROM est_inc WHERE v <> 'v2'"},
                       {"topic.prefix", "q"}};
    CHECK(exact_run("jdbc", q, &query_offsets, context_) == 8);
    sql("INSERT INTO est_inc VALUES (10, 'v10'), (11, 'v2'), (12, 'v12')");
    CHECK(exact_run("jdbc", q, &query_offsets, context_) == 2);

    // Bulk: every row, every run.
    MemoryOffsets bulk_offsets;
    CHECK(exact_run("jdbc", source("bulk", "est_inc"), &bulk_offsets, context_) == 12);
    CHECK(exact_run("jdbc", source("bulk", "est_inc"), &bulk_offsets, context_) == 12);
  }

  // Timestamp mode with a key and without one (the held row), timestamp+incrementing; rows in
  // the future are beyond the upper bound of both the count and the query.
  void timestamps() {
    sql("DROP TABLE IF EXISTS est_keyed");
    sql("DROP TABLE IF EXISTS est_unkeyed");
    sql("DROP TABLE IF EXISTS est_tsinc");
    sql("CREATE TABLE est_keyed (id BIGINT NOT NULL PRIMARY KEY, at " + ts_type_ + " NOT NULL)");
    sql("CREATE TABLE est_unkeyed (id BIGINT NOT NULL, at " + ts_type_ + " NOT NULL)");
    sql("CREATE TABLE est_tsinc (id BIGINT NOT NULL PRIMARY KEY, at " + ts_type_ + " NOT NULL)");
    const std::string t1 = at(-60000), t2 = at(-50000), t3 = at(-40000), future = at(3600000);
    for (const char* table : {"est_keyed", "est_unkeyed", "est_tsinc"}) {
      const std::string into = std::string("INSERT INTO ") + table + " VALUES ";
      sql(into + "(1, " + t1 + "), (2, " + t1 + "), (3, " + t2 + "), (4, " + t2 + "), (5, " + t2 +
          "), (6, " + t3 + "), (7, " + future + ")");
    }
    MemoryOffsets offsets;
    const Entries keyed = source("timestamp", "est_keyed", {{"timestamp.column.name", "at"}});
    const Entries unkeyed = source("timestamp", "est_unkeyed", {{"timestamp.column.name", "at"}});
    const Entries tsinc =
        source("timestamp+incrementing", "est_tsinc",
               {{"timestamp.column.name", "at"}, {"incrementing.column.name", "id"}});
    CHECK(exact_run("jdbc", keyed, &offsets, context_) == 6);
    CHECK(exact_run("jdbc", unkeyed, &offsets, context_) == 6);
    CHECK(exact_run("jdbc", tsinc, &offsets, context_) == 6);
    // New rows: later ones, and (keyed) one at the last committed timestamp after its key.
    const std::string t4 = at(-30000);
    sql("INSERT INTO est_keyed VALUES (8, " + t3 + "), (9, " + t4 + "), (10, " + t4 + ")");
    sql("INSERT INTO est_unkeyed VALUES (8, " + t4 + "), (9, " + t4 + ")");
    sql("INSERT INTO est_tsinc VALUES (8, " + t3 + "), (9, " + t4 + ")");
    CHECK(exact_run("jdbc", keyed, &offsets, context_) == 3);
    CHECK(exact_run("jdbc", unkeyed, &offsets, context_) == 2);
    CHECK(exact_run("jdbc", tsinc, &offsets, context_) == 2);
    CHECK(exact_run("jdbc", unkeyed, &offsets, context_) == 0);

    // Two tables in one run sum up.
    MemoryOffsets both;
    Drained d = drain(
        "jdbc",
        source("timestamp", "",
               {{"table.whitelist", "est_keyed,est_unkeyed"}, {"timestamp.column.name", "at"}}),
        &both, context_);
    CHECK(d.estimate.records == d.records.size());
    CHECK(d.records.size() == 9 + 8);
    CHECK(d.estimate.how == "COUNT(*) over 2 table(s)");
  }

  // The count fixes the upper bound: a row whose timestamp the clock passes between estimate()
  // and the query is beyond both (a query that read the clock again would emit it).
  void fixed_upper_bound() {
    sql("DROP TABLE IF EXISTS est_clock");
    sql("CREATE TABLE est_clock (id BIGINT NOT NULL PRIMARY KEY, at " + ts_type_ + " NOT NULL)");
    sql("INSERT INTO est_clock VALUES (1, " + at(-60000) + "), (2, " + at(-1000) + ")");
    MemoryOffsets offsets;
    const Entries e = source("timestamp", "est_clock", {{"timestamp.column.name", "at"}});
    auto insert_behind_the_bound = [&] {
      int64_t now = 0;
      REQUIRE(db_->now(&now).ok());
      // Later than the clock reading estimate() took (before `now`), and soon in the past.
      const int64_t ts = now + 2000000;
      sql("INSERT INTO est_clock VALUES (3, " + at_nanos(ts) + ")");
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      do {
        REQUIRE(db_->now(&now).ok());
        REQUIRE(std::chrono::steady_clock::now() < deadline);
      } while (now <= ts + 1000000);
    };
    CHECK(exact_run("jdbc", e, &offsets, context_, insert_behind_the_bound) == 2);
    CHECK(exact_run("jdbc", e, &offsets, context_) == 1);  // the next run reads it
  }

 private:
  std::string url_, ts_type_;
  std::unique_ptr<jdbc::Connection> db_;
  RunContext context_;
};

}  // namespace kpipe::estimate_test
