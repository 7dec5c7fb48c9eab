#include "run/dry_run_sink.h"

#include <cerrno>
#include <cstring>

#include "json_converter.h"

namespace kpipe {

namespace {

// nlohmann's dump() refuses ill-formed UTF-8: that is the test.
bool valid_utf8(const std::string& s) {
  try {
    (void)Json(s).dump();
    return true;
  } catch (const Json::type_error&) {
    return false;
  }
}

Json bytes_json(const std::optional<std::string>& bytes) {
  if (!bytes) return nullptr;
  if (valid_utf8(*bytes)) return *bytes;
  return Json{{"base64", base64_encode(*bytes)}};
}

class DryRunSink : public Sink {
 public:
  explicit DryRunSink(std::FILE* out) : out_(out) {}
  Status open(const Config&, const RunContext&) override { return Status::Ok(); }
  Status write(Batch& batch) override {
    for (const Record& r : batch) {
      Json headers = Json::array();
      for (const Header& h : r.headers) headers.push_back(Json{{h.key, bytes_json(h.value)}});
      nlohmann::ordered_json line;
      line["topic"] = r.topic;
      line["partition"] = r.partition ? Json(*r.partition) : Json(nullptr);
      line["key"] = bytes_json(r.key_bytes);
      line["value"] = bytes_json(r.value_bytes);
      line["headers"] = std::move(headers);
      const std::string text = line.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
      if (std::fwrite(text.data(), 1, text.size(), out_) != text.size())
        return Status::Runtime(std::string("--dry-run: writing to stdout: ") +
                               std::strerror(errno));
    }
    return Status::Ok();
  }
  Status flush() override {
    if (std::fflush(out_) != 0)
      return Status::Runtime(std::string("--dry-run: writing to stdout: ") + std::strerror(errno));
    return Status::Ok();
  }

 private:
  std::FILE* out_;
};

}  // namespace

std::unique_ptr<Sink> make_dry_run_sink(std::FILE* out) {
  return std::make_unique<DryRunSink>(out);
}

}  // namespace kpipe
