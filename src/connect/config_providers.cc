#include "connect/config_providers.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace kpipe {
namespace fs = std::filesystem;

namespace {

constexpr const char* kPackage = "org.apache.kafka.common.config.provider.";

std::string where(const ConnectProps& props, const ConnectEntry& e) {
  return props.path + ":" + std::to_string(e.line) + ": " + e.key;
}

// ConfigDef's LIST type, as Worker reads config.providers: trimmed, split on \s*,\s*.
std::vector<std::string> config_list(const std::string& text) {
  static const char* kSpace = " \t\n\v\f\r";
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item.erase(0, item.find_first_not_of(kSpace));
    item.erase(item.find_last_not_of(kSpace) + 1);
    out.push_back(item);
  }
  return out;
}

// String.split(","): trailing empty strings dropped, nothing trimmed (AllowedPaths).
std::vector<std::string> java_split(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t comma; (comma = text.find(',', start)) != std::string::npos; start = comma + 1)
    out.push_back(text.substr(start, comma - start));
  out.push_back(text.substr(start));
  while (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

// A java.nio.file.Path on Unix: Paths.get (repeated and trailing '/' dropped), normalize()
// (lexical: "." dropped, ".." takes the name before it), startsWith (whole names).
struct JavaPath {
  bool absolute = false;
  std::vector<std::string> names;

  explicit JavaPath(const std::string& s, bool normalize) : absolute(!s.empty() && s[0] == '/') {
    std::stringstream ss(s);
    std::string name;
    while (std::getline(ss, name, '/')) {
      if (name.empty()) continue;
      if (normalize && name == ".") continue;
      if (normalize && name == ".." && !names.empty() && names.back() != "..") {
        names.pop_back();
      } else if (!(normalize && name == ".." && absolute)) {
        names.push_back(name);
      }
    }
  }
  std::string str() const {
    std::string out = absolute ? "/" : "";
    for (size_t i = 0; i < names.size(); ++i) out += (i ? "/" : "") + names[i];
    return out;
  }
  bool starts_with(const JavaPath& other) const {
    return absolute == other.absolute && other.names.size() <= names.size() &&
           std::equal(other.names.begin(), other.names.end(), names.begin());
  }
};

// new String(bytes, UTF_8): each maximal ill-formed subsequence becomes U+FFFD.
std::string java_utf8(const std::string& in, bool* replaced) {
  std::string out;
  *replaced = false;
  for (size_t i = 0; i < in.size();) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(in[i + k]); };
    const unsigned char lead = byte(0);
    if (lead < 0x80) {
      out += in[i++];
      continue;
    }
    const size_t n = lead >= 0xC2 && lead <= 0xDF   ? 2
                     : lead >= 0xE0 && lead <= 0xEF ? 3
                     : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                    : 0;
    size_t k = n ? 1 : 0;
    for (; k > 0 && k < n && i + k < in.size(); ++k) {
      const unsigned char b = byte(k);
      const unsigned char lo = k > 1 ? 0x80 : lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
      const unsigned char hi = k > 1 ? 0xBF : lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
      if (b < lo || b > hi) break;
    }
    if (n && k == n) {
      out.append(in, i, n);
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      *replaced = true;
      i += k ? k : 1;
    }
  }
  return out;
}

// One ${alias:[path:]key}, found as ConfigTransformer's DEFAULT_PATTERN finds it.
struct Variable {
  size_t begin = 0, end = 0;  // [begin, end) in the value
  std::string alias, path, key;
};

// \$\{([^}]*?):(([^}]*?):)?([^}]*?)\} from `from` on: after "${", the alias runs to the first
// ':' and the variable to the first '}' after it; a second ':' before that '}' ends the path.
bool find_variable(const std::string& s, size_t from, Variable* v) {
  for (size_t i = s.find("${", from); i != std::string::npos; i = s.find("${", i + 1)) {
    const size_t close = s.find('}', i + 2);
    if (close == std::string::npos) return false;
    const size_t colon = s.find(':', i + 2);
    if (colon == std::string::npos || colon > close) continue;
    const size_t second = s.find(':', colon + 1);
    v->begin = i;
    v->end = close + 1;
    v->alias = s.substr(i + 2, colon - i - 2);
    v->path = second < close ? s.substr(colon + 1, second - colon - 1) : "";
    const size_t key = second < close ? second + 1 : colon + 1;
    v->key = s.substr(key, close - key);
    return true;
  }
  return false;
}

Status read_bytes(const std::string& path, std::string* out) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::Invalid("a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Invalid("cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad() || (in.fail() && !in.eof())) return Status::Invalid("cannot read");
  *out = ss.str();
  return Status::Ok();
}

}  // namespace

Status ConfigProviders::from_worker(const ConnectProps& worker, ConfigProviders* out) {
  static const std::pair<const char*, Kind> kClasses[] = {
      {"FileConfigProvider", Kind::kFile},
      {"EnvVarConfigProvider", Kind::kEnv},
      {"DirectoryConfigProvider", Kind::kDirectory}};
  *out = ConfigProviders();
  const ConnectEntry* list = worker.find("config.providers");
  if (!list) return Status::Ok();
  for (const std::string& alias : config_list(list->value)) {
    if (alias.empty()) continue;
    const std::string prefix = "config.providers." + alias + ".";
    const ConnectEntry* cls = worker.find(prefix + "class");
    if (!cls) {  // Kafka skips it, and its variables stay as written.
      out->unloaded_[alias] = "config.providers lists '" + alias + "' but " + prefix +
                              "class is not set (" + worker.path + ")";
      spdlog::warn("{}:{}: config.providers: '{}' has no {}class: its variables stay as written",
                   worker.path, list->line, alias, prefix);
      continue;
    }
    Provider p;
    std::string known;
    bool found = false;
    for (const auto& [simple, kind] : kClasses) {
      const std::string name = simple;
      const std::string pruned = name.substr(0, name.size() - std::strlen("ConfigProvider"));
      if (cls->value == kPackage + name || cls->value == name || cls->value == pruned) {
        p.kind = kind;
        found = true;
      }
      known += (known.empty() ? "" : ", ") + (kPackage + name);
    }
    if (!found)  // AbstractConfig.instantiateConfigProviders' message, then kpipe's list
      return Status::Invalid(worker.path + ":" + std::to_string(cls->line) + ": Invalid value " +
                             cls->value + " for configuration " + cls->key +
                             ": Could not load config provider class or one of its dependencies;"
                             " kpipe has " +
                             known + " (or their simple names)");
    const std::string params = prefix + "param.";
    for (const ConnectEntry& e : worker.entries) {
      if (e.key.size() <= params.size() || e.key.compare(0, params.size(), params) != 0) continue;
      const std::string param = e.key.substr(params.size());
      if (param == "allowed.paths" && p.kind != Kind::kEnv && !e.value.empty()) {
        p.allowed_paths.emplace();
        for (const std::string& item : java_split(e.value)) {  // AllowedPaths
          const JavaPath allowed(item, true);
          if (!allowed.absolute)
            return Status::Invalid(where(worker, e) + ": Path " + allowed.str() +
                                   " is not absolute");
          std::error_code ec;
          if (!fs::exists(allowed.str(), ec))
            return Status::Invalid(where(worker, e) + ": Path " + allowed.str() +
                                   " does not exist");
          p.allowed_paths->push_back(allowed.str());
        }
      } else if (param == "allowlist.pattern" && p.kind == Kind::kEnv) {
        try {
          p.allowlist.emplace(e.value);
        } catch (const std::regex_error& err) {
          return Status::Invalid(where(worker, e) + ": invalid regular expression '" + e.value +
                                 "': " + err.what());
        }
      }
    }
    out->providers_[alias] = std::move(p);
  }
  return Status::Ok();
}

Status ConfigProviders::lookup(const Provider& p, const std::string& path, const std::string& key,
                               FileCache* files, Found* out) const {
  if (p.kind == Kind::kEnv) {  // EnvVarConfigProvider.get
    if (!path.empty())
      return Status::Invalid("Path is not supported for EnvVarConfigProvider, invalid value '" +
                             path + "'");
    const char* value = std::getenv(key.c_str());
    if (p.allowlist && !std::regex_match(key, *p.allowlist)) {
      out->reason = "'" + key + "' does not match the provider's allowlist.pattern";
    } else if (!value) {
      out->reason = "environment variable '" + key + "' is not set";
    } else {
      out->found = true;
      out->value = value;
    }
    return Status::Ok();
  }
  if (path.empty()) {
    out->reason = "this provider needs a path: ${alias:PATH:KEY}";
    return Status::Ok();
  }
  std::string target = path;  // AllowedPaths.parseUntrustedPath
  if (p.allowed_paths) {
    const JavaPath normal(path, true);
    bool allowed = false;
    for (const std::string& root : *p.allowed_paths)
      allowed = allowed || normal.starts_with(JavaPath(root, false));
    if (!allowed) {
      out->reason = "The path " + path + " is not allowed to be accessed (allowed.paths)";
      return Status::Ok();
    }
    target = normal.str();
  }
  if (p.kind == Kind::kFile) {  // FileConfigProvider.get: a UTF-8 properties file
    auto cached = files->find(target);
    if (cached == files->end()) {
      // Its UTF-8 Reader fails on malformed input, an IOException like a missing file.
      std::string bytes;
      bool malformed = !read_bytes(target, &bytes).ok();
      if (!malformed) java_utf8(bytes, &malformed);
      if (malformed) return Status::Invalid("Could not read properties from file " + path);
      ConnectProps props;
      KPIPE_RETURN_IF_ERROR(parse_properties(bytes, target, &props));
      cached = files->emplace(target, std::move(props)).first;
    }
    if (const ConnectEntry* e = cached->second.find(key)) {
      out->found = true;
      out->value = e->value;
    } else {
      out->reason = path + " has no key '" + key + "'";
    }
    return Status::Ok();
  }
  const std::string dir = JavaPath(target, false).str();  // DirectoryConfigProvider.get
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    out->reason = "The path " + dir + " is not a directory";
    return Status::Ok();
  }
  fs::directory_iterator listing(dir, ec);
  if (ec) return Status::Invalid("Could not list directory " + dir);
  const std::string file = (dir == "/" ? dir : dir + "/") + key;
  struct stat st {};
  if (key.empty() || key == "." || key == ".." || key.find('/') != std::string::npos ||
      ::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    out->reason = "no regular file '" + key + "' in " + dir;
    return Status::Ok();
  }
  std::string bytes;
  if (!read_bytes(file, &bytes).ok())
    return Status::Invalid("Could not read file " + file + " for property " + key);
  bool replaced = false;
  out->value = java_utf8(bytes, &replaced);
  out->found = true;
  return Status::Ok();
}

Status ConfigProviders::resolve(ConnectProps* props, std::set<std::string>* secret_keys,
                                std::vector<UnresolvedVariable>* unresolved) const {
  FileCache files;
  std::vector<ConnectEntry> resolved = props->entries;
  std::vector<UnresolvedVariable> left;
  std::set<std::string> secrets;
  for (ConnectEntry& e : resolved) {
    std::string value;
    size_t last = 0;
    bool used = false;
    Variable v;
    for (; find_variable(e.value, last, &v); last = v.end) {
      value.append(e.value, last, v.begin - last);
      const std::string written = e.value.substr(v.begin, v.end - v.begin);
      Found found;
      auto p = providers_.find(v.alias);
      if (p != providers_.end()) {
        Status st = lookup(p->second, v.path, v.key, &files, &found);
        if (!st.ok()) return Status::Invalid(where(*props, e) + ": " + st.message());
      } else if (auto why = unloaded_.find(v.alias); why != unloaded_.end()) {
        found.reason = why->second;
      } else {
        found.reason = "no config provider '" + v.alias + "' in the worker's config.providers";
      }
      value += found.found ? found.value : written;
      used = used || found.found;
      if (!found.found) left.push_back({e.key, e.line, written, found.reason});
    }
    if (!used) continue;
    e.value = value + e.value.substr(last);
    secrets.insert(e.key);
  }
  props->entries = std::move(resolved);
  secret_keys->insert(secrets.begin(), secrets.end());
  for (const UnresolvedVariable& u : left) {
    if (unresolved) {
      unresolved->push_back(u);
    } else {
      spdlog::warn("{}:{}: {}: {} stays as written: {}", props->path, u.line, u.key, u.variable,
                   u.reason);
    }
  }
  return Status::Ok();
}

}  // namespace kpipe
