// The decoder of AvroReader's plan (avro_read.h): Avro binary datums into kpipe Values, every
// length and count checked against the bytes left. The plan is built in avro_read.cc.
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "avro/avro_read.h"
#include "avro/avro_read_limits.h"

namespace kpipe {

using namespace avro_read_detail;  // NOLINT: the limits and cat()
// ---------------------------------------------------------------------------------------------
// Decoding. Every read checks the bytes left first. A block's count is checked against the bytes
// left over the smallest item, so no loop runs and no container grows past what the input holds.

class AvroDecoder {
 public:
  AvroDecoder(const AvroReader& reader, std::string_view body)
      : r_(reader), begin_(reinterpret_cast<const uint8_t*>(body.data())), p_(begin_) {
    end_ = begin_ + body.size();
  }
  bool value(uint32_t index, Value* out);
  bool decimal(const uint8_t* at, size_t size, int32_t scale, Value* out);
  bool finish() {
    return p_ == end_ || fail(p_, cat(end_ - p_, " trailing bytes after the datum"));
  }
  Status status() const {
    return Status::Runtime(cat("invalid Avro data at byte offset ", error_at_, ": ", error_));
  }

 private:
  using Op = AvroReader::Op;
  using Step = AvroReader::Step;
  size_t left() const { return static_cast<size_t>(end_ - p_); }
  bool fail(const uint8_t* at, std::string what) {
    error_at_ = static_cast<size_t>(at - begin_);
    error_ = std::move(what);
    return false;
  }
  bool read_long(int64_t* out);
  bool read_length(const char* what, size_t* out);
  bool take(size_t size, const char* what, const uint8_t** at);
  bool read_block(uint64_t item_size, const char* what, uint64_t* count);
  bool number(const Step& st, Value* out);
  bool fixed_width(const Step& st, Value* out);
  bool bytes(const Step& st, Value* out);
  bool record(const Step& st, Value* out);
  bool array(const Step& st, Value* out);
  bool map(const Step& st, Value* out);
  bool union_of(const Step& st, Value* out);

  const AvroReader& r_;
  const uint8_t* begin_;
  const uint8_t* p_;
  const uint8_t* end_;
  uint64_t empty_items_left_ = kMaxEmptyItems;
  size_t error_at_ = 0;
  std::string error_;
};

// A zig-zag varint of at most 10 bytes (bits past 64 are dropped, as in Java).
bool AvroDecoder::read_long(int64_t* out) {
  const size_t limit = left() < 10 ? left() : 10;
  uint64_t v = 0;
  for (size_t i = 0; i < limit; ++i) {
    v |= static_cast<uint64_t>(p_[i] & 0x7f) << (7 * i);
    if (p_[i] < 0x80) {
      p_ += i + 1;
      *out = static_cast<int64_t>((v >> 1) ^ (0 - (v & 1)));
      return true;
    }
  }
  return fail(p_, limit == 10 ? "varint longer than 10 bytes" : "truncated varint");
}

bool AvroDecoder::read_length(const char* what, size_t* out) {
  const uint8_t* at = p_;
  int64_t v = 0;
  if (!read_long(&v)) return false;
  if (v < 0) return fail(at, cat("negative ", what, " length ", v));
  if (static_cast<uint64_t>(v) > left())
    return fail(at, cat(what, " length ", v, " is beyond the ", left(), " bytes left"));
  *out = static_cast<size_t>(v);
  return true;
}

bool AvroDecoder::take(size_t size, const char* what, const uint8_t** at) {
  if (size > left())
    return fail(p_, cat("truncated ", what, ": ", size, " bytes needed, ", left(), " left"));
  *at = p_;
  p_ += size;
  return true;
}

// An array or map block header: a count (negative: a byte size follows); 0 ends the blocks.
bool AvroDecoder::read_block(uint64_t item_size, const char* what, uint64_t* count) {
  const uint8_t* at = p_;
  int64_t v = 0;
  size_t byte_size = 0;
  if (!read_long(&v)) return false;
  if (v == INT64_MIN) return fail(at, cat("invalid ", what, " block count"));
  if (v < 0 && !read_length(what == std::string("map") ? "map block" : "array block", &byte_size))
    return false;
  *count = static_cast<uint64_t>(v < 0 ? -v : v);
  if (item_size > 0 && *count > left() / item_size)
    return fail(at, cat(what, " count ", *count, " is beyond the ", left(), " bytes left"));
  if (item_size == 0 && *count > empty_items_left_)
    return fail(at, cat(what, " count ", *count, " of items without bytes is over the limit of ",
                        kMaxEmptyItems));
  if (item_size == 0) empty_items_left_ -= *count;
  return true;
}

bool AvroDecoder::decimal(const uint8_t* at, size_t size, int32_t scale, Value* out) {
  if (size == 0) return fail(at, "empty decimal");
  if (size > kMaxDecimalBytes)
    return fail(at, cat("decimal of ", size, " bytes (the limit is ", kMaxDecimalBytes, ")"));
  if (size <= 8) {  // the common case, without big-number arithmetic
    uint64_t v = at[0] & 0x80 ? ~uint64_t{0} : 0;
    for (size_t i = 0; i < size; ++i) v = v << 8 | at[i];
    out->v.emplace<Decimal>(Decimal{std::to_string(static_cast<int64_t>(v)), scale});
  } else {
    const std::string twos(reinterpret_cast<const char*>(at), size);
    out->v.emplace<Decimal>(Decimal::from_twos_complement(twos, scale));
  }
  return true;
}

bool AvroDecoder::value(uint32_t index, Value* out) {
  const Step& st = r_.steps_[index];
  switch (st.op) {
    case Op::kRecord:
      return record(st, out);
    case Op::kArray:
      return array(st, out);
    case Op::kMap:
    case Op::kMapEntries:
      return map(st, out);
    case Op::kOptional:
    case Op::kSingle:
    case Op::kUnion:
      return union_of(st, out);
    case Op::kString:
    case Op::kBytes:
    case Op::kFixed:
    case Op::kDecimalBytes:
    case Op::kDecimalFixed:
      return bytes(st, out);
    case Op::kBoolean:
    case Op::kFloat:
    case Op::kDouble:
      return fixed_width(st, out);
    default:
      return number(st, out);
  }
}

// The varint kinds: int (int8 and int16 truncated as Java's byteValue/shortValue do), long,
// the millisecond logical types (to nanoseconds), an enum's index.
bool AvroDecoder::number(const Step& st, Value* out) {
  const uint8_t* at = p_;
  int64_t v = 0;
  if (!read_long(&v)) return false;
  const bool is_long = st.op == Op::kLong || st.op == Op::kTimestampMillis;
  if (!is_long && (v < INT32_MIN || v > INT32_MAX))
    return fail(at, cat("int ", v, " out of range"));
  switch (st.op) {
    case Op::kInt8:
      v = static_cast<int8_t>(v);
      break;
    case Op::kInt16:
      v = static_cast<int16_t>(v);
      break;
    case Op::kTimeMillis:
      if (v < 0 || v > kMillisPerDay)
        return fail(at, cat("time-millis ", v, " is not within a day"));
      v *= kNanosPerMilli;
      break;
    case Op::kTimestampMillis:
      if (__builtin_mul_overflow(v, kNanosPerMilli, &v))
        return fail(at, "timestamp-millis out of range (nanoseconds overflow 64 bits)");
      break;
    case Op::kEnum:
      if (v < 0 || v >= st.n)
        return fail(at, cat("enum index ", v, " out of range (", st.n, " symbols)"));
      out->v.emplace<std::string>(r_.symbols_[st.a + static_cast<uint32_t>(v)]);
      return true;
    default:
      break;
  }
  out->v.emplace<int64_t>(v);
  return true;
}

// boolean (Java reads anything but 1 as false), float (widened), double: little-endian.
bool AvroDecoder::fixed_width(const Step& st, Value* out) {
  const uint8_t* at = p_;
  const size_t size = st.op == Op::kBoolean ? 1 : st.op == Op::kFloat ? 4 : 8;
  if (!take(size,
            st.op == Op::kBoolean ? "boolean"
            : st.op == Op::kFloat ? "float"
                                  : "double",
            &at))
    return false;
  uint64_t bits = 0;
  for (size_t k = size; k-- > 0;) bits = bits << 8 | at[k];
  float f;
  double d;
  const auto low = static_cast<uint32_t>(bits);
  std::memcpy(&f, &low, 4);
  std::memcpy(&d, &bits, 8);
  if (st.op == Op::kBoolean)
    out->v.emplace<bool>(bits == 1);
  else
    out->v.emplace<double>(st.op == Op::kFloat ? static_cast<double>(f) : d);
  return true;
}

// string, bytes, fixed and the decimals: a length (but for fixed), then the bytes.
bool AvroDecoder::bytes(const Step& st, Value* out) {
  const uint8_t* at = p_;
  size_t size = st.a;
  const bool sized = st.op != Op::kFixed && st.op != Op::kDecimalFixed;
  if (sized && !read_length(st.op == Op::kString ? "string" : "bytes", &size)) return false;
  if (!take(size, "fixed", &at)) return false;
  if (st.op == Op::kDecimalBytes || st.op == Op::kDecimalFixed)
    return decimal(at, size, st.scale, out);
  const char* data = reinterpret_cast<const char*>(at);
  if (st.op == Op::kString)
    out->v.emplace<std::string>(data, size);
  else
    out->v.emplace<Bytes>().data.assign(data, size);
  return true;
}

bool AvroDecoder::record(const Step& st, Value* out) {
  auto& fields = out->v.emplace<Struct>().fields;
  fields.resize(st.n);
  const uint32_t* children = r_.children_.data() + st.a;
  for (uint32_t i = 0; i < st.n; ++i)
    if (!value(children[i], &fields[i])) return false;
  return true;
}

bool AvroDecoder::array(const Step& st, Value* out) {
  auto& list = out->v.emplace<List>();
  const uint64_t item_size = r_.steps_[st.a].min_size;
  for (uint64_t count = 0;;) {
    if (!read_block(item_size, "array", &count)) return false;
    if (count == 0) return true;
    if (list.empty()) list.reserve(count < kMaxReserve ? count : kMaxReserve);
    for (uint64_t i = 0; i < count; ++i)
      if (!value(st.a, &list.emplace_back())) return false;
  }
}

// An Avro map (string keys), or an array of MapEntry records (key and value in field order).
bool AvroDecoder::map(const Step& st, Value* out) {
  auto& m = out->v.emplace<Map>();
  const bool entries = st.op == Op::kMapEntries;
  const uint32_t key = entries ? r_.children_[st.a] : 0;
  const uint32_t val = entries ? r_.children_[st.a + 1] : st.a;
  const uint64_t k = entries ? r_.steps_[key].min_size : 1, v = r_.steps_[val].min_size;
  const uint64_t entry_size = k + v < k ? UINT64_MAX : k + v;
  const Step string_step{Op::kString, 0, 0, 0, 1};
  for (uint64_t count = 0;;) {
    if (!read_block(entry_size, entries ? "array" : "map", &count)) return false;
    if (count == 0) return true;
    if (m.keys.empty()) m.keys.reserve(count < kMaxReserve ? count : kMaxReserve);
    if (m.values.empty()) m.values.reserve(count < kMaxReserve ? count : kMaxReserve);
    for (uint64_t i = 0; i < count; ++i) {
      Value& mk = m.keys.emplace_back();
      Value& mv = m.values.emplace_back();
      const bool ok = !entries    ? bytes(string_step, &mk) && value(val, &mv)
                      : st.n == 0 ? value(key, &mk) && value(val, &mv)
                                  : value(val, &mv) && value(key, &mk);
      if (!ok) return false;
    }
  }
}

// kOptional: n is the null branch; kSingle: the one branch; kUnion: a Struct with the branch's
// field set (children: the field count, then (step or kNullBranch, field index) per branch).
bool AvroDecoder::union_of(const Step& st, Value* out) {
  const uint8_t* at = p_;
  int64_t branch = 0;
  if (!read_long(&branch)) return false;
  const int64_t branches = st.op == Op::kSingle ? 1 : st.op == Op::kOptional ? 2 : st.n;
  if (branch < 0 || branch >= branches)
    return fail(at, cat("union index ", branch, " out of range (", branches, " branches)"));
  if (st.op != Op::kUnion) return (st.op == Op::kOptional && branch == st.n) || value(st.a, out);
  const uint32_t* entry = r_.children_.data() + st.a + 1 + 2 * branch;
  if (entry[0] == kNullBranch) return true;  // `out` is null already
  auto& fields = out->v.emplace<Struct>().fields;
  fields.resize(r_.children_[st.a]);
  return value(entry[0], &fields[entry[1]]);
}

Status AvroReader::decode(std::string_view body, Value* out) const {
  AvroDecoder decoder(*this, body);
  *out = Value();
  const Step& root = steps_[root_];
  const auto* data = reinterpret_cast<const uint8_t*>(body.data());
  bool ok = true;
  if (root.op == Op::kBytes)  // Confluent writes a top-level bytes schema raw
    out->v.emplace<Bytes>().data.assign(body.data(), body.size());
  else if (root.op == Op::kDecimalBytes)
    ok = decoder.decimal(data, body.size(), root.scale, out);
  else
    ok = decoder.value(root_, out) && decoder.finish();
  if (ok) return Status::Ok();
  *out = Value();
  return decoder.status();
}

}  // namespace kpipe
