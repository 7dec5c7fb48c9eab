// Source::estimate() against what the source then emits (tests/unit/estimate_test_util.h): the
// jdbc source on SQLite, the file source's formats, the kafka source on librdkafka's mock
// cluster, and the kafka source's stop.at end-of-task.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "connectors/kafka/kafka_client.h"
#include "connectors/kafka/mock_cluster.h"
#include "tests/unit/estimate_test_util.h"

namespace kpipe {
namespace {

using estimate_test::drain;
using estimate_test::Drained;
using estimate_test::Entries;
using estimate_test::exact_run;
using estimate_test::MemoryOffsets;

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/kpipe-estimate-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return path + "/" + name; }
};

void append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << text;
}

RunContext context() {
  RunContext c;
  c.pipeline_name = "estimate";
  return c;
}

TEST_CASE("estimate: jdbc source on SQLite counts what it emits in every mode") {
  TempDir dir;
  estimate_test::JdbcEstimateScenarios db("jdbc:sqlite:" + dir.file("db.sqlite"), "TIMESTAMP");
  SUBCASE("incrementing, query, bulk") {
    db.incrementing();
  }
  SUBCASE("timestamp, keyless timestamp, timestamp+incrementing") {
    db.timestamps();
  }
  SUBCASE("the count fixes the upper bound") {
    db.fixed_upper_bound();
  }
}

TEST_CASE("estimate: file source counts the records left") {
  TempDir dir;
  const std::string path = dir.file("in.txt");
  MemoryOffsets offsets;
  SUBCASE("lines: \\n, \\r\\n, \\r, empty lines, a last line without a line end") {
    append(path, "a\nb\r\n\nc\rd");
    const Entries e = {{"file", path}};
    CHECK(exact_run("file", e, &offsets, context()) == 5);
    append(path, "e\n\r\nf\n");
    CHECK(exact_run("file", e, &offsets, context()) == 3);
    CHECK(exact_run("file", e, &offsets, context()) == 0);
  }
  SUBCASE("jsonl: blank lines are no records, a bad line is one") {
    append(path, "{\"a\":1}\n\n  \t\n[1,2]\r\nnot json\n\"x\"");
    Drained d = drain("file", {{"file", path}, {"format", "jsonl"}}, &offsets, context());
    CHECK(d.estimate.exact);
    CHECK(d.estimate.records == 4);
    CHECK(d.records.size() == 4);  // "not json" comes as an error record
  }
  SUBCASE("csv: header, blank lines, quoted line breaks and quotes") {
    append(path,
           "\n\nid,text\r\n1,\"two\nlines\"\n\n2,\"a \"\"quoted\"\"\r\nword\"\n3,un\"quoted\n"
           "4,\"\"\n5,");
    const Entries e = {{"file", path}, {"format", "csv"}};
    CHECK(exact_run("file", e, &offsets, context()) == 5);
    append(path, "\n6,\"x\ny\",\n7,z\n");  // 5, ends; 6 has a wrong field count: still a record
    Drained d = drain("file", e, &offsets, context());
    CHECK(d.estimate.exact);
    CHECK(d.estimate.records == 2);
    CHECK(d.records.size() == 2);
  }
  SUBCASE("csv: another delimiter and quote") {
    append(path, "a;b\n'x;\n';1\n'';'''\n'\n");
    const Entries e = {
        {"file", path}, {"format", "csv"}, {"csv.delimiter", ";"}, {"csv.quote", "'"}};
    CHECK(exact_run("file", e, &offsets, context()) == 2);
  }
  SUBCASE("--follow: a last line without its line end is not counted") {
    append(path, "a\nb\nc");
    RunContext follow = context();
    follow.follow = true;
    Registry registry;
    register_builtins(registry);
    Config config;
    REQUIRE(parse_config(registry.source("file")->spec, {{"file", path}}, "source", &config).ok());
    auto source = registry.source("file")->make();
    REQUIRE(source->open(config, follow, offsets).ok());
    Estimate estimate;
    REQUIRE(source->estimate(&estimate).ok());
    CHECK(estimate.records == 2);
    source->close();
  }
  SUBCASE("past 256 MiB: estimated from the first MiB") {
    const std::string line(63, 'x');
    std::string mib;
    for (int i = 0; i < (1 << 20) / 64; ++i) mib += line + "\n";
    {
      std::ofstream out(path, std::ios::binary);
      for (int i = 0; i < 257; ++i) out << mib;
    }
    Registry registry;
    register_builtins(registry);
    Config config;
    REQUIRE(parse_config(registry.source("file")->spec, {{"file", path}}, "source", &config).ok());
    auto source = registry.source("file")->make();
    RunContext c = context();
    REQUIRE(source->open(config, c, offsets).ok());
    Estimate estimate;
    REQUIRE(source->estimate(&estimate).ok());
    CHECK_FALSE(estimate.exact);
    CHECK(estimate.records == uint64_t{257} * (1 << 20) / 64);
    CHECK(estimate.how.find("first 1 MiB") != std::string::npos);
    source->close();
  }
  SUBCASE("stdin: unknown") {
    Registry registry;
    register_builtins(registry);
    Config config;
    REQUIRE(parse_config(registry.source("file")->spec, Entries{}, "source", &config).ok());
    auto source = registry.source("file")->make();
    RunContext c = context();
    REQUIRE(source->open(config, c, offsets).ok());
    Estimate estimate;
    REQUIRE(source->estimate(&estimate).ok());
    CHECK_FALSE(estimate.records.has_value());
  }
}

// A producer on the mock cluster writing to explicit partitions, with headers.
class Producer {
 public:
  explicit Producer(const std::string& bootstrap) {
    KafkaConf conf(rd_kafka_conf_new());
    REQUIRE(kafka_conf_set(conf.get(), "bootstrap.servers", bootstrap).ok());
    REQUIRE(kafka_conf_set(conf.get(), "enable.idempotence", "true").ok());
    char err[512];
    handle_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.release(), err, sizeof err));
    REQUIRE(handle_);
  }
  // headers: "name=value" each.
  void send(const std::string& topic, int32_t partition, const std::string& value,
            const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    rd_kafka_headers_t* h = rd_kafka_headers_new(headers.size());
    for (const auto& [name, v] : headers)
      rd_kafka_header_add(h, name.data(), static_cast<ssize_t>(name.size()), v.data(),
                          static_cast<ssize_t>(v.size()));
    rd_kafka_resp_err_t err = rd_kafka_producev(
        handle_.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_headers_destroy(h);
    REQUIRE(err == RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  // A record of task `task` with currentIndex `index`, isEnd when `end`.
  void task(const std::string& topic, int32_t partition, const std::string& task, int index,
            bool end = false) {
    std::vector<std::pair<std::string, std::string>> h = {{"taskId", task},
                                                          {"currentIndex", std::to_string(index)}};
    if (end) h.push_back({"isEnd", "true"});
    send(topic, partition, task + "/" + std::to_string(index), h);
  }
  void flush() { REQUIRE(rd_kafka_flush(handle_.get(), 30000) == RD_KAFKA_RESP_ERR_NO_ERROR); }

 private:
  KafkaHandle handle_;
};

// A group of its own for each run: rejoining a group the last run left costs seconds on the mock.
Entries own_group(Entries e) {
  static int groups = 0;
  e.push_back({"group.id", "estimate-" + std::to_string(++groups)});
  return e;
}

Json kafka_partition(const std::string& topic, int32_t partition) {
  return Json{{"kafka_topic", topic}, {"kafka_partition", partition}};
}

int64_t committed(const MemoryOffsets& offsets, const std::string& topic, int32_t partition) {
  auto offset = offsets.offset(kafka_partition(topic, partition));
  return offset ? (*offset)["kafka_offset"].get<int64_t>() : -1;
}

std::vector<std::string> values(const Drained& d) {
  std::vector<std::string> out;
  for (const Record& r : d.records) out.push_back(r.value_bytes.value_or("(null)"));
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("estimate: kafka source counts end offsets minus start positions") {
  std::unique_ptr<MockCluster> mock;
  REQUIRE(MockCluster::start(1, &mock).ok());
  REQUIRE(mock->create_topic("est", 3).ok());
  REQUIRE(mock->create_topic("other", 1).ok());
  Producer producer(mock->bootstraps());
  for (int i = 0; i < 5; ++i) producer.send("est", 0, "a" + std::to_string(i));
  for (int i = 0; i < 3; ++i) producer.send("est", 1, "b" + std::to_string(i));
  producer.send("other", 0, "not subscribed");
  producer.flush();
  const Entries e = {{"bootstrap.servers", mock->bootstraps()}, {"topics", "est"}};
  auto run = [&](const Entries& entries, MemoryOffsets* offsets) {
    return drain("kafka", own_group(entries), offsets, context());
  };
  MemoryOffsets offsets;
  Drained d = run(e, &offsets);
  CHECK_FALSE(d.estimate.exact);  // an upper bound
  CHECK(d.estimate.records == 8);
  CHECK(d.records.size() == 8);
  CHECK(d.estimate.how.find("3 partition(s)") != std::string::npos);

  for (int i = 0; i < 4; ++i) producer.send("est", i % 3, "c" + std::to_string(i));
  producer.flush();
  d = run(e, &offsets);  // from the committed offsets
  CHECK(d.estimate.records == 4);
  CHECK(d.records.size() == 4);

  SUBCASE("topics.regex: the matching topics") {
    MemoryOffsets fresh;
    d = run({{"bootstrap.servers", mock->bootstraps()}, {"topics.regex", "e.t"}}, &fresh);
    CHECK(d.estimate.records == 12);
    CHECK(d.records.size() == 12);
  }
  SUBCASE("auto.offset.reset latest: nothing") {
    MemoryOffsets fresh;
    Entries latest = e;
    latest.push_back({"auto.offset.reset", "latest"});
    d = run(latest, &fresh);
    CHECK(d.estimate.records == 0);
    CHECK(d.records.empty());
  }
}

TEST_CASE("kafka source stop.at end-of-task") {
  std::unique_ptr<MockCluster> mock;
  REQUIRE(MockCluster::start(1, &mock).ok());
  Producer producer(mock->bootstraps());
  auto source = [&](const std::string& topic, const std::string& task) {
    return own_group({{"bootstrap.servers", mock->bootstraps()},
                      {"topics", topic},
                      {"stop.at", "end-of-task"},
                      {"task.id", task}});
  };

  SUBCASE("sequential tasks on two partitions; the marker is not the last record read") {
    REQUIRE(mock->create_topic("tasks", 2).ok());
    producer.send("tasks", 0, "older");
    producer.task("tasks", 0, "7", 1);
    producer.task("tasks", 0, "7", 2);
    producer.task("tasks", 1, "7", 3);
    producer.task("tasks", 1, "7", 4, true);
    producer.task("tasks", 0, "8", 1);  // the next task
    producer.task("tasks", 1, "8", 2);
    producer.task("tasks", 0, "8", 3, true);
    producer.send("tasks", 1, "after");
    producer.flush();
    MemoryOffsets offsets;
    Drained d = drain("kafka", source("tasks", "7"), &offsets, context());
    CHECK(d.estimate.records == 9);  // what the topic holds, not the task
    CHECK_FALSE(d.estimate.exact);
    CHECK(values(d) == std::vector<std::string>{"7/1", "7/2", "7/3", "7/4", "older"});
    CHECK(committed(offsets, "tasks", 0) == 3);  // right before task 8's first record
    CHECK(committed(offsets, "tasks", 1) == 2);  // the marker's offset + 1
    d = drain("kafka", source("tasks", "8"), &offsets, context());
    CHECK(values(d) == std::vector<std::string>{"8/1", "8/2", "8/3"});
    CHECK(committed(offsets, "tasks", 0) == 5);
    CHECK(committed(offsets, "tasks", 1) == 3);
  }
  SUBCASE("the task's own retry: duplicates count once") {
    REQUIRE(mock->create_topic("dup", 1).ok());
    producer.task("dup", 0, "7", 1);
    producer.task("dup", 0, "7", 2);
    producer.task("dup", 0, "7", 1);
    producer.task("dup", 0, "7", 2);
    producer.task("dup", 0, "7", 3, true);
    producer.send("dup", 0, "after");
    producer.flush();
    MemoryOffsets offsets;
    Drained d = drain("kafka", source("dup", "7"), &offsets, context());
    CHECK(d.records.size() == 5);
    CHECK(committed(offsets, "dup", 0) == 5);
  }
  SUBCASE("interleaved tasks: the other task's records are emitted as usual") {
    REQUIRE(mock->create_topic("mixed", 1).ok());
    producer.task("mixed", 0, "7", 1);
    producer.task("mixed", 0, "9", 1);
    producer.task("mixed", 0, "7", 2);
    producer.task("mixed", 0, "9", 2);
    producer.task("mixed", 0, "7", 3, true);
    producer.task("mixed", 0, "9", 3, true);
    producer.flush();
    MemoryOffsets offsets;
    Drained d = drain("kafka", source("mixed", "7"), &offsets, context());
    CHECK(values(d) == std::vector<std::string>{"7/1", "7/2", "7/3", "9/1", "9/2"});
    CHECK(committed(offsets, "mixed", 0) == 5);
  }
  SUBCASE("a marker without currentIndex: every partition is read to its end") {
    REQUIRE(mock->create_topic("plain", 2).ok());
    producer.send("plain", 0, "p0", {{"taskId", "7"}});
    producer.send("plain", 0, "end", {{"taskId", "7"}, {"isEnd", "true"}});
    producer.send("plain", 0, "after", {{"taskId", "7"}});
    producer.send("plain", 1, "p1a", {{"taskId", "7"}});
    producer.send("plain", 1, "p1b");
    producer.flush();
    MemoryOffsets offsets;
    Drained d = drain("kafka", source("plain", "7"), &offsets, context());
    CHECK(values(d) == std::vector<std::string>{"end", "p0", "p1a"});
    CHECK(committed(offsets, "plain", 0) == 2);
    CHECK(committed(offsets, "plain", 1) == 1);  // p1b: another task's (none) after ours
  }
  SUBCASE("the task id defaults to the run's") {
    REQUIRE(mock->create_topic("run", 1).ok());
    producer.task("run", 0, "42", 1, true);
    producer.task("run", 0, "43", 1, true);
    producer.flush();
    MemoryOffsets offsets;
    RunContext c = context();
    c.task_id = "42";
    c.task_id_given = true;
    Entries e = source("run", "");
    e.erase(e.begin() + 3);  // task.id
    Drained d = drain("kafka", e, &offsets, c);
    CHECK(values(d) == std::vector<std::string>{"42/1"});
    CHECK(committed(offsets, "run", 0) == 1);
  }
}

}  // namespace
}  // namespace kpipe
