#include "connectors/hbase/rest_client.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <mutex>
#include <thread>

namespace kpipe::hbase {
namespace {

size_t on_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  std::string line(data, size * count);
  constexpr char kName[] = "location:";
  if (line.size() > sizeof kName - 1) {
    std::string name = line.substr(0, sizeof kName - 1);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    if (name == kName) {
      std::string value = line.substr(sizeof kName - 1);
      size_t b = value.find_first_not_of(" \t");
      size_t e = value.find_last_not_of(" \t\r\n");
      *static_cast<std::string*>(user) = b == std::string::npos ? "" : value.substr(b, e - b + 1);
    }
  }
  return size * count;
}

}  // namespace

std::vector<FieldSpec> rest_fields() {
  return {
      {"hbase.rest.url",
       FieldType::kList,
       std::nullopt,
       true,
       "REST gateway URL(s), e.g. http://host:8080; several are tried in turn",
       {},
       true},
      {"hbase.rest.auth",
       FieldType::kString,
       "none",
       false,
       "none, basic (user/password, e.g. behind a proxy) or kerberos (SPNEGO, from the ticket "
       "cache)",
       {"none", "basic", "kerberos"}},
      {"hbase.rest.user", FieldType::kString, "", false, "User for basic auth"},
      {"hbase.rest.password", FieldType::kString, "", false, "Password for basic auth", {}, true},
      {"hbase.rest.ssl.ca.file", FieldType::kString, "", false,
       "CA certificates (PEM) to verify an https gateway"},
      {"hbase.rest.timeout.ms",
       FieldType::kInt,
       "30000",
       false,
       "Timeout of one request",
       {},
       false,
       1,
       3600000},
      {"hbase.rest.retries",
       FieldType::kInt,
       "3",
       false,
       "Retries of a failed request (connection error or HTTP 5xx) before failing the run",
       {},
       false,
       0,
       1000},
      {"hbase.rest.retry.backoff.ms",
       FieldType::kInt,
       "1000",
       false,
       "Wait before the first retry; doubles with each retry",
       {},
       false,
       0,
       3600000},
  };
}

Status RestClient::open(const Config& config, const RunContext& context) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  context_ = &context;
  for (std::string url : config.list("hbase.rest.url")) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    if (!url.empty()) urls_.push_back(url);
  }
  if (urls_.empty()) return config.invalid("hbase.rest.url", "no gateway URL");
  retries_ = static_cast<int>(config.integer("hbase.rest.retries"));
  backoff_ms_ = config.integer("hbase.rest.retry.backoff.ms");

  curl_.reset(curl_easy_init());
  if (!curl_) return Status::Runtime("cannot create a libcurl handle");
  CURL* c = curl_.get();
  curl_slist* list = curl_slist_append(nullptr, "Accept: application/json");
  list = curl_slist_append(list, "Content-Type: application/json");
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip on large puts
  headers_.reset(list);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers_.get());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(config.integer("hbase.rest.timeout.ms")));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  const std::string& auth = config.str("hbase.rest.auth");
  if (auth == "basic") {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, config.str("hbase.rest.user").c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, config.str("hbase.rest.password").c_str());
  } else if (auth == "kerberos") {
    // SPNEGO takes the identity from the Kerberos ticket cache; curl wants a non-null user.
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_NEGOTIATE);
    curl_easy_setopt(c, CURLOPT_USERPWD, ":");
  }
  if (!config.str("hbase.rest.ssl.ca.file").empty())
    curl_easy_setopt(c, CURLOPT_CAINFO, config.str("hbase.rest.ssl.ca.file").c_str());
  return Status::Ok();
}

Status RestClient::send(const char* method, const std::string& target, const std::string& body,
                        HttpResponse* response) {
  *response = HttpResponse();
  CURL* c = curl_.get();
  const bool absolute = target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0;
  const std::string url = absolute ? target : urls_[current_] + target;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  const bool has_body = std::string(method) == "PUT" || std::string(method) == "POST";
  curl_easy_setopt(c, CURLOPT_NOBODY, std::string(method) == "HEAD" ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_HTTPGET, has_body ? 0L : 1L);
  if (has_body) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response->body);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &response->location);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    const Status st = Status::Runtime("cannot reach the HBase REST gateway at " + redact(url) +
                                      ": " + curl_easy_strerror(rc));
    return transient_curl_error(rc) ? st.as_transient() : st;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response->status);
  return Status::Ok();
}

Status RestClient::call(const char* method, const std::string& path, const std::string& body,
                        HttpResponse* response) {
  Status last;
  for (int attempt = 0;; ++attempt) {
    last = send(method, path, body, response);
    if (last.ok() && response->status < 500) return last;
    if (last.ok()) {
      const bool absolute = path.rfind("http", 0) == 0;
      last = Status::Transient(
          std::string(method) + " " + (absolute ? redact(path) : gateway() + path) + ": HTTP " +
          std::to_string(response->status) + " " + response->body.substr(0, 200));
    }
    if (attempt >= retries_ || !backoff(attempt)) return last;
    current_ = (current_ + 1) % urls_.size();
  }
}

bool RestClient::backoff(int attempt) const {
  const int64_t wait = backoff_ms_ << std::min(attempt, 10);
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait);
  while (std::chrono::steady_clock::now() < until) {
    if (context_ && context_->stop_requested()) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(100), until - std::chrono::steady_clock::now()));
  }
  return true;
}

std::string RestClient::gateway() const {
  return redact(urls_[current_]);
}

std::string RestClient::escape(const std::string& segment) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : segment) {
    // ':' stays: it separates namespace and table, and family and qualifier, in gateway paths.
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == ':') {
      out += char(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

std::string RestClient::redact(const std::string& url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t slash = url.find('/', start);
  size_t at = url.rfind('@', slash == std::string::npos ? url.size() : slash);
  if (at == std::string::npos || at < start) return url;
  return url.substr(0, start) + url.substr(at + 1);
}

}  // namespace kpipe::hbase
