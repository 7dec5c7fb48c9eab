// ConfigSpec-driven parsing and pipeline loading: every error names file:line:column and the key.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "config.h"
#include "pipeline.h"
#include "registry.h"

using namespace kpipe;

namespace {

const ConfigSpec& spec() {
  static const ConfigSpec s{
      "demo",
      ComponentKind::kSource,
      "a demo",
      {
          {"connection.url", FieldType::kString, std::nullopt, true, "where"},
          {"connection.password", FieldType::kString, std::nullopt, false, "pw", {}, true},
          {"batch.max.rows", FieldType::kInt, "100", false, "rows", {}, false, 1, 10000},
          {"mode", FieldType::kString, "bulk", false, "mode", {"bulk", "timestamp"}},
          {"enabled", FieldType::kBool, "true", false, "on"},
          {"ratio", FieldType::kDouble, "0.5", false, "ratio"},
          {"columns", FieldType::kList, "", false, "cols"},
      }};
  return s;
}

Status parse(const std::string& yaml, Config* out) {
  return parse_config(spec(), YAML::Load(yaml), "p.yaml", "source", {"connector"}, out);
}

}  // namespace

TEST_CASE("typed values and defaults") {
  Config c;
  REQUIRE(parse("connector: demo\nconnection.url: x\nbatch.max.rows: 7\nenabled: no\n"
                "columns: [a, b]\nratio: 2.5\n",
                &c)
              .ok());
  CHECK(c.str("connection.url") == "x");
  CHECK(c.integer("batch.max.rows") == 7);
  CHECK(c.boolean("enabled") == false);
  CHECK(c.real("ratio") == 2.5);
  CHECK(c.list("columns") == std::vector<std::string>{"a", "b"});
  CHECK(c.str("mode") == "bulk");
  CHECK_FALSE(c.user_set("mode"));
  CHECK_FALSE(c.has("connection.password"));
  CHECK(c.where("batch.max.rows").to_string() == "p.yaml:3:1");
}

TEST_CASE("a comma list is a list, as in Connect") {
  Config c;
  REQUIRE(parse("connection.url: x\ncolumns: a, b ,c\n", &c).ok());
  CHECK(c.list("columns") == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("errors name the place, the key and the fix") {
  Config c;
  Status st = parse("connection.url: x\nbatch.max.row: 5\n", &c);
  CHECK(st.code() == Code::kInvalid);
  CHECK(st.message().find("p.yaml:2:1") != std::string::npos);
  CHECK(st.message().find("unknown key 'batch.max.row'") != std::string::npos);
  CHECK(st.message().find("did you mean 'batch.max.rows'") != std::string::npos);

  st = parse("connection.url: x\nbatch.max.rows: lots\n", &(c = Config()));
  CHECK(st.message() == "p.yaml:2:1: source.batch.max.rows: expected an integer, got 'lots'");

  st = parse("connection.url: x\nbatch.max.rows: 0\n", &(c = Config()));
  CHECK(st.message().find("below the minimum 1") != std::string::npos);

  st = parse("connection.url: x\nmode: fast\n", &(c = Config()));
  CHECK(st.message().find("'fast' is not one of: bulk, timestamp") != std::string::npos);

  st = parse("batch.max.rows: 5\n", &(c = Config()));
  CHECK(st.message().find("missing required key 'connection.url'") != std::string::npos);

  st = parse("connection.url: [a, b]\n", &(c = Config()));
  CHECK(st.message().find("expected a string, got a list") != std::string::npos);

  st = parse("connection.url: x\nenabled: maybe\n", &(c = Config()));
  CHECK(st.message().find("expected true or false") != std::string::npos);
}

TEST_CASE("a secret value never appears in an error") {
  Config c;
  const ConfigSpec s{"demo",
                     ComponentKind::kSource,
                     "",
                     {{"password", FieldType::kInt, std::nullopt, false, "", {}, true}}};
  Status st = parse_config(s, YAML::Load("password: hunter2\n"), "p.yaml", "source", {}, &c);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("hunter2") == std::string::npos);
}

TEST_CASE("${env:..} and ${file:..} substitution") {
  ::setenv("KPIPE_TEST_SECRET", "s3cret", 1);
  std::string out;
  REQUIRE(substitute("pw=${env:KPIPE_TEST_SECRET};", "p.yaml:1:1", &out).ok());
  CHECK(out == "pw=s3cret;");

  auto path = std::filesystem::temp_directory_path() / "kpipe-secret-test.txt";
  std::ofstream(path) << "from-file\n";
  REQUIRE(substitute("${file:" + path.string() + "}", "p.yaml:1:1", &out).ok());
  CHECK(out == "from-file");
  std::filesystem::remove(path);

  Status st = substitute("${env:KPIPE_NO_SUCH_VAR}", "p.yaml:3:7", &out);
  CHECK(st.message() ==
        "p.yaml:3:7: environment variable 'KPIPE_NO_SUCH_VAR' is not set "
        "(${env:KPIPE_NO_SUCH_VAR})");
  CHECK_FALSE(substitute("${file:/no/such/file}", "p.yaml:1:1", &out).ok());

  REQUIRE(substitute("${env:KPIPE_NO_SUCH_VAR:-localhost:9092}", "", &out).ok());
  CHECK(out == "localhost:9092");
  REQUIRE(substitute("${env:KPIPE_TEST_SECRET:-x}", "", &out).ok());
  CHECK(out == "s3cret");

  REQUIRE(substitute("${topic}-x", "", &out).ok());
  CHECK(out == "${topic}-x");
}

TEST_CASE("closest key") {
  CHECK(closest("topik", {"topic", "file", "batch.size"}) == "topic");
  CHECK(closest("zzzzzzzzzzzz", {"topic", "file"}) == "");
}

TEST_CASE("a list of mappings (field.mapping)") {
  const ConfigSpec s{"demo",
                     ComponentKind::kSource,
                     "",
                     {{"field.mapping", FieldType::kObjects, std::nullopt, false, "mapping"}}};
  Config c;
  REQUIRE(parse_config(s,
                       YAML::Load("field.mapping:\n  - {source: \"cf:id\", target: id, pk: true}\n"
                                  "  - {source: \"cf:name\", target: name}\n"),
                       "p.yaml", "source", {}, &c)
              .ok());
  const auto& m = c.objects("field.mapping");
  REQUIRE(m.size() == 2);
  CHECK(m[0] == ConfigObject{{"source", "cf:id"}, {"target", "id"}, {"pk", "true"}});
  CHECK(m[1][1] == std::pair<std::string, std::string>{"target", "name"});
  Config empty;
  REQUIRE(parse_config(s, YAML::Load("{}"), "p.yaml", "source", {}, &empty).ok());
  CHECK(empty.objects("field.mapping").empty());
  Config bad;
  Status st = parse_config(s, YAML::Load("field.mapping: [a, b]\n"), "p.yaml", "source", {}, &bad);
  CAPTURE(st.message());
  CHECK(st.message().find("p.yaml:1:17: source.field.mapping: each entry must be a mapping") == 0);
}
