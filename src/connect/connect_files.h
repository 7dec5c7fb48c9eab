// connect-standalone's connector files (JSON or Java .properties, properties.h), read as Connect
// reads them. Every key keeps the line it was written on, so errors name "file:line: key".
#pragma once

#include <string>
#include <vector>

#include "properties.h"
#include "status.h"

namespace kpipe {

struct ConnectorFile {
  ConnectProps config;
  std::string name;
  std::string initial_state = "RUNNING";  // RUNNING | PAUSED | STOPPED
  std::string format;                     // "json-config" | "json-request" | "properties"
};

// connect-standalone's three forms, tried in ConnectStandalone.parseConnectorConfigurationFile's
// order: a JSON map of the config (must hold "name"), a JSON CreateConnectorRequest
// {"name","config","initial_state"}, a .properties file (must hold "name"). JSON scalars that are
// not strings are taken as their text, as Jackson coerces them into Map<String,String>.
Status load_connector_file(const std::string& path, ConnectorFile* out);

}  // namespace kpipe
