// Kafka's config providers, as a worker file configures them (config.providers=a,b;
// config.providers.<alias>.class; config.providers.<alias>.param.<name>): FileConfigProvider
// ${a:/path/file.properties:key}, EnvVarConfigProvider ${a:NAME}, DirectoryConfigProvider
// ${a:/dir:file}. Variables follow ConfigTransformer's grammar ${alias:[path:]key}; one whose
// alias is not configured, or whose provider has no such key, stays as written (Connect's rule).
#pragma once

#include <map>
#include <set>
#include <string>

#include "connect/connect_files.h"
#include "status.h"

namespace kpipe {

class ConfigProviders {
 public:
  // Errors name the worker file, line and key (an unknown class lists the supported ones).
  static Status from_worker(const ConnectProps& worker, ConfigProviders* out);
  // Resolves every value of `props` in place; each key whose value took something from a
  // provider goes into `secret_keys`. Errors name props.path:line: key.
  Status resolve(ConnectProps* props, std::set<std::string>* secret_keys) const;
  bool empty() const { return providers_.empty(); }

 private:
  enum class Kind { kFile, kEnv, kDirectory };
  struct Provider {
    Kind kind;
    std::map<std::string, std::string> params;
  };
  Status lookup(const Provider& p, const std::string& path, const std::string& key,
                std::string* value, bool* found) const;
  std::map<std::string, Provider> providers_;
};

}  // namespace kpipe
