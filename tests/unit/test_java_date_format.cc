// JavaDateFormat against java.text.SimpleDateFormat. Every expected string and millisecond
// value below was printed by OpenJDK 17's SimpleDateFormat (new SimpleDateFormat(pattern) in the
// default "en" locale, setTimeZone(UTC)). Dates before 1583 are left out: Java switches to the
// Julian calendar there, JavaDateFormat stays Gregorian.
#include <doctest/doctest.h>

#include <cstdint>
#include <ctime>
#include <limits>
#include <string>

#include "transforms/java_date_format.h"

using kpipe::JavaDateFormat;

namespace {

constexpr int64_t kFails = std::numeric_limits<int64_t>::min();  // Java throws ParseException
constexpr int64_t kFriday13th = 1234567890123;                   // 2009-02-13T23:31:30.123Z

struct FormatCase {
  const char* pattern;
  const char* expected;
};

struct ParseCase {
  const char* pattern;
  const char* text;
  int64_t expected;
};

JavaDateFormat compiled(const std::string& pattern) {
  JavaDateFormat format;
  const kpipe::Status status = JavaDateFormat::compile(pattern, &format);
  REQUIRE_MESSAGE(status.ok(), status.message());
  return format;
}

int64_t parsed(const std::string& pattern, const std::string& text) {
  int64_t ms = 0;
  return compiled(pattern).parse(text, &ms) ? ms : kFails;
}

void check_parses(const ParseCase* cases, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    INFO("pattern \"" << cases[i].pattern << "\" text \"" << cases[i].text << "\"");
    CHECK(parsed(cases[i].pattern, cases[i].text) == cases[i].expected);
  }
}

std::string compile_error(const std::string& pattern) {
  JavaDateFormat format;
  const kpipe::Status status = JavaDateFormat::compile(pattern, &format);
  return status.ok() ? "ok" : status.message();
}

}  // namespace

TEST_CASE("java_date_format: compile reports Java's IllegalArgumentException messages") {
  CHECK(compile_error("yyyy-MM-dd q") == "Illegal pattern character 'q'");
  CHECK(compile_error("T") == "Illegal pattern character 'T'");
  CHECK(compile_error("yyyy-MM-dd'T") == "Unterminated quote");
  CHECK(compile_error("'") == "Unterminated quote");
  CHECK(compile_error("XXXX") == "invalid ISO 8601 format: length=4");
  // Java reports what it meets first: the bad letter before the X run ends, the X run before the
  // unterminated quote.
  CHECK(compile_error("XXXXq") == "Illegal pattern character 'q'");
  CHECK(compile_error("XXXX'abc") == "invalid ISO 8601 format: length=4");
  // Letters inside quotes, non-ASCII and punctuation are literal text.
  CHECK(compile_error("'quoted q' \u00e9 !#") == "ok");
  CHECK(compile_error("") == "ok");
  CHECK(compiled("yyyy-MM-dd'T'HH:mm").pattern() == "yyyy-MM-dd'T'HH:mm");
}

TEST_CASE("java_date_format: formats every pattern letter at every count") {
  const FormatCase cases[] = {
      {"G", "AD"},
      {"GG", "AD"},
      {"GGG", "AD"},
      {"GGGG", "AD"},
      {"GGGGG", "AD"},
      {"y", "2009"},
      {"yy", "09"},
      {"yyy", "2009"},
      {"yyyy", "2009"},
      {"yyyyy", "02009"},
      {"Y", "2009"},
      {"YY", "09"},
      {"YYY", "2009"},
      {"YYYY", "2009"},
      {"YYYYY", "02009"},
      {"M", "2"},
      {"MM", "02"},
      {"MMM", "Feb"},
      {"MMMM", "February"},
      {"MMMMM", "February"},
      {"L", "2"},
      {"LL", "02"},
      {"LLL", "Feb"},
      {"LLLL", "February"},
      {"LLLLL", "February"},
      {"w", "7"},
      {"ww", "07"},
      {"www", "007"},
      {"wwww", "0007"},
      {"wwwww", "00007"},
      {"W", "2"},
      {"WW", "02"},
      {"WWW", "002"},
      {"WWWW", "0002"},
      {"WWWWW", "00002"},
      {"D", "44"},
      {"DD", "44"},
      {"DDD", "044"},
      {"DDDD", "0044"},
      {"DDDDD", "00044"},
      {"d", "13"},
      {"dd", "13"},
      {"ddd", "013"},
      {"dddd", "0013"},
      {"ddddd", "00013"},
      {"F", "2"},
      {"FF", "02"},
      {"FFF", "002"},
      {"FFFF", "0002"},
      {"FFFFF", "00002"},
      {"E", "Fri"},
      {"EE", "Fri"},
      {"EEE", "Fri"},
      {"EEEE", "Friday"},
      {"EEEEE", "Friday"},
      {"u", "5"},
      {"uu", "05"},
      {"uuu", "005"},
      {"uuuu", "0005"},
      {"uuuuu", "00005"},
      {"a", "PM"},
      {"aa", "PM"},
      {"aaa", "PM"},
      {"aaaa", "PM"},
      {"aaaaa", "PM"},
      {"H", "23"},
      {"HH", "23"},
      {"HHH", "023"},
      {"HHHH", "0023"},
      {"HHHHH", "00023"},
      {"k", "23"},
      {"kk", "23"},
      {"kkk", "023"},
      {"kkkk", "0023"},
      {"kkkkk", "00023"},
      {"K", "11"},
      {"KK", "11"},
      {"KKK", "011"},
      {"KKKK", "0011"},
      {"KKKKK", "00011"},
      {"h", "11"},
      {"hh", "11"},
      {"hhh", "011"},
      {"hhhh", "0011"},
      {"hhhhh", "00011"},
      {"m", "31"},
      {"mm", "31"},
      {"mmm", "031"},
      {"mmmm", "0031"},
      {"mmmmm", "00031"},
      {"s", "30"},
      {"ss", "30"},
      {"sss", "030"},
      {"ssss", "0030"},
      {"sssss", "00030"},
      {"S", "123"},
      {"SS", "123"},
      {"SSS", "123"},
      {"SSSS", "0123"},
      {"SSSSS", "00123"},
      {"z", "UTC"},
      {"zz", "UTC"},
      {"zzz", "UTC"},
      {"zzzz", "Coordinated Universal Time"},
      {"zzzzz", "Coordinated Universal Time"},
      {"Z", "+0000"},
      {"ZZ", "+0000"},
      {"ZZZ", "+0000"},
      {"ZZZZ", "+0000"},
      {"ZZZZZ", "+0000"},
      {"X", "Z"},
      {"XX", "Z"},
      {"XXX", "Z"},
  };
  for (const FormatCase& c : cases) {
    INFO("pattern \"" << c.pattern << "\"");
    CHECK(compiled(c.pattern).format(kFriday13th) == c.expected);
  }
  // DecimalFormat pads to at most 309 digits.
  CHECK(compiled(std::string(400, 'd')).format(kFriday13th) == std::string(307, '0') + "13");
}

TEST_CASE("java_date_format: hour letters around midnight and noon") {
  const struct {
    int64_t epoch_ms;
    const char* expected;
  } cases[] = {
      {0, "12 AM 0 24 0"},          {43200000, "12 PM 0 12 12"}, {46800000, "1 PM 1 13 13"},
      {82800000, "11 PM 11 23 23"}, {3600000, "1 AM 1 1 1"},
  };
  const JavaDateFormat format = compiled("h a K k H");
  for (const auto& c : cases) CHECK(format.format(c.epoch_ms) == c.expected);
}

TEST_CASE("java_date_format: formats negative epochs, leap days and week years") {
  const struct {
    int64_t epoch_ms;
    const char* expected;
  } cases[] = {
      {0, "1970-01-01T00:00:00.000 Thu 1 1 1 1 4 1970"},
      {-1, "1969-12-31T23:59:59.999 Wed 365 1 5 5 3 1970"},
      {-86400001, "1969-12-30T23:59:59.999 Tue 364 1 5 5 2 1970"},
      {951782400000, "2000-02-29T00:00:00.000 Tue 60 10 5 5 2 2000"},
      {951868799999, "2000-02-29T23:59:59.999 Tue 60 10 5 5 2 2000"},
      {1582934400000, "2020-02-29T00:00:00.000 Sat 60 9 5 5 6 2020"},
      {-2203891200000, "1900-03-01T00:00:00.000 Thu 60 9 1 1 4 1900"},
      {-11670912000000, "1600-03-01T00:00:00.000 Wed 61 10 1 1 3 1600"},
      {-12212553600000, "1583-01-01T00:00:00.000 Sat 1 1 1 1 6 1583"},
      {-5000000000000, "1811-07-23T15:06:40.000 Tue 204 30 4 4 2 1811"},
      {253402300799999, "9999-12-31T23:59:59.999 Fri 365 1 5 5 5 10000"},
      {1609459200000, "2021-01-01T00:00:00.000 Fri 1 1 1 1 5 2021"},
      {1609372800000, "2020-12-31T00:00:00.000 Thu 366 1 5 5 4 2021"},
      {1577750400000, "2019-12-31T00:00:00.000 Tue 365 1 5 5 2 2020"},
      {1704067199999, "2023-12-31T23:59:59.999 Sun 365 1 6 5 7 2024"},
      {1419984000000, "2014-12-31T00:00:00.000 Wed 365 1 5 5 3 2015"},
  };
  const JavaDateFormat format = compiled("yyyy-MM-dd'T'HH:mm:ss.SSS EEE D w W F u Y");
  for (const auto& c : cases) {
    INFO("epoch_ms " << c.epoch_ms);
    CHECK(format.format(c.epoch_ms) == c.expected);
  }
}

TEST_CASE("java_date_format: quoted text and literals") {
  const FormatCase cases[] = {
      {"'It''s' h 'o''clock' a", "It's 11 o'clock PM"},
      {"''yyyy''", "'2009'"},
      {"yyyy'年'MM'月'dd'日'", "2009年02月13日"},
      {"yyyy.MM.dd G 'at' HH:mm:ss z", "2009.02.13 AD at 23:31:30 UTC"},
      {"EEE, MMM d, ''yy", "Fri, Feb 13, '09"},
      {"'T'HH-mm", "T23-31"},
      {"'zzzz' zzzz", "zzzz Coordinated Universal Time"},
      {"[yyyy] {MM} (dd) #!", "[2009] {02} (13) #!"},
      {"''", "'"},
      {"'a''b'''", "a'b'"},
  };
  for (const FormatCase& c : cases) {
    INFO("pattern \"" << c.pattern << "\"");
    CHECK(compiled(c.pattern).format(kFriday13th) == c.expected);
  }
}

TEST_CASE("java_date_format: parse applies numeric offsets and UTC's zone names") {
  const ParseCase cases[] = {
      {"yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2019-03-04T05:06:07.089+01:00", 1551672367089},
      {"yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2019-03-04T05:06:07.089Z", 1551675967089},
      {"yyyy-MM-dd'T'HH:mm:ssXX", "2019-03-04T05:06:07-0530", 1551695767000},
      {"yyyy-MM-dd'T'HH:mm:ssX", "2019-03-04T05:06:07+02", 1551668767000},
      {"yyyy-MM-dd HH:mm:ss Z", "2019-03-04 05:06:07 +0200", 1551668767000},
      {"yyyy-MM-dd HH:mm:ss Z", "2019-03-04 05:06:07 GMT+02:00", 1551668767000},
      {"yyyy-MM-dd HH:mm:ss z", "2019-03-04 05:06:07 gmt-9:30", 1551710167000},
      {"yyyy-MM-dd HH:mm:ss z", "2019-03-04 05:06:07 UTC", 1551675967000},
      {"yyyy-MM-dd HH:mm:ss z", "2019-03-04 05:06:07 GMT", 1551675967000},
      {"yyyy-MM-dd HH:mm:ss zzzz", "2019-03-04 05:06:07 Coordinated Universal Time", 1551675967000},
      {"EEE, d MMM yyyy HH:mm:ss Z", "Tue, 3 Jun 2008 11:05:30 -0110", 1212495330000},
      {"EEE, d MMM yyyy HH:mm:ss Z", "tuesday, 3 JUNE 2008 11:05:30 +0000", 1212491130000},
      {"z", "Greenwich Mean Time", 0},
      // A zone name sets no offset, so an earlier one stays.
      {"Z z", "+0200 UTC", -7200000},
      {"X", " Z", 0},
  };
  check_parses(cases, sizeof(cases) / sizeof(cases[0]));
}

TEST_CASE("java_date_format: lenient parsing rolls out-of-range fields over") {
  // Month 13, February 29th of 2019, hour 25, minute 61, day 400, negative hours; 'S' is a count
  // of milliseconds, not a fraction ("01.5" is 1.005 s); "1E1" and "NaN" are DecimalFormat's.
  const ParseCase cases[] = {
      {"yyyy-MM-dd", "2020-13-01", 1609459200000},
      {"yyyy-MM-dd", "2019-02-29", 1551398400000},
      {"yyyy-MM-dd", "2020-00-00", 1575072000000},
      {"yyyy-MM-dd", "2020-01-400", 1612310400000},
      {"yyyy-MM-dd", "2020-1-5", 1578182400000},
      {"yyyy-MM-dd HH:mm:ss", "2020-01-01 25:61:61", 1577930521000},
      {"yyyy-MM-dd HH:mm:ss", "2020-01-01 -1:00:00", 1577833200000},
      {"ss.S", "01.5", 1005},
      {"ss.SSS", "01.5", 1005},
      {"ss.S", "01.123456", 124456},
      {"yyyy-MM-dd kk:mm", "2020-01-01 24:30", 1577838600000},
      {"yyyy-MM-dd hh:mm a", "2020-01-01 12:30 AM", 1577838600000},
      {"yyyy-MM-dd hh:mm a", "2020-01-01 12:30 PM", 1577881800000},
      {"yyyy-MM-dd hh:mm a", "2020-01-01 13:30 PM", 1577928600000},
      {"yyyy-MM-dd KK:mm a", "2020-01-01 11:59 PM", 1577923140000},
      {"yyyyMMddHHmmss", "20200229134501", 1582983901000},
      {"yyyyMMdd", "2020 0102", 1583884800000},
      {"d", "1E1", 777600000},
      {"d", "NaN", -86400000},
      {"d", "-3", -345600000},
  };
  check_parses(cases, sizeof(cases) / sizeof(cases[0]));
}

TEST_CASE("java_date_format: parse resolves fields the way java.util.Calendar does") {
  // Missing fields default to 1970-01-01T00:00; when fields disagree, the group set last wins;
  // week fields count from Sunday, and week 1 holds January 1st (Locale.US).
  const ParseCase cases[] = {
      {"EEE", "Mon", 345600000},
      {"MMM", "Sep", 20995200000},
      {"MMMM", "sept", 20995200000},
      {"a", "PM", 43200000},
      {"HH:mm", "13:45", 49500000},
      {"yyyy", "2021", 1609459200000},
      {"yyyy DDD", "2020 366", 1609372800000},
      {"yyyy MM dd DDD", "2020 05 05 100", 1586390400000},
      {"yyyy DDD MM dd", "2020 100 05 05", 1588636800000},
      {"yyyy ww E", "2020 10 Wed", 1583280000000},
      {"yyyy MM W E", "2020 03 2 Thu", 1583971200000},
      {"yyyy MM F E", "2020 03 -1 Fri", 1585267200000},
      {"YYYY-'W'ww-u", "2021-W01-1", 1609113600000},
      {"YYYY-'W'ww-u", "2020-W53-7", 1609027200000},
      {"YYYY-'W'ww-u", "2020-W10-9", 1583798400000},
      {"YYYY", "2021", 1609027200000},
      {"yyyy YYYY", "2000 2021", 1609027200000},
      {"YYYY yyyy", "2021 2000", 946684800000},
      {"HH a", "10 PM", 36000000},
      {"hh a HH", "05 PM 03", 10800000},
      {"G yyyy-MM-dd", "AD 2020-01-05", 1578182400000},
  };
  check_parses(cases, sizeof(cases) / sizeof(cases[0]));
}

TEST_CASE("java_date_format: parse ignores trailing text and skips spaces before numbers") {
  const ParseCase cases[] = {
      {"yyyy-MM-dd", "2020-01-05", 1578182400000},
      {"yyyy-MM-dd", "2020-01-05xyz", 1578182400000},
      {"yyyy-MM-dd HH:mm", "2020-01-05 10:30 and more", 1578220200000},
      {"yyyy-MM-dd", " 2020- 01-\t05", 1578182400000},
  };
  check_parses(cases, sizeof(cases) / sizeof(cases[0]));
}

TEST_CASE("java_date_format: parse fails where Java throws ParseException") {
  // Among them: "HHmmss" takes two digits per field; 'Z' has no colon form; a month name is not
  // found after a space; '+' is no sign for DecimalFormat; an empty pattern parses nothing.
  const ParseCase cases[] = {
      {"yyyy-MM-dd", "2020/01/05", kFails},
      {"yyyy-MM-dd", "2020-01", kFails},
      {"yyyy-MM-dd", "", kFails},
      {"HHmmss", "123", kFails},
      {"Z", "+02:00", kFails},
      {"Z", "Z", kFails},
      {"XX", "+02:00", kFails},
      {"XXX", "+0200", kFails},
      {"MMM", " Jan", kFails},
      {"d", "+3", kFails},
      {"yyyy-MM-dd'T'", "2020-01-05t", kFails},
      {"EEE", "Mo", kFails},
      {"", "2020", kFails},
      {"hh:mm", "ab:cd", kFails},
  };
  check_parses(cases, sizeof(cases) / sizeof(cases[0]));
}

TEST_CASE("java_date_format: parse reads back what format wrote") {
  const char* const patterns[] = {"yyyy-MM-dd'T'HH:mm:ss.SSSXXX",   "yyyyMMddHHmmssSSS",
                                  "EEE, d MMM yyyy HH:mm:ss.SSS Z", "G yyyy-MM-dd hh:mm:ss.SSS a",
                                  "yyyy-DDD HH:mm:ss.SSS zzzz",     "YYYY-'W'ww-u kk:mm:ss.SSS",
                                  "MMMM d yyyy KK:mm:ss.SSS a z"};
  const int64_t epochs[] = {0,
                            -1,
                            kFriday13th,
                            951782400000,
                            1582934399999,
                            1609372800000,
                            -2203891200000,
                            -11670912000001,
                            -5000000000000,
                            253402300799999};
  for (const char* pattern : patterns) {
    const JavaDateFormat format = compiled(pattern);
    for (int64_t epoch_ms : epochs) {
      const std::string text = format.format(epoch_ms);
      INFO("pattern \"" << pattern << "\" text \"" << text << "\"");
      int64_t back = 0;
      REQUIRE(format.parse(text, &back));
      CHECK(back == epoch_ms);
    }
  }
}

TEST_CASE("java_date_format: two-digit years land from 80 years before compile() to 20 after") {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  const int year = utc.tm_year + 1900;
  const auto two_digits = [](int y) { return std::to_string(y % 100 + 100).substr(1); };
  const auto jan1 = [](int y) { return parsed("yyyy-MM-dd", std::to_string(y) + "-01-01"); };
  CHECK(parsed("yy", two_digits(year - 79)) == jan1(year - 79));
  CHECK(parsed("yy", two_digits(year + 19)) == jan1(year + 19));
  // The year 80 years ago is ambiguous: January 1st of it is before the start, so 100 years later.
  CHECK(parsed("yy-MM-dd", two_digits(year - 80) + "-01-01") == jan1(year + 20));
  // Only exactly two digits pivot; "yyyy" never does.
  const JavaDateFormat yyyy = compiled("yyyy");
  CHECK(yyyy.format(parsed("yy", "123")) == "0123");
  CHECK(yyyy.format(parsed("y", "7")) == "0007");
  CHECK(yyyy.format(parsed("yyyy", "12")) == "0012");
  CHECK(yyyy.format(parsed("yy", "2012")) == "2012");
}
