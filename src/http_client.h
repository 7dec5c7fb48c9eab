// HttpClient: one reused libcurl handle (keep-alive) for the REST services kpipe talks to (the
// Schema Registry): a request in, a status and body out. A transport failure is a Status, transient
// when the server is down, unreachable or slow; any HTTP status is returned for the caller to map.
// Messages name the server without credentials (redact()).
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>
#include <vector>

#include "status.h"

namespace kpipe {

struct HttpOptions {
  std::vector<std::string> headers;  // "Name: value"
  long timeout_ms = 30000;
  std::string user, password;       // basic auth when user is not empty (never printed)
  std::string ca_file;              // PEM CA certificates for https
  std::string cert_file, key_file;  // PEM client certificate and key (mutual TLS)
  std::string key_password;         // secret
  bool verify_host = true;          // check the certificate's host name
};

struct HttpResponse {
  long status = 0;
  std::string body;
};

// Transport failures that may pass by themselves (errors.retry.timeout): the server is down,
// unreachable or slow. TLS and authentication problems are not.
bool transient_curl_error(CURLcode rc);

class HttpClient {
 public:
  Status open(const HttpOptions& options);
  // One request to an absolute URL; `body` is sent for POST, PUT and PATCH.
  Status send(const std::string& method, const std::string& url, const std::string& body,
              HttpResponse* response);

  // Percent-encodes one path segment.
  static std::string escape(const std::string& segment);
  // The URL without user:password@.
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
  HttpOptions options_;
};

}  // namespace kpipe
