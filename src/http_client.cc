#include "http_client.h"

#include <cctype>
#include <mutex>

namespace kpipe {

namespace {

size_t on_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

}  // namespace

bool transient_curl_error(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return true;
    default:
      return false;
  }
}

Status HttpClient::open(const HttpOptions& options) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  options_ = options;
  curl_.reset(curl_easy_init());
  if (!curl_) return Status::Runtime("cannot create a libcurl handle");
  CURL* c = curl_.get();
  curl_slist* list = curl_slist_append(nullptr, "Expect:");  // no 100-continue round trip
  for (const auto& h : options_.headers) list = curl_slist_append(list, h.c_str());
  headers_.reset(list);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers_.get());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, options_.timeout_ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  if (!options_.user.empty()) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, options_.user.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, options_.password.c_str());
  }
  if (!options_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.cert_file.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT, options_.cert_file.c_str());
  if (!options_.key_file.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, options_.key_file.c_str());
  if (!options_.key_password.empty())
    curl_easy_setopt(c, CURLOPT_KEYPASSWD, options_.key_password.c_str());
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, options_.verify_host ? 2L : 0L);
  return Status::Ok();
}

Status HttpClient::send(const std::string& method, const std::string& url, const std::string& body,
                        HttpResponse* response) {
  *response = HttpResponse();
  CURL* c = curl_.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  const bool has_body = method == "PUT" || method == "POST" || method == "PATCH";
  curl_easy_setopt(c, CURLOPT_HTTPGET, has_body ? 0L : 1L);
  if (has_body) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response->body);
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    const Status st =
        Status::Runtime("cannot reach " + redact(url) + ": " + curl_easy_strerror(rc));
    return transient_curl_error(rc) ? st.as_transient() : st;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response->status);
  return Status::Ok();
}

std::string HttpClient::escape(const std::string& segment) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : segment) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

std::string HttpClient::redact(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t slash = url.find('/', start);
  const size_t at = url.rfind('@', slash == std::string::npos ? url.size() : slash);
  if (at == std::string::npos || at < start) return url;
  return url.substr(0, start) + url.substr(at + 1);
}

}  // namespace kpipe
