#include "java_hash_order.h"

#include <algorithm>
#include <numeric>
#include <unordered_set>

namespace kpipe {

namespace {

constexpr uint32_t kDefaultCapacity = 16;  // HashMap.DEFAULT_INITIAL_CAPACITY
constexpr uint32_t kTreeifyThreshold = 8;  // HashMap.TREEIFY_THRESHOLD
constexpr uint32_t kMinTreeifyCapacity = 64;

// HashMap.hash(): the high half folded into the low half, which picks the bucket.
uint32_t spread(int32_t hash) {
  uint32_t h = static_cast<uint32_t>(hash);
  return h ^ (h >> 16);
}

}  // namespace

std::u16string java_utf16(std::string_view utf8) {
  std::u16string out;
  out.reserve(utf8.size());
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<unsigned char>(utf8[k]); };
  while (i < utf8.size()) {
    const unsigned char lead = byte(i);
    if (lead < 0x80) {
      out += static_cast<char16_t>(lead);
      ++i;
      continue;
    }
    // The length of the sequence and the range its second byte must be in (Unicode table 3-7).
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      len = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      len = 3;
      if (lead == 0xE0) lo = 0xA0;
      if (lead == 0xED) hi = 0x9F;  // no UTF-16 surrogates in UTF-8
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      len = 4;
      if (lead == 0xF0) lo = 0x90;
      if (lead == 0xF4) hi = 0x8F;
    }
    uint32_t cp = len == 2 ? lead & 0x1F : len == 3 ? lead & 0x0F : lead & 0x07;
    size_t k = 1;
    for (; len > 0 && k < len && i + k < utf8.size(); ++k) {
      const unsigned char c = byte(i + k);
      if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) break;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (len == 0 || k < len) {
      out += u'\uFFFD';  // one replacement for the maximal ill-formed subpart
      i += k;
      continue;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out += static_cast<char16_t>(0xD800 + (cp >> 10));
      out += static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
    } else {
      out += static_cast<char16_t>(cp);
    }
    i += len;
  }
  return out;
}

int32_t java_string_hash(std::string_view utf8) {
  uint32_t h = 0;
  for (char16_t unit : java_utf16(utf8)) h = 31 * h + unit;
  return static_cast<int32_t>(h);
}

std::vector<std::string> java_hashmap_order(
    const std::vector<std::string>& keys_in_insertion_order) {
  std::vector<std::string> keys;
  std::vector<uint32_t> hashes;
  std::unordered_set<std::string> seen;
  // Replays HashMap.putVal's resizes; only the final table length matters for the order, since
  // a resize splits each bucket in two and keeps the relative order of its keys.
  uint32_t capacity = kDefaultCapacity;
  std::vector<uint32_t> bucket_sizes(capacity);
  auto resize = [&] {
    capacity *= 2;
    bucket_sizes.assign(capacity, 0);
    for (uint32_t h : hashes) ++bucket_sizes[h & (capacity - 1)];
  };
  for (const std::string& key : keys_in_insertion_order) {
    if (!seen.insert(key).second) continue;
    keys.push_back(key);
    hashes.push_back(spread(java_string_hash(key)));
    // treeifyBin() doubles a small table instead of making a bucket of 9 a tree.
    if (++bucket_sizes[hashes.back() & (capacity - 1)] > kTreeifyThreshold &&
        capacity < kMinTreeifyCapacity)
      resize();
    if (keys.size() > capacity / 4 * 3) resize();
  }
  std::vector<size_t> order(keys.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return (hashes[a] & (capacity - 1)) < (hashes[b] & (capacity - 1));
  });
  std::vector<std::string> out;
  out.reserve(keys.size());
  for (size_t i : order) out.push_back(std::move(keys[i]));
  return out;
}

}  // namespace kpipe
