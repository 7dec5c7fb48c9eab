// Kafka Connect standalone's offsets file (offset.storage.file.filename, FileOffsetBackingStore):
// one java.util.HashMap<byte[], byte[]> written by ObjectOutputStream.writeObject. Each key is the
// JSON ["<connector>",{partition}] and each value the JSON {offset}, as Connect's JsonConverter
// (schemas.enable=false) writes them, or Java null for a tombstone (a reset partition).
//
// kpipe reads such a file to resume where a Java worker stopped, and writes one a Java worker
// resumes from. Connect rewrites the whole file on every flush, in an order that follows byte[]
// identity hash codes; kpipe keeps the order it read, so a file it did not change is written back
// byte for byte. (parse and serialize live in java_offsets_stream.cc.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "record.h"
#include "status.h"

namespace kpipe {

struct JavaOffsetsFile {
  // Entries in the file's order: raw key bytes, raw value bytes (nullopt = Java null, a tombstone).
  std::vector<std::pair<std::string, std::optional<std::string>>> entries;
  // The HashMap's table length and threshold field as written. An empty `new HashMap<>()`, as
  // Connect writes when it has no offsets, has a table of 16 and a threshold of 0; 1 to 12 entries
  // have 16 and 12.
  int32_t capacity = 16;
  int32_t threshold = 0;
  float load_factor = 0.75f;
};

// A missing or empty file is no offsets (Connect ignores NoSuchFileException and EOFException
// there). Errors name the path.
Status read_java_offsets(const std::string& path, JavaOffsetsFile* out);

// Reads the serialization stream in `bytes`; `where` (the path) starts every error, e.g.
// "FILE: not a Java serialization stream (bad magic)" or "FILE: offset 83: ...". Accepts what
// ObjectOutputStream writes for a HashMap<byte[], byte[]>: TC_OBJECT with the HashMap class
// descriptor, byte[] keys and values (TC_ARRAY of [B, its class descriptor written once and
// referenced afterwards, or a back reference to an earlier array), TC_NULL values, block data in
// short or long blocks, and TC_RESET before the map. Anything else, a null key included, is an
// error. Bytes after the map are ignored, as Java's readObject() leaves them unread.
Status parse_java_offsets(const std::string& bytes, const std::string& where, JavaOffsetsFile* out);

// Exactly the bytes ObjectOutputStream.writeObject(map) writes for a HashMap holding these entries
// in this iteration order, with this capacity, threshold and load factor.
std::string serialize_java_offsets(const JavaOffsetsFile& file);

// Replaces `path` atomically: a temporary file in the same folder, fsync, rename, fsync of the
// folder. Errors name the path.
Status write_java_offsets(const std::string& path, const JavaOffsetsFile& file);

// The KIP-875 view of one connector, in file order: (partition, offset) for every entry whose key
// is the JSON array [connector, {partition}] and whose value is a JSON object. Keys of other shapes
// are skipped, as Connect's OffsetUtils.processPartitionKey skips them. A partition listed again
// (its key spelled differently) takes the later offset; a later tombstone removes it.
std::vector<std::pair<Json, Json>> connector_offsets(const JavaOffsetsFile& file,
                                                     const std::string& connector);

// The connectors connector_offsets() reports anything for, in order of their first entry.
std::vector<std::string> connector_names(const JavaOffsetsFile& file);

// Sets offsets of `connector`. The entry whose key names this connector and a partition equal to
// the given one (compared as parsed JSON) gets the new value in its place and keeps its key bytes;
// a value equal as JSON to the one there keeps its bytes too. A new partition is appended with the
// key connect_offset_key() makes. A nullopt offset writes a tombstone over an existing entry and
// nothing for a missing one. Capacity and threshold then grow as HashMap's would for the new size.
void put_connector_offsets(JavaOffsetsFile* file, const std::string& connector,
                           const std::vector<std::pair<Json, std::optional<Json>>>& offsets);

// The key bytes Connect's JsonConverter (schemas.enable=false) writes for ["connector", partition]:
// compact; every object's fields in java.util.HashMap iteration order (java_hash_order.h), taking
// the Json's own key order as the insertion order; strings escaped as Jackson 2.x does (\" \\ \b
// \f \n \r \t, other control characters as \u00XX, characters outside the BMP as two \uXXXX
// surrogates, the rest raw UTF-8); integers in decimal; doubles as Java's Double.toString.
std::string connect_offset_key(const std::string& connector, const Json& partition);

// The value bytes for an offset map, by the same rules.
std::string connect_offset_value(const Json& offset);

}  // namespace kpipe
