#include "connectors/file/csv.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>

namespace kpipe {

namespace {

// Line ends in `text`: \n, \r\n and a lone \r each count once.
size_t count_line_ends(std::string_view text) {
  size_t lines = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++lines;
    } else if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) {
      ++lines;
    }
  }
  return lines;
}

}  // namespace

CsvResult parse_csv_record(std::string_view data, bool at_end, const CsvFormat& format,
                           std::vector<std::string>* fields, std::vector<char>* quoted) {
  CsvResult result;
  const size_t n = data.size();
  if (n == 0) return result;  // kNeedMore: nothing to parse (at the end: no record)
  const char delimiter = format.delimiter;
  const char quote = format.quote;
  size_t used = 0;
  size_t embedded_lines = 0;
  bool any_quoted = false;
  size_t i = 0;
  for (;;) {
    // A new field; reuse the strings of earlier records (their capacity).
    if (used == fields->size()) fields->emplace_back();
    std::string& field = (*fields)[used++];
    field.clear();
    const bool is_quoted = i < n && data[i] == quote;
    if (quoted) {
      if (quoted->size() < used) quoted->resize(used);
      (*quoted)[used - 1] = is_quoted;
    }
    if (is_quoted) {
      any_quoted = true;
      ++i;
      for (;;) {
        const void* found = std::memchr(data.data() + i, quote, n - i);
        if (!found) {
          if (!at_end) return result;
          result.kind = CsvParse::kError;
          result.lines = embedded_lines;
          result.error =
              "a quoted field starting on this line is not closed before the end of the file";
          return result;
        }
        const size_t q = static_cast<size_t>(static_cast<const char*>(found) - data.data());
        std::string_view piece = data.substr(i, q - i);
        embedded_lines += count_line_ends(piece);
        field.append(piece);
        i = q + 1;
        if (i == n && !at_end) return result;  // a doubled quote may follow
        if (i < n && data[i] == quote) {
          field += quote;
          ++i;
          continue;
        }
        break;
      }
      if (i < n && data[i] != delimiter && data[i] != '\n' && data[i] != '\r') {
        result.kind = CsvParse::kError;
        result.lines = embedded_lines;
        result.error = std::string("unexpected character '") + data[i] +
                       "' after a closing quote (a quote inside a quoted field is written twice)";
        return result;
      }
    } else {
      size_t j = i;
      while (j < n && data[j] != delimiter && data[j] != '\n' && data[j] != '\r') ++j;
      if (j == n && !at_end) return result;
      field.append(data.substr(i, j - i));
      i = j;
    }
    // After a field: a delimiter, a line end or the end of the input.
    if (i == n) {
      result.consumed = n;
      result.lines = embedded_lines;
      break;
    }
    if (data[i] == delimiter) {
      ++i;
      continue;
    }
    if (data[i] == '\r') {
      if (i + 1 == n && !at_end) return result;  // \r or \r\n?
      i += (i + 1 < n && data[i + 1] == '\n') ? 2 : 1;
    } else {
      ++i;
    }
    result.consumed = i;
    result.lines = embedded_lines + 1;
    break;
  }
  fields->resize(used);
  if (quoted) quoted->resize(used);
  // A blank line is no record (an empty single field is written "" and stays one).
  if (used == 1 && !any_quoted && (*fields)[0].empty()) {
    fields->clear();
    if (quoted) quoted->clear();
  }
  result.kind = CsvParse::kRecord;
  return result;
}

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

bool parse_i64(std::string_view text, int64_t* out) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic Gregorian date.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool digits(std::string_view text, size_t pos, size_t count, int* out) {
  if (pos + count > text.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    v = v * 10 + (text[i] - '0');
  }
  *out = v;
  return true;
}

// YYYY-MM-DD at the start of `text`.
bool parse_date(std::string_view text, int64_t* days) {
  int y, m, d;
  if (!digits(text, 0, 4, &y) || text.size() < 10 || text[4] != '-' || !digits(text, 5, 2, &m) ||
      text[7] != '-' || !digits(text, 8, 2, &d))
    return false;
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (m == 2 && d == 29 && !leap) return false;
  *days = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

// HH:MM[:SS[.fraction]] at `pos`; advances `pos` past it.
bool parse_time(std::string_view text, size_t* pos, int64_t* nanos) {
  int h, m, s = 0;
  size_t p = *pos;
  if (!digits(text, p, 2, &h) || p + 2 >= text.size() || text[p + 2] != ':' ||
      !digits(text, p + 3, 2, &m))
    return false;
  p += 5;
  int64_t fraction = 0;
  if (p < text.size() && text[p] == ':') {
    if (!digits(text, p + 1, 2, &s)) return false;
    p += 3;
    if (p < text.size() && (text[p] == '.' || text[p] == ',')) {
      ++p;
      int count = 0;
      while (p < text.size() && text[p] >= '0' && text[p] <= '9') {
        if (count == 9) return false;  // beyond nanoseconds
        fraction = fraction * 10 + (text[p] - '0');
        ++count;
        ++p;
      }
      if (count == 0) return false;
      for (int i = count; i < 9; ++i) fraction *= 10;
    }
  }
  if (h > 23 || m > 59 || s > 59) return false;
  *nanos = ((h * 60 + m) * 60 + s) * int64_t{1000000000} + fraction;
  *pos = p;
  return true;
}

bool parse_timestamp(std::string_view text, int64_t* nanos) {
  int64_t days;
  if (!parse_date(text, &days)) return false;
  size_t p = 10;
  int64_t time_of_day = 0, offset_seconds = 0;
  if (p < text.size()) {
    if (text[p] != 'T' && text[p] != ' ') return false;
    ++p;
    if (!parse_time(text, &p, &time_of_day)) return false;
    if (p < text.size()) {
      if (text[p] == 'Z' && p + 1 == text.size()) {
        p = text.size();
      } else if (text[p] == '+' || text[p] == '-') {
        int oh, om;
        const int sign = text[p] == '+' ? 1 : -1;
        if (!digits(text, p + 1, 2, &oh)) return false;
        size_t q = p + 3;
        if (q < text.size() && text[q] == ':') ++q;
        if (!digits(text, q, 2, &om) || q + 2 != text.size() || oh > 18 || om > 59) return false;
        offset_seconds = sign * (oh * 3600 + om * 60);
        p = text.size();
      } else {
        return false;
      }
    }
  }
  // int64 nanoseconds reach from 1677 to 2262.
  int64_t seconds = days * 86400 - offset_seconds, result;
  if (__builtin_mul_overflow(seconds, int64_t{1000000000}, &result) ||
      __builtin_add_overflow(result, time_of_day, &result))
    return false;
  *nanos = result;
  return true;
}

}  // namespace

Status parse_csv_schema(const std::string& text, std::vector<CsvColumn>* out) {
  out->clear();
  std::vector<std::string> entries;
  std::string cur;
  int depth = 0;
  for (char ch : text + ",") {
    if (ch == '(') ++depth;
    if (ch == ')') --depth;
    if (ch == ',' && depth <= 0) {
      if (!trim(cur).empty()) entries.push_back(trim(cur));
      cur.clear();
    } else {
      cur += ch;
    }
  }
  for (const std::string& entry : entries) {
    const size_t colon = entry.rfind(':');
    if (colon == std::string::npos || colon == 0)
      return Status::Invalid("'" + entry + "': expected NAME:TYPE");
    CsvColumn col;
    col.name = trim(entry.substr(0, colon));
    std::string type = trim(entry.substr(colon + 1));
    std::transform(type.begin(), type.end(), type.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const CsvColumn& other : *out)
      if (other.name == col.name) return Status::Invalid("column '" + col.name + "' twice");
    if (type == "int8" || type == "int16" || type == "int32" || type == "int64" ||
        type == "float32" || type == "float64" || type == "float" || type == "double" ||
        type == "boolean" || type == "string") {
      col.schema = Schema::primitive(*type_from_name(type), true);
    } else if (type == "date") {
      col.schema = Schema::date(true);
    } else if (type == "time") {
      col.schema = Schema::time(true);
    } else if (type == "timestamp") {
      col.schema = Schema::timestamp(true);
    } else if (type.rfind("decimal(", 0) == 0 && type.back() == ')') {
      std::string args = type.substr(8, type.size() - 9);
      const size_t comma = args.find(',');
      int64_t precision = 0, scale = 0;
      if (comma == std::string::npos || !parse_i64(trim(args.substr(0, comma)), &precision) ||
          !parse_i64(trim(args.substr(comma + 1)), &scale) || precision < 1 || precision > 1000 ||
          scale < 0 || scale > precision)
        return Status::Invalid("'" + entry + "': expected decimal(PRECISION,SCALE)");
      col.precision = static_cast<int32_t>(precision);
      col.schema = Schema::decimal(static_cast<int32_t>(scale), true, col.precision);
    } else {
      return Status::Invalid(
          "'" + entry +
          "': unknown type (int8, int16, int32, int64, float32, float64, boolean, string, "
          "decimal(p,s), date, time, timestamp)");
    }
    out->push_back(std::move(col));
  }
  if (out->empty()) return Status::Invalid("no columns");
  return Status::Ok();
}

bool csv_field_value(const CsvColumn& column, std::string&& text, Value* out, std::string* error) {
  if (text.empty()) {
    *out = Value();
    return true;
  }
  const Schema& schema = *column.schema;
  switch (schema.logical()) {
    case Logical::kDecimal: {
      Decimal parsed, scaled;
      if (!Decimal::parse(text, &parsed)) {
        *error = "not a decimal number";
        return false;
      }
      if (!parsed.rescale(schema.decimal_scale(), &scaled)) {
        *error = "has more than " + std::to_string(schema.decimal_scale()) + " decimal places";
        return false;
      }
      const size_t digit_count = scaled.unscaled.size() - (scaled.unscaled[0] == '-' ? 1 : 0);
      if (column.precision > 0 && digit_count > static_cast<size_t>(column.precision)) {
        *error = "has more than " + std::to_string(column.precision) + " digits";
        return false;
      }
      *out = Value(std::move(scaled));
      return true;
    }
    case Logical::kDate: {
      int64_t days;
      if (text.size() != 10 || !parse_date(text, &days)) {
        *error = "not a date (YYYY-MM-DD)";
        return false;
      }
      *out = Value(days);
      return true;
    }
    case Logical::kTime: {
      int64_t nanos;
      size_t pos = 0;
      if (!parse_time(text, &pos, &nanos) || pos != text.size()) {
        *error = "not a time (HH:MM:SS[.fraction])";
        return false;
      }
      *out = Value(nanos);
      return true;
    }
    case Logical::kTimestamp: {
      int64_t nanos;
      if (!parse_timestamp(text, &nanos)) {
        *error = "not a timestamp (YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|+HH:MM])";
        return false;
      }
      *out = Value(nanos);
      return true;
    }
    case Logical::kNone:
      break;
  }
  switch (schema.type) {
    case Type::kInt8:
    case Type::kInt16:
    case Type::kInt32:
    case Type::kInt64: {
      int64_t v;
      int64_t limit = schema.type == Type::kInt8    ? std::numeric_limits<int8_t>::max()
                      : schema.type == Type::kInt16 ? std::numeric_limits<int16_t>::max()
                      : schema.type == Type::kInt32 ? std::numeric_limits<int32_t>::max()
                                                    : std::numeric_limits<int64_t>::max();
      if (!parse_i64(text, &v) || v > limit || v < -limit - 1) {
        *error = std::string("not an ") + type_name(schema.type);
        return false;
      }
      *out = Value(v);
      return true;
    }
    case Type::kFloat32:
    case Type::kFloat64: {
      char* end = nullptr;
      if (std::isspace(static_cast<unsigned char>(text[0]))) end = text.data();
      const double v = end ? 0 : std::strtod(text.c_str(), &end);
      if (end != text.data() + text.size()) {
        *error = "not a number";
        return false;
      }
      *out = Value(v);
      return true;
    }
    case Type::kBoolean: {
      std::string lower = text;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (lower != "true" && lower != "false") {
        *error = "not a boolean (true or false)";
        return false;
      }
      *out = Value(lower == "true");
      return true;
    }
    default:
      *out = Value(std::move(text));
      return true;
  }
}

}  // namespace kpipe
