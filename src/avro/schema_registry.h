// A Confluent Schema Registry client: the REST calls an Avro serializer and deserializer make,
// over a list of registry URLs (the next one is tried when one is down or answers 408, 429 or
// 5xx). Failures say what the user can do: unreachable or 5xx is transient (the runner's
// errors.retry.timeout retries it); 401/403, an incompatible (409) or invalid (422) schema end the
// run (unskippable: no record is to blame). Messages name the registry, never credentials.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "http_client.h"
#include "status.h"

namespace kpipe {

class SchemaRegistry {
 public:
  Status open(const std::vector<std::string>& urls, HttpOptions http);

  // POST /subjects/{subject}/versions: registers `schema` (or finds it registered) -> its id.
  Status register_schema(const std::string& subject, const std::string& schema, int32_t* id);
  // POST /subjects/{subject}: the id of `schema`, which must be registered under the subject.
  Status lookup(const std::string& subject, const std::string& schema, int32_t* id);
  // GET /subjects/{subject}/versions/latest.
  Status latest(const std::string& subject, std::string* schema, int32_t* id);
  // GET /schemas/ids/{id}. An unknown id is a plain runtime failure (the record's fault).
  Status schema_by_id(int32_t id, std::string* schema);

  const std::string& url() const { return urls_[current_]; }

 private:
  // One call with failover; on a 2xx, the body. `what` names the call in messages.
  Status call(const std::string& method, const std::string& path, const std::string& body,
              const std::string& what, HttpResponse* response);
  Status http_error(const HttpResponse& r, const std::string& what) const;

  HttpClient http_;
  std::vector<std::string> urls_;
  size_t current_ = 0;
};

}  // namespace kpipe
