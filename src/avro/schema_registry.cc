#include "avro/schema_registry.h"

#include <nlohmann/json.hpp>

namespace kpipe {

namespace {

using Json = nlohmann::json;

bool retriable(long status) {
  return status == 408 || status == 429 || status >= 500;
}

// The registry's {"error_code":..,"message":..}, or the start of a body that is not one.
std::string error_message(const std::string& body) {
  const Json j = Json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string())
    return j["message"].get<std::string>();
  return body.substr(0, 200);
}

Status parse_id(const HttpResponse& r, const std::string& what, int32_t* id) {
  const Json j = Json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("id") || !j["id"].is_number_integer())
    return Status::Runtime(what + ": the registry's answer has no id: " + r.body.substr(0, 200))
        .as_unskippable();
  *id = j["id"].get<int32_t>();
  return Status::Ok();
}

std::string register_body(const std::string& schema) {
  return Json{{"schema", schema}}.dump();
}

}  // namespace

Status SchemaRegistry::open(const std::vector<std::string>& urls, HttpOptions http) {
  for (std::string url : urls) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    if (!url.empty()) urls_.push_back(url);
  }
  if (urls_.empty()) return Status::Invalid("schema.registry.url: no registry URL");
  http.headers.push_back("Content-Type: application/vnd.schemaregistry.v1+json");
  http.headers.push_back(
      "Accept: application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, "
      "application/json");
  return http_.open(http);
}

Status SchemaRegistry::call(const std::string& method, const std::string& path,
                            const std::string& body, const std::string& what,
                            HttpResponse* response) {
  Status last;
  for (size_t tried = 0; tried < urls_.size(); ++tried) {
    const std::string& base = urls_[current_];
    last = http_.send(method, base + path, body, response);
    if (last.ok() && !retriable(response->status)) {
      if (response->status / 100 == 2) return Status::Ok();
      return http_error(*response, what);
    }
    if (last.ok())
      last = Status::Transient("schema registry " + HttpClient::redact(base) + ": " + what +
                               ": HTTP " + std::to_string(response->status) + " " +
                               error_message(response->body));
    if (!last.transient()) return last.with_context("schema registry").as_unskippable();
    current_ = (current_ + 1) % urls_.size();
  }
  return last;
}

Status SchemaRegistry::http_error(const HttpResponse& r, const std::string& what) const {
  const std::string where = "schema registry " + HttpClient::redact(urls_[current_]) + ": " + what +
                            ": HTTP " + std::to_string(r.status) + " ";
  const std::string message = error_message(r.body);
  if (r.status == 401 || r.status == 403)
    return Status::Runtime(where + message +
                           " (check basic.auth.credentials.source and basic.auth.user.info)")
        .as_unskippable();
  if (r.status == 409)
    return Status::Runtime(where + "incompatible schema: " + message).as_unskippable();
  if (r.status == 422)
    return Status::Runtime(where + "invalid schema: " + message).as_unskippable();
  Status st = Status::Runtime(where + message);
  return r.status == 404 ? st : st.as_unskippable();
}

Status SchemaRegistry::register_schema(const std::string& subject, const std::string& schema,
                                       int32_t* id) {
  const std::string what = "registering a schema under subject '" + subject + "'";
  HttpResponse r;
  Status st = call("POST", "/subjects/" + HttpClient::escape(subject) + "/versions",
                   register_body(schema), what, &r);
  if (!st.ok()) return st.as_unskippable();
  return parse_id(r, what, id);
}

Status SchemaRegistry::lookup(const std::string& subject, const std::string& schema, int32_t* id) {
  const std::string what = "looking up the schema under subject '" + subject + "'";
  HttpResponse r;
  Status st =
      call("POST", "/subjects/" + HttpClient::escape(subject), register_body(schema), what, &r);
  if (!st.ok())
    return (r.status == 404 ? st.with_context("auto.register.schemas is false and") : st)
        .as_unskippable();
  return parse_id(r, what, id);
}

Status SchemaRegistry::latest(const std::string& subject, std::string* schema, int32_t* id) {
  const std::string what = "reading the latest schema of subject '" + subject + "'";
  HttpResponse r;
  Status st =
      call("GET", "/subjects/" + HttpClient::escape(subject) + "/versions/latest", "", what, &r);
  if (!st.ok()) return st.as_unskippable();
  KPIPE_RETURN_IF_ERROR(parse_id(r, what, id));
  const Json j = Json::parse(r.body, nullptr, false);
  if (!j.contains("schema") || !j["schema"].is_string())
    return Status::Runtime(what + ": the registry's answer has no schema").as_unskippable();
  *schema = j["schema"].get<std::string>();
  return Status::Ok();
}

Status SchemaRegistry::schema_by_id(int32_t id, std::string* schema) {
  const std::string what = "reading schema id " + std::to_string(id);
  HttpResponse r;
  KPIPE_RETURN_IF_ERROR(call("GET", "/schemas/ids/" + std::to_string(id), "", what, &r));
  const Json j = Json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("schema") || !j["schema"].is_string())
    return Status::Runtime(what + ": the registry's answer has no schema").as_unskippable();
  if (j.contains("schemaType") && j["schemaType"].is_string() && j["schemaType"] != "AVRO")
    return Status::Runtime(what + ": a " + j["schemaType"].get<std::string>() +
                           " schema, not Avro");
  *schema = j["schema"].get<std::string>();
  return Status::Ok();
}

}  // namespace kpipe
