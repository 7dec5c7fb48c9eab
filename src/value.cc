#include "value.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace kpipe {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Strips leading zeros from a digit string; "" and all zeros become "0".
std::string strip_zeros(const std::string& digits) {
  size_t first = digits.find_first_not_of('0');
  return first == std::string::npos ? "0" : digits.substr(first);
}

// Little-endian base-2^32 limbs <-> base-10 digit strings. Quadratic, which is plenty for the
// few dozen digits a database DECIMAL has, and needs no bignum library.
std::vector<uint32_t> digits_to_limbs(const std::string& digits) {
  std::vector<uint32_t> limbs;
  size_t pos = 0;
  while (pos < digits.size()) {
    size_t len = std::min<size_t>(9, digits.size() - pos);
    uint64_t multiplier = 1;
    uint64_t chunk = 0;
    for (size_t i = 0; i < len; ++i) {
      multiplier *= 10;
      chunk = chunk * 10 + static_cast<uint64_t>(digits[pos + i] - '0');
    }
    pos += len;
    uint64_t carry = chunk;
    for (uint32_t& limb : limbs) {
      uint64_t cur = static_cast<uint64_t>(limb) * multiplier + carry;
      limb = static_cast<uint32_t>(cur);
      carry = cur >> 32;
    }
    if (carry != 0) limbs.push_back(static_cast<uint32_t>(carry));
  }
  return limbs;
}

// Big-endian magnitude bytes (no leading zero bytes; zero is empty) -> decimal digits.
std::string magnitude_to_digits(const std::string& magnitude) {
  constexpr uint32_t kBase = 1000000000;
  std::vector<uint32_t> limbs;  // little-endian, base 10^9
  for (unsigned char byte : magnitude) {
    uint64_t carry = byte;
    for (uint32_t& limb : limbs) {
      uint64_t cur = static_cast<uint64_t>(limb) * 256 + carry;
      limb = static_cast<uint32_t>(cur % kBase);
      carry = cur / kBase;
    }
    while (carry != 0) {
      limbs.push_back(static_cast<uint32_t>(carry % kBase));
      carry /= kBase;
    }
  }
  if (limbs.empty()) return "0";
  std::string out = std::to_string(limbs.back());
  for (size_t i = limbs.size() - 1; i-- > 0;) {
    std::string part = std::to_string(limbs[i]);
    out.append(9 - part.size(), '0');
    out += part;
  }
  return out;
}

// Two's complement negation in place over big-endian bytes.
void negate(std::string* bytes) {
  for (char& c : *bytes) c = static_cast<char>(~static_cast<unsigned char>(c));
  for (size_t i = bytes->size(); i-- > 0;) {
    unsigned char b = static_cast<unsigned char>((*bytes)[i]);
    (*bytes)[i] = static_cast<char>(b + 1);
    if (b != 0xff) break;
  }
}

}  // namespace

const char* Value::kind_name() const {
  static const char* const kNames[] = {"null",  "boolean", "int64", "double", "string",
                                       "bytes", "decimal", "list",  "map",    "struct"};
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == std::variant_size_v<Variant>);
  return kNames[v.index()];
}

bool Decimal::parse(const std::string& text, Decimal* out) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  std::string digits;
  int64_t fraction_digits = 0;
  bool seen_point = false;
  for (; i < text.size(); ++i) {
    if (is_digit(text[i])) {
      digits += text[i];
      if (seen_point) ++fraction_digits;
    } else if (text[i] == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (digits.empty()) return false;
  int64_t exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) exp_negative = text[i++] == '-';
    if (i == text.size()) return false;
    for (; i < text.size() && is_digit(text[i]); ++i) {
      exponent = exponent * 10 + (text[i] - '0');
      if (exponent > std::numeric_limits<int32_t>::max()) return false;
    }
    if (exp_negative) exponent = -exponent;
  }
  if (i != text.size()) return false;
  int64_t scale = fraction_digits - exponent;
  if (scale < std::numeric_limits<int32_t>::min() || scale > std::numeric_limits<int32_t>::max()) {
    return false;
  }
  std::string unscaled = strip_zeros(digits);
  if (negative && unscaled != "0") unscaled.insert(0, 1, '-');
  out->unscaled = std::move(unscaled);
  out->scale = static_cast<int32_t>(scale);
  return true;
}

std::string Decimal::to_string() const {
  bool negative = !unscaled.empty() && unscaled[0] == '-';
  std::string digits = negative ? unscaled.substr(1) : unscaled;
  std::string out = negative ? "-" : "";
  if (scale <= 0) {
    if (digits == "0") return "0";
    out += digits;
    out.append(static_cast<size_t>(-static_cast<int64_t>(scale)), '0');
    return out;
  }
  size_t s = static_cast<size_t>(scale);
  if (digits.size() <= s) {
    out += "0.";
    out.append(s - digits.size(), '0');
    out += digits;
  } else {
    out.append(digits, 0, digits.size() - s);
    out += '.';
    out.append(digits, digits.size() - s, s);
  }
  return out;
}

std::string Decimal::to_java_string() const {
  bool negative = !unscaled.empty() && unscaled[0] == '-';
  std::string digits = negative ? unscaled.substr(1) : unscaled;
  int64_t adjusted = -static_cast<int64_t>(scale) + static_cast<int64_t>(digits.size()) - 1;
  if (scale >= 0 && adjusted >= -6) return to_string();
  std::string out = negative ? "-" : "";
  out += digits[0];
  if (digits.size() > 1) {
    out += '.';
    out.append(digits, 1, std::string::npos);
  }
  out += 'E';
  if (adjusted > 0) out += '+';
  out += std::to_string(adjusted);
  return out;
}

bool Decimal::rescale(int32_t new_scale, Decimal* out) const {
  if (new_scale == scale) {
    *out = *this;
    return true;
  }
  if (unscaled == "0") {
    *out = Decimal{"0", new_scale};
    return true;
  }
  std::string digits = unscaled;
  if (new_scale > scale) {
    digits.append(static_cast<size_t>(static_cast<int64_t>(new_scale) - scale), '0');
  } else {
    size_t drop = static_cast<size_t>(static_cast<int64_t>(scale) - new_scale);
    size_t sign = digits[0] == '-' ? 1 : 0;
    if (drop > digits.size() - sign) return false;
    if (digits.find_first_not_of('0', digits.size() - drop) != std::string::npos) return false;
    digits.resize(digits.size() - drop);
  }
  *out = Decimal{std::move(digits), new_scale};
  return true;
}

std::string Decimal::to_twos_complement() const {
  bool negative = !unscaled.empty() && unscaled[0] == '-';
  std::vector<uint32_t> limbs = digits_to_limbs(negative ? unscaled.substr(1) : unscaled);
  std::string bytes;
  for (size_t i = limbs.size(); i-- > 0;) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      bytes += static_cast<char>((limbs[i] >> shift) & 0xff);
    }
  }
  size_t first = bytes.find_first_not_of('\0');
  bytes = first == std::string::npos ? "" : bytes.substr(first);
  // One extra byte so the sign bit is free, then trim to Java's minimal length.
  bytes.insert(0, 1, '\0');
  if (negative) negate(&bytes);
  const unsigned char pad = negative ? 0xff : 0x00;
  size_t start = 0;
  while (start + 1 < bytes.size() && static_cast<unsigned char>(bytes[start]) == pad &&
         ((static_cast<unsigned char>(bytes[start + 1]) & 0x80) == (pad & 0x80))) {
    ++start;
  }
  return bytes.substr(start);
}

Decimal Decimal::from_twos_complement(const std::string& bytes, int32_t scale) {
  bool negative = !bytes.empty() && (static_cast<unsigned char>(bytes[0]) & 0x80) != 0;
  std::string magnitude = bytes;
  if (negative) negate(&magnitude);
  size_t first = magnitude.find_first_not_of('\0');
  magnitude = first == std::string::npos ? "" : magnitude.substr(first);
  std::string digits = magnitude_to_digits(magnitude);
  if (negative) digits.insert(0, 1, '-');
  return Decimal{std::move(digits), scale};
}

}  // namespace kpipe
