// connect-standalone's own files, read unchanged and as Kafka reads them: worker and connector
// .properties files (java.util.Properties rules, properties.h) and connector JSON files. Every key
// keeps the line it was written on, so errors name "file:line: key".
#pragma once

#include <string>

#include "properties.h"  // ConnectEntry, ConnectProps, parse_properties, load_properties_file
#include "status.h"

namespace kpipe {

// A worker or connector .properties file as Kafka's Utils.loadProps reads it:
// Properties.load(InputStream), so every byte is one ISO-8859-1 character (a UTF-8 "é" in the
// file becomes "Ã©", as it does in Connect; only \uXXXX escapes give other characters). kpipe
// keeps the text as UTF-8 and logs a warning naming the line when a file holds UTF-8 multi-byte
// sequences, so a file that works in Connect means the same in kpipe.
Status parse_connect_properties(const std::string& bytes, const std::string& path,
                                ConnectProps* out);
Status load_connect_properties_file(const std::string& path, ConnectProps* out);

struct ConnectorFile {
  ConnectProps config;
  std::string name;
  std::string initial_state = "RUNNING";  // RUNNING | PAUSED | STOPPED
  std::string format;                     // "json" | "json-request" | "properties"
};

// connect-standalone's three forms, tried in ConnectStandalone.parseConnectorConfigurationFile's
// order:
//  1. a JSON object of strings, the config itself; it must hold "name" (else Kafka's
//     "Connector configuration at '<path>' is missing the mandatory 'name' configuration");
//  2. a JSON CreateConnectorRequest {"name", "config", "initial_state"}: other members ignored;
//     config.name must equal name ("Connector name configuration in 'config' doesn't match the one
//     specified in 'name' at '<path>'") and is filled in from it when absent; initial_state is
//     RUNNING, PAUSED or STOPPED in any case;
//  3. a .properties file (parse_connect_properties) that must hold "name".
// JSON is read as Kafka's Jackson ObjectMapper reads it: numbers and booleans become their text
// as written ("1.50" stays "1.50"), null becomes "", an object or array value makes the form not
// apply, and nothing after the first JSON value is read. A file that is JSON but none of the
// forms, which Kafka refuses with the misleading missing-'name' message, gets the reason instead.
Status load_connector_file(const std::string& path, ConnectorFile* out);

}  // namespace kpipe
