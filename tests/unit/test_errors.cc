// The errors policy: fail naming the record, or skip it into a dead-letter file.
#include <doctest/doctest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "errors.h"

using namespace kpipe;

namespace {

Status make(const std::string& yaml, std::unique_ptr<ErrorHandler>* out) {
  Config errors;
  KPIPE_RETURN_IF_ERROR(
      parse_config(errors_spec(), YAML::Load(yaml), "p.yaml", "errors", {}, &errors));
  Registry registry;
  RunContext context;
  context.pipeline_name = "p";
  return ErrorHandler::create(errors, "file", Config(), registry, context, out);
}

Record bad_record() {
  Record r;
  r.topic = "t";
  r.source_partition = std::make_shared<const Json>(Json{{"filename", "/in.csv"}});
  r.source_offset = Json{{"position", 42}};
  r.value_bytes = std::string("a,\"b");
  return r;
}

}  // namespace

TEST_CASE("tolerance none fails naming the stage and the record") {
  std::unique_ptr<ErrorHandler> h;
  REQUIRE(make("{}", &h).ok());
  Status st = h->handle("source", bad_record(), "line 3: unclosed quote");
  CHECK(st.code() == Code::kRuntime);
  CHECK(st.message() ==
        "source failed on the record from {\"filename\":\"/in.csv\"} at {\"position\":42}: line 3: "
        "unclosed quote (errors.tolerance: all would skip it)");
}

TEST_CASE("tolerance all writes a dead-letter file line per record") {
  char path[] = "/tmp/kpipe-dlq-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::unique_ptr<ErrorHandler> h;
  REQUIRE(
      make(std::string("{tolerance: all, log.enable: true, deadletterqueue.file: ") + path + "}",
           &h)
          .ok());
  REQUIRE(h->handle("source", bad_record(), "line 3: unclosed quote").ok());
  REQUIRE(h->flush().ok());
  CHECK(h->tolerated() == 1);
  std::ifstream in(path);
  std::string line;
  REQUIRE(std::getline(in, line));
  Json j = Json::parse(line);
  CHECK(j["error"] == "line 3: unclosed quote");
  CHECK(j["stage"] == "source");
  CHECK(j["source_offset"]["position"] == 42);
  CHECK(j["value"] == "a,\"b");
  CHECK(j["key"].is_null());
  std::remove(path);
}

TEST_CASE("a dead-letter queue without tolerance all is a configuration error") {
  std::unique_ptr<ErrorHandler> h;
  Status st = make("{deadletterqueue.file: /tmp/x.jsonl}", &h);
  CHECK(st.code() == Code::kInvalid);
  CHECK(st.message().find("errors.deadletterqueue.file") != std::string::npos);
  CHECK(st.message().find("tolerance: all") != std::string::npos);
  st = make("{tolerance: all, deadletterqueue.topic.name: dlq}", &h);
  CHECK(st.code() == Code::kInvalid);
  CHECK(st.message().find("deadletterqueue.bootstrap.servers") != std::string::npos);
}

TEST_CASE("retry keys: Connect's defaults, -1 for ever, other negatives rejected") {
  auto parse = [](const std::string& yaml, Config* out) {
    *out = Config();
    return parse_config(errors_spec(), YAML::Load(yaml), "p.yaml", "errors", {}, out);
  };
  Config c;
  REQUIRE(parse("{}", &c).ok());
  CHECK(c.integer("retry.timeout") == 0);
  CHECK(c.integer("retry.delay.max.ms") == 60000);
  REQUIRE(parse("{retry.timeout: -1, retry.delay.max.ms: 0}", &c).ok());
  CHECK(c.integer("retry.timeout") == -1);
  CHECK(c.integer("retry.delay.max.ms") == 0);
  Status st = parse("{retry.timeout: -2}", &c);
  CHECK(st.code() == Code::kInvalid);
  CHECK(st.message().find("errors.retry.timeout") != std::string::npos);
  st = parse("{retry.delay.max.ms: soon}", &c);
  CHECK(st.code() == Code::kInvalid);
  CHECK(st.message().find("errors.retry.delay.max.ms") != std::string::npos);
}

TEST_CASE("a transient failure stays transient through added context") {
  Status st = Status::Transient("connection refused").with_context("source");
  CHECK(st.transient());
  CHECK(st.code() == Code::kRuntime);
  CHECK(st.message() == "source: connection refused");
  CHECK_FALSE(Status::Runtime("syntax error").with_context("source").transient());
  // Only runtime failures can be transient: configuration errors are never retried.
  CHECK_FALSE(Status::Invalid("no such table").as_transient().transient());
  CHECK_FALSE(Status::Ok().as_transient().transient());
}
