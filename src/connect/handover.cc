#include "connect/handover.h"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "connect/connect_commands.h"
#include "connect/connector_pipeline.h"
#include "http_client.h"
#include "offsets.h"

namespace kpipe {
namespace {

using Ordered = nlohmann::ordered_json;
using Pairs = std::vector<std::pair<std::string, std::string>>;

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// One connector to create: its config (in order) and the offsets to give it.
struct Connector {
  std::string name;
  Pairs config;
  std::vector<std::pair<Json, Json>> offsets;
};

// Connect's REST API through libcurl. Only requests that are safe to repeat (GET, PUT stop /
// resume, DELETE) are retried, on a transport failure or the 409 of a rebalance.
class ConnectRest {
 public:
  Status open(const ConnectClusterOptions& options) {
    url_ = options.url;
    while (!url_.empty() && url_.back() == '/') url_.pop_back();
    HttpOptions http;
    http.headers = {"Content-Type: application/json", "Accept: application/json"};
    http.timeout_ms = options.timeout_ms;
    http.user = options.user;
    http.password = options.password;
    http.ca_file = options.ca_file;
    return client_.open(http);
  }

  // A 2xx answer is success; any other is an error showing the cluster's
  // {"error_code","message"} as it is.
  Status call(const std::string& method, const std::string& path, const Ordered* body, Json* answer,
              long* status = nullptr) {
    const bool repeatable =
        method == "GET" || method == "DELETE" ||
        (method == "PUT" && (ends_with(path, "/stop") || ends_with(path, "/resume")));
    const std::string text = body ? body->dump() : "";
    HttpResponse r;
    for (int attempt = 1;; ++attempt) {
      Status st = client_.send(method, url_ + path, text, &r);
      const bool rebalance =
          st.ok() && r.status == 409 && r.body.find("Cannot complete request") != std::string::npos;
      if (!repeatable || attempt == 6 || (st.ok() && !rebalance) || (!st.ok() && !st.transient())) {
        if (!st.ok()) return st.with_context("Kafka Connect " + method + " " + path);
        break;
      }
      spdlog::info("Kafka Connect {} {}: {}; trying again", method, path,
                   st.ok() ? r.body : st.message());
      std::this_thread::sleep_for(std::chrono::milliseconds(100 << attempt));
    }
    if (status) *status = r.status;
    *answer = r.body.empty() ? Json() : Json::parse(r.body, nullptr, false);
    if (r.status >= 200 && r.status < 300) return Status::Ok();
    return Status::Runtime("Kafka Connect at " + HttpClient::redact(url_) + ": " + method + " " +
                           path + ": HTTP " + std::to_string(r.status) + ": " + r.body);
  }

  const std::string& url() const { return url_; }

 private:
  static bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  }
  std::string url_;
  HttpClient client_;
};

std::string connector_path(const std::string& name, const std::string& rest = "") {
  return "/connectors/" + HttpClient::escape(name) + rest;
}

// "3.7.0" -> 307; 0 when unreadable.
int version_number(const std::string& v) {
  int major = 0, minor = 0;
  if (std::sscanf(v.c_str(), "%d.%d", &major, &minor) < 2) return 0;
  return major * 100 + minor;
}

Status cluster_version(ConnectRest& rest, int* version, std::string* text) {
  Json root;
  KPIPE_RETURN_IF_ERROR(rest.call("GET", "/", nullptr, &root));
  *text = root.is_object() && root.contains("version") && root["version"].is_string()
              ? root["version"].get<std::string>()
              : "";
  *version = version_number(*text);
  if (*version == 0)
    return Status::Runtime("Kafka Connect at " + HttpClient::redact(rest.url()) +
                           ": GET / gave no version: " + root.dump());
  return Status::Ok();
}

// --- the pipeline as Connect connector configs ------------------------------------------------

// kpipe's variables as Connect's config providers spell them (the cluster's workers need
// config.providers env, file and dir for them).
std::string to_connect_variables(const std::string& value) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t start = value.find("${", pos);
    size_t end = start == std::string::npos ? start : value.find('}', start);
    if (end == std::string::npos) break;
    out.append(value, pos, start - pos);
    std::string ref = value.substr(start + 2, end - start - 2);
    if (starts_with(ref, "file:") && ref.find(':', 5) == std::string::npos) {
      const std::filesystem::path path(ref.substr(5));
      out += "${dir:" + path.parent_path().string() + ":" + path.filename().string() + "}";
    } else {
      out.append(value, start, end - start + 1);
    }
    pos = end + 1;
  }
  return out + value.substr(pos);
}

std::string raw_text(const YAML::Node& node) {
  if (node.IsScalar()) return to_connect_variables(node.Scalar());
  std::string out;
  if (node.IsSequence())
    for (const auto& item : node) out += (out.empty() ? "" : ",") + raw_text(item);
  return out;
}

// The keys of a block as written in the pipeline file (variables unresolved).
Pairs raw_block(const YAML::Node& block, const std::vector<std::string>& skip = {"connector"}) {
  Pairs out;
  if (!block || !block.IsMap()) return out;
  for (const auto& kv : block) {
    const std::string key = kv.first.as<std::string>();
    if (std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
    out.emplace_back(key, raw_text(kv.second));
  }
  return out;
}

bool listed(const std::vector<std::string>& list, const std::string& key) {
  for (const auto& k : list)
    if (k == key || (!k.empty() && k.back() == '.' && starts_with(key, k))) return true;
  return false;
}

struct Mapper {
  const Pipeline& pipeline;
  const Registry& registry;
  YAML::Node root;

  Status refuse(const std::string& msg) const {
    return Status::Invalid(pipeline.file + ": " + msg);
  }

  // A kpipe connector's own keys, in Connect's names.
  Status own_keys(const std::string& block_name, const ConfigSpec& spec, Pairs* config) const {
    const ConnectSpec& connect = spec.connect;
    for (const auto& [key, value] : raw_block(root[block_name])) {
      if (listed(connect.not_exported, key)) continue;
      if (listed(connect.kpipe_only, key))
        return refuse(block_name + "." + key + ": Connect's " + connect.connector_class +
                      " has no equivalent; remove it to export this pipeline");
      bool implied = false;
      for (const auto& [k, v] : connect.implied) implied = implied || (k == key && v == value);
      if (implied) continue;
      std::string connect_key = key;
      for (const auto& [from, to] : connect.renamed)
        if (to == key) connect_key = from;
      config->emplace_back(connect_key, value);
    }
    for (auto [key, value] : connect.export_defaults) {
      bool has = false;
      for (const auto& kv : *config) has = has || kv.first == key;
      if (has) continue;
      if (value == "${pipeline}") value = pipeline.name;
      config->emplace_back(key, value);
    }
    return Status::Ok();
  }

  // The Kafka side: the cluster's own Kafka, so bootstrap.servers stays behind.
  Status kafka_keys(const std::string& block_name, bool producer, const std::string& name,
                    Pairs* config) const {
    const std::string prefix = producer ? "producer.override." : "consumer.override.";
    for (const auto& [key, value] : raw_block(root[block_name])) {
      if (key == "bootstrap.servers" || key == "batch.size" || key == "offsets.from.group")
        continue;
      if (!producer && (key == "topics" || key == "topics.regex")) {
        config->emplace_back(key, value);
      } else if (!producer && key == "group.id") {
        if (value != "connect-" + name)
          return refuse("source.group.id: a Connect sink connector reads in group connect-" + name +
                        " (Connect names it); '" + value +
                        "' cannot be kept: remove group.id or export with --name");
      } else if (producer &&
                 (key == "topic" || key == "exactly.once" || key == "preserve.partitions")) {
        return refuse("sink." + key + ": kpipe's Kafka sink option has no Connect equivalent");
      } else {
        config->emplace_back(prefix + key, value);
      }
    }
    return Status::Ok();
  }

  Status converters(Pairs* config) const {
    std::map<std::string, std::string> chosen = {{"key", "string"}, {"value", "json"}};
    Pairs options;
    for (const auto& [key, value] : raw_block(root["converter"], {})) {
      if (key == "key" || key == "value") {
        chosen[key] = value;
      } else {
        options.emplace_back(key, value);
      }
    }
    for (const char* which : {"key", "value"}) {
      const auto* entry = registry.converter(chosen[which]);
      if (!entry || entry->spec.connect_class.empty())
        return refuse("converter." + std::string(which) + ": no Connect converter for '" +
                      chosen[which] + "'");
      config->emplace_back(std::string(which) + ".converter", entry->spec.connect_class);
      for (const auto& [key, value] : options)
        if (starts_with(key, std::string(which) + "."))
          config->emplace_back(std::string(which) + ".converter." + key.substr(strlen(which) + 1),
                               value);
    }
    return Status::Ok();
  }

  Status transforms(Pairs* config) const {
    const YAML::Node list = root["transforms"];
    std::string aliases;
    Pairs keys;
    for (size_t i = 0; list && i < list.size(); ++i) {
      const YAML::Node t = list[i];
      const std::string alias = t["name"] ? t["name"].Scalar() : "t" + std::to_string(i + 1);
      aliases += (aliases.empty() ? "" : ",") + alias;
      const auto* entry = registry.transform(t["type"].Scalar());
      keys.emplace_back("transforms." + alias + ".type", entry->spec.connect_class);
      for (const auto& [key, value] : raw_block(t, {"name", "type"}))
        keys.emplace_back("transforms." + alias + "." + key, value);
    }
    if (!aliases.empty()) config->emplace_back("transforms", aliases);
    config->insert(config->end(), keys.begin(), keys.end());
    aliases.clear();
    keys.clear();
    if (const YAML::Node predicates = root["predicates"]) {
      for (const auto& kv : predicates) {
        const std::string alias = kv.first.as<std::string>();
        aliases += (aliases.empty() ? "" : ",") + alias;
        const auto* entry = registry.predicate(kv.second["type"].Scalar());
        keys.emplace_back("predicates." + alias + ".type", entry->spec.connect_class);
        for (const auto& [key, value] : raw_block(kv.second, {"type"}))
          keys.emplace_back("predicates." + alias + "." + key, value);
      }
    }
    if (!aliases.empty()) config->emplace_back("predicates", aliases);
    config->insert(config->end(), keys.begin(), keys.end());
    return Status::Ok();
  }

  Status errors(Pairs* config) const {
    for (const auto& [key, value] : raw_block(root["errors"], {})) {
      if (key == "deadletterqueue.file" || key == "deadletterqueue.bootstrap.servers")
        return refuse("errors." + key +
                      ": Connect writes its dead-letter queue to the cluster's Kafka only");
      config->emplace_back("errors." + key, value);
    }
    return Status::Ok();
  }

  Status common(const std::string& name, const ConfigSpec& spec, Pairs* config) const {
    config->emplace_back("name", name);
    config->emplace_back("connector.class", spec.connect.connector_class);
    config->emplace_back("tasks.max", "1");
    KPIPE_RETURN_IF_ERROR(converters(config));
    KPIPE_RETURN_IF_ERROR(transforms(config));
    return errors(config);
  }
};

Status set_keys(const ConfigSpec& spec, const ExportOptions& options, Pairs* config) {
  for (const auto& [key, value] : options.set) {
    bool replaced = false;
    for (auto& kv : *config)
      if (kv.first == key) kv.second = value, replaced = true;
    if (!replaced) config->emplace_back(key, value);
  }
  for (const auto& need : spec.connect.export_needs) {
    bool has = false;
    for (const auto& kv : *config) has = has || kv.first == need;
    if (!has)
      return Status::Invalid("Connect's " + spec.connect.connector_class + " needs " + need +
                             ", which kpipe's pipeline does not hold: add --set " + need + "=...");
  }
  return Status::Ok();
}

Status map_pipeline(const Pipeline& pipeline, const Registry& registry,
                    const ExportOptions& options, std::vector<Connector>* out) {
  Mapper m{pipeline, registry, {}};
  try {
    m.root = YAML::LoadFile(pipeline.file);
  } catch (const YAML::Exception& e) {
    return Status::Invalid(pipeline.file + ": " + e.what());
  }
  const std::string name = options.name.empty() ? pipeline.name : options.name;
  const bool from_kafka = pipeline.source.name == "kafka", to_kafka = pipeline.sink.name == "kafka";
  if (from_kafka && to_kafka)
    return m.refuse(
        "Kafka to Kafka is MirrorMaker 2's job, not a Connect connector pair: not exported");
  const ConfigSpec* source = &registry.source(pipeline.source.name)->spec;
  const ConfigSpec* sink = &registry.sink(pipeline.sink.name)->spec;
  if (!from_kafka && source->connect.empty())
    return m.refuse(
        "no Kafka Connect cluster can run kpipe's " + pipeline.source.name +
        " source: there is no widely used Connect source connector for it (for HBase, Confluent "
        "ships only a sink; HBase replication to Kafka, e.g. hbase-connectors' Kafka Proxy, is "
        "the usual way). Keep this pipeline in kpipe");
  if (!to_kafka && sink->connect.empty())
    return m.refuse("no Connect sink connector stands for kpipe's " + pipeline.sink.name + " sink");
  const std::string topic = "kpipe." + name;  // joins two connectors
  if (!from_kafka) {
    Connector c{to_kafka ? name : name + "-source", {}, {}};
    KPIPE_RETURN_IF_ERROR(m.common(c.name, *source, &c.config));
    KPIPE_RETURN_IF_ERROR(m.own_keys("source", *source, &c.config));
    if (to_kafka) {
      KPIPE_RETURN_IF_ERROR(m.kafka_keys("sink", true, c.name, &c.config));
    } else {
      // Two connectors: the source writes one topic the sink reads; the records' own topics go.
      c.config.emplace_back("transforms.kpipe-topic.type",
                            "org.apache.kafka.connect.transforms.RegexRouter");
      c.config.emplace_back("transforms.kpipe-topic.regex", ".*");
      c.config.emplace_back("transforms.kpipe-topic.replacement", topic);
      bool listed_already = false;
      for (auto& kv : c.config)
        if (kv.first == "transforms") kv.second += ",kpipe-topic", listed_already = true;
      if (!listed_already) c.config.emplace_back("transforms", "kpipe-topic");
    }
    KPIPE_RETURN_IF_ERROR(set_keys(*source, options, &c.config));
    KPIPE_RETURN_IF_ERROR(connect_form_offsets(pipeline, source, &c.offsets));
    out->push_back(std::move(c));
  }
  if (!to_kafka) {
    Connector c{from_kafka ? name : name + "-sink", {}, {}};
    KPIPE_RETURN_IF_ERROR(m.common(c.name, *sink, &c.config));
    if (from_kafka) {
      KPIPE_RETURN_IF_ERROR(m.kafka_keys("source", false, c.name, &c.config));
      KPIPE_RETURN_IF_ERROR(connect_form_offsets(pipeline, nullptr, &c.offsets));
    } else {
      c.config.emplace_back("topics", topic);
    }
    KPIPE_RETURN_IF_ERROR(m.own_keys("sink", *sink, &c.config));
    KPIPE_RETURN_IF_ERROR(set_keys(*sink, options, &c.config));
    out->push_back(std::move(c));
  }
  if (out->size() == 2)
    spdlog::info("two connectors, {} and {}, joined by topic '{}'", out->at(0).name,
                 out->at(1).name, topic);
  return Status::Ok();
}

Ordered offsets_body(const Connector& c) {
  Ordered list = Ordered::array();
  for (const auto& [partition, offset] : c.offsets)
    list.push_back(Ordered{{"partition", Ordered::parse(partition.dump())},
                           {"offset", Ordered::parse(offset.dump())}});
  return Ordered{{"offsets", list}};
}

bool same_offsets(const Json& got, const Connector& c) {
  if (!got.is_object() || !got.contains("offsets") || !got["offsets"].is_array()) return false;
  size_t matched = 0;
  for (const auto& [partition, offset] : c.offsets)
    for (const auto& e : got["offsets"])
      if (e.value("partition", Json()) == partition && e.value("offset", Json()) == offset) {
        ++matched;
        break;
      }
  return matched == c.offsets.size();
}

// Polls the connector's status until its state is `state` (bounded).
Status wait_for_state(ConnectRest& rest, const std::string& name, const std::string& state) {
  Json status;
  for (int i = 0; i < 100; ++i) {
    KPIPE_RETURN_IF_ERROR(rest.call("GET", connector_path(name, "/status"), nullptr, &status));
    if (status.is_object() && status.contains("connector") &&
        status["connector"].value("state", "") == state)
      return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(50 * (i + 1), 500)));
  }
  return Status::Runtime("connector '" + name + "' did not reach state " + state +
                         " (last status: " + status.dump() + ")");
}

Status export_one(ConnectRest& rest, int version, const std::string& version_text,
                  const Connector& c) {
  const std::string v = " (this cluster runs Kafka Connect " + version_text + ")";
  if (!c.offsets.empty() && version < 306)
    return Status::Invalid("writing connector '" + c.name +
                           "''s offsets needs Kafka Connect 3.6 or later (KIP-875: PATCH "
                           "/connectors/{name}/offsets)" +
                           v + "; without offsets it would read from the start");
  Ordered config = Ordered::object();
  for (const auto& [k, value] : c.config) config[k] = value;
  Ordered create{{"name", c.name}, {"config", config}};
  const bool stopped_create = version >= 307 && !c.offsets.empty();
  if (stopped_create) create["initial_state"] = "STOPPED";
  Json answer;
  KPIPE_RETURN_IF_ERROR(rest.call("POST", "/connectors", &create, &answer));
  if (c.offsets.empty()) {
    spdlog::info("created connector '{}' (no offsets to hand over: it starts from the beginning)",
                 c.name);
    return Status::Ok();
  }
  if (!stopped_create) {
    spdlog::warn(
        "created connector '{}' running and stopped it at once: creating a connector "
        "STOPPED needs Kafka Connect 3.7 (KIP-980){}; it may have run briefly",
        c.name, v);
    KPIPE_RETURN_IF_ERROR(rest.call("PUT", connector_path(c.name, "/stop"), nullptr, &answer));
    KPIPE_RETURN_IF_ERROR(wait_for_state(rest, c.name, "STOPPED"));
  }
  const Ordered body = offsets_body(c);
  KPIPE_RETURN_IF_ERROR(rest.call("PATCH", connector_path(c.name, "/offsets"), &body, &answer));
  spdlog::info("connector '{}': {}", c.name, answer.value("message", answer.dump()));
  KPIPE_RETURN_IF_ERROR(rest.call("GET", connector_path(c.name, "/offsets"), nullptr, &answer));
  if (!same_offsets(answer, c))
    return Status::Runtime("connector '" + c.name + "' holds other offsets than kpipe wrote: " +
                           answer.dump() + "; it stays STOPPED");
  KPIPE_RETURN_IF_ERROR(rest.call("PUT", connector_path(c.name, "/resume"), nullptr, &answer));
  KPIPE_RETURN_IF_ERROR(wait_for_state(rest, c.name, "RUNNING"));
  spdlog::info("connector '{}' is RUNNING from {} handed-over offset(s)", c.name, c.offsets.size());
  return Status::Ok();
}

void print_dry_run(const std::string& url, const std::vector<Connector>& connectors) {
  auto show = [&](const std::string& method, const std::string& path, const Ordered* body) {
    std::cout << method << " " << HttpClient::redact(url) << path << "\n";
    if (body) std::cout << body->dump(2) << "\n";
  };
  show("GET", "/", nullptr);
  for (const Connector& c : connectors) {
    Ordered config = Ordered::object();
    for (const auto& [k, value] : c.config) config[k] = value;
    Ordered create{{"name", c.name}, {"config", config}};
    if (!c.offsets.empty()) create["initial_state"] = "STOPPED";
    show("POST", "/connectors", &create);
    if (c.offsets.empty()) continue;
    const Ordered body = offsets_body(c);
    show("PATCH", connector_path(c.name, "/offsets"), &body);
    show("GET", connector_path(c.name, "/offsets"), nullptr);
    show("PUT", connector_path(c.name, "/resume"), nullptr);
  }
}

}  // namespace

Status connect_export(const Pipeline& pipeline, const Registry& registry,
                      const ConnectClusterOptions& cluster, const ExportOptions& options) {
  std::vector<Connector> connectors;
  KPIPE_RETURN_IF_ERROR(map_pipeline(pipeline, registry, options, &connectors));
  bool variables = false;
  for (const auto& c : connectors)
    for (const auto& kv : c.config)
      variables = variables || kv.second.find("${") != std::string::npos;
  if (variables)
    spdlog::info(
        "the connectors hold config-provider variables: the cluster's workers need "
        "config.providers=env,file,dir (EnvVarConfigProvider, FileConfigProvider, "
        "DirectoryConfigProvider)");
  if (options.dry_run) {
    print_dry_run(cluster.url, connectors);
    return Status::Ok();
  }
  ConnectRest rest;
  KPIPE_RETURN_IF_ERROR(rest.open(cluster));
  int version = 0;
  std::string version_text;
  KPIPE_RETURN_IF_ERROR(cluster_version(rest, &version, &version_text));
  for (const Connector& c : connectors)
    KPIPE_RETURN_IF_ERROR(export_one(rest, version, version_text, c));
  return Status::Ok();
}

Status connect_import(const std::string& name, const Registry& registry,
                      const ConnectClusterOptions& cluster, const std::string& output_file,
                      bool delete_after) {
  ConnectRest rest;
  KPIPE_RETURN_IF_ERROR(rest.open(cluster));
  int version = 0;
  std::string version_text;
  KPIPE_RETURN_IF_ERROR(cluster_version(rest, &version, &version_text));
  if (version < 305)
    return Status::Invalid(
        "importing needs Kafka Connect 3.5 or later (KIP-875: PUT "
        "/connectors/{name}/stop and GET /connectors/{name}/offsets); this "
        "cluster runs " +
        version_text);
  Json status, config, offsets, answer;
  KPIPE_RETURN_IF_ERROR(rest.call("GET", connector_path(name, "/status"), nullptr, &status));
  if (!status.is_object() || !status.contains("connector") ||
      status["connector"].value("state", "") != "STOPPED") {
    spdlog::info("stopping connector '{}' so that its offsets stop moving", name);
    KPIPE_RETURN_IF_ERROR(rest.call("PUT", connector_path(name, "/stop"), nullptr, &answer));
    KPIPE_RETURN_IF_ERROR(wait_for_state(rest, name, "STOPPED"));
  }
  KPIPE_RETURN_IF_ERROR(rest.call("GET", connector_path(name, "/offsets"), nullptr, &offsets));
  KPIPE_RETURN_IF_ERROR(rest.call("GET", connector_path(name, "/config"), nullptr, &config));
  if (!config.is_object())
    return Status::Runtime("connector '" + name + "': GET config gave no map: " + config.dump());
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& [k, v] : config.items())
    pairs.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());

  ConnectorPipeline converted;
  ConnectorOptions options;
  options.worker_file = cluster.worker_file;
  options.resolve = false;
  KPIPE_RETURN_IF_ERROR(
      connector_config_pipeline(HttpClient::redact(rest.url()) + connector_path(name), name, pairs,
                                options, registry, &converted));
  Pipeline written;
  KPIPE_RETURN_IF_ERROR(parse_pipeline(converted.yaml, output_file, registry, &written, false));
  {
    std::ofstream out(output_file, std::ios::binary | std::ios::trunc);
    out << converted.yaml;
    out.close();
    if (!out) return Status::Runtime("cannot write " + output_file);
  }
  std::vector<std::pair<Json, Json>> updates;
  const ConnectSpec& spec = converted.spec->connect;
  if (offsets.is_object() && offsets.contains("offsets") && offsets["offsets"].is_array())
    for (const auto& e : offsets["offsets"]) {
      Json partition = e.value("partition", Json());
      if (converted.is_source && spec.partition_to_kpipe)
        partition = spec.partition_to_kpipe(written.source.config, partition);
      if (!e.value("offset", Json()).is_null()) updates.emplace_back(partition, e["offset"]);
    }
  std::unique_ptr<OffsetStore> store;
  KPIPE_RETURN_IF_ERROR(
      OffsetStore::open(written.offsets_file, written.name, OffsetStore::Mode::kWrite, &store));
  KPIPE_RETURN_IF_ERROR(store->reset_all());
  if (!updates.empty()) KPIPE_RETURN_IF_ERROR(store->commit(updates));
  spdlog::info("wrote {} and {} offset(s) to {}", output_file, updates.size(),
               written.offsets_file);
  if (delete_after) {
    if (version >= 306)
      KPIPE_RETURN_IF_ERROR(
          rest.call("DELETE", connector_path(name, "/offsets"), nullptr, &answer));
    KPIPE_RETURN_IF_ERROR(rest.call("DELETE", connector_path(name), nullptr, &answer));
    spdlog::info("deleted connector '{}' and its offsets from the cluster", name);
  } else {
    spdlog::info("connector '{}' stays STOPPED in the cluster", name);
  }
  return Status::Ok();
}

}  // namespace kpipe
