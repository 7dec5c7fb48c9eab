#include "connect/connect_files.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace kpipe {

namespace {

std::string where(const std::string& path, int line) {
  return path + ":" + std::to_string(line);
}

int line_of(const std::string& text, size_t offset) {
  return 1 +
         static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(offset), '\n'));
}

// The line of `"key"` in JSON text, searching from `from`; 0 when not found.
int json_key_line(const std::string& text, const std::string& key, size_t from) {
  const std::string quoted = nlohmann::json(key).dump();
  size_t at = text.find(quoted, from);
  return at == std::string::npos ? 0 : line_of(text, at);
}

Status read_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Invalid(path + ": cannot read: " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return Status::Ok();
}

std::string missing_name(const std::string& path) {
  return "Connector configuration at '" + path + "' is missing the mandatory 'name' configuration";
}

// A JSON object of scalars as Map<String,String> (Jackson coerces numbers and booleans to text).
bool as_string_map(const nlohmann::json& j, const std::string& text, size_t from,
                   const std::string& path, ConnectProps* out) {
  if (!j.is_object()) return false;
  out->path = path;
  for (const auto& [key, value] : j.items()) {
    std::string v;
    if (value.is_string()) {
      v = value.get<std::string>();
    } else if (value.is_number() || value.is_boolean()) {
      v = value.dump();
    } else if (!value.is_null()) {
      return false;
    }
    out->set(key, v, json_key_line(text, key, from));
  }
  return true;
}

}  // namespace

Status load_connector_file(const std::string& path, ConnectorFile* out) {
  std::string text;
  KPIPE_RETURN_IF_ERROR(read_file(path, &text));
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_discarded() && j.is_object()) {
    ConnectProps map;
    if (as_string_map(j, text, 0, path, &map)) {  // 1: the config map itself
      if (!map.find("name")) return Status::Invalid(missing_name(path));
      out->config = std::move(map);
      out->name = out->config.get("name");
      out->format = "json-config";
      return Status::Ok();
    }
    // 2: {"name", "config", "initial_state"}; other properties are ignored.
    const auto name = j.find("name");
    const auto config = j.find("config");
    if (config != j.end() && config->is_object()) {
      const size_t from = text.find("\"config\"");
      ConnectProps map;
      if (!as_string_map(*config, text, from == std::string::npos ? 0 : from, path, &map))
        return Status::Invalid(path + ": every value of 'config' must be a string");
      const bool has_name = name != j.end() && name->is_string();
      if (!has_name && !map.find("name")) return Status::Invalid(missing_name(path));
      if (has_name && map.find("name") && map.get("name") != name->get<std::string>())
        return Status::Invalid(
            "Connector name configuration in 'config' doesn't match the one specified in "
            "'name' at '" +
            path + "'");
      if (has_name && !map.find("name"))
        map.set("name", name->get<std::string>(), json_key_line(text, "name", 0));
      out->config = std::move(map);
      out->name = out->config.get("name");
      out->format = "json-request";
      if (const auto state = j.find("initial_state"); state != j.end() && !state->is_null()) {
        std::string s = state->is_string() ? state->get<std::string>() : state->dump();
        std::transform(s.begin(), s.end(), s.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        if (s != "RUNNING" && s != "PAUSED" && s != "STOPPED")
          return Status::Invalid(where(path, json_key_line(text, "initial_state", 0)) +
                                 ": initial_state: '" + state->dump() +
                                 "' is not one of RUNNING, PAUSED, STOPPED");
        out->initial_state = s;
      }
      return Status::Ok();
    }
  }
  // 3: a .properties file. A .json file that is no connector JSON says so instead.
  if (text.find_first_not_of(" \t\r\n") != std::string::npos &&
      text[text.find_first_not_of(" \t\r\n")] == '{') {
    if (j.is_discarded()) {
      try {
        const nlohmann::json checked = nlohmann::json::parse(text);
        (void)checked;
      } catch (const nlohmann::json::parse_error& e) {
        return Status::Invalid(path + ": not valid JSON: " + e.what());
      }
    }
    return Status::Invalid(path +
                           ": a JSON connector file is a map of config strings with 'name', "
                           "or {\"name\": .., \"config\": {..}, \"initial_state\": ..}");
  }
  KPIPE_RETURN_IF_ERROR(parse_properties(text, path, &out->config));
  if (!out->config.find("name")) return Status::Invalid(missing_name(path));
  out->name = out->config.get("name");
  out->format = "properties";
  return Status::Ok();
}

}  // namespace kpipe
