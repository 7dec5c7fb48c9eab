// The offsets file: KIP-875 shape, atomic replace, lock, corrupt file handling.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "offsets.h"

using namespace kpipe;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/kpipe-offsets-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("commit, reopen and read back in the KIP-875 shape") {
  TempDir dir;
  const std::string path = dir.file("p.offsets.json");
  const Json partition = {{"filename", "/data/in.txt"}};
  {
    std::unique_ptr<OffsetStore> store;
    REQUIRE(OffsetStore::open(path, "p", OffsetStore::Mode::kWrite, &store).ok());
    CHECK_FALSE(store->offset(partition));
    REQUIRE(store->commit({{partition, Json{{"position", 42}}}}).ok());
    for (const auto& e : fs::directory_iterator(dir.path))  // no temporary file left behind
      CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
  }
  Json doc = Json::parse(slurp(path));
  CHECK(doc == Json::parse(R"({"version":1,"pipelines":{"p":{"offsets":[
            {"partition":{"filename":"/data/in.txt"},"offset":{"position":42}}]}}})"));
  std::unique_ptr<OffsetStore> store;
  REQUIRE(OffsetStore::open(path, "p", OffsetStore::Mode::kRead, &store).ok());
  CHECK((*store->offset(partition))["position"] == 42);
  CHECK(store->to_kip875().dump() ==
        R"({"offsets":[{"partition":{"filename":"/data/in.txt"},"offset":{"position":42}}]})");
}

TEST_CASE("other pipelines in the same file are kept") {
  TempDir dir;
  const std::string path = dir.file("shared.json");
  std::ofstream(path) << R"({"version":1,"pipelines":{"other":{"offsets":[
      {"partition":{"a":1},"offset":{"b":2}}]}}})";
  std::unique_ptr<OffsetStore> store;
  REQUIRE(OffsetStore::open(path, "mine", OffsetStore::Mode::kWrite, &store).ok());
  REQUIRE(store->commit({{Json{{"x", 1}}, Json{{"y", 2}}}}).ok());
  Json doc = Json::parse(slurp(path));
  CHECK(doc["pipelines"]["other"]["offsets"][0]["offset"]["b"] == 2);
  CHECK(doc["pipelines"]["mine"]["offsets"][0]["offset"]["y"] == 2);
}

TEST_CASE("a null offset removes the partition; reset_all clears the pipeline") {
  TempDir dir;
  const std::string path = dir.file("o.json");
  std::unique_ptr<OffsetStore> store;
  REQUIRE(OffsetStore::open(path, "p", OffsetStore::Mode::kWrite, &store).ok());
  REQUIRE(store->commit({{Json{{"a", 1}}, Json{{"n", 1}}}, {Json{{"a", 2}}, Json{{"n", 2}}}}).ok());
  REQUIRE(store->commit({{Json{{"a", 1}}, Json()}}).ok());
  CHECK(store->size() == 1);
  CHECK((*store->offset(Json{{"a", 2}}))["n"] == 2);
  REQUIRE(store->reset_all().ok());
  CHECK(store->size() == 0);
}

TEST_CASE("a second writer is refused with the lock code") {
  TempDir dir;
  const std::string path = dir.file("o.json");
  std::unique_ptr<OffsetStore> first, second;
  REQUIRE(OffsetStore::open(path, "p", OffsetStore::Mode::kWrite, &first).ok());
  Status st = OffsetStore::open(path, "p", OffsetStore::Mode::kWrite, &second);
  CHECK(st.code() == Code::kLocked);
  CHECK(st.exit_code() == 3);
  CHECK(st.message().find(path + ".lock") != std::string::npos);
  // Readers do not need the lock.
  CHECK(OffsetStore::open(path, "p", OffsetStore::Mode::kRead, &second).ok());
  first.reset();
  CHECK(OffsetStore::open(path, "p", OffsetStore::Mode::kWrite, &second).ok());
}

TEST_CASE("a corrupt file is an error naming it, and is left untouched") {
  TempDir dir;
  const std::string path = dir.file("o.json");
  for (const std::string& bad :
       {std::string("{\"version\":1,\"pipel"), std::string("[]"),
        std::string(R"({"version":1,"pipelines":{"p":{"offsets":{}}}})"),
        std::string(R"({"version":1,"pipelines":{"p":{"offsets":[1]}}})"), std::string("")}) {
    std::ofstream(path, std::ios::trunc) << bad;
    std::unique_ptr<OffsetStore> store;
    Status st = OffsetStore::open(path, "p", OffsetStore::Mode::kWrite, &store);
    CAPTURE(bad);
    CHECK(st.code() == Code::kRuntime);
    CHECK(st.message().find(path) != std::string::npos);
    CHECK(st.message().find("corrupt") != std::string::npos);
    CHECK(slurp(path) == bad);
  }
}

TEST_CASE("a commit that cannot be written is an error naming the file") {
  // A missing folder fails like a full disk or a read-only one: at the temp file, before rename.
  std::unique_ptr<OffsetStore> store;
  REQUIRE(OffsetStore::open("/nonexistent-dir-kpipe/o.json", "p", OffsetStore::Mode::kRead, &store)
              .ok());
  Status st = store->commit({{Json{{"a", 1}}, Json{{"n", 1}}}});
  CHECK(st.code() == Code::kRuntime);
  CHECK(st.message().find("next to /nonexistent-dir-kpipe/o.json") != std::string::npos);
}
