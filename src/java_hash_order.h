// The order in which a java.util.HashMap<String, ?> iterates its keys. Kafka Connect's
// JsonConverter writes a schemaless map in its iteration order, and Connect looks offsets up by the
// exact key bytes, so writing a key a Java worker will find means writing the map's fields in
// Java's order: ascending bucket (hash ^ (hash >>> 16)) & (table length - 1), insertion order
// within a bucket, for a table of 16 that doubles whenever the size passes 3/4 of it, or whenever
// one bucket reaches 9 keys while the table is under 64.
//
// Not modelled: a bucket of 9 or more keys in a table of 64 or more, which Java turns into a
// red-black tree whose iteration order is no longer the insertion order. Reaching it takes 9 keys
// whose hashes agree in their low 6 bits or more, which partition and offset maps do not have.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kpipe {

// The UTF-16 code units of the Java String that `utf8` decodes to. Ill-formed UTF-8 decodes to
// U+FFFD per maximal ill-formed subpart, as Java's UTF-8 decoder does.
std::u16string java_utf16(std::string_view utf8);

// String.hashCode(): s[0]*31^(n-1) + ... + s[n-1] over the UTF-16 code units, wrapping at 32 bits.
int32_t java_string_hash(std::string_view utf8);

// The keys of `new HashMap<String, ?>()` after put() of each key in turn, in iteration order. A
// repeated key keeps its first place, as put() of an existing key does.
std::vector<std::string> java_hashmap_order(
    const std::vector<std::string>& keys_in_insertion_order);

}  // namespace kpipe
