#include "properties.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace kpipe {

const ConnectEntry* ConnectProps::find(const std::string& key) const {
  for (const auto& e : entries)
    if (e.key == key) return &e;
  return nullptr;
}

std::string ConnectProps::get(const std::string& key, const std::string& fallback) const {
  const ConnectEntry* e = find(key);
  return e ? e->value : fallback;
}

void ConnectProps::set(const std::string& key, const std::string& value, int line) {
  for (auto& e : entries)
    if (e.key == key) {
      e.value = value;
      e.line = line;
      return;
    }
  entries.push_back({key, value, line});
}

void ConnectProps::erase(const std::string& key) {
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [&](const ConnectEntry& e) { return e.key == key; }),
                entries.end());
}

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\f';
}

// Appends the code point as UTF-8.
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

// Properties.loadConvert: resolves the escapes of a key or value. \uXXXX pairs of surrogates
// become one character.
Status unescape(const std::string& in, std::string* out) {
  out->clear();
  uint32_t high = 0;  // a pending high surrogate
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '\\' || i + 1 == in.size()) {
      if (c != '\\') *out += c;
      continue;
    }
    c = in[++i];
    if (c == 'u') {
      uint32_t cp = 0;
      for (int k = 1; k <= 4; ++k) {
        if (i + static_cast<size_t>(k) >= in.size())
          return Status::Invalid("Malformed \\uxxxx encoding.");
        char h = in[i + static_cast<size_t>(k)];
        if (!std::isxdigit(static_cast<unsigned char>(h)))
          return Status::Invalid("Malformed \\uxxxx encoding.");
        cp = cp * 16 + static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(h))
                                                 ? h - '0'
                                                 : std::tolower(h) - 'a' + 10);
      }
      i += 4;
      if (cp >= 0xD800 && cp < 0xDC00) {
        high = cp;
        continue;
      }
      if (cp >= 0xDC00 && cp < 0xE000 && high) {
        cp = 0x10000 + ((high - 0xD800) << 10) + (cp - 0xDC00);
      }
      high = 0;
      append_utf8(cp, out);
      continue;
    }
    *out += c == 't' ? '\t' : c == 'r' ? '\r' : c == 'n' ? '\n' : c == 'f' ? '\f' : c;
  }
  return Status::Ok();
}

// Properties.LineReader: logical lines with their first physical line number.
struct LogicalLine {
  std::string text;
  int line;
};

std::vector<LogicalLine> logical_lines(const std::string& text) {
  std::vector<std::string> physical;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find_first_of("\r\n", pos);
    if (end == std::string::npos) {
      physical.push_back(text.substr(pos));
      break;
    }
    physical.push_back(text.substr(pos, end - pos));
    pos = end + (text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n' ? 2 : 1);
  }
  std::vector<LogicalLine> out;
  for (size_t i = 0; i < physical.size(); ++i) {
    std::string line = physical[i];
    size_t start = 0;
    while (start < line.size() && is_blank(line[start])) ++start;
    if (start == line.size() || line[start] == '#' || line[start] == '!') continue;
    LogicalLine logical{"", static_cast<int>(i) + 1};
    std::string part = line.substr(start);
    while (true) {
      size_t slashes = 0;
      while (slashes < part.size() && part[part.size() - 1 - slashes] == '\\') ++slashes;
      if (slashes % 2 == 0 || i + 1 >= physical.size()) {
        if (slashes % 2 == 1) part.pop_back();  // a continuation at the end of the file
        logical.text += part;
        break;
      }
      part.pop_back();
      logical.text += part;
      part = physical[++i];
      size_t skip = 0;
      while (skip < part.size() && is_blank(part[skip])) ++skip;
      part = part.substr(skip);
    }
    out.push_back(std::move(logical));
  }
  return out;
}

std::string where(const std::string& path, int line) {
  return path + ":" + std::to_string(line);
}

}  // namespace

Status parse_properties(const std::string& text, const std::string& path, ConnectProps* out) {
  out->path = path;
  out->entries.clear();
  for (const LogicalLine& l : logical_lines(text)) {
    const std::string& s = l.text;
    size_t i = 0;
    bool escaped = false, has_separator = false;
    for (; i < s.size(); ++i) {
      char c = s[i];
      if (escaped) {
        escaped = false;
        continue;
      }
      if (c == '\\') {
        escaped = true;
      } else if (c == '=' || c == ':') {
        has_separator = true;
        break;
      } else if (is_blank(c)) {
        break;
      }
    }
    const std::string raw_key = s.substr(0, i);
    size_t v = i + (has_separator ? 1 : 0);
    while (v < s.size() && is_blank(s[v])) ++v;
    if (!has_separator && v < s.size() && (s[v] == '=' || s[v] == ':')) {
      ++v;
      while (v < s.size() && is_blank(s[v])) ++v;
    }
    std::string key, value;
    Status st = unescape(raw_key, &key);
    if (st.ok()) st = unescape(s.substr(v), &value);
    if (!st.ok()) return Status::Invalid(where(path, l.line) + ": " + st.message());
    out->set(key, value, l.line);
  }
  return Status::Ok();
}

Status load_properties_file(const std::string& path, ConnectProps* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Invalid(path + ": cannot read: " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  return parse_properties(text.str(), path, out);
}

}  // namespace kpipe
