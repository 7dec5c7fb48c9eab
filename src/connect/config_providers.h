// Kafka's config providers, as a worker file configures them: config.providers=a,b, then
// config.providers.<alias>.class and config.providers.<alias>.param.<name>. kpipe has the three
// that ship with Kafka (clients/.../common/config/provider/):
//   FileConfigProvider       ${a:/path/file.properties:key}  a key of a UTF-8 properties file
//   EnvVarConfigProvider     ${a:NAME}                       param allowlist.pattern (default .*)
//   DirectoryConfigProvider  ${a:/dir:file}                  the content of a regular file
// File and Directory take allowed.paths (a comma list of absolute, existing paths; Kafka 3.8).
// A class is named as Connect's plugin loader accepts it: the full name, the simple name, or the
// simple name without "ConfigProvider". Variables follow ConfigTransformer's DEFAULT_PATTERN
// \$\{([^}]*?):(([^}]*?):)?([^}]*?)\} and are not resolved again after replacement. As in Kafka,
// a variable whose alias is not configured, or whose provider has no value for it, stays as
// written.
#pragma once

#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "connect/connect_files.h"
#include "status.h"

namespace kpipe {

// A ${...} left as written, and why (for a warning: never a secret).
struct UnresolvedVariable {
  std::string key;  // the config key whose value holds it
  int line = 0;
  std::string variable;  // as written
  std::string reason;
};

class ConfigProviders {
 public:
  // From the worker's config.providers* keys. Errors name the worker file, line and key: an
  // unknown class (listing kpipe's), allowed.paths that Kafka refuses, a bad allowlist.pattern.
  static Status from_worker(const ConnectProps& worker, ConfigProviders* out);

  // Resolves every value of `props` in place: a connector's keys, or the worker's own (Kafka
  // resolves those too, though it reads plugin.path before, unresolved).
  // `secret_keys` gets every key whose value took something from a provider, so that callers
  // never print it. Variables left as written go to `unresolved`, or, without it, to a warning.
  // Errors (a file that cannot be read, a path for EnvVarConfigProvider) name props.path:line: key.
  Status resolve(ConnectProps* props, std::set<std::string>* secret_keys,
                 std::vector<UnresolvedVariable>* unresolved = nullptr) const;

  bool empty() const { return providers_.empty(); }

 private:
  enum class Kind { kFile, kEnv, kDirectory };
  struct Provider {
    Kind kind = Kind::kFile;
    std::optional<std::vector<std::string>> allowed_paths;  // normalized; none = all
    std::optional<std::regex> allowlist;                    // EnvVar; none = .*
  };
  struct Found {
    bool found = false;
    std::string value;
    std::string reason;  // when not found
  };
  using FileCache = std::map<std::string, ConnectProps>;  // FileConfigProvider files by path
  Status lookup(const Provider& p, const std::string& path, const std::string& key,
                FileCache* files, Found* out) const;

  std::map<std::string, Provider> providers_;
  std::map<std::string, std::string> unloaded_;  // alias -> why it has no provider
};

}  // namespace kpipe
