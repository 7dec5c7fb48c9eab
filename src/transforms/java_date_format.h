// java.text.SimpleDateFormat with the UTC time zone and Locale.US English names: what Kafka
// Connect's TimestampConverter and TimestampRouter format and parse with on an English-locale JVM.
// (Locale.ROOT would differ: "CE" for the era, "Feb" for MMMM.)
//
// Letters: G y Y M L w W D d F E u a H k K h m s S z Z X, with Java's count rules and Java's
// lenient parsing (out-of-range fields roll over, the most recently parsed field wins when fields
// disagree). English names and Locale.US week rules (weeks start on Sunday; the first week of a
// year holds January 1st). Dates are proleptic Gregorian: Java switches to the Julian calendar
// before 1582-10-15, which is out of scope. Zone names parse only if they are UTC's or GMT's
// ("UTC", "Coordinated Universal Time", "GMT", "Greenwich Mean Time"), besides "GMT+h:mm"; Java
// would also find others ("PST") in its zone table, and switch the formatter to that zone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

namespace kpipe {

class JavaDateFormat {
 public:
  // Compiles a SimpleDateFormat pattern. An unknown pattern letter or an unterminated quote is
  // an error whose message is Java's IllegalArgumentException message ("Illegal pattern
  // character 'q'", "Unterminated quote", "invalid ISO 8601 format: length=4").
  static Status compile(const std::string& pattern, JavaDateFormat* out);
  const std::string& pattern() const { return pattern_; }
  // Formats milliseconds since the epoch (may be negative, i.e. before 1970) in UTC, as
  // new SimpleDateFormat(pattern) with setTimeZone(UTC) would.
  std::string format(int64_t epoch_ms) const;
  // Parses `text` as SimpleDateFormat.parse(String) does (lenient, the whole of the pattern must
  // match from the start; trailing text after a full match is ignored, as DateFormat.parse(String)
  // ignores it). False when Java would throw ParseException.
  bool parse(const std::string& text, int64_t* epoch_ms) const;

 private:
  // One element of the compiled pattern: a run of one pattern letter, or literal text.
  struct Token {
    char letter = 0;  // 0: literal text
    int count = 0;
    std::string literal;
  };
  static Status check_run(const std::vector<Token>& tokens);
  static void add_literal(std::vector<Token>* tokens, const std::string& text);
  char* write(const void* instant, char* out) const;
  static constexpr size_t kStackOutput = 512;

  std::string pattern_;
  std::vector<Token> tokens_;
  // Java's defaultCenturyStart: 80 years before the format was compiled. Two-digit years parse
  // into the hundred years that start here.
  int64_t century_start_ms_ = 0;
  int64_t century_start_year_ = 0;
  bool needs_weeks_ = true;  // the pattern formats a week field (w, W, Y)
  size_t max_output_ = 0;    // the longest text format() can write
};

}  // namespace kpipe
