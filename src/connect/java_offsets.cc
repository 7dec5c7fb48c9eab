#include "connect/java_offsets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "atomic_file.h"
#include "java_hash_order.h"
#include "json_converter.h"

namespace kpipe {

namespace {

// Jackson's default maximum nesting (StreamReadConstraints): deeper keys fail in Connect too.
constexpr int kMaxJsonDepth = 1000;
// Jackson's string escaping, over the UTF-16 code units Java holds (see java_offsets.h).
void append_string(std::string* out, std::string_view utf8) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  *out += '"';
  for (char16_t c : java_utf16(utf8)) {
    const char* escape = c == '"'    ? "\\\""
                         : c == '\\' ? "\\\\"
                         : c == '\b' ? "\\b"
                         : c == '\f' ? "\\f"
                         : c == '\n' ? "\\n"
                         : c == '\r' ? "\\r"
                         : c == '\t' ? "\\t"
                                     : nullptr;
    if (escape) {
      *out += escape;
    } else if (c < 0x20 || (c >= 0xD800 && c <= 0xDFFF)) {
      *out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) *out += kHex[(c >> shift) & 0xF];
    } else if (c < 0x80) {
      *out += static_cast<char>(c);
    } else if (c < 0x800) {
      *out += static_cast<char>(0xC0 | (c >> 6));
      *out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      *out += static_cast<char>(0xE0 | (c >> 12));
      *out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  *out += '"';
}

void append_json(std::string* out, const Json& v) {
  switch (v.type()) {
    case Json::value_t::boolean:
      *out += v.get<bool>() ? "true" : "false";
      return;
    case Json::value_t::number_integer:
      *out += std::to_string(v.get<int64_t>());
      return;
    case Json::value_t::number_unsigned:
      *out += std::to_string(v.get<uint64_t>());
      return;
    case Json::value_t::number_float: {
      const double d = v.get<double>();
      // Jackson quotes NaN and the infinities (WRITE_NAN_AS_STRINGS).
      if (std::isfinite(d)) {
        *out += java_double_to_string(d);
      } else {
        append_string(out, java_double_to_string(d));
      }
      return;
    }
    case Json::value_t::string:
      append_string(out, v.get_ref<const Json::string_t&>());
      return;
    case Json::value_t::binary:  // JsonConverter writes bytes as base64
      append_string(out, base64_encode(std::string(v.get_binary().begin(), v.get_binary().end())));
      return;
    case Json::value_t::array: {
      *out += '[';
      for (size_t i = 0; i < v.size(); ++i) {
        if (i > 0) *out += ',';
        append_json(out, v[i]);
      }
      *out += ']';
      return;
    }
    case Json::value_t::object: {
      std::vector<std::string> keys;
      for (const auto& item : v.items()) keys.push_back(item.key());
      *out += '{';
      bool first = true;
      for (const std::string& key : java_hashmap_order(keys)) {
        if (!first) *out += ',';
        first = false;
        append_string(out, key);
        *out += ':';
        append_json(out, v.at(key));
      }
      *out += '}';
      return;
    }
    default:
      *out += "null";
  }
}

// JSON text as JsonConverter would accept it, or a discarded Json.
Json parse_json(const std::string& text) {
  bool too_deep = false;
  Json parsed = Json::parse(
      text,
      [&](int depth, Json::parse_event_t event, Json&) {
        if ((event == Json::parse_event_t::object_start ||
             event == Json::parse_event_t::array_start) &&
            depth >= kMaxJsonDepth)
          too_deep = true;
        return !too_deep;
      },
      false);
  return too_deep ? Json(Json::value_t::discarded) : parsed;
}

// The connector and partition of a key ["connector", {partition}].
bool parse_key(const std::string& key, std::string* connector, Json* partition) {
  Json k = parse_json(key);
  if (!k.is_array() || k.size() != 2 || !k[0].is_string() || !k[1].is_object()) return false;
  *connector = k[0].get<std::string>();
  *partition = std::move(k[1]);
  return true;
}

// Every connector's (partition, offset) list, connectors in order of their first entry.
std::vector<std::pair<std::string, std::vector<std::pair<Json, Json>>>> group_offsets(
    const JavaOffsetsFile& file, const std::string* only) {
  std::vector<std::pair<std::string, std::vector<std::pair<Json, Json>>>> groups;
  for (const auto& [key, value] : file.entries) {
    std::string connector;
    Json partition;
    if (!parse_key(key, &connector, &partition) || (only && connector != *only)) continue;
    Json offset = value ? parse_json(*value) : Json();
    if (value && !offset.is_object()) continue;
    auto group = groups.begin();
    while (group != groups.end() && group->first != connector) ++group;
    if (group == groups.end()) {
      if (!value) continue;
      group = groups.insert(groups.end(), {connector, {}});
    }
    auto& list = group->second;
    auto same = list.begin();
    while (same != list.end() && same->first != partition) ++same;
    if (!value) {
      if (same != list.end()) list.erase(same);
    } else if (same != list.end()) {
      same->second = std::move(offset);
    } else {
      list.emplace_back(std::move(partition), std::move(offset));
    }
  }
  return groups;
}

// HashMap.resize() until the table holds `size` entries; a map that was empty starts as Connect's
// `new HashMap<>()` does on its first put.
void grow(JavaOffsetsFile* file, size_t old_size) {
  constexpr int64_t kMaxCapacity = int64_t{1} << 30;
  constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
  const auto size = static_cast<int64_t>(file->entries.size());
  if (size == static_cast<int64_t>(old_size)) return;
  const double load_factor = file->load_factor;
  int64_t capacity = file->capacity, threshold = file->threshold;
  if (old_size == 0 || capacity <= 0) capacity = 16, threshold = 12;
  while (size > threshold) {
    if (capacity >= kMaxCapacity) {
      threshold = kIntMax;
      break;
    }
    const int64_t doubled = capacity * 2;
    if (doubled < kMaxCapacity && capacity >= 16) {
      threshold *= 2;
    } else {
      const double ft = static_cast<double>(doubled) * load_factor;
      threshold = doubled < kMaxCapacity && ft < kMaxCapacity ? static_cast<int64_t>(ft) : kIntMax;
    }
    capacity = doubled;
  }
  file->capacity = static_cast<int32_t>(capacity);
  file->threshold = static_cast<int32_t>(std::min(threshold, kIntMax));
}

}  // namespace

Status read_java_offsets(const std::string& path, JavaOffsetsFile* out) {
  *out = JavaOffsetsFile();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Ok();  // no offsets yet
    return Status::Runtime("cannot read Connect offsets file " + path + ": " +
                           std::strerror(errno));
  }
  std::string bytes;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      return Status::Runtime("cannot read Connect offsets file " + path + ": " + std::strerror(e));
    }
    bytes.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (bytes.empty()) return Status::Ok();
  return parse_java_offsets(bytes, path, out);
}

Status write_java_offsets(const std::string& path, const JavaOffsetsFile& file) {
  return write_file_atomically(path, serialize_java_offsets(file));
}

std::vector<std::pair<Json, Json>> connector_offsets(const JavaOffsetsFile& file,
                                                     const std::string& connector) {
  auto groups = group_offsets(file, &connector);
  if (groups.empty()) return {};
  return std::move(groups.front().second);
}

std::vector<std::string> connector_names(const JavaOffsetsFile& file) {
  std::vector<std::string> names;
  for (auto& [name, offsets] : group_offsets(file, nullptr))
    if (!offsets.empty()) names.push_back(name);
  return names;
}

void put_connector_offsets(JavaOffsetsFile* file, const std::string& connector,
                           const std::vector<std::pair<Json, std::optional<Json>>>& offsets) {
  const size_t old_size = file->entries.size();
  std::vector<std::pair<size_t, Json>> mine;  // entry index, partition
  for (size_t i = 0; i < file->entries.size(); ++i) {
    std::string name;
    Json partition;
    if (parse_key(file->entries[i].first, &name, &partition) && name == connector)
      mine.emplace_back(i, std::move(partition));
  }
  for (const auto& [partition, offset] : offsets) {
    bool found = false;
    for (const auto& [index, existing] : mine) {
      if (existing != partition) continue;
      found = true;
      auto& value = file->entries[index].second;
      if (!offset) {
        value.reset();
      } else if (!value || parse_json(*value) != *offset) {
        value = connect_offset_value(*offset);
      }
    }
    if (found || !offset) continue;
    mine.emplace_back(file->entries.size(), partition);
    file->entries.emplace_back(connect_offset_key(connector, partition),
                               connect_offset_value(*offset));
  }
  grow(file, old_size);
}

std::string connect_offset_key(const std::string& connector, const Json& partition) {
  std::string out = "[";
  append_string(&out, connector);
  out += ',';
  append_json(&out, partition);
  out += ']';
  return out;
}

std::string connect_offset_value(const Json& offset) {
  std::string out;
  append_json(&out, offset);
  return out;
}

}  // namespace kpipe
