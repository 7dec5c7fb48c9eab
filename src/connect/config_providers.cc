#include "connect/config_providers.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace kpipe {
namespace fs = std::filesystem;

namespace {

constexpr const char* kPackage = "org.apache.kafka.common.config.provider.";

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// allowed.paths (Kafka 3.8+): a path outside every allowed folder is not read.
bool allowed(const std::map<std::string, std::string>& params, const std::string& path) {
  auto it = params.find("allowed.paths");
  if (it == params.end()) return true;
  const fs::path normal = fs::path(path).lexically_normal();
  for (const auto& root : split_list(it->second)) {
    const std::string r = fs::path(root).lexically_normal().string();
    const std::string p = normal.string();
    if (p == r || p.rfind(r.back() == '/' ? r : r + "/", 0) == 0) return true;
  }
  return false;
}

}  // namespace

Status ConfigProviders::from_worker(const ConnectProps& worker, ConfigProviders* out) {
  const ConnectEntry* list = worker.find("config.providers");
  if (!list) return Status::Ok();
  for (const std::string& alias : split_list(list->value)) {
    const std::string prefix = "config.providers." + alias + ".";
    const ConnectEntry* cls = worker.find(prefix + "class");
    if (!cls)
      return Status::Invalid(worker.path + ":" + std::to_string(list->line) +
                             ": config.providers: provider '" + alias + "' has no " + prefix +
                             "class");
    const std::string simple = cls->value.substr(cls->value.rfind('.') + 1);
    Provider p;
    if (simple == "FileConfigProvider") {
      p.kind = Kind::kFile;
    } else if (simple == "EnvVarConfigProvider") {
      p.kind = Kind::kEnv;
    } else if (simple == "DirectoryConfigProvider") {
      p.kind = Kind::kDirectory;
    } else {
      return Status::Invalid(worker.path + ":" + std::to_string(cls->line) + ": " + prefix +
                             "class: kpipe has no config provider '" + cls->value + "'; it has " +
                             kPackage + "FileConfigProvider, " + kPackage +
                             "EnvVarConfigProvider, " + kPackage + "DirectoryConfigProvider");
    }
    for (const auto& e : worker.entries)
      if (e.key.rfind(prefix + "param.", 0) == 0)
        p.params[e.key.substr(prefix.size() + 6)] = e.value;
    out->providers_[alias] = std::move(p);
  }
  return Status::Ok();
}

Status ConfigProviders::lookup(const Provider& p, const std::string& path, const std::string& key,
                               std::string* value, bool* found) const {
  *found = false;
  if (p.kind == Kind::kEnv) {
    if (!path.empty())
      return Status::Invalid("Path is not supported for EnvVarConfigProvider, invalid value '" +
                             path + "'");
    auto pattern = p.params.find("allowlist.pattern");
    if (pattern != p.params.end() && !std::regex_match(key, std::regex(pattern->second)))
      return Status::Ok();
    const char* v = std::getenv(key.c_str());
    if (v) *value = v, *found = true;
    return Status::Ok();
  }
  if (path.empty()) return Status::Ok();
  if (!allowed(p.params, path)) {
    spdlog::warn("config provider: '{}' is outside allowed.paths: not read", path);
    return Status::Ok();
  }
  if (p.kind == Kind::kFile) {
    ConnectProps props;
    Status st = load_properties_file(path, &props);
    if (!st.ok()) return Status::Invalid("Could not read properties from file " + path);
    if (const ConnectEntry* e = props.find(key)) *value = e->value, *found = true;
    return Status::Ok();
  }
  const fs::path file = fs::path(path) / key;
  struct stat st {};
  if (key.find('/') != std::string::npos || ::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return Status::Ok();
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::Invalid("Could not read " + file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  *value = ss.str();
  *found = true;
  return Status::Ok();
}

Status ConfigProviders::resolve(ConnectProps* props, std::set<std::string>* secret_keys) const {
  if (providers_.empty()) return Status::Ok();
  static const std::regex variable(R"(\$\{([^}]*?):(([^}]*?):)?([^}]*?)\})");
  for (auto& e : props->entries) {
    std::string out;
    size_t last = 0;
    bool used = false;
    for (auto it = std::sregex_iterator(e.value.begin(), e.value.end(), variable);
         it != std::sregex_iterator(); ++it) {
      const std::smatch& m = *it;
      out.append(e.value, last, static_cast<size_t>(m.position(0)) - last);
      last = static_cast<size_t>(m.position(0) + m.length(0));
      auto provider = providers_.find(m[1].str());
      std::string value;
      bool found = false;
      if (provider != providers_.end()) {
        Status st = lookup(provider->second, m[3].str(), m[4].str(), &value, &found);
        if (!st.ok())
          return Status::Invalid(props->path + ":" + std::to_string(e.line) + ": " + e.key + ": " +
                                 st.message());
      }
      if (found) {
        out += value;
        used = true;
      } else {
        if (provider != providers_.end())
          spdlog::warn("{}:{}: {}: config provider '{}' has no value for it: kept as written",
                       props->path, e.line, e.key, m[1].str());
        out += m[0].str();
      }
    }
    if (!used) continue;
    out.append(e.value, last, std::string::npos);
    e.value = std::move(out);
    secret_keys->insert(e.key);
  }
  return Status::Ok();
}

}  // namespace kpipe
