// Java .properties files (Kafka Connect's worker and connector files, ${file:PATH:KEY}), read as
// java.util.Properties.load reads them. Every key keeps the line it was written on, so errors
// name "file:line: key".
#pragma once

#include <string>
#include <vector>

#include "status.h"

namespace kpipe {

struct ConnectEntry {
  std::string key;
  std::string value;
  int line = 0;  // 1-based physical line where the key starts; 0 = not from a file
};

// Keys in file order. A repeated key keeps its first place and its last value and line
// (java.util.Properties: the last one wins).
struct ConnectProps {
  std::string path;
  std::vector<ConnectEntry> entries;

  const ConnectEntry* find(const std::string& key) const;
  std::string get(const std::string& key, const std::string& fallback = "") const;
  void set(const std::string& key, const std::string& value, int line = 0);
  void erase(const std::string& key);
};

// java.util.Properties.load: '#'/'!' comments, '=', ':' or whitespace between key and value,
// backslash continuations, \t \n \r \f \uXXXX escapes ("\x" is "x"), Java's LineReader to the
// letter. The text is UTF-8, as FileConfigProvider's Reader reads it; Kafka's Utils.loadProps
// (worker and connector files) reads ISO-8859-1: connect/connect_files.h has that one.
Status parse_properties(const std::string& text, const std::string& path, ConnectProps* out);
Status load_properties_file(const std::string& path, ConnectProps* out);

}  // namespace kpipe
