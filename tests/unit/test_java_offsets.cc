// Kafka Connect standalone's offsets file (FileOffsetBackingStore) and Java's HashMap key order,
// against files OpenJDK 17 wrote and read (tests/fixtures/java/ConnectOffsetsGolden.java).
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "connect/java_offsets.h"
#include "java_hash_order.h"

using namespace kpipe;
namespace fs = std::filesystem;

namespace {

// The golden files, found from this source file (or from KPIPE_SOURCE_DIR when set).
fs::path fixture(const std::string& name) {
  const char* root = std::getenv("KPIPE_SOURCE_DIR");
  fs::path dir = root ? fs::path(root) / "tests" : fs::path(__FILE__).parent_path().parent_path();
  return dir / "fixtures" / "connect_offsets" / name;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot read " << path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

JavaOffsetsFile golden(const std::string& name) {
  JavaOffsetsFile file;
  Status st = parse_java_offsets(slurp(fixture(name + ".offsets")), name, &file);
  REQUIRE_MESSAGE(st.ok(), st.message());
  return file;
}

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/kpipe-java-offsets-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

// What a kpipe export does to several.offsets; Java read the result (kpipe-written.*).
JavaOffsetsFile kpipe_written_sample() {
  JavaOffsetsFile file = golden("several");
  put_connector_offsets(&file, "mysql-login",
                        {{{{"protocol", "1"}, {"table", "test.login"}},
                          Json{{"timestamp", 1700000999000}, {"timestamp_nanos", 0}}}});
  put_connector_offsets(&file, "local-file-source",
                        {{{{"filename", "test.txt"}}, Json{{"position", 30}}},
                         {{{"filename", "new.txt"}}, Json{{"position", 7}}}});
  put_connector_offsets(&file, "pg-orders",
                        {{{{"protocol", "1"}, {"table", "public.orders"}}, std::nullopt}});
  std::vector<std::pair<Json, std::optional<Json>>> more = {
      {{{"Aa", "x"}, {"BB", "tab\t \"q\" \x01 \xC3\xA9 \xF0\x9F\x98\x80"}}, Json{{"position", 1}}},
      {{{"filename", "never.txt"}}, std::nullopt}};
  for (int i = 0; i < 8; ++i)
    more.emplace_back(Json{{"filename", "f" + std::to_string(i) + ".txt"}}, Json{{"position", i}});
  put_connector_offsets(&file, "kpipe-\xC3\xA9\xF0\x9F\x98\x80", more);
  put_connector_offsets(&file, "old-connector",
                        {{{{"filename", "gone.txt"}}, Json{{"position", 9}}}});
  return file;
}

}  // namespace

TEST_CASE("golden files: the KIP-875 view is what Java wrote") {
  for (const std::string name : {"file-source", "jdbc-source", "several", "empty"}) {
    CAPTURE(name);
    const JavaOffsetsFile file = golden(name);
    const auto expected = nlohmann::ordered_json::parse(slurp(fixture(name + ".json")));
    std::vector<std::string> names;
    for (const auto& item : expected.items()) names.push_back(item.key());
    CHECK(connector_names(file) == names);
    for (const std::string& connector : names) {
      Json got = Json::array();
      for (const auto& [partition, offset] : connector_offsets(file, connector))
        got.push_back({{"partition", partition}, {"offset", offset}});
      CHECK(got == Json::parse(expected[connector]["offsets"].dump()));
    }
    CHECK(file.load_factor == 0.75f);
    CHECK(file.capacity == 16);
    CHECK(file.threshold == (name == "empty" ? 0 : 12));  // an empty new HashMap<>() says 0
  }
  const JavaOffsetsFile several = golden("several");
  REQUIRE(several.entries.size() == 5);
  CHECK(std::count(several.entries.begin(), several.entries.end(),
                   std::make_pair(std::string(R"(["old-connector",{"filename":"gone.txt"}])"),
                                  std::optional<std::string>())) == 1);
  CHECK(connector_offsets(several, "old-connector").empty());
  CHECK(connector_offsets(several, "nobody").empty());
}

TEST_CASE("golden files: written back byte for byte") {
  for (const std::string name : {"file-source", "jdbc-source", "several", "empty"}) {
    CAPTURE(name);
    CHECK(serialize_java_offsets(golden(name)) == slurp(fixture(name + ".offsets")));
  }
  CHECK(serialize_java_offsets(JavaOffsetsFile()) == slurp(fixture("empty.offsets")));
}

TEST_CASE("put_connector_offsets: unchanged offsets leave the bytes as they were") {
  for (const std::string name : {"file-source", "jdbc-source", "several", "empty"}) {
    CAPTURE(name);
    JavaOffsetsFile file = golden(name);
    for (const std::string& connector : connector_names(golden(name))) {
      std::vector<std::pair<Json, std::optional<Json>>> same;
      for (auto& [partition, offset] : connector_offsets(file, connector))
        same.emplace_back(partition, offset);
      put_connector_offsets(&file, connector, same);
    }
    put_connector_offsets(&file, "old-connector", {{{{"filename", "gone.txt"}}, std::nullopt}});
    put_connector_offsets(&file, "nobody", {{{{"filename", "x"}}, std::nullopt}});
    CHECK(serialize_java_offsets(file) == slurp(fixture(name + ".offsets")));
  }
}

TEST_CASE("put_connector_offsets: a changed offset keeps its place and its key") {
  const JavaOffsetsFile before = golden("several");
  JavaOffsetsFile file = before;
  // The partition given with its keys in another order and spacing is the same partition.
  put_connector_offsets(&file, "mysql-login",
                        {{Json::parse(R"({ "table": "test.login", "protocol": "1" })"),
                          Json{{"timestamp", 1800000000000}, {"timestamp_nanos", 5}}}});
  REQUIRE(file.entries.size() == before.entries.size());
  for (size_t i = 0; i < file.entries.size(); ++i) {
    CHECK(file.entries[i].first == before.entries[i].first);
    if (file.entries[i].first.rfind(R"(["mysql-login")", 0) == 0)
      CHECK(*file.entries[i].second == R"({"timestamp_nanos":5,"timestamp":1800000000000})");
    else
      CHECK(file.entries[i].second == before.entries[i].second);
  }
  CHECK(file.capacity == 16);
  CHECK(file.threshold == 12);
}

TEST_CASE("put_connector_offsets: new partitions, tombstones, growth; Java reads the result") {
  const JavaOffsetsFile file = kpipe_written_sample();
  const std::string bytes = serialize_java_offsets(file);
  CHECK(bytes == slurp(fixture("kpipe-written.offsets")));
  CHECK(file.entries.size() == 15);
  CHECK(file.capacity == 32);  // 15 > 12: the table doubled once
  CHECK(file.threshold == 24);
  CHECK(file.entries[5].first == R"(["local-file-source",{"filename":"new.txt"}])");
  CHECK(connector_offsets(file, "pg-orders").empty());
  CHECK(connector_offsets(file, "old-connector").size() == 1);

  // What Java's ObjectInputStream read from those bytes: the same entries (sorted).
  const std::vector<std::string> java = lines(slurp(fixture("kpipe-written.java-read.txt")));
  REQUIRE(!java.empty());
  CHECK(java[0] == "java.util.HashMap with 15 entries");
  JavaOffsetsFile again;
  REQUIRE(parse_java_offsets(bytes, "sample", &again).ok());
  std::vector<std::string> ours;
  for (const auto& [key, value] : again.entries)
    ours.push_back(key + "\t" + value.value_or("null"));
  std::vector<std::string> theirs(java.begin() + 1, java.end());
  std::sort(ours.begin(), ours.end());
  std::sort(theirs.begin(), theirs.end());  // Java sorted by UTF-16, this by bytes
  CHECK(theirs == ours);
}

TEST_CASE("put_connector_offsets: an empty file grows as a new HashMap") {
  JavaOffsetsFile file;
  put_connector_offsets(&file, "c", {{{{"filename", "missing"}}, std::nullopt}});
  CHECK(file.entries.empty());
  CHECK(file.threshold == 0);
  put_connector_offsets(&file, "c", {{{{"filename", "a"}}, Json{{"position", 1}}}});
  CHECK(file.capacity == 16);
  CHECK(file.threshold == 12);
  CHECK(file.entries[0].first == R"(["c",{"filename":"a"}])");
  CHECK(file.entries[0].second == std::optional<std::string>(R"({"position":1})"));
  std::vector<std::pair<Json, std::optional<Json>>> many;
  for (int i = 0; i < 48; ++i) many.emplace_back(Json{{"n", i}}, Json{{"p", i}});
  put_connector_offsets(&file, "c", many);
  CHECK(file.entries.size() == 49);
  CHECK(file.capacity == 128);
  CHECK(file.threshold == 96);
}

TEST_CASE("java_hashmap_order matches java.util.HashMap") {
  CHECK(java_string_hash("Aa") == java_string_hash("BB"));
  CHECK(java_string_hash("Aa") == 2112);
  CHECK(java_string_hash("") == 0);
  // U+1D11E is the surrogates D834 DD1E: 0xD834 * 31 + 0xDD1E.
  CHECK(java_string_hash("\xF0\x9D\x84\x9E") == 0xD834 * 31 + 0xDD1E);
  CHECK(java_string_hash("\xFF") == 0xFFFD);  // ill-formed UTF-8 is U+FFFD
  CHECK(java_hashmap_order({"b", "a", "b"}) == std::vector<std::string>{"a", "b"});
  const std::vector<std::string> rows = lines(slurp(fixture("hash-order.txt")));
  CHECK(rows.size() == 13);
  for (const std::string& row : rows) {
    CAPTURE(row);
    const size_t tab = row.find('\t');
    REQUIRE(tab != std::string::npos);
    const auto inserted = Json::parse(row.substr(0, tab)).get<std::vector<std::string>>();
    const auto iterated = Json::parse(row.substr(tab + 1)).get<std::vector<std::string>>();
    CHECK(java_hashmap_order(inserted) == iterated);
  }
}

TEST_CASE("connect_offset_key and connect_offset_value write what JsonConverter writes") {
  const std::vector<std::string> rows = lines(slurp(fixture("keys.txt")));
  CHECK(rows.size() == 8);
  for (const std::string& row : rows) {
    CAPTURE(row);
    const Json parsed = Json::parse(row);
    if (parsed.is_array())
      CHECK(connect_offset_key(parsed[0].get<std::string>(), parsed[1]) == row);
    else
      CHECK(connect_offset_value(parsed) == row);
  }
}

TEST_CASE("connector_offsets skips keys and values of other shapes") {
  JavaOffsetsFile file;
  file.entries = {
      {R"(["c",{"a":1}])", R"({"p":1})"},
      {R"(["c",{"a":2},3])", R"({"p":2})"},
      {R"([1,{"a":3}])", R"({"p":3})"},
      {R"(["c",null])", R"({"p":4})"},
      {R"(["c",{"a":5}])", "[5]"},
      {R"(["c",{"a":6}])", "{not json"},
      {"not json", R"({"p":7})"},
      {R"(["c",{"a":8}])", R"({"p":8})"},
      {R"(["c", { "a" : 1 }])", R"({"p":9})"},  // the first partition again: its later offset
      {R"(["c",{"a":8}])", std::nullopt},       // a tombstone removes the partition
      {R"(["d",{"a":1}])", std::nullopt},
      {"[\"e\"," + std::string(2000, '[') + std::string(2000, ']') + "]", R"({"p":1})"},
  };
  const auto offsets = connector_offsets(file, "c");
  REQUIRE(offsets.size() == 1);
  CHECK(offsets[0].first == Json{{"a", 1}});
  CHECK(offsets[0].second == Json{{"p", 9}});
  CHECK(connector_names(file) == std::vector<std::string>{"c"});
}

TEST_CASE("parse_java_offsets: every truncation and bad byte is an error naming the file") {
  for (const std::string name : {"file-source", "jdbc-source", "several", "empty"}) {
    const std::string bytes = slurp(fixture(name + ".offsets"));
    for (size_t len = 0; len < bytes.size(); ++len) {
      JavaOffsetsFile file;
      Status st = parse_java_offsets(bytes.substr(0, len), "/x/" + name, &file);
      CAPTURE(len);
      REQUIRE_FALSE(st.ok());
      CHECK(st.message().rfind("/x/" + name + ": ", 0) == 0);
    }
    // Every byte replaced by a few values: an error or a file that writes back and reads again.
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (unsigned char b : {0x00, 0x70, 0x71, 0x78, 0x7F, 0xFF}) {
        std::string mutated = bytes;
        mutated[i] = static_cast<char>(b);
        JavaOffsetsFile file;
        if (!parse_java_offsets(mutated, "m", &file).ok()) continue;
        JavaOffsetsFile again;
        REQUIRE(parse_java_offsets(serialize_java_offsets(file), "m", &again).ok());
        CHECK(serialize_java_offsets(again) == serialize_java_offsets(file));
      }
    }
  }
  JavaOffsetsFile file;
  Status st = parse_java_offsets("{\"version\":1}", "f.offsets", &file);
  CHECK(st.message() == "f.offsets: not a Java serialization stream (bad magic)");
  CHECK(st.exit_code() == 1);
}

TEST_CASE("parse_java_offsets: what else ObjectOutputStream may write") {
  JavaOffsetsFile file;
  file.entries = {{"k1", std::string("v")}, {"k2", std::string("w")}};
  const std::string bytes = serialize_java_offsets(file);
  JavaOffsetsFile got;
  SUBCASE("TC_RESET before the map") {
    REQUIRE(parse_java_offsets(bytes.substr(0, 4) + "\x79\x79" + bytes.substr(4), "f", &got).ok());
    CHECK(got.entries == file.entries);
  }
  SUBCASE("capacity and size in long and split blocks") {
    const size_t at = bytes.find(std::string("\x77\x08", 2));
    const std::string blocks = std::string("\x7A\x00\x00\x00\x03", 5) + bytes.substr(at + 2, 3) +
                               "\x77\x05" + bytes.substr(at + 5, 5);
    REQUIRE(
        parse_java_offsets(bytes.substr(0, at) + blocks + bytes.substr(at + 10), "f", &got).ok());
    CHECK(got.entries == file.entries);
  }
  SUBCASE("a value that refers back to an earlier byte[]") {
    // Handles: 0 HashMap class, 1 the map, 2 [B class, 3 "k1", 4 "v", 5 "k2".
    const std::string w = std::string("\x75\x71\x00\x7E\x00\x02\x00\x00\x00\x01w", 11);
    const size_t at = bytes.rfind(w);
    REQUIRE(at != std::string::npos);
    const std::string ref = std::string("\x71\x00\x7E\x00\x04", 5);
    REQUIRE(parse_java_offsets(bytes.substr(0, at) + ref + bytes.substr(at + w.size()), "f", &got)
                .ok());
    CHECK(got.entries[1].second == std::optional<std::string>("v"));
  }
  SUBCASE("bytes after the map are not read") {
    REQUIRE(parse_java_offsets(bytes + "trailing", "f", &got).ok());
    CHECK(got.entries == file.entries);
  }
  SUBCASE("refused") {
    std::string null_key = bytes;
    null_key.replace(null_key.find(std::string("\x75\x72\x00\x02[B", 6)), 25, "\x70");
    Status st = parse_java_offsets(null_key, "f", &got);
    CHECK(st.message().find("null key") != std::string::npos);
    std::string linked = bytes;
    linked.replace(linked.find("java.util.HashMap"), 17, "java.util.Hashtab");
    st = parse_java_offsets(linked, "f", &got);
    CHECK(st.message() == "f: offset 6: expected class java.util.HashMap, found java.util.Hashtab");
    std::string version = bytes;
    version[3] = 4;
    CHECK(parse_java_offsets(version, "f", &got).message() ==
          "f: offset 2: stream version 4, not 5");
    CHECK_FALSE(parse_java_offsets(bytes.substr(0, 4) + "\x70", "f", &got).ok());
  }
}

TEST_CASE("read_java_offsets and write_java_offsets") {
  TempDir dir;
  JavaOffsetsFile file;
  file.entries = {{"k", std::string("v")}};
  REQUIRE(read_java_offsets(dir.file("missing.offsets"), &file).ok());  // no offsets yet
  CHECK(file.entries.empty());
  std::ofstream(dir.file("empty.offsets")).close();
  REQUIRE(read_java_offsets(dir.file("empty.offsets"), &file).ok());
  CHECK(file.entries.empty());

  const JavaOffsetsFile several = golden("several");
  REQUIRE(write_java_offsets(dir.file("w.offsets"), several).ok());
  CHECK(slurp(dir.file("w.offsets")) == slurp(fixture("several.offsets")));
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 2);
  REQUIRE(read_java_offsets(dir.file("w.offsets"), &file).ok());
  CHECK(file.entries == several.entries);

  Status st = write_java_offsets(dir.file("no/such/dir/w.offsets"), several);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find(dir.file("no/such/dir/w.offsets")) != std::string::npos);
  std::ofstream(dir.file("bad.offsets")) << "garbage";
  st = read_java_offsets(dir.file("bad.offsets"), &file);
  CHECK(st.message() == dir.file("bad.offsets") + ": not a Java serialization stream (bad magic)");
  st = read_java_offsets(dir.path.string(), &file);
  CHECK(st.message().find(dir.path.string()) != std::string::npos);
}
