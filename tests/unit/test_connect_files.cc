// Kafka Connect's own files: java.util.Properties rules, connect-standalone's three connector-file
// forms in Kafka's order, config providers, and a connector turned into a pipeline.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "connect/config_providers.h"
#include "connect/connect_files.h"
#include "connect/connector_pipeline.h"
#include "properties.h"
#include "registry.h"

using namespace kpipe;
namespace fs = std::filesystem;

namespace {

ConnectProps props(const std::string& text) {
  ConnectProps p;
  Status st = parse_properties(text, "t.properties", &p);
  REQUIRE_MESSAGE(st.ok(), st.message());
  return p;
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "kpipe-connect-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return (path / name).string();
  }
};

}  // namespace

TEST_CASE("properties: separators, comments, whitespace as java.util.Properties") {
  ConnectProps p = props(
      "# comment\n! also a comment\n  \n"
      "a=1\nb = 2\nc:3\nd 4\ne\t=\t5\nf=\ng\n"
      "h=trailing kept  \n");
  CHECK(p.get("a") == "1");
  CHECK(p.get("b") == "2");
  CHECK(p.get("c") == "3");
  CHECK(p.get("d") == "4");
  CHECK(p.get("e") == "5");
  CHECK(p.find("f")->value.empty());
  CHECK(p.find("g")->value.empty());
  CHECK(p.get("h") == "trailing kept  ");
  CHECK(p.find("a")->line == 4);
  CHECK(p.find("h")->line == 11);
}

TEST_CASE("properties: continuations, escapes, CRLF, repeated keys") {
  ConnectProps p = props(
      "list=a,\\\n    b,\\\n\tc\r\n"
      "esc=tab\\there\\nline\\u0041\\\\end\r\n"
      "key\\=with\\:seps=v\n"
      "even=ends with two\\\\\n"
      "next=x\n"
      "dup=first\ndup=second\n"
      "emoji=\\ud83d\\ude00\n");
  CHECK(p.get("list") == "a,b,c");
  CHECK(p.find("list")->line == 1);
  CHECK(p.get("esc") == "tab\there\nlineA\\end");
  CHECK(p.get("key=with:seps") == "v");
  CHECK(p.get("even") == "ends with two\\");
  CHECK(p.get("next") == "x");
  CHECK(p.get("dup") == "second");
  CHECK(p.find("dup")->line == 9);
  CHECK(p.get("emoji") == "\xF0\x9F\x98\x80");
  ConnectProps bad;
  Status st = parse_properties("ok=1\nbad=\\u12G4\n", "b.properties", &bad);
  CHECK(!st.ok());
  CHECK(st.message() == "b.properties:2: Malformed \\uxxxx encoding.");
}

TEST_CASE("connector files: Kafka's three forms in Kafka's order") {
  TempDir dir;
  ConnectorFile f;
  REQUIRE(load_connector_file(dir.write("a.json", R"({"name":"a","connector.class":"FileStreamSource",
"validate.non.null":false,"batch.size":10})"),
                              &f)
              .ok());
  CHECK(f.format == "json-config");
  CHECK(f.name == "a");
  CHECK(f.config.get("validate.non.null") == "false");  // Jackson's coercion to String
  CHECK(f.config.get("batch.size") == "10");
  CHECK(f.config.find("batch.size")->line == 2);

  REQUIRE(load_connector_file(dir.write("b.json", R"({"name":"b","initial_state":"stopped",
  "config":{"connector.class":"FileStreamSource"}, "extra": 1})"),
                              &f)
              .ok());
  CHECK(f.format == "json-request");
  CHECK(f.initial_state == "STOPPED");
  CHECK(f.config.get("name") == "b");  // filled in from "name"

  Status st = load_connector_file(
      dir.write("c.json", R"({"name":"c","config":{"name":"other","connector.class":"X"}})"), &f);
  CHECK(st.message().find("doesn't match the one specified in 'name'") != std::string::npos);
  st = load_connector_file(dir.write("d.json", R"({"connector.class":"X"})"), &f);
  CHECK(st.message() == "Connector configuration at '" + (dir.path / "d.json").string() +
                            "' is missing the mandatory 'name' configuration");
  st = load_connector_file(
      dir.write("e.json", R"({"name":"e","initial_state":"GONE","config":{}})"), &f);
  CHECK(st.message().find("not one of RUNNING, PAUSED, STOPPED") != std::string::npos);
  st = load_connector_file(dir.write("f.json", "{\"name\": \"f\",\n"), &f);
  CHECK(st.message().find("not valid JSON") != std::string::npos);

  REQUIRE(load_connector_file(dir.write("g.properties", "name=g\nconnector.class=FileStreamSink\n"),
                              &f)
              .ok());
  CHECK(f.format == "properties");
  CHECK(f.config.find("connector.class")->line == 2);
  CHECK(!load_connector_file(dir.write("h.properties", "connector.class=X\n"), &f).ok());
  CHECK(!load_connector_file((dir.path / "missing.properties").string(), &f).ok());
}

TEST_CASE("config providers: file, env, dir; unknown alias and missing key stay as written") {
  TempDir dir;
  const std::string creds = dir.write("creds.properties", "user=scott\npassword=tiger\n");
  fs::create_directory(dir.path / "secrets");
  dir.write("secrets/token", "t0k3n");
  setenv("KPIPE_UNIT_PROVIDER", "from-env", 1);
  ConnectProps worker = props(
      "config.providers=file,env,dir\n"
      "config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider\n"
      "config.providers.env.class=EnvVarConfigProvider\n"
      "config.providers.dir.class=org.apache.kafka.common.config.provider."
      "DirectoryConfigProvider\n");
  ConfigProviders providers;
  REQUIRE(ConfigProviders::from_worker(worker, &providers).ok());
  ConnectProps c = props("u=${file:" + creds + ":user}\npw=${file:" + creds +
                         ":password}\ne=${env:KPIPE_UNIT_PROVIDER}\nd=${dir:" +
                         (dir.path / "secrets").string() +
                         ":token}\nkeep=${topic}\nother=${vault:x:y}\nmissing=${file:" + creds +
                         ":nope}\nmixed=a-${env:KPIPE_UNIT_PROVIDER}-b\n");
  std::set<std::string> secrets;
  REQUIRE(providers.resolve(&c, &secrets).ok());
  CHECK(c.get("u") == "scott");
  CHECK(c.get("pw") == "tiger");
  CHECK(c.get("e") == "from-env");
  CHECK(c.get("d") == "t0k3n");
  CHECK(c.get("keep") == "${topic}");
  CHECK(c.get("other") == "${vault:x:y}");
  CHECK(c.get("missing") == "${file:" + creds + ":nope}");
  CHECK(c.get("mixed") == "a-from-env-b");
  CHECK(secrets == std::set<std::string>{"u", "pw", "e", "d", "mixed"});

  ConnectProps env_path = props("x=${env:/some/path:NAME}\n");
  Status st = providers.resolve(&env_path, &secrets);
  CHECK(st.message() ==
        "t.properties:1: x: Path is not supported for EnvVarConfigProvider, invalid value "
        "'/some/path'");

  ConfigProviders restricted;
  ConnectProps w2 = props(
      "config.providers=file\nconfig.providers.file.class=FileConfigProvider\n"
      "config.providers.file.param.allowed.paths=/nowhere\n");
  REQUIRE(ConfigProviders::from_worker(w2, &restricted).ok());
  ConnectProps outside = props("u=${file:" + creds + ":user}\n");
  REQUIRE(restricted.resolve(&outside, &secrets).ok());
  CHECK(outside.get("u") == "${file:" + creds + ":user}");

  ConfigProviders unknown;
  st = ConfigProviders::from_worker(
      props("config.providers=v\nconfig.providers.v.class=com.acme.VaultConfigProvider\n"),
      &unknown);
  CHECK(st.message().find("t.properties:2: config.providers.v.class: kpipe has no config "
                          "provider 'com.acme.VaultConfigProvider'") == 0);
}

TEST_CASE("a connector becomes a pipeline; errors name the connector file's line") {
  Registry registry;
  register_builtins(registry);
  TempDir dir;
  const std::string worker = dir.write(
      "w.properties",
      "bootstrap.servers=k1:9092\nkey.converter=org.apache.kafka.connect.json.JsonConverter\n"
      "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
      "value.converter.schemas.enable=false\nproducer.linger.ms=5\n");
  const std::string sink = dir.write(
      "sink.properties",
      "name=db\nconnector.class=JdbcSink\ntopics=orders\nconnection.url=jdbc:sqlite:x.db\n"
      "value.converter=org.apache.kafka.connect.storage.StringConverter\n"
      "transforms=k\ntransforms.k.type=ValueToKey\ntransforms.k.fields=id\n"
      "errors.tolerance=all\nmax.retries=3\n");
  ConnectorPipeline c;
  ConnectorOptions options;
  options.worker_file = worker;
  Status st = load_connector_pipeline(sink, options, registry, &c);
  REQUIRE_MESSAGE(st.ok(), st.message());
  CHECK(!c.is_source);
  CHECK(c.pipeline.source.name == "kafka");
  CHECK(c.pipeline.source.config.str("group.id") == "connect-db");
  CHECK(c.pipeline.source.config.str("bootstrap.servers") == "k1:9092");
  CHECK(c.pipeline.sink.name == "jdbc");
  // The connector's value.converter replaces the worker's, without the worker's options.
  CHECK(c.pipeline.value_converter.name == "string");
  CHECK(c.pipeline.key_converter.name == "json");
  REQUIRE(c.pipeline.transforms.size() == 1);
  CHECK(c.pipeline.transforms[0].type == "ValueToKey");
  CHECK(c.pipeline.errors.str("tolerance") == "all");
  CHECK(c.yaml.find("max.retries (sink.properties:10)") != std::string::npos);

  const std::string bad = dir.write(
      "bad.properties", "name=f\nconnector.class=FileStreamSource\ntopic=t\nbatch.size=0\n");
  st = load_connector_pipeline(bad, options, registry, &c);
  CHECK(st.message().find(bad + ":4: ") == 0);
  CHECK(st.message().find("batch.size") != std::string::npos);
  const std::string unknown =
      dir.write("u.properties", "name=u\nconnector.class=com.acme.Sink\ntopics=t\n");
  st = load_connector_pipeline(unknown, options, registry, &c);
  CHECK(st.message().find(unknown + ":2: connector.class: kpipe has no connector for "
                                    "'com.acme.Sink'") == 0);
  CHECK(st.message().find("org.apache.kafka.connect.file.FileStreamSinkConnector") !=
        std::string::npos);
}
