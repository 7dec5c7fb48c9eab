// The runner's commit points with a sink that acknowledges asynchronously (as Kafka does): offsets
// follow acknowledgements, never writes; one batch stays in flight; the final commit flushes.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "offsets.h"
#include "pipeline.h"
#include "runner.h"

using namespace kpipe;

namespace {

constexpr int kBatches = 10, kBatchSize = 10;

// Ten batches of ten records, offset {"n": records so far}; or, `positioned` false, records with
// no position at all (as from stdin, or a bulk query).
class CountingSource : public Source {
 public:
  explicit CountingSource(bool positioned = true) : positioned_(positioned) {}
  Status open(const Config&, const RunContext&, const OffsetReader& offsets) override {
    if (auto committed = offsets.offset(*partition_)) sent_ = (*committed)["n"].get<int>();
    return Status::Ok();
  }
  Status poll(Batch* batch) override {
    if (sent_ == kBatches * kBatchSize) return Status::Ok();
    for (int i = 0; i < kBatchSize; ++i) {
      Record& r = batch->emplace_back();
      r.topic = "t";
      r.value_schema = Schema::primitive(Type::kString);
      r.value = Value(std::string("record ") + std::to_string(sent_));
      ++sent_;
      if (!positioned_) continue;
      r.source_partition = partition_;
      r.source_offset = json_object({{"n", sent_}});
    }
    return Status::Ok();
  }
  bool exhausted() const override { return sent_ == kBatches * kBatchSize; }
  Status estimate(Estimate* out) override {
    out->records = kBatches * kBatchSize - sent_;
    out->exact = true;
    return Status::Ok();
  }

 private:
  std::shared_ptr<const Json> partition_ = std::make_shared<const Json>(json_object({{"p", 0}}));
  bool positioned_;
  int sent_ = 0;
};

// Acknowledges at most `limit` records; waiting for more, or flushing more, fails as a broker
// that went away would.
struct AckState {
  uint64_t limit = 0, written = 0, flushes = 0;
  bool transient = false;  // the broker comes back: the failure is worth a retry
  uint64_t limit_after_retry = 0;
  // Each written record's batch headers, "index/predicted" and "+end" on the one marked last.
  std::vector<std::string> headers;
};

class AckingSink : public Sink {
 public:
  explicit AckingSink(AckState* state) : state_(state) {}
  Status open(const Config&, const RunContext&) override {
    state_->written = 0;  // each attempt's sink counts from 0
    return Status::Ok();
  }
  Status write(Batch& batch) override {
    state_->written += batch.size();
    for (const Record& r : batch) {
      std::string seen;
      for (const Header& h : r.headers) {
        if (h.key == "currentIndex") seen = *h.value + seen;
        if (h.key == "predictedTotal") seen += "/" + *h.value;
        if (h.key == "isEnd") seen += "+end";
      }
      if (!seen.empty()) state_->headers.push_back(seen);
    }
    return Status::Ok();
  }
  bool acknowledges() const override { return true; }
  Status acknowledged(uint64_t wait_for, uint64_t* count) override {
    // (Kafka would wait for these until message.timeout.ms and fail.)
    if (wait_for > state_->written) return Status::Runtime("waiting for records never written");
    if (wait_for > state_->limit) {
      if (!state_->transient) return Status::Runtime("broker gone");
      state_->transient = false;
      state_->limit = state_->limit_after_retry;
      return Status::Transient("broker gone for a moment");
    }
    *count = std::min(state_->written, state_->limit);
    return Status::Ok();
  }
  Status flush() override {
    ++state_->flushes;
    return state_->written > state_->limit ? Status::Runtime("broker gone") : Status::Ok();
  }

 private:
  AckState* state_;
};

struct Fixture {
  AckState state;
  Registry registry;
  Pipeline pipeline;
  std::string dir;

  explicit Fixture(const std::string& extra = "", const std::string& source = "counting") {
    register_builtins(registry);
    registry.add_source(ConfigSpec{"counting", ComponentKind::kSource, "test", {}},
                        [] { return std::make_unique<CountingSource>(); });
    registry.add_source(ConfigSpec{"unpositioned", ComponentKind::kSource, "test", {}},
                        [] { return std::make_unique<CountingSource>(false); });
    registry.add_sink(ConfigSpec{"acking", ComponentKind::kSink, "test", {}},
                      [this] { return std::make_unique<AckingSink>(&state); });
    char tmpl[] = "/tmp/kpipe-runner-XXXXXX";
    dir = ::mkdtemp(tmpl);
    REQUIRE(parse_pipeline("name: p\nsource: {connector: " + source +
                               "}\nconverter: {value: string}\nsink: {connector: acking}\n" + extra,
                           dir + "/p.yaml", registry, &pipeline)
                .ok());
  }
  ~Fixture() {
    std::remove((dir + "/p.offsets.json").c_str());
    std::remove((dir + "/p.offsets.json.lock").c_str());
    ::rmdir(dir.c_str());
  }
  Status run() {
    std::atomic<bool> stopping{false};
    RunOptions options;
    options.progress = false;
    return run_pipeline(pipeline, registry, options, stopping);
  }
  std::optional<Json> committed() {
    std::unique_ptr<OffsetStore> store;
    REQUIRE(OffsetStore::open(dir + "/p.offsets.json", "p", OffsetStore::Mode::kRead, &store).ok());
    return store->offset(json_object({{"p", 0}}));
  }
};

}  // namespace

TEST_CASE("an acknowledging sink is flushed once, at the end, and everything is committed") {
  Fixture f;
  f.state.limit = 1000;
  REQUIRE(f.run().ok());
  CHECK(f.state.flushes == 1);
  CHECK(f.committed() == json_object({{"n", 100}}));
}

TEST_CASE("offsets never pass what the sink acknowledged") {
  Fixture f;
  f.state.limit = 35;  // batches 1-3 acknowledged, the 4th half: then the broker is gone
  Status st = f.run();
  CHECK(st.code() == Code::kRuntime);
  CHECK(st.message().find("broker gone") != std::string::npos);
  // Batches 5.. are written while batch 4 is in flight; waiting for batch 4 fails the run.
  CHECK(f.state.written == (4 + kMaxUnacknowledgedBatches) * 10);
  CHECK(f.committed() == json_object({{"n", 30}}));
}

TEST_CASE("after a transient failure the retry's new sink counts its acknowledgements anew") {
  Fixture f("errors: {retry.timeout: 10000, retry.delay.max.ms: 1}\n");
  f.state.limit = 35;
  f.state.transient = true;
  f.state.limit_after_retry = 1000;
  REQUIRE(f.run().ok());
  // The retry resumed from n=30: 70 records into the second sink, flushed once at the end.
  CHECK(f.state.written == 70);
  CHECK(f.committed() == json_object({{"n", 100}}));
}

TEST_CASE("records without a position count towards the batches in flight too") {
  Fixture f("", "unpositioned");
  f.state.limit = 35;
  Status st = f.run();
  CHECK(st.code() == Code::kRuntime);
  // As with offsets: batches 5.. are written while batch 4 is in flight, and waiting for it
  // fails; without the bound every batch would be written before anything waited.
  static_assert(kMaxUnacknowledgedBatches < 6, "the bound must stop the run before its end");
  CHECK(f.state.written == (4 + kMaxUnacknowledgedBatches) * 10);
}

TEST_CASE("batch headers: indexes 1..N, the source's total, the last record marked once") {
  Fixture f("run: {headers: true}\n");
  f.state.limit = 1000;
  REQUIRE(f.run().ok());
  REQUIRE(f.state.headers.size() == 100);
  for (int i = 0; i < 100; ++i)
    CHECK(f.state.headers[i] == std::to_string(i + 1) + "/100" + (i == 99 ? "+end" : ""));
}

TEST_CASE("batch headers: a retry numbers the replayed records as they were numbered before") {
  Fixture f("run: {headers: true}\nerrors: {retry.timeout: 10000, retry.delay.max.ms: 1}\n");
  f.state.limit = 35;
  f.state.transient = true;
  f.state.limit_after_retry = 1000;
  REQUIRE(f.run().ok());
  CHECK(f.committed() == json_object({{"n", 100}}));
  // The first sink got records 1..80 before it failed; the retry resumes after the committed n=30
  // with index 31 again, and the total stays the first estimate's.
  const auto& h = f.state.headers;
  const auto last31 = std::find(h.rbegin(), h.rend(), "31/100");
  REQUIRE(last31 != h.rend());
  const auto retry = std::prev(last31.base());              // where the retry's sink starts
  CHECK(retry != std::find(h.begin(), h.end(), "31/100"));  // the first sink had it too
  REQUIRE(h.end() - retry == 70);
  for (int i = 0; i < 70; ++i)
    CHECK(*(retry + i) == std::to_string(31 + i) + "/100" + (i == 69 ? "+end" : ""));
  CHECK(std::count_if(h.begin(), h.end(), [](const std::string& s) {
          return s.find("+end") != std::string::npos;
        }) == 1);
}
