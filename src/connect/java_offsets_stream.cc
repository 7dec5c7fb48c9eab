// The Java serialization stream half of java_offsets.h: ObjectOutputStream's bytes for one
// java.util.HashMap<byte[], byte[]>, read with every length checked and written exactly as Java
// writes them.
#include <cstdio>
#include <cstring>

#include "connect/java_offsets.h"

namespace kpipe {

namespace {

// Object Serialization Stream Protocol, section 6.4.2.
constexpr uint8_t kNull = 0x70;
constexpr uint8_t kReference = 0x71;
constexpr uint8_t kClassDesc = 0x72;
constexpr uint8_t kObject = 0x73;
constexpr uint8_t kArray = 0x75;
constexpr uint8_t kBlockData = 0x77;
constexpr uint8_t kEndBlockData = 0x78;
constexpr uint8_t kReset = 0x79;
constexpr uint8_t kBlockDataLong = 0x7A;
constexpr uint32_t kBaseHandle = 0x7E0000;
constexpr uint8_t kSerializable = 0x02;
constexpr uint8_t kWriteMethod = 0x01;  // HashMap has writeObject(): capacity, size, entries
constexpr uint64_t kHashMapUid = 0x0507DAC1C31660D1ULL;
constexpr uint64_t kByteArrayUid = 0xACF317F8060854E0ULL;

std::string hex(uint64_t v, int digits) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%0*llX", digits, static_cast<unsigned long long>(v));
  return buf;
}

class StreamReader {
 public:
  StreamReader(const std::string& in, const std::string& where) : in_(in), where_(where) {}

  Status read(JavaOffsetsFile* out) {
    if (in_.size() < 2 || in_.compare(0, 2, "\xAC\xED") != 0)
      return Status::Runtime(where_ + ": not a Java serialization stream (bad magic)");
    pos_ = 2;
    uint16_t version = 0;
    KPIPE_RETURN_IF_ERROR(u16(&version, "the stream header"));
    if (version != 5) return error(2, "stream version " + std::to_string(version) + ", not 5");
    while (pos_ < in_.size() && byte() == kReset) {
      ++pos_;
      handles_.clear();
    }
    const size_t at = pos_;
    uint8_t tag = 0;
    KPIPE_RETURN_IF_ERROR(u8(&tag, "the stream"));
    if (tag != kObject)
      return error(at, "expected a java.util.HashMap object (TC_OBJECT), found tag " + hex(tag, 2));
    KPIPE_RETURN_IF_ERROR(class_desc("java.util.HashMap", Kind::kHashMapDesc));
    handles_.push_back({Kind::kHashMap, {}});
    uint32_t bits = 0, threshold = 0, capacity = 0, size = 0;
    KPIPE_RETURN_IF_ERROR(u32(&bits, "the HashMap's loadFactor"));
    std::memcpy(&out->load_factor, &bits, sizeof(bits));
    if (!(out->load_factor > 0)) return error(pos_ - 4, "illegal HashMap load factor");
    KPIPE_RETURN_IF_ERROR(u32(&threshold, "the HashMap's threshold"));
    KPIPE_RETURN_IF_ERROR(block_u32(&capacity, "the HashMap's capacity"));
    KPIPE_RETURN_IF_ERROR(block_u32(&size, "the HashMap's size"));
    out->threshold = static_cast<int32_t>(threshold);
    out->capacity = static_cast<int32_t>(capacity);
    // Every entry takes at least two bytes, which bounds what a size may reserve.
    if (static_cast<int32_t>(size) < 0 || size > (in_.size() - pos_) / 2)
      return error(pos_ - 4, "a HashMap of " + std::to_string(static_cast<int32_t>(size)) +
                                 " entries cannot fit in the " + std::to_string(in_.size() - pos_) +
                                 " bytes left");
    out->entries.reserve(size);
    for (uint32_t i = 0; i < size; ++i) {
      const size_t key_at = pos_;
      std::optional<std::string> key, value;
      KPIPE_RETURN_IF_ERROR(byte_array(&key, i, size));
      if (!key) return error(key_at, "entry " + std::to_string(i) + " has a null key");
      KPIPE_RETURN_IF_ERROR(byte_array(&value, i, size));
      out->entries.emplace_back(std::move(*key), std::move(value));
    }
    if (block_left_ > 0)
      return error(pos_, std::to_string(block_left_) + " bytes of block data after the entries");
    KPIPE_RETURN_IF_ERROR(u8(&tag, "the end of the HashMap"));
    if (tag != kEndBlockData)
      return error(pos_ - 1,
                   "expected the end of the HashMap (TC_ENDBLOCKDATA), found tag " + hex(tag, 2));
    return Status::Ok();  // bytes after the object stay unread, as in Java
  }

 private:
  enum class Kind { kHashMapDesc, kHashMap, kByteArrayDesc, kByteArray };
  struct Handle {
    Kind kind;
    std::string bytes;  // of a byte[]
  };

  Status error(size_t at, const std::string& what) const {
    return Status::Runtime(where_ + ": offset " + std::to_string(at) + ": " + what);
  }
  uint8_t byte() const { return static_cast<uint8_t>(in_[pos_]); }
  Status need(size_t n, const std::string& what) const {
    if (in_.size() - pos_ < n) return error(in_.size(), "the file ends inside " + what);
    return Status::Ok();
  }
  template <typename T>
  Status big_endian(T* v, const std::string& what) {
    KPIPE_RETURN_IF_ERROR(need(sizeof(T), what));
    T x = 0;
    for (size_t i = 0; i < sizeof(T); ++i) x = static_cast<T>((x << 8) | byte()), ++pos_;
    *v = x;
    return Status::Ok();
  }
  Status u8(uint8_t* v, const std::string& what) { return big_endian(v, what); }
  Status u16(uint16_t* v, const std::string& what) { return big_endian(v, what); }
  Status u32(uint32_t* v, const std::string& what) { return big_endian(v, what); }
  Status u64(uint64_t* v, const std::string& what) { return big_endian(v, what); }
  Status utf(std::string* v, const std::string& what) {
    uint16_t len = 0;
    KPIPE_RETURN_IF_ERROR(u16(&len, what));
    KPIPE_RETURN_IF_ERROR(need(len, what));
    *v = in_.substr(pos_, len);
    pos_ += len;
    return Status::Ok();
  }

  // An int of the map's custom data: inside TC_BLOCKDATA / TC_BLOCKDATALONG blocks, which may
  // split it anywhere.
  Status block_u32(uint32_t* v, const std::string& what) {
    uint32_t x = 0;
    for (int i = 0; i < 4; ++i) {
      while (block_left_ == 0) {
        const size_t at = pos_;
        uint8_t tag = 0;
        KPIPE_RETURN_IF_ERROR(u8(&tag, what));
        if (tag == kBlockData) {
          uint8_t len = 0;
          KPIPE_RETURN_IF_ERROR(u8(&len, what));
          block_left_ = len;
        } else if (tag == kBlockDataLong) {
          uint32_t len = 0;
          KPIPE_RETURN_IF_ERROR(u32(&len, what));
          if (static_cast<int32_t>(len) < 0) return error(at, "negative block data length");
          block_left_ = len;
        } else {
          return error(at, "expected block data with " + what + ", found tag " + hex(tag, 2));
        }
      }
      uint8_t b = 0;
      KPIPE_RETURN_IF_ERROR(u8(&b, what));
      --block_left_;
      x = (x << 8) | b;
    }
    *v = x;
    return Status::Ok();
  }

  Status handle(Kind kind, const char* what, size_t* index) {
    const size_t at = pos_ - 1;
    uint32_t h = 0;
    KPIPE_RETURN_IF_ERROR(u32(&h, "a back reference"));
    if (h < kBaseHandle || h - kBaseHandle >= handles_.size() ||
        handles_[h - kBaseHandle].kind != kind)
      return error(at, "back reference " + hex(h, 8) + " is not to " + what);
    *index = h - kBaseHandle;
    return Status::Ok();
  }

  // The class descriptor of java.util.HashMap or of byte[] ("[B"), or a reference to it.
  Status class_desc(const std::string& name, Kind kind) {
    const std::string what = "the class descriptor of " + name;
    const size_t at = pos_;
    uint8_t tag = 0;
    KPIPE_RETURN_IF_ERROR(u8(&tag, what));
    if (tag == kReference) {
      size_t ignored;
      return handle(kind, what.c_str(), &ignored);
    }
    if (tag != kClassDesc) return error(at, "expected " + what + ", found tag " + hex(tag, 2));
    std::string found;
    KPIPE_RETURN_IF_ERROR(utf(&found, what));
    if (found != name) return error(at + 1, "expected class " + name + ", found " + found);
    const bool map = kind == Kind::kHashMapDesc;
    uint64_t uid = 0;
    KPIPE_RETURN_IF_ERROR(u64(&uid, what));
    // Java checks the serialVersionUID of a class, not of an array class.
    if (map && uid != kHashMapUid)
      return error(pos_ - 8, "java.util.HashMap serialVersionUID " + hex(uid, 16) + ", not " +
                                 hex(kHashMapUid, 16));
    handles_.push_back({kind, {}});
    uint8_t flags = 0;
    uint16_t fields = 0;
    KPIPE_RETURN_IF_ERROR(u8(&flags, what));
    if (flags != (map ? kSerializable | kWriteMethod : kSerializable))
      return error(pos_ - 1, "unexpected class flags " + hex(flags, 2) + " for " + name);
    KPIPE_RETURN_IF_ERROR(u16(&fields, what));
    if (fields != (map ? 2 : 0))
      return error(pos_ - 2, name + " with " + std::to_string(fields) + " serialized fields");
    for (const char* field : {"FloadFactor", "Ithreshold"}) {
      if (!map) break;
      const size_t field_at = pos_;
      uint8_t type = 0;
      std::string field_name;
      KPIPE_RETURN_IF_ERROR(u8(&type, what));
      KPIPE_RETURN_IF_ERROR(utf(&field_name, what));
      if (static_cast<char>(type) != field[0] || field_name != field + 1)
        return error(field_at, std::string("expected HashMap field ") + field[0] + " " +
                                   (field + 1) + ", found " + hex(type, 2) + " " + field_name);
    }
    for (uint8_t expected : {kEndBlockData, kNull}) {  // no class annotation, no superclass
      KPIPE_RETURN_IF_ERROR(u8(&tag, what));
      if (tag != expected)
        return error(pos_ - 1,
                     "expected tag " + hex(expected, 2) + " in " + what + ", found " + hex(tag, 2));
    }
    return Status::Ok();
  }

  // A key or value: a byte[], a back reference to one, or null.
  Status byte_array(std::optional<std::string>* out, uint32_t entry, uint32_t size) {
    const std::string what = "entry " + std::to_string(entry);
    const size_t at = pos_;
    if (block_left_ > 0) return error(at, "block data where " + what + " should start");
    uint8_t tag = 0;
    KPIPE_RETURN_IF_ERROR(u8(&tag, what));
    if (tag == kNull) {
      out->reset();
      return Status::Ok();
    }
    if (tag == kReference) {
      size_t index = 0;
      KPIPE_RETURN_IF_ERROR(handle(Kind::kByteArray, "a byte[]", &index));
      *out = handles_[index].bytes;
      return Status::Ok();
    }
    if (tag == kEndBlockData)
      return error(at, "the HashMap ends after " + std::to_string(entry) + " of its " +
                           std::to_string(size) + " entries");
    if (tag != kArray)
      return error(at, "expected a byte[] (TC_ARRAY), a back reference or null in " + what +
                           ", found tag " + hex(tag, 2));
    KPIPE_RETURN_IF_ERROR(class_desc("[B", Kind::kByteArrayDesc));
    uint32_t len = 0;
    KPIPE_RETURN_IF_ERROR(u32(&len, what));
    if (static_cast<int32_t>(len) < 0) return error(pos_ - 4, "negative byte[] length");
    KPIPE_RETURN_IF_ERROR(need(len, what));
    handles_.push_back({Kind::kByteArray, in_.substr(pos_, len)});
    *out = handles_.back().bytes;
    pos_ += len;
    return Status::Ok();
  }

  const std::string& in_;
  const std::string& where_;
  size_t pos_ = 0;
  size_t block_left_ = 0;
  std::vector<Handle> handles_;  // handle 0x7E0000 + i
};

void put_u16(std::string* out, uint16_t v) {
  *out += static_cast<char>(v >> 8);
  *out += static_cast<char>(v);
}
void put_u32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) *out += static_cast<char>(v >> shift);
}
void put_u64(std::string* out, uint64_t v) {
  put_u32(out, static_cast<uint32_t>(v >> 32));
  put_u32(out, static_cast<uint32_t>(v));
}
void put_utf(std::string* out, const std::string& ascii) {
  put_u16(out, static_cast<uint16_t>(ascii.size()));
  *out += ascii;
}

}  // namespace

Status parse_java_offsets(const std::string& bytes, const std::string& where,
                          JavaOffsetsFile* out) {
  JavaOffsetsFile file;
  KPIPE_RETURN_IF_ERROR(StreamReader(bytes, where).read(&file));
  *out = std::move(file);
  return Status::Ok();
}

std::string serialize_java_offsets(const JavaOffsetsFile& file) {
  std::string out("\xAC\xED\x00\x05", 4);
  out += static_cast<char>(kObject);
  out += static_cast<char>(kClassDesc);
  put_utf(&out, "java.util.HashMap");
  put_u64(&out, kHashMapUid);
  out += static_cast<char>(kSerializable | kWriteMethod);
  put_u16(&out, 2);
  out += 'F';
  put_utf(&out, "loadFactor");
  out += 'I';
  put_utf(&out, "threshold");
  out += static_cast<char>(kEndBlockData);
  out += static_cast<char>(kNull);
  uint32_t bits;
  std::memcpy(&bits, &file.load_factor, sizeof(bits));
  put_u32(&out, bits);
  put_u32(&out, static_cast<uint32_t>(file.threshold));
  out += static_cast<char>(kBlockData);
  out += static_cast<char>(8);
  put_u32(&out, static_cast<uint32_t>(file.capacity));
  put_u32(&out, static_cast<uint32_t>(file.entries.size()));
  bool array_desc_written = false;  // handle 0x7E0002, after the map's descriptor and the map
  auto put_array = [&](const std::string& bytes) {
    out += static_cast<char>(kArray);
    if (array_desc_written) {
      out += static_cast<char>(kReference);
      put_u32(&out, kBaseHandle + 2);
    } else {
      out += static_cast<char>(kClassDesc);
      put_utf(&out, "[B");
      put_u64(&out, kByteArrayUid);
      out += static_cast<char>(kSerializable);
      put_u16(&out, 0);
      out += static_cast<char>(kEndBlockData);
      out += static_cast<char>(kNull);
      array_desc_written = true;
    }
    put_u32(&out, static_cast<uint32_t>(bytes.size()));
    out += bytes;
  };
  for (const auto& [key, value] : file.entries) {
    put_array(key);
    if (value) {
      put_array(*value);
    } else {
      out += static_cast<char>(kNull);
    }
  }
  out += static_cast<char>(kEndBlockData);
  return out;
}

}  // namespace kpipe
