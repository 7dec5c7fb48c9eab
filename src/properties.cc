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

// Properties.loadConvert: resolves the escapes of a key or value. A \uXXXX pair of surrogates
// is one character; a lone surrogate is '?', as Java's UTF-8 encoder writes it.
Status unescape(const std::string& in, std::string* out) {
  out->clear();
  uint32_t high = 0;  // a high surrogate waiting for its low half
  const auto flush = [&] {
    if (high) *out += '?';
    high = 0;
  };
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '\\' || i + 1 == in.size()) {
      flush();
      if (c != '\\') *out += c;
      continue;
    }
    c = in[++i];
    if (c != 'u') {
      flush();
      *out += c == 't' ? '\t' : c == 'r' ? '\r' : c == 'n' ? '\n' : c == 'f' ? '\f' : c;
      continue;
    }
    if (i + 4 >= in.size())  // four hex digits must follow
      return Status::Invalid("Malformed \\uxxxx encoding.");
    uint32_t cp = 0;
    for (size_t k = 1; k <= 4; ++k) {
      const char h = in[i + k];
      if (!std::isxdigit(static_cast<unsigned char>(h)))
        return Status::Invalid("Malformed \\uxxxx encoding.");
      cp = cp * 16 + static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(h))
                                               ? h - '0'
                                               : std::tolower(h) - 'a' + 10);
    }
    i += 4;
    if (cp >= 0xDC00 && cp < 0xE000 && high) {
      append_utf8(0x10000 + ((high - 0xD800) << 10) + (cp - 0xDC00), out);
      high = 0;
      continue;
    }
    flush();
    if (cp >= 0xD800 && cp < 0xDC00) {
      high = cp;
    } else {
      append_utf8(cp >= 0xDC00 && cp < 0xE000 ? '?' : cp, out);
    }
  }
  flush();
  return Status::Ok();
}

// Properties.LineReader: the next logical line and the physical line its text starts on; false
// at the end. Its quirks are Java's: a comment or a blank line may follow a continuation that
// left the line empty, and a lone '\' ending the last line gives an empty key.
class LineReader {
 public:
  explicit LineReader(const std::string& text) : text_(text) {}

  bool next(std::string* out, int* start) {
    out->clear();
    bool skip_blanks = true, continued = false, backslash = false;
    while (true) {
      if (pos_ == text_.size()) {
        if (out->empty()) return false;
        if (backslash) out->pop_back();
        return true;
      }
      const char c = text_[pos_++];
      const bool eol = end_of_line(c);
      if (skip_blanks) {
        if (is_blank(c) || (eol && !continued)) continue;
        skip_blanks = continued = false;
      }
      if (out->empty() && (c == '#' || c == '!')) {  // a comment: up to the end of the line
        while (pos_ < text_.size() && !end_of_line(text_[pos_++])) {
        }
        skip_blanks = true;
        continue;
      }
      if (!eol) {
        if (out->empty()) *start = line_;
        *out += c;
        backslash = c == '\\' && !backslash;
        continue;
      }
      if (out->empty()) {
        skip_blanks = true;
      } else if (!backslash || (pos_ == text_.size() && !crlf_)) {  // Java looks after '\r'
        if (backslash) out->pop_back();
        return true;
      } else {
        out->pop_back();  // a continuation: leading blanks of the next line are dropped
        skip_blanks = continued = true;
        backslash = false;
      }
    }
  }

 private:
  // True for '\n', '\r' and "\r\n" (consumed whole); counts the line.
  bool end_of_line(char c) {
    if (c != '\n' && c != '\r') return false;
    crlf_ = c == '\r' && pos_ < text_.size() && text_[pos_] == '\n';
    if (crlf_) ++pos_;
    ++line_;
    return true;
  }

  const std::string& text_;
  size_t pos_ = 0;
  int line_ = 1;
  bool crlf_ = false;  // the last end of line was "\r\n"
};

std::string where(const std::string& path, int line) {
  return path + ":" + std::to_string(line);
}

}  // namespace

Status parse_properties(const std::string& text, const std::string& path, ConnectProps* out) {
  out->path = path;
  out->entries.clear();
  LineReader reader(text);
  std::string s;
  int line = 0;
  while (reader.next(&s, &line)) {
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
    if (!st.ok()) return Status::Invalid(where(path, line) + ": " + st.message());
    out->set(key, value, line);
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
