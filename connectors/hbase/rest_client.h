// A small HTTP client for the HBase REST gateway: one reused libcurl handle (keep-alive), JSON
// accept headers, Basic or SPNEGO auth, TLS CA file, and retries with backoff that move on to
// the next gateway URL. Messages name the gateway without credentials.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "connector.h"
#include "http_client.h"
#include "status.h"

namespace kpipe::hbase {

struct HttpResponse {
  long status = 0;
  std::string body;
  std::string location;  // Location header (scanner URL)
};

class RestClient {
 public:
  // Reads the shared hbase.rest.* keys (see rest_fields()).
  Status open(const Config& config, const RunContext& context);

  // One attempt. `target` is a path ("/t/schema") on the current gateway or an absolute URL
  // (a scanner's Location). A transport failure is an error (transient when the gateway is
  // unreachable or slow); any HTTP status is returned.
  Status send(const char* method, const std::string& target, const std::string& body,
              HttpResponse* response);
  // Retries transport failures and 5xx with doubling backoff, trying the next gateway each time;
  // for requests that are safe to repeat (schema, row reads, puts of cells). Giving up on those
  // is a transient failure (Status::transient), which the runner may retry as a whole.
  Status call(const char* method, const std::string& path, const std::string& body,
              HttpResponse* response);
  // Backoff before retry `attempt` (0-based); false when a stop was requested meanwhile.
  bool backoff(int attempt) const;
  int retries() const { return retries_; }
  // The gateway in use, credentials removed.
  std::string gateway() const;

  // Percent-encodes one path segment (row keys and table names may hold any byte).
  static std::string escape(const std::string& segment);
  static std::string redact(const std::string& url);

 private:
  struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
  };
  struct SlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
  };
  std::unique_ptr<CURL, CurlDeleter> curl_;
  std::unique_ptr<curl_slist, SlistDeleter> headers_;
  std::vector<std::string> urls_;
  size_t current_ = 0;
  int retries_ = 3;
  int64_t backoff_ms_ = 1000;
  const RunContext* context_ = nullptr;
};

// The hbase.rest.* keys every hbase connector declares.
std::vector<FieldSpec> rest_fields();

}  // namespace kpipe::hbase
