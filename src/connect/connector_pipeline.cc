#include "connect/connector_pipeline.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <regex>

#include "connect/config_providers.h"
#include "connect/connect_files.h"
#include "connect/java_offsets.h"
#include "offsets.h"

namespace kpipe {
namespace fs = std::filesystem;

namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Keys Connect's framework reads and kpipe has no use for: {key or prefix ending in '.', why}.
const std::vector<std::pair<std::string, std::string>>& framework_ignored() {
  static const std::vector<std::pair<std::string, std::string>> keys = {
      {"tasks.max", "kpipe runs one task per connector"},
      {"tasks.max.enforce", "kpipe runs one task per connector"},
      {"config.action.reload", "kpipe reads the files at each start"},
      {"header.converter", "kpipe passes headers as bytes"},
      {"header.converter.", "kpipe passes headers as bytes"},
      {"topic.creation.", "the broker's auto.create.topics.enable decides"},
      {"exactly.once.support", "see the README's exactly-once section"},
      {"transaction.boundary", "see the README's exactly-once section"},
      {"transaction.boundary.interval.ms", "see the README's exactly-once section"},
      {"offsets.storage.topic", "kpipe keeps offsets in a file"},
      {"admin.override.", "kpipe creates no topics"},
      {"errors.deadletterqueue.topic.replication.factor", "the broker's default applies"},
      {"internal.", "removed from Connect in 3.0"},
      {"plugin.path", "kpipe's connectors are built in"},
      {"plugin.discovery", "kpipe's connectors are built in"},
      {"listeners", "kpipe serves no REST API here"},
      {"rest.", "kpipe serves no REST API here"},
      {"admin.listeners", "kpipe serves no REST API here"},
      {"access.control.", "kpipe serves no REST API here"},
      {"response.http.headers.config", "kpipe serves no REST API here"},
      {"offset.flush.timeout.ms", "a commit waits for the sink's flush"},
      {"task.shutdown.graceful.timeout.ms", "a stop flushes and commits"},
      {"connector.client.config.override.policy", "every override is allowed (Connect's All)"},
      {"admin.", "kpipe creates no topics"},
      {"metric.reporters", "kpipe has no JMX"},
      {"metrics.", "kpipe has no JMX"},
      {"client.dns.lookup", "librdkafka resolves brokers itself"},
      {"scheduled.rebalance.max.delay.ms", "standalone has no rebalances"},
  };
  return keys;
}

const std::string* ignored_reason(const std::vector<std::pair<std::string, std::string>>& list,
                                  const std::string& key) {
  for (const auto& [k, why] : list)
    if (k == key || (ends_with(k, ".") && starts_with(key, k))) return &why;
  return nullptr;
}

// One line of the pipeline file being written, and where its key came from.
struct Origin {
  std::string file;
  int line = 0;
};

class YamlWriter {
 public:
  void comment(int indent, const std::string& text) { put(indent, "# " + text, {}); }
  void open(int indent, const std::string& key, const Origin& from = {}) {
    put(indent, key + ":", from);
  }
  void entry(int indent, const std::string& key, const std::string& value, const Origin& from,
             const std::string& note = "") {
    put(indent, key + ": " + quote(value) + (note.empty() ? "" : "  # " + note), from);
  }
  void item(int indent) { put(indent, "-", {}); }
  const std::string& text() const { return text_; }
  const Origin& origin(size_t line) const {  // 1-based
    static const Origin none;
    return line >= 1 && line <= origins_.size() ? origins_[line - 1] : none;
  }

 private:
  static std::string quote(const std::string& value) {
    std::string out = "\"";
    for (unsigned char c : value) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20 || c == 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
    return out + "\"";
  }
  void put(int indent, const std::string& line, const Origin& from) {
    text_ += std::string(static_cast<size_t>(indent) * 2, ' ') + line + "\n";
    origins_.push_back(from);
  }
  std::string text_;
  std::vector<Origin> origins_;
};

struct Item {
  std::string key, value;
  Origin from;
  std::string note;
};

// The pipeline before it is written out: blocks of keys in the order they appear.
struct Draft {
  std::vector<std::string> header;
  std::vector<Item> source, sink, converter, errors, offsets;
  struct Transform {
    std::string alias;
    Origin from;
    std::vector<Item> keys;
  };
  std::vector<Transform> transforms, predicates;
  std::vector<std::string> ignored;  // comments: what kpipe does not use, and why
};

std::string env_name(const std::string& connector, const std::string& key) {
  std::string out;
  for (char c : connector + "_" + key)
    out += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_';
  return out;
}

// Connect's provider variables, unresolved, as kpipe's own: ${env:NAME}, ${file:PATH:KEY},
// ${file:DIR/FILE}. A variable of an alias the worker does not configure stays as written.
std::string as_kpipe_variables(const std::string& value,
                               const std::map<std::string, std::string>& provider_class) {
  static const std::regex variable(R"(\$\{([^}]*?):(([^}]*?):)?([^}]*?)\})");
  std::string out;
  auto begin = std::sregex_iterator(value.begin(), value.end(), variable);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    out.append(value, last, static_cast<size_t>(m.position(0)) - last);
    last = static_cast<size_t>(m.position(0) + m.length(0));
    auto cls = provider_class.find(m[1].str());
    std::string simple = cls == provider_class.end() ? "" : cls->second;
    simple = simple.substr(simple.rfind('.') + 1);
    const std::string path = m[3].str(), key = m[4].str();
    if (simple == "EnvVarConfigProvider") {
      out += "${env:" + key + "}";
    } else if (simple == "FileConfigProvider") {
      out += "${file:" + path + ":" + key + "}";
    } else if (simple == "DirectoryConfigProvider") {
      out += "${file:" + (fs::path(path) / key).string() + "}";
    } else {
      out += m[0].str();
    }
  }
  out.append(value, last, std::string::npos);
  return out;
}

struct Builder {
  const Registry& registry;
  const ConnectorOptions& options;
  const ConnectProps* worker = nullptr;  // null: kpipe's defaults
  const ConnectorFile& connector;
  std::set<std::string> secrets;  // connector keys whose value came from a config provider
  std::map<std::string, std::string> provider_class;  // alias -> class (kpipe convert)
  ConnectorPipeline* out;
  Draft draft;

  Origin at(const ConnectProps& props, const ConnectEntry& e) const { return {props.path, e.line}; }

  std::string shown(const ConnectEntry& e) const {
    if (options.resolve) return e.value;
    std::string value = as_kpipe_variables(e.value, provider_class);
    if (looks_secret_key(e.key) && value.find("${") == std::string::npos) return "";
    return value;
  }

  // A connector value for a kpipe key; a literal password in a converted file becomes an
  // environment variable, so that `kpipe convert` never prints it.
  Item item(const ConnectProps& props, const ConnectEntry& e, const std::string& kpipe_key,
            const std::string& note = "") const {
    Item it{kpipe_key, shown(e), at(props, e), note};
    if (!options.resolve && it.value.empty() && looks_secret_key(e.key) && !e.value.empty()) {
      const std::string var = env_name(connector.name, e.key);
      it.value = "${env:" + var + "}";
      it.note = "the connector file holds it in clear: export " + var + " instead";
    }
    return it;
  }

  void ignore(const ConnectProps& props, const ConnectEntry& e, const std::string& why,
              bool framework) {
    draft.ignored.push_back(e.key + " (" + fs::path(props.path).filename().string() + ":" +
                            std::to_string(e.line) + "): " + why);
    if (framework) {
      spdlog::debug("{}:{}: {}: ignored: {}", props.path, e.line, e.key, why);
    } else {
      spdlog::info("{}:{}: {}: ignored: {}", props.path, e.line, e.key, why);
    }
  }

  Status find_class(const std::string& cls, const ConnectEntry& e) {
    std::vector<std::string> supported;
    for (const ConfigSpec* spec : registry.specs()) {
      if (spec->connect.empty()) continue;
      supported.push_back(spec->connect.connector_class);
      if (spec->connect.matches(cls)) {
        out->spec = spec;
        out->is_source = spec->kind == ComponentKind::kSource;
      }
    }
    if (out->spec) return Status::Ok();
    std::string all;
    for (const auto& s : supported) all += "\n  " + s;
    return Status::Invalid(connector.config.path + ":" + std::to_string(e.line) +
                           ": connector.class: kpipe has no connector for '" + cls +
                           "'; the Connect connectors kpipe runs are:" + all);
  }

  Status converter(const std::string& which) {  // "key" | "value"
    const std::string cls_key = which + ".converter";
    const ConnectProps* from = nullptr;
    if (connector.config.find(cls_key)) {
      from = &connector.config;  // Connect: the connector's class, configured by its keys only
    } else if (worker && worker->find(cls_key)) {
      from = worker;
    }
    if (!from) return Status::Ok();
    const ConnectEntry& cls = *from->find(cls_key);
    const auto* entry = registry.converter(cls.value);
    if (!entry) {
      std::string all;
      for (const auto& name : registry.names(ComponentKind::kConverter))
        all += "\n  " + registry.converter(name)->spec.connect_class;
      return Status::Invalid(from->path + ":" + std::to_string(cls.line) + ": " + cls_key +
                             ": kpipe has no converter '" + cls.value + "'; it has:" + all);
    }
    draft.converter.push_back({which, entry->spec.name, at(*from, cls), cls.value});
    for (const auto& e : from->entries) {
      if (!starts_with(e.key, cls_key + ".")) continue;
      const std::string option = e.key.substr(cls_key.size() + 1);
      if (option == "converter.type" || option == "schemas.cache.size") {
        ignore(*from, e, "kpipe needs no converter cache", true);
        continue;
      }
      draft.converter.push_back(item(*from, e, which + "." + option));
    }
    return Status::Ok();
  }

  // transforms=a,b + transforms.a.type=..., and predicates likewise.
  void chain(const ConnectEntry& list, const std::string& prefix,
             std::vector<Draft::Transform>* into) {
    std::string aliases = list.value;
    size_t pos = 0;
    while (pos <= aliases.size()) {
      size_t comma = aliases.find(',', pos);
      std::string alias =
          aliases.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      alias.erase(0, alias.find_first_not_of(" \t"));
      alias.erase(alias.find_last_not_of(" \t") + 1);
      if (!alias.empty()) {
        Draft::Transform t{alias, at(connector.config, list), {}};
        for (const auto& e : connector.config.entries)
          if (starts_with(e.key, prefix + alias + "."))
            t.keys.push_back(
                item(connector.config, e, e.key.substr(prefix.size() + alias.size() + 1)));
        into->push_back(std::move(t));
      }
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }

  bool is_chain_key(const std::string& key) const {
    for (const char* prefix : {"transforms", "predicates"}) {
      if (key == prefix) return true;
      if (starts_with(key, std::string(prefix) + ".")) return true;
    }
    return false;
  }

  // The Connect side of the pipeline: the worker's Kafka.
  void kafka(std::vector<Item>* block) {
    const ConnectEntry* servers = worker ? worker->find("bootstrap.servers") : nullptr;
    if (servers) {
      block->push_back(item(*worker, *servers, "bootstrap.servers"));
    } else {
      block->push_back({"bootstrap.servers", "localhost:9092", {}, "Connect's default"});
    }
    const std::string client = out->is_source ? "producer." : "consumer.";
    if (worker)
      for (const auto& e : worker->entries)
        if (starts_with(e.key, client))
          block->push_back(item(*worker, e, e.key.substr(client.size())));
    const std::string override_prefix = client + "override.";
    for (const auto& e : connector.config.entries)
      if (starts_with(e.key, override_prefix))
        block->push_back(item(connector.config, e, e.key.substr(override_prefix.size())));
  }

  Status connector_keys(std::vector<Item>* block) {
    const ConnectSpec& connect = out->spec->connect;
    block->push_back({"connector", out->spec->name, {}, ""});
    for (const auto& [key, value] : connect.implied)
      block->push_back({key,
                        value,
                        {},
                        "what " +
                            connect.connector_class.substr(connect.connector_class.rfind('.') + 1) +
                            " does"});
    for (const auto& e : connector.config.entries) {
      if (e.key == "name" || e.key == "connector.class" || is_chain_key(e.key) ||
          starts_with(e.key, "errors.") || starts_with(e.key, "key.converter") ||
          starts_with(e.key, "value.converter") || starts_with(e.key, "producer.override.") ||
          starts_with(e.key, "consumer.override.") ||
          (!out->is_source && (e.key == "topics" || e.key == "topics.regex")))
        continue;
      if (const std::string* why = ignored_reason(framework_ignored(), e.key)) {
        ignore(connector.config, e, *why, true);
        continue;
      }
      if (const std::string* why = ignored_reason(connect.ignored, e.key)) {
        ignore(connector.config, e, *why, false);
        continue;
      }
      std::string key = e.key, note;
      for (const auto& [from, to] : connect.renamed)
        if (from == e.key) key = to, note = "Connect's " + from;
      block->push_back(item(connector.config, e, key, note));
    }
    return Status::Ok();
  }

  void errors() {
    bool dead_letter = false;
    for (const auto& e : connector.config.entries) {
      if (!starts_with(e.key, "errors.")) continue;
      if (const std::string* why = ignored_reason(framework_ignored(), e.key)) {
        ignore(connector.config, e, *why, true);
        continue;
      }
      dead_letter = dead_letter || e.key == "errors.deadletterqueue.topic.name";
      draft.errors.push_back(item(connector.config, e, e.key.substr(7)));
    }
    // Connect writes the dead-letter topic to the worker's Kafka; a source connector's Kafka is
    // the sink's already.
    if (dead_letter && !out->is_source) {
      std::vector<Item> kafka_block;
      kafka(&kafka_block);
      Item servers = kafka_block.front();
      servers.key = "deadletterqueue.bootstrap.servers";
      draft.errors.push_back(servers);
    }
  }

  void offsets() {
    if (worker) {
      if (const ConnectEntry* e = worker->find("offset.flush.interval.ms"))
        draft.offsets.push_back(item(*worker, *e, "flush.interval.ms"));
      if (const ConnectEntry* e = worker->find("offset.storage.file.filename")) {
        out->java_offsets_file = e->value;
        std::string safe;
        for (char c : connector.name)
          safe += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'
                      ? c
                      : '_';
        const std::string file = fs::absolute(e->value).string() + ".kpipe-" + safe + ".json";
        draft.offsets.push_back({"file", file, at(*worker, *e), "kpipe's, beside Connect's"});
        return;
      }
    }
    // Without a worker's file: kpipe's default, <name>.offsets.json beside the connector file.
  }

  Status build() {
    const ConnectEntry* cls = connector.config.find("connector.class");
    if (!cls)
      return Status::Invalid(connector.config.path +
                             ": missing required key 'connector.class' (Connect's connector)");
    KPIPE_RETURN_IF_ERROR(find_class(cls->value, *cls));
    std::vector<Item>* own = out->is_source ? &draft.source : &draft.sink;
    std::vector<Item>* kafka_side = out->is_source ? &draft.sink : &draft.source;
    KPIPE_RETURN_IF_ERROR(connector_keys(own));
    kafka_side->push_back({"connector", "kafka", {}, "the worker's Kafka"});
    if (!out->is_source) {
      for (const char* key : {"topics", "topics.regex"})
        if (const ConnectEntry* e = connector.config.find(key))
          kafka_side->push_back(item(connector.config, *e, key));
      kafka_side->push_back({"group.id", "connect-" + connector.name, {}, "Connect's group"});
      kafka_side->push_back({"offsets.from.group", "true", {}, "start where Connect stopped"});
    }
    kafka(kafka_side);
    KPIPE_RETURN_IF_ERROR(converter("key"));
    KPIPE_RETURN_IF_ERROR(converter("value"));
    if (const ConnectEntry* e = connector.config.find("transforms"))
      chain(*e, "transforms.", &draft.transforms);
    if (const ConnectEntry* e = connector.config.find("predicates"))
      chain(*e, "predicates.", &draft.predicates);
    errors();
    offsets();
    if (worker)
      for (const auto& e : worker->entries)
        if (const std::string* why = ignored_reason(framework_ignored(), e.key))
          ignore(*worker, e, *why, true);
    return Status::Ok();
  }
};

void write_block(YamlWriter& w, const std::string& name, const std::vector<Item>& items) {
  if (items.empty()) return;
  w.open(0, name);
  for (const auto& it : items) w.entry(1, it.key, it.value, it.from, it.note);
}

std::string render(const Builder& b, YamlWriter& w) {
  const ConnectorFile& c = b.connector;
  w.comment(0, "Kafka Connect connector '" + c.name + "' (" +
                   c.config.find("connector.class")->value + ") from " + c.config.path +
                   (b.worker ? ", worker " + b.worker->path : ", kpipe's worker defaults"));
  w.comment(0, b.out->is_source
                   ? "A source connector: " + b.out->spec->name + " -> the worker's Kafka"
                   : "A sink connector: the worker's Kafka -> " + b.out->spec->name);
  w.entry(0, "name", c.name,
          {c.config.path, c.config.find("name") ? c.config.find("name")->line : 0});
  write_block(w, "source", b.draft.source);
  if (!b.draft.transforms.empty()) {
    w.open(0, "transforms");
    for (const auto& t : b.draft.transforms) {
      w.item(1);
      w.entry(2, "name", t.alias, t.from);
      for (const auto& it : t.keys) w.entry(2, it.key, it.value, it.from, it.note);
    }
  }
  if (!b.draft.predicates.empty()) {
    w.open(0, "predicates");
    for (const auto& p : b.draft.predicates) {
      w.open(1, "\"" + p.alias + "\"", p.from);
      for (const auto& it : p.keys) w.entry(2, it.key, it.value, it.from, it.note);
    }
  }
  write_block(w, "converter", b.draft.converter);
  write_block(w, "sink", b.draft.sink);
  write_block(w, "errors", b.draft.errors);
  write_block(w, "offsets", b.draft.offsets);
  if (!b.draft.ignored.empty()) {
    w.comment(0, "Connect keys kpipe does not use:");
    for (const auto& line : b.draft.ignored) w.comment(0, "  " + line);
  }
  return w.text();
}

// "<file>:<line>:<column>: msg" about the generated YAML -> the Connect file and line.
Status to_connect_location(const Status& st, const std::string& generated, const YamlWriter& w) {
  const std::string& msg = st.message();
  if (!starts_with(msg, generated + ":")) return st;
  size_t p = generated.size() + 1;
  size_t colon = msg.find(':', p);
  if (colon == std::string::npos) return st;
  const std::string number = msg.substr(p, colon - p);
  if (number.empty() || !std::all_of(number.begin(), number.end(),
                                     [](unsigned char c) { return std::isdigit(c) != 0; }))
    return st;
  size_t rest = msg.find(": ", colon);
  if (rest == std::string::npos) return st;
  const Origin& o = w.origin(static_cast<size_t>(std::stoul(number)));
  std::string where = o.file.empty() ? generated : o.file + ":" + std::to_string(o.line);
  Status mapped = Status::Invalid(where + msg.substr(rest));
  return st.code() == Code::kInvalid ? mapped : st;
}

}  // namespace

bool is_connector_file(const std::string& path) {
  return ends_with(path, ".properties") || ends_with(path, ".json");
}

namespace {

Status connector_pipeline(ConnectorFile connector, const ConnectorOptions& options,
                          const Registry& registry, ConnectorPipeline* out) {
  *out = ConnectorPipeline();
  ConnectProps worker;
  ConfigProviders providers;
  if (!options.worker_file.empty()) {
    KPIPE_RETURN_IF_ERROR(load_connect_properties_file(options.worker_file, &worker));
    KPIPE_RETURN_IF_ERROR(ConfigProviders::from_worker(worker, &providers));
    if (options.resolve) {
      std::set<std::string> worker_secrets;
      KPIPE_RETURN_IF_ERROR(providers.resolve(&worker, &worker_secrets));
    }
  }
  Builder b{registry, options, options.worker_file.empty() ? nullptr : &worker, connector, {}, {},
            out,      {}};
  if (options.resolve) {
    KPIPE_RETURN_IF_ERROR(providers.resolve(&connector.config, &b.secrets));
  } else if (b.worker) {
    if (const ConnectEntry* list = worker.find("config.providers")) {
      std::string aliases = list->value + ",";
      for (size_t pos = 0, comma; (comma = aliases.find(',', pos)) != std::string::npos;
           pos = comma + 1) {
        std::string alias = aliases.substr(pos, comma - pos);
        alias.erase(0, alias.find_first_not_of(" \t"));
        alias.erase(alias.find_last_not_of(" \t") + 1);
        b.provider_class[alias] = worker.get("config.providers." + alias + ".class");
      }
    }
  }
  out->connector_name = connector.name;
  out->connector_file = connector.config.path;
  out->initial_state = connector.initial_state;
  KPIPE_RETURN_IF_ERROR(b.build());
  for (const auto& e : connector.config.entries)
    if (b.secrets.count(e.key)) out->secret_values.insert(e.value);
  YamlWriter w;
  out->yaml = render(b, w);
  Status st =
      parse_pipeline(out->yaml, connector.config.path, registry, &out->pipeline, options.resolve);
  return to_connect_location(st, connector.config.path, w);
}

}  // namespace

Status load_connector_pipeline(const std::string& connector_file, const ConnectorOptions& options,
                               const Registry& registry, ConnectorPipeline* out) {
  ConnectorFile connector;
  KPIPE_RETURN_IF_ERROR(load_connector_file(connector_file, &connector));
  return connector_pipeline(std::move(connector), options, registry, out);
}

Status connector_config_pipeline(const std::string& origin, const std::string& name,
                                 const std::vector<std::pair<std::string, std::string>>& config,
                                 const ConnectorOptions& options, const Registry& registry,
                                 ConnectorPipeline* out) {
  ConnectorFile connector;
  connector.name = name;
  connector.config.path = origin;
  for (const auto& [key, value] : config) connector.config.set(key, value);
  if (!connector.config.find("name")) connector.config.set("name", name);
  return connector_pipeline(std::move(connector), options, registry, out);
}

Status import_connect_offsets(const ConnectorPipeline& connector) {
  if (connector.java_offsets_file.empty() || !connector.is_source) return Status::Ok();
  const Pipeline& p = connector.pipeline;
  std::unique_ptr<OffsetStore> store;
  KPIPE_RETURN_IF_ERROR(
      OffsetStore::open(p.offsets_file, p.name, OffsetStore::Mode::kWrite, &store));
  if (store->size() > 0) {
    spdlog::info("connector '{}': offsets from {} (Connect's file {} is not read again)", p.name,
                 p.offsets_file, connector.java_offsets_file);
    return Status::Ok();
  }
  JavaOffsetsFile java;
  KPIPE_RETURN_IF_ERROR(read_java_offsets(connector.java_offsets_file, &java));
  std::vector<std::pair<Json, Json>> updates;
  const ConnectSpec& spec = connector.spec->connect;
  for (auto& [partition, offset] : connector_offsets(java, connector.connector_name))
    updates.emplace_back(
        spec.partition_to_kpipe ? spec.partition_to_kpipe(p.source.config, partition) : partition,
        offset);
  spdlog::info("connector '{}': keeping offsets in {}{}", p.name, p.offsets_file,
               updates.empty() ? ""
                               : "; " + std::to_string(updates.size()) + " taken from Connect's " +
                                     connector.java_offsets_file);
  if (updates.empty()) return Status::Ok();
  return store->commit(updates);
}

}  // namespace kpipe
