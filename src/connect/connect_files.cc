#include "connect/connect_files.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace kpipe {

namespace {

Status read_bytes(const std::string& path, std::string* out) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return Status::Invalid(path + ": cannot read: " + std::strerror(EISDIR));
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Invalid(path + ": cannot read: " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::Invalid(path + ": cannot read: " + std::strerror(errno));
  *out = ss.str();
  return Status::Ok();
}

// The length of the valid UTF-8 multi-byte sequence at s[i], or 0.
size_t utf8_sequence(const std::string& s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char lead = b(0);
  size_t n = lead >= 0xC2 && lead <= 0xDF   ? 2
             : lead >= 0xE0 && lead <= 0xEF ? 3
             : lead >= 0xF0 && lead <= 0xF4 ? 4
                                            : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((b(k) & 0xC0) != 0x80) return 0;
  if ((lead == 0xE0 && b(1) < 0xA0) || (lead == 0xED && b(1) > 0x9F) ||
      (lead == 0xF0 && b(1) < 0x90) || (lead == 0xF4 && b(1) > 0x8F))
    return 0;
  return n;
}

void append_utf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The JSON of a connector file, as Jackson sees it.
struct JsonMember;
struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  std::string text;                 // a string's characters; a number or boolean as written
  std::vector<JsonMember> members;  // an object's, in file order, repeated keys included
};
struct JsonMember {
  std::string key;
  int line = 0;
  JsonValue value;
};

// Strict JSON (Jackson's defaults: no comments, no trailing commas, no leading zeros, no NaN),
// nesting up to Jackson's 1000 levels. Like ObjectMapper.readValue, it reads the first value
// only.
class JsonReader {
 public:
  explicit JsonReader(const std::string& text) : text_(text) {}

  bool read(JsonValue* out) {
    if (text_.compare(0, 3, "\xEF\xBB\xBF") == 0) pos_ = 3;
    skip_space();
    if (pos_ == text_.size()) return fail("no content");
    return value(out, 0);
  }
  const std::string& error() const { return error_; }

 private:
  bool fail(const std::string& what) {
    if (error_.empty()) error_ = "line " + std::to_string(line_) + ": " + what;
    return false;
  }
  bool at(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  bool digit() const { return pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9'; }
  void skip_space() {
    for (; pos_ < text_.size(); ++pos_) {
      const char c = text_[pos_];
      if (c == '\n') {
        if (pos_ == 0 || text_[pos_ - 1] != '\r') ++line_;
      } else if (c == '\r') {
        ++line_;
      } else if (c != ' ' && c != '\t') {
        return;
      }
    }
  }

  bool value(JsonValue* out, int depth) {
    if (pos_ >= text_.size()) return fail("unexpected end of input");
    const char c = text_[pos_];
    if (c == '{' || c == '[') {
      if (depth >= 1000) return fail("nesting depth exceeds 1000");
      return c == '{' ? object(out, depth) : array(out, depth);
    }
    if (c == '"') {
      out->kind = JsonValue::Kind::kString;
      return string(&out->text);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      out->kind = JsonValue::Kind::kNumber;
      return number(&out->text);
    }
    for (const char* word : {"true", "false", "null"}) {
      if (text_.compare(pos_, std::strlen(word), word) == 0) {
        out->kind = word[0] == 'n' ? JsonValue::Kind::kNull : JsonValue::Kind::kBool;
        out->text = word[0] == 'n' ? "" : word;
        pos_ += std::strlen(word);
        return true;
      }
    }
    return fail(std::string("unexpected character '") + c + "'");
  }

  bool object(JsonValue* out, int depth) {
    out->kind = JsonValue::Kind::kObject;
    ++pos_;
    skip_space();
    if (at('}')) return ++pos_, true;
    while (true) {
      if (!at('"')) return fail("expected a member name in double quotes");
      JsonMember m;
      m.line = line_;
      if (!string(&m.key)) return false;
      skip_space();
      if (!at(':')) return fail("expected ':' after \"" + m.key + "\"");
      ++pos_;
      skip_space();
      if (!value(&m.value, depth + 1)) return false;
      out->members.push_back(std::move(m));
      skip_space();
      if (at('}')) return ++pos_, true;
      if (!at(',')) return fail("expected ',' or '}'");
      ++pos_;
      skip_space();
    }
  }

  bool array(JsonValue* out, int depth) {
    out->kind = JsonValue::Kind::kArray;
    ++pos_;
    skip_space();
    if (at(']')) return ++pos_, true;
    while (true) {
      JsonValue item;
      if (!value(&item, depth + 1)) return false;
      skip_space();
      if (at(']')) return ++pos_, true;
      if (!at(',')) return fail("expected ',' or ']'");
      ++pos_;
      skip_space();
    }
  }

  // A string as Jackson's UTF-8 parser reads it into a Java String: escapes \" \\ \/ \b \f \n \r
  // \t \uXXXX; multi-byte sequences checked for their continuation bytes only (so overlong and
  // CESU-8 surrogate forms pass); surrogate pairs joined, a lone one '?' as Java encodes it.
  bool string(std::string* out) {
    std::vector<uint32_t> units;  // UTF-16, as in a Java String
    for (++pos_;;) {
      if (pos_ >= text_.size()) return fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(text_[pos_++]);
      if (c == '"') break;
      if (c < 0x20) return fail("a control character in a string must be escaped");
      if (c == '\\') {
        if (!escape(&units)) return false;
      } else if (c < 0x80) {
        units.push_back(c);
      } else {
        const int n = c >= 0xC0 && c <= 0xDF   ? 2
                      : c >= 0xE0 && c <= 0xEF ? 3
                      : c >= 0xF0 && c <= 0xF7 ? 4
                                               : 0;
        if (!n) return fail("invalid UTF-8 start byte in a string");
        uint32_t cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
        for (int k = 1; k < n; ++k, ++pos_) {
          if (pos_ >= text_.size() || (static_cast<unsigned char>(text_[pos_]) & 0xC0) != 0x80)
            return fail("invalid UTF-8 middle byte in a string");
          cp = cp << 6 | (static_cast<unsigned char>(text_[pos_]) & 0x3F);
        }
        if (n == 4) {
          cp -= 0x10000;
          units.push_back((0xD800 | (cp >> 10)) & 0xFFFF);
          cp = 0xDC00 | (cp & 0x3FF);
        }
        units.push_back(cp);
      }
    }
    out->clear();
    for (size_t i = 0; i < units.size(); ++i) {
      uint32_t u = units[i];
      if (u >= 0xD800 && u < 0xDC00 && i + 1 < units.size() && units[i + 1] >= 0xDC00 &&
          units[i + 1] < 0xE000) {
        u = 0x10000 + ((u - 0xD800) << 10) + (units[++i] - 0xDC00);
      } else if (u >= 0xD800 && u < 0xE000) {
        u = '?';
      }
      append_utf8(u, out);
    }
    return true;
  }

  bool escape(std::vector<uint32_t>* units) {
    if (pos_ >= text_.size()) return fail("unterminated string");
    const char e = text_[pos_++];
    static const std::string kFrom = "\"\\/bfnrt", kTo = "\"\\/\b\f\n\r\t";
    if (const size_t k = kFrom.find(e); k != std::string::npos) {
      units->push_back(static_cast<unsigned char>(kTo[k]));
      return true;
    }
    if (e != 'u') return fail(std::string("invalid escape '\\") + e + "' in a string");
    uint32_t unit = 0;
    for (int k = 0; k < 4; ++k, ++pos_) {
      const char h = pos_ < text_.size() ? text_[pos_] : ' ';
      if (!std::isxdigit(static_cast<unsigned char>(h))) return fail("\\u needs four hex digits");
      unit = unit * 16 + static_cast<uint32_t>(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
    }
    units->push_back(unit);
    return true;
  }

  bool number(std::string* out) {
    const size_t start = pos_;
    if (at('-')) ++pos_;
    if (!digit()) return fail("a number needs a digit after '-'");
    if (at('0')) {
      ++pos_;
      if (digit()) return fail("leading zeroes are not allowed in numbers");
    }
    while (digit()) ++pos_;
    if (at('.')) {
      ++pos_;
      if (!digit()) return fail("a decimal point needs a digit after it");
      while (digit()) ++pos_;
    }
    if (at('e') || at('E')) {
      ++pos_;
      if (at('+') || at('-')) ++pos_;
      if (!digit()) return fail("an exponent needs a digit");
      while (digit()) ++pos_;
    }
    *out = text_.substr(start, pos_ - start);
    return true;
  }

  const std::string& text_;
  size_t pos_ = 0;
  int line_ = 1;
  std::string error_;
};

bool is_scalar(const JsonValue& v) {
  return v.kind != JsonValue::Kind::kObject && v.kind != JsonValue::Kind::kArray;
}

// Jackson's Map<String,String>: every value a scalar, taken as its text; the last of a repeated
// key wins, in the place of the first (LinkedHashMap). Keys whose value is null go to `nulls`.
bool string_map(const JsonValue& v, const std::string& path, ConnectProps* out,
                std::set<std::string>* nulls) {
  if (v.kind != JsonValue::Kind::kObject) return false;
  *out = ConnectProps();
  out->path = path;
  nulls->clear();
  for (const JsonMember& m : v.members) {
    if (!is_scalar(m.value)) return false;
    out->set(m.key, m.value.text, m.line);
    if (m.value.kind == JsonValue::Kind::kNull) {
      nulls->insert(m.key);
    } else {
      nulls->erase(m.key);
    }
  }
  return true;
}

// InitialState.forValue: value.toUpperCase(Locale.ROOT), then valueOf. The few non-ASCII letters
// Java upper-cases to ASCII ones (dotless i, long s, the Latin ligatures) count too.
std::string java_upper(const std::string& s) {
  static const std::pair<const char*, const char*> kToAscii[] = {
      {"\xC4\xB1", "I"},       {"\xC5\xBF", "S"},       {"\xC3\x9F", "SS"},
      {"\xEF\xAC\x80", "FF"},  {"\xEF\xAC\x81", "FI"},  {"\xEF\xAC\x82", "FL"},
      {"\xEF\xAC\x83", "FFI"}, {"\xEF\xAC\x84", "FFL"}, {"\xEF\xAC\x85", "ST"},
      {"\xEF\xAC\x86", "ST"}};
  std::string out;
  for (size_t i = 0; i < s.size();) {
    bool mapped = false;
    for (const auto& [from, to] : kToAscii) {
      if (s.compare(i, std::strlen(from), from) == 0) {
        out += to;
        i += std::strlen(from);
        mapped = true;
        break;
      }
    }
    if (mapped) continue;
    const char c = s[i++];
    out += c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return out;
}

std::string missing_name(const std::string& path) {
  return "Connector configuration at '" + path + "' is missing the mandatory 'name' configuration";
}

// Step 2, CreateConnectorRequest. Returns nullopt when Jackson could not bind the object (the
// next form is tried) and sets `why`; otherwise the outcome of ConnectStandalone's checks. Jackson
// binds every occurrence of a repeated member, and the last one counts.
std::optional<Status> create_request(const JsonValue& root, const std::string& path,
                                     ConnectorFile* out, std::string* why) {
  const auto null = [](const JsonMember& m) { return m.value.kind == JsonValue::Kind::kNull; };
  const JsonMember *name = nullptr, *config = nullptr;
  ConnectProps map;
  std::set<std::string> nulls;
  std::string initial_state = "RUNNING";
  const auto refuse = [&](const JsonMember& m, const std::string& what) {
    *why = "line " + std::to_string(m.line) + ": " + what;
    return std::nullopt;
  };
  for (const JsonMember& m : root.members) {
    if (m.key == "name") {
      if (!is_scalar(m.value)) return refuse(m, "'name' must be a string");
      name = null(m) ? nullptr : &m;
    } else if (m.key == "config") {
      if (!null(m) && !string_map(m.value, path, &map, &nulls))
        return refuse(m, "'config' must be an object whose values are strings");
      config = null(m) ? nullptr : &m;
    } else if (m.key == "initial_state") {
      const std::string upper = is_scalar(m.value) ? java_upper(m.value.text) : "";
      if (!null(m) && upper != "RUNNING" && upper != "PAUSED" && upper != "STOPPED")
        return refuse(m, "initial_state " + (is_scalar(m.value) ? "'" + m.value.text + "' " : "") +
                             "is not one of RUNNING, PAUSED, STOPPED (in any case)");
      initial_state = null(m) ? "RUNNING" : upper;
    }
  }
  // Bound. Kafka then fails on a null config or config.name (NullPointerException).
  if (!config)
    return Status::Invalid("Connector configuration at '" + path +
                           "' has no 'config' object (the form {\"name\": .., \"config\": {..}})");
  if (nulls.count("name"))
    return Status::Invalid("Connector configuration at '" + path + "': 'name' in 'config' is null");
  if (const ConnectEntry* own = map.find("name")) {
    if (!name || own->value != name->value.text)
      return Status::Invalid(
          "Connector name configuration in 'config' doesn't match the one specified in 'name' "
          "at '" +
          path + "'");
  } else if (!name) {
    return Status::Invalid(missing_name(path));
  } else {
    map.set("name", name->value.text, name->line);
  }
  out->config = std::move(map);
  out->name = name->value.text;
  out->initial_state = initial_state;
  out->format = "json-request";
  return Status::Ok();
}

// Properties.load(InputStream): each byte one ISO-8859-1 character, kept here as UTF-8.
// `utf8_line` gets the first line holding a valid UTF-8 multi-byte sequence (0: none).
std::string from_latin1(const std::string& bytes, int* utf8_line) {
  std::string text;
  text.reserve(bytes.size());
  int line = 1;
  *utf8_line = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    const unsigned char b = static_cast<unsigned char>(bytes[i]);
    if ((b == '\n' && (i == 0 || bytes[i - 1] != '\r')) || b == '\r') ++line;
    if (b >= 0x80 && !*utf8_line && utf8_sequence(bytes, i)) *utf8_line = line;
    append_utf8(b, &text);
  }
  return text;
}

void warn_utf8(const std::string& path, int line) {
  if (line)
    spdlog::warn(
        "{}:{}: non-ASCII text read as ISO-8859-1, as Kafka Connect reads .properties files "
        "(UTF-8 'é' becomes 'Ã©'); write \\uXXXX escapes for non-ASCII characters",
        path, line);
}

}  // namespace

Status parse_connect_properties(const std::string& bytes, const std::string& path,
                                ConnectProps* out) {
  int utf8_line = 0;
  KPIPE_RETURN_IF_ERROR(parse_properties(from_latin1(bytes, &utf8_line), path, out));
  warn_utf8(path, utf8_line);
  return Status::Ok();
}

Status load_connect_properties_file(const std::string& path, ConnectProps* out) {
  std::string bytes;
  KPIPE_RETURN_IF_ERROR(read_bytes(path, &bytes));
  return parse_connect_properties(bytes, path, out);
}

Status load_connector_file(const std::string& path, ConnectorFile* out) {
  std::string text;
  KPIPE_RETURN_IF_ERROR(read_bytes(path, &text));
  *out = ConnectorFile();
  JsonValue root;
  JsonReader reader(text);
  const bool json = reader.read(&root);
  std::string why = json ? "" : "not valid JSON: " + reader.error();
  std::set<std::string> nulls;
  if (json && string_map(root, path, &out->config, &nulls)) {  // 1: the config map itself
    const ConnectEntry* name = out->config.find("name");
    // A null name passes Kafka's containsKey and fails later; kpipe says so at once.
    if (!name || nulls.count("name")) return Status::Invalid(missing_name(path));
    out->name = name->value;
    out->format = "json";
    return Status::Ok();
  }
  if (json && root.kind == JsonValue::Kind::kNull)  // Jackson's null map: Kafka fails (NPE)
    return Status::Invalid("Connector configuration at '" + path + "' is JSON null");
  if (json && root.kind == JsonValue::Kind::kObject) {  // 2: a CreateConnectorRequest
    if (std::optional<Status> st = create_request(root, path, out, &why)) return *st;
  } else if (json) {
    why = "a connector JSON file is an object, not " +
          std::string(root.kind == JsonValue::Kind::kArray ? "an array" : "a single value");
  }
  // 3: a .properties file.
  *out = ConnectorFile();
  int utf8_line = 0;
  KPIPE_RETURN_IF_ERROR(parse_properties(from_latin1(text, &utf8_line), path, &out->config));
  const ConnectEntry* name = out->config.find("name");
  if (!name) {
    const size_t first = text.find_first_not_of(" \t\r\n");
    const bool looks_json =
        first != std::string::npos && (text[first] == '{' || text[first] == '[');
    if (!looks_json) return Status::Invalid(missing_name(path));
    // Kafka says "missing 'name'" here too; the JSON's own fault is more use.
    return Status::Invalid(json ? "Connector configuration at '" + path + "': " + why
                                : missing_name(path) + " (read as a .properties file: it is " +
                                      why + ")");
  }
  warn_utf8(path, utf8_line);
  out->name = name->value;
  out->format = "properties";
  return Status::Ok();
}

}  // namespace kpipe
