// Kafka Connect's own files: java.util.Properties rules, connect-standalone's three connector-file
// forms in Kafka's order (with Kafka's messages), Kafka's stock files and the seed's connector JSON
// verbatim, config providers, and a connector turned into a pipeline.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "connect/config_providers.h"
#include "connect/connect_files.h"
#include "connect/connector_pipeline.h"
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

std::vector<std::string> keys(const ConnectProps& p) {
  std::vector<std::string> out;
  for (const auto& e : p.entries) out.push_back(e.key);
  return out;
}

// tests/fixtures/connect/<name>, found from this source file (or from KPIPE_SOURCE_DIR).
std::string fixture(const std::string& name) {
  const char* root = std::getenv("KPIPE_SOURCE_DIR");
  fs::path dir = root ? fs::path(root) / "tests" : fs::path(__FILE__).parent_path().parent_path();
  return (dir / "fixtures" / "connect" / name).string();
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
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

Status load(const TempDir& dir, const std::string& name, const std::string& text,
            ConnectorFile* f) {
  return load_connector_file(dir.write(name, text), f);
}

ConfigProviders providers_of(const std::string& worker) {
  ConfigProviders p;
  Status st = ConfigProviders::from_worker(props(worker), &p);
  REQUIRE_MESSAGE(st.ok(), st.message());
  return p;
}

}  // namespace

TEST_CASE("properties: separators, comments, whitespace as java.util.Properties") {
  ConnectProps p = props(
      "# comment\n! also a comment\n  \n   # indented comment\n"
      "a=1\nb = 2\nc:3\nd 4\ne\t=\t5\nf=\ng\n"
      "h=trailing kept  \n  lead=ing\ni = = x\nj==y\nk : =z\nl=1 # not a comment\n"
      "m\f:\fformfeed\n");
  CHECK(keys(p) == std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g", "h", "lead", "i",
                                            "j", "k", "l", "m"});
  CHECK(p.get("a") == "1");
  CHECK(p.get("b") == "2");
  CHECK(p.get("c") == "3");
  CHECK(p.get("d") == "4");
  CHECK(p.get("e") == "5");
  CHECK(p.find("f")->value.empty());
  CHECK(p.find("g")->value.empty());
  CHECK(p.get("h") == "trailing kept  ");  // Java keeps a value's trailing whitespace
  CHECK(p.get("lead") == "ing");
  CHECK(p.get("i") == "= x");  // one separator only
  CHECK(p.get("j") == "=y");
  CHECK(p.get("k") == "=z");  // whitespace, then one ':' as the separator
  CHECK(p.get("l") == "1 # not a comment");
  CHECK(p.get("m") == "formfeed");
  CHECK(p.find("a")->line == 5);
  CHECK(p.find("h")->line == 12);
}

TEST_CASE("properties: continuations, escapes, CRLF, repeated keys") {
  ConnectProps p = props(
      "list=a,\\\n    b,\\\n\tc\r\n"
      "esc=tab\\there\\nline\\u0041\\\\end\\r\\f\\q\r\n"
      "key\\=with\\:seps=v\n"
      "my\\ key\\ =spaced\n"
      "\\#not-a-comment=1\n"
      "even=ends with two\\\\\n"
      "next=x\n"
      "dup=first\ndup=second\n"
      "emoji=\\ud83d\\ude00 caf\\u00e9\n"
      "cont=1,\\\n# not a comment on a continued line\n"
      "crlf=a\\\r\n   b\r"
      "cr=only\r");
  CHECK(p.get("list") == "a,b,c");
  CHECK(p.find("list")->line == 1);
  CHECK(p.get("esc") == "tab\there\nlineA\\end\r\fq");  // "\q" is "q"
  CHECK(p.get("key=with:seps") == "v");
  CHECK(p.get("my key ") == "spaced");
  CHECK(p.get("#not-a-comment") == "1");
  CHECK(p.get("even") == "ends with two\\");
  CHECK(p.get("next") == "x");
  CHECK(p.get("dup") == "second");  // the last value wins, in the first one's place
  CHECK(p.find("dup")->line == 11);
  CHECK(keys(p)[7] == "dup");
  CHECK(p.get("emoji") == "\xF0\x9F\x98\x80 caf\xC3\xA9");
  CHECK(p.get("cont") == "1,# not a comment on a continued line");
  CHECK(p.get("crlf") == "ab");
  CHECK(p.get("cr") == "only");
  CHECK(p.find("cr")->line == 17);
  CHECK(props("eof=continued\\").get("eof") == "continued");

  ConnectProps bad;
  Status st = parse_properties("ok=1\nbad=\\u12G4\n", "b.properties", &bad);
  CHECK(st.message() == "b.properties:2: Malformed \\uxxxx encoding.");
  st = parse_properties("short=\\u12", "b.properties", &bad);
  CHECK(st.message() == "b.properties:1: Malformed \\uxxxx encoding.");
}

TEST_CASE("properties: Java's LineReader after a continuation that leaves the line empty") {
  ConnectProps p = props("\\\n# a comment after all\n\\\n\nkey=v\n\\\n   \\\n  next=n\n");
  CHECK(keys(p) == std::vector<std::string>{"key", "next"});
  CHECK(p.find("next")->line == 8);
  // A lone '\' ends the file: an empty key, unless a CRLF or a blank line came first.
  CHECK(keys(props("a=1\n\\")) == std::vector<std::string>{"a", ""});
  CHECK(keys(props("a=1\n\\\n")) == std::vector<std::string>{"a", ""});
  CHECK(keys(props("a=1\n\\\r\n")) == std::vector<std::string>{"a"});
  CHECK(keys(props("a=1\n\\\n  ")) == std::vector<std::string>{"a"});
  // A lone surrogate is '?', as Java's UTF-8 encoder writes it.
  CHECK(props("s=\\ud83dx\\ude00\n").get("s") == "?x?");
}

TEST_CASE("properties: Connect's files are read as ISO-8859-1, as Utils.loadProps reads them") {
  ConnectProps p;
  REQUIRE(parse_connect_properties("utf8=caf\xC3\xA9\nlatin1=caf\xE9\nescaped=caf\\u00e9\n",
                                   "c.properties", &p)
              .ok());
  CHECK(p.get("utf8") == "caf\xC3\x83\xC2\xA9");  // "cafÃ©", as Connect reads it
  CHECK(p.get("latin1") == "caf\xC3\xA9");        // "café"
  CHECK(p.get("escaped") == "caf\xC3\xA9");
  TempDir dir;
  Status st = load_connect_properties_file(dir / "missing.properties", &p);
  CHECK(st.message() == dir / "missing.properties" + ": cannot read: No such file or directory");
}

TEST_CASE("the settings of Kafka's stock config/ files") {
  ConnectProps worker;
  REQUIRE(load_connect_properties_file(fixture("connect-standalone.properties"), &worker).ok());
  CHECK(keys(worker) ==
        std::vector<std::string>{
            "bootstrap.servers", "key.converter", "value.converter", "key.converter.schemas.enable",
            "value.converter.schemas.enable", "internal.key.converter", "internal.value.converter",
            "internal.key.converter.schemas.enable", "internal.value.converter.schemas.enable",
            "offset.storage.file.filename", "offset.flush.interval.ms"});
  CHECK(worker.get("key.converter") == "org.apache.kafka.connect.json.JsonConverter");
  CHECK(worker.find("offset.storage.file.filename")->line == 16);
  CHECK(worker.get("offset.flush.interval.ms") == "10000");

  ConnectorFile f;
  REQUIRE(load_connector_file(fixture("connect-file-source.properties"), &f).ok());
  CHECK(f.format == "properties");
  CHECK(f.name == "local-file-source");
  CHECK(keys(f.config) ==
        std::vector<std::string>{"name", "connector.class", "tasks.max", "file", "topic"});
  CHECK(f.config.get("topic") == "connect-test");
  CHECK(f.config.find("topic")->line == 6);
  REQUIRE(load_connector_file(fixture("connect-file-sink.properties"), &f).ok());
  CHECK(f.name == "local-file-sink");
  CHECK(f.config.get("connector.class") == "FileStreamSink");
  CHECK(f.config.get("topics") == "connect-test");
}

TEST_CASE("the seed's connector JSON, verbatim") {
  ConnectorFile f;
  REQUIRE(load_connector_file(fixture("seed-001-file-source.json"), &f).ok());
  CHECK(f.format == "json-request");
  CHECK(f.name == "load-kafka-config");
  CHECK(f.initial_state == "RUNNING");
  CHECK(keys(f.config) == std::vector<std::string>{"connector.class", "file", "topic", "name"});
  CHECK(f.config.get("file") == "config/server.properties");
  REQUIRE(load_connector_file(fixture("seed-001-mysql-login.json"), &f).ok());
  CHECK(f.name == "mysql-login-connector");
  CHECK(f.config.get("validate.non.null") == "false");  // Connect answered "false" too
  CHECK(f.config.get("connection.url") == "jdbc:mysql://127.0.0.1:3306/test?user=root");
  CHECK(f.config.get("name") == "mysql-login-connector");
}

TEST_CASE("connector files: form 1, a JSON map of the config") {
  TempDir dir;
  ConnectorFile f;
  REQUIRE(load(dir, "a.json",
               "\xEF\xBB\xBF{\"name\":\"a\",\"connector.class\":\"FileStreamSource\",\n"
               "\"validate.non.null\":false,\"batch.size\":10, \"ratio\": 1.50,\n"
               "\"big\": 1E3, \"zero\": -0, \"none\": null, \"batch.size\": \"20\"}"
               " anything after the first value is not read",
               &f)
              .ok());
  CHECK(f.format == "json");
  CHECK(f.name == "a");
  CHECK(f.initial_state == "RUNNING");
  CHECK(f.config.get("validate.non.null") == "false");  // Jackson's coercion to String
  CHECK(f.config.get("ratio") == "1.50");               // the number as written
  CHECK(f.config.get("big") == "1E3");
  CHECK(f.config.get("zero") == "-0");
  CHECK(f.config.get("none").empty());
  CHECK(f.config.get("batch.size") == "20");
  CHECK(keys(f.config)[3] == "batch.size");
  CHECK(f.config.find("batch.size")->line == 3);
  CHECK(f.config.path == dir / "a.json");

  Status st = load(dir, "d.json", "{\"connector.class\":\"X\"}", &f);
  CHECK(st.message() == "Connector configuration at '" + dir / "d.json" +
                            "' is missing the mandatory 'name' configuration");
  st = load(dir, "n.json", "{\"name\":null,\"connector.class\":\"X\"}", &f);
  CHECK(st.message().find("is missing the mandatory 'name' configuration") != std::string::npos);
}

TEST_CASE("connector files: form 2, a CreateConnectorRequest") {
  TempDir dir;
  ConnectorFile f;
  REQUIRE(load(dir, "b.json",
               "{\"name\":\"b\",\"initial_state\":\"stopped\",\n"
               "  \"config\":{\"connector.class\":\"FileStreamSource\", \"tasks.max\": 1},\n"
               "  \"extra\": {\"nested\": [1, 2]}}",
               &f)
              .ok());
  CHECK(f.format == "json-request");
  CHECK(f.initial_state == "STOPPED");
  CHECK(f.config.get("tasks.max") == "1");
  CHECK(f.config.get("name") == "b");  // filled in from "name"
  CHECK(f.config.find("name")->line == 1);
  CHECK(f.config.find("tasks.max")->line == 2);
  REQUIRE(load(dir, "p.json", R"({"name":"p","initial_state":"Paused","config":{"name":"p"}})", &f)
              .ok());
  CHECK(f.initial_state == "PAUSED");
  // toUpperCase(Locale.ROOT) makes the long s an S.
  REQUIRE(
      load(dir, "s.json", "{\"name\":\"s\",\"initial_state\":\"\xC5\xBFtopped\",\"config\":{}}", &f)
          .ok());
  CHECK(f.initial_state == "STOPPED");

  // Jackson's UTF-8: CESU-8 surrogates pass and pair up; a lone escaped surrogate is '?'.
  REQUIRE(load(dir, "u.json",
               "{\"name\":\"u\",\"config\":{\"pair\":\"\xED\xA0\xBD\xED\xB8\x80\","
               "\"lone\":\"a\\ud83d\"}}",
               &f)
              .ok());
  CHECK(f.config.get("pair") == "\xF0\x9F\x98\x80");
  CHECK(f.config.get("lone") == "a?");
  // Every occurrence of a repeated member must bind, and the last counts.
  REQUIRE(
      load(dir, "r.json", R"({"name":"a","config":{"x":"1"},"name":"r","config":{"k":"v"}})", &f)
          .ok());
  CHECK(f.name == "r");
  CHECK(keys(f.config) == std::vector<std::string>{"k", "name"});
  Status st =
      load(dir, "c.json", R"({"name":"c","config":{"name":"other","connector.class":"X"}})", &f);
  CHECK(st.message() ==
        "Connector name configuration in 'config' doesn't match the one specified in 'name' at '" +
            dir / "c.json" + "'");
  // Seed 002's request as written, its "<Connector名字>" placeholder left in: Kafka refuses it.
  st = load(dir, "seed-002.json",
            "{\"name\": \"<Connector\xE5\x90\x8D\xE5\xAD\x97>\", \"config\": "
            "{\"connector.class\":\"org.apache.kafka.connect.file.FileStreamSourceConnector\", "
            "\"file\":\"demo-file.txt\", \"name\":\"file-stream-demo-distributed\", "
            "\"topic\":\"demo-distributed\"} }",
            &f);
  CHECK(st.message().find("doesn't match the one specified in 'name'") != std::string::npos);
  st = load(dir, "m.json", R"({"config":{"connector.class":"X"}})", &f);
  CHECK(st.message().find("is missing the mandatory 'name' configuration") != std::string::npos);
  st = load(dir, "e.json", "{\"name\":\"e\",\n\"initial_state\":\"GONE\",\"config\":{}}", &f);
  CHECK(st.message() == "Connector configuration at '" + dir / "e.json" +
                            "': line 2: initial_state 'GONE' is not one of RUNNING, PAUSED, "
                            "STOPPED (in any case)");
  st = load(dir, "o.json", R"({"name":"o","config":{"k":{"not":"a string"}}})", &f);
  CHECK(st.message().find("'config' must be an object whose values are strings") !=
        std::string::npos);
  st = load(dir, "x.json", R"({"name":"x","cfg":{}})", &f);
  CHECK(st.message().find("has no 'config' object") != std::string::npos);
  st = load(dir, "rep.json", R"({"name":"r","config":"x","config":{"k":"v"}})", &f);
  CHECK(st.message().find("line 1: 'config' must be an object") != std::string::npos);
  st = load(dir, "nn.json", R"({"name":"n","config":{"name":null}})", &f);
  CHECK(st.message().find("'name' in 'config' is null") != std::string::npos);
  st = load(dir, "null.json", "null\nname=x\n", &f);  // Kafka: a NullPointerException
  CHECK(st.message().find("is JSON null") != std::string::npos);
}

TEST_CASE("connector files: form 3, properties, tried last as Kafka does") {
  TempDir dir;
  ConnectorFile f;
  REQUIRE(load(dir, "g.properties", "name=g\nconnector.class=FileStreamSink\n", &f).ok());
  CHECK(f.format == "properties");
  CHECK(f.config.find("connector.class")->line == 2);
  // JSON that is no object of the right shape falls through to properties, as in Kafka.
  REQUIRE(load(dir, "t.properties", "true\nname=t\n", &f).ok());
  CHECK(f.format == "properties");
  CHECK(f.name == "t");
  CHECK(f.config.get("true").empty());

  Status st = load(dir, "h.properties", "connector.class=X\n", &f);
  CHECK(st.message() == "Connector configuration at '" + dir / "h.properties" +
                            "' is missing the mandatory 'name' configuration");
  st = load(dir, "f.json", "{\"name\": \"f\",\n\"config\": {\"a\": 01}}", &f);
  CHECK(st.message() == "Connector configuration at '" + dir / "f.json" +
                            "' is missing the mandatory 'name' configuration (read as a "
                            ".properties file: it is not valid JSON: line 2: leading zeroes are "
                            "not allowed in numbers)");
  st = load(dir, "arr.json", R"([{"name":"a"}])", &f);
  CHECK(st.message().find("a connector JSON file is an object, not an array") != std::string::npos);
  st = load_connector_file(dir / "missing.json", &f);
  CHECK(st.message() == dir / "missing.json" + ": cannot read: No such file or directory");
  st = load_connector_file(dir.path.string(), &f);
  CHECK(st.message() == dir.path.string() + ": cannot read: Is a directory");
}

TEST_CASE("config providers: file, env and dir; what they give is secret") {
  TempDir dir;
  const std::string creds =
      dir.write("creds.properties", "user=scott\npassword = tiger \na\\:b=colon key\n");
  fs::create_directory(dir.path / "secrets");
  dir.write("secrets/token", "t0k3n\n");
  dir.write("secrets/bad",
            "a\xFF"
            "b");
  setenv("KPIPE_UNIT_PROVIDER", "from-env", 1);
  ConfigProviders providers = providers_of(
      "config.providers= file , env,dir\n"
      "config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider\n"
      "config.providers.env.class=EnvVarConfigProvider\n"
      "config.providers.dir.class=Directory\n");
  CHECK(!providers.empty());
  const std::string secrets_dir = dir / "secrets";
  ConnectProps c = props("u=${file:" + creds + ":user}\npw=${file:" + creds + ":password}\n" +
                         "e=${env:KPIPE_UNIT_PROVIDER}\nd=${dir:" + secrets_dir + ":token}\n" +
                         "bad=${dir:" + secrets_dir + ":bad}\n" +
                         "mixed=a-${env:KPIPE_UNIT_PROVIDER}-b-${env:KPIPE_UNIT_PROVIDER}\n" +
                         "plain=no variables\nbraces=${topic}\n" + "colon=${file:" + creds +
                         ":a:b}\n");  // path, then key "a:b"
  std::set<std::string> secrets;
  std::vector<UnresolvedVariable> left;
  REQUIRE(providers.resolve(&c, &secrets, &left).ok());
  CHECK(c.get("u") == "scott");
  CHECK(c.get("pw") == "tiger ");
  CHECK(c.get("e") == "from-env");
  CHECK(c.get("d") == "t0k3n\n");  // the file's content, newline and all
  CHECK(c.get("bad") ==
        "a\xEF\xBF\xBD"
        "b");  // new String(bytes, UTF_8)
  CHECK(c.get("mixed") == "a-from-env-b-from-env");
  CHECK(c.get("braces") == "${topic}");
  CHECK(c.get("colon") == "colon key");
  CHECK(secrets == std::set<std::string>{"u", "pw", "e", "d", "bad", "mixed", "colon"});
  CHECK(left.empty());

  // A worker's own keys resolve the same way.
  ConnectProps worker = props(
      "config.providers=env\nconfig.providers.env.class=EnvVar\n"
      "producer.sasl.jaas.config=x password=\"${env:KPIPE_UNIT_PROVIDER}\";\n");
  ConfigProviders own = providers_of("config.providers=env\nconfig.providers.env.class=EnvVar\n");
  secrets.clear();
  REQUIRE(own.resolve(&worker, &secrets, &left).ok());
  CHECK(worker.get("producer.sasl.jaas.config") == "x password=\"from-env\";");
  CHECK(secrets == std::set<std::string>{"producer.sasl.jaas.config"});
}

TEST_CASE("config providers: what stays as written, and why") {
  TempDir dir;
  const std::string creds = dir.write("creds.properties", "user=scott\nnested=${env:HOME}\n");
  setenv("KPIPE_UNIT_ALLOWED", "yes", 1);
  setenv("KPIPE_UNIT_OTHER", "no", 1);
  unsetenv("KPIPE_UNIT_A_UNSET");
  ConfigProviders providers = providers_of(
      "config.providers=file,env,dir,nocls\n"
      "config.providers.file.class=File\n"
      "config.providers.env.class=EnvVarConfigProvider\n"
      "config.providers.env.param.allowlist.pattern=KPIPE_UNIT_A.*\n"
      "config.providers.dir.class=DirectoryConfigProvider\n");
  ConnectProps c =
      props("vault=${vault:secret/db:pw}\nnocls=${nocls:x}\n" +
            ("missing=${file:" + creds + ":nope}\nnested=${file:" + creds + ":nested}\n") +
            "nopath=${file:user}\nunset=${env:KPIPE_UNIT_A_UNSET}\n"
            "denied=${env:KPIPE_UNIT_OTHER}\nallowed=${env:KPIPE_UNIT_ALLOWED}\n" +
            "notdir=${dir:" + creds + ":x}\nnofile=${dir:" + dir / "" +
            ":nope}\ncolons=${other:a:b:c}\n");
  std::set<std::string> secrets;
  std::vector<UnresolvedVariable> left;
  REQUIRE(providers.resolve(&c, &secrets, &left).ok());
  CHECK(c.get("vault") == "${vault:secret/db:pw}");
  CHECK(c.get("nested") == "${env:HOME}");  // a provider's value is not resolved again
  CHECK(c.get("allowed") == "yes");
  CHECK(secrets == std::set<std::string>{"nested", "allowed"});
  std::map<std::string, std::string> why;
  for (const auto& u : left) why[u.key] = u.reason;
  CHECK(why.size() == 9);
  CHECK(why["vault"] == "no config provider 'vault' in the worker's config.providers");
  CHECK(why["nocls"] ==
        "config.providers lists 'nocls' but config.providers.nocls.class is not set "
        "(t.properties)");
  CHECK(why["missing"] == creds + " has no key 'nope'");
  CHECK(why["nopath"] == "this provider needs a path: ${alias:PATH:KEY}");
  CHECK(why["unset"] == "environment variable 'KPIPE_UNIT_A_UNSET' is not set");
  CHECK(why["denied"] == "'KPIPE_UNIT_OTHER' does not match the provider's allowlist.pattern");
  CHECK(why["notdir"] == "The path " + creds + " is not a directory");
  CHECK(why["nofile"] == "no regular file 'nope' in " + dir.path.string());
  CHECK(left.back().variable == "${other:a:b:c}");
  CHECK(left.back().line == 11);
}

TEST_CASE("config providers: allowed.paths, as Kafka's AllowedPaths") {
  TempDir dir;
  fs::create_directories(dir.path / "ok");
  fs::create_directories(dir.path / "okay");
  const std::string inside = dir.write("ok/c.properties", "k=inside\n");
  const std::string sibling = dir.write("okay/c.properties", "k=sibling\n");
  ConfigProviders providers = providers_of(
      "config.providers=file\nconfig.providers.file.class=FileConfigProvider\n"
      "config.providers.file.param.allowed.paths=" +
      dir / "ok/" + "\n");
  ConnectProps c = props("in=${file:" + inside + ":k}\nsib=${file:" + sibling + ":k}\n" +
                         "dots=${file:" + dir / "ok/../okay/c.properties" + ":k}\n" +
                         "back=${file:" + dir / "okay/../ok/./c.properties" + ":k}\n");
  std::set<std::string> secrets;
  std::vector<UnresolvedVariable> left;
  REQUIRE(providers.resolve(&c, &secrets, &left).ok());
  CHECK(c.get("in") == "inside");
  CHECK(c.get("back") == "inside");  // normalized, then inside
  CHECK(c.get("sib") == "${file:" + sibling + ":k}");
  REQUIRE(left.size() == 2);
  CHECK(left[0].reason == "The path " + sibling + " is not allowed to be accessed (allowed.paths)");
  // "/nonexistent/.." is "/" once normalized, and "/" exists: every absolute path is allowed.
  REQUIRE(ConfigProviders::from_worker(
              props("config.providers=f\nconfig.providers.f.class=File\n"
                    "config.providers.f.param.allowed.paths=/nonexistent/..\n"),
              &providers)
              .ok());
  c = props("sib=${f:" + sibling + ":k}\n");
  REQUIRE(providers.resolve(&c, &secrets, &left).ok());
  CHECK(c.get("sib") == "sibling");

  ConfigProviders bad;
  Status st = ConfigProviders::from_worker(
      props("config.providers=d\nconfig.providers.d.class=DirectoryConfigProvider\n"
            "config.providers.d.param.allowed.paths=relative/./dir\n"),
      &bad);
  CHECK(
      st.message() ==
      "t.properties:3: config.providers.d.param.allowed.paths: Path relative/dir is not absolute");
  st = ConfigProviders::from_worker(
      props("config.providers=d\nconfig.providers.d.class=DirectoryConfigProvider\n"
            "config.providers.d.param.allowed.paths=" +
            dir / "ok" + ", /tmp\n"),
      &bad);
  CHECK(st.message() ==
        "t.properties:3: config.providers.d.param.allowed.paths: Path  /tmp is not absolute");
  st = ConfigProviders::from_worker(
      props("config.providers=d\nconfig.providers.d.class=DirectoryConfigProvider\n"
            "config.providers.d.param.allowed.paths=/no/such/dir\n"),
      &bad);
  CHECK(st.message() ==
        "t.properties:3: config.providers.d.param.allowed.paths: Path /no/such/dir does not exist");
}

TEST_CASE("config providers: errors name the file, line and key") {
  TempDir dir;
  ConfigProviders providers = providers_of(
      "config.providers=file,env\nconfig.providers.file.class=FileConfigProvider\n"
      "config.providers.env.class=EnvVarConfigProvider\n");
  std::set<std::string> secrets;
  ConnectProps c = props("a=1\nx=${env:/some/path:NAME}\n");
  Status st = providers.resolve(&c, &secrets);
  CHECK(st.message() ==
        "t.properties:2: x: Path is not supported for EnvVarConfigProvider, invalid value "
        "'/some/path'");
  CHECK(c.get("x") == "${env:/some/path:NAME}");  // nothing changed on an error
  c = props("pw=${file:" + dir / "missing.properties" + ":pw}\n");
  st = providers.resolve(&c, &secrets);
  CHECK(st.message() ==
        "t.properties:1: pw: Could not read properties from file " + dir / "missing.properties");
  const std::string latin1 = dir.write("latin1.properties", "pw=caf\xE9\n");
  c = props("pw=${file:" + latin1 + ":pw}\n");
  st = providers.resolve(&c, &secrets);  // FileConfigProvider reads UTF-8 and fails on the rest
  CHECK(st.message() == "t.properties:1: pw: Could not read properties from file " + latin1);
  c = props("pw=${file:" + dir.path.string() + ":pw}\n");
  CHECK(!providers.resolve(&c, &secrets).ok());

  ConfigProviders unknown;
  st = ConfigProviders::from_worker(
      props("config.providers=v\nconfig.providers.v.class=com.acme.VaultConfigProvider\n"),
      &unknown);
  CHECK(st.message() ==
        "t.properties:2: Invalid value com.acme.VaultConfigProvider for configuration "
        "config.providers.v.class: Could not load config provider class or one of its "
        "dependencies; kpipe has org.apache.kafka.common.config.provider.FileConfigProvider, "
        "org.apache.kafka.common.config.provider.EnvVarConfigProvider, "
        "org.apache.kafka.common.config.provider.DirectoryConfigProvider (or their simple "
        "names)");
  st = ConfigProviders::from_worker(
      props("config.providers=f\nconfig.providers.f.class=com.acme.FileConfigProvider\n"),
      &unknown);
  CHECK(st.message().find("Invalid value com.acme.FileConfigProvider") != std::string::npos);
  st = ConfigProviders::from_worker(props("config.providers=e\nconfig.providers.e.class=EnvVar\n"
                                          "config.providers.e.param.allowlist.pattern=(unclosed\n"),
                                    &unknown);
  CHECK(st.message().find("t.properties:3: config.providers.e.param.allowlist.pattern: invalid "
                          "regular expression '(unclosed'") == 0);
  ConfigProviders none;
  REQUIRE(ConfigProviders::from_worker(props("bootstrap.servers=k:9092\n"), &none).ok());
  CHECK(none.empty());
}

TEST_CASE("a connector becomes a pipeline; errors name the connector file's line") {
  Registry registry;
  register_builtins(registry);
  TempDir dir;
  const std::string worker = dir.write(
      "w.properties",
      "bootstrap.servers=k1:9092\nkey.converter=org.apache.kafka.connect.json.JsonConverter\n"
      "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
      "value.converter.schemas.enable=false\nproducer.linger.ms=5\n"
      "internal.key.converter=org.apache.kafka.connect.json.JsonConverter\n"
      "internal.key.converter.schemas.enable=false\n");
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
