// The formatting follows SimpleDateFormat.subFormat and the parsing SimpleDateFormat.subParse,
// CalendarBuilder.establish and GregorianCalendar.computeTime (OpenJDK 17), field by field, so
// that Java's lenient quirks come out the same.
#include "transforms/java_date_format.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace kpipe {
namespace {

constexpr char kPatternLetters[] = "GyMdkHmsSEDFwWahKzZYuXL";
constexpr int64_t kMsPerDay = 86400000;
// Locale.US week rules.
constexpr int kFirstDayOfWeek = 1;  // Calendar.SUNDAY
constexpr int kMinimalDaysInFirstWeek = 1;
// DecimalFormat pads a long to at most this many digits.
constexpr int kMaxPadding = 309;
constexpr size_t kFail = std::string::npos;

const char* const kMonths[] = {"January",   "February", "March",    "April",
                               "May",       "June",     "July",     "August",
                               "September", "October",  "November", "December"};
const char* const kShortMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
const char* const kWeekdays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                 "Thursday", "Friday", "Saturday"};
const char* const kShortWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
const char* const kEraNames[] = {"BC", "AD", "Before Christ", "Anno Domini"};  // era: index % 2
const char* const kAmPmNames[] = {"AM", "PM"};
// Zone names that parse: UTC's (also what 'zzzz' and 'z' format) and GMT's, both offset 0.
const char* const kZoneNames[] = {"Coordinated Universal Time", "UTC", "Greenwich Mean Time",
                                  "GMT"};

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}
int64_t floor_mod(int64_t a, int64_t b) {
  const int64_t r = a % b;
  return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
}
// What a Java int expression yields: GregorianCalendar computes some of its terms in 32 bits.
int64_t wrap32(int64_t v) {
  return static_cast<int32_t>(static_cast<uint32_t>(v));
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_ascii_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Days since 1970-01-01 of a proleptic Gregorian date, month 1-12 (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = floor_div(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

struct Civil {
  int64_t year;  // proleptic: 0 is 1 BC
  int month;     // 1-12
  int day;
};

Civil civil_from_days(int64_t days) {
  days += 719468;
  const int64_t era = floor_div(days, 146097);
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2), month, static_cast<int>(doy - (153 * mp + 2) / 5 + 1)};
}

int month_length(int64_t year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap =
      floor_mod(year, 4) == 0 && (floor_mod(year, 100) != 0 || floor_mod(year, 400) == 0);
  return kDays[month - 1] + (month == 2 && leap);
}

// Calendar.SUNDAY (1) to SATURDAY (7); 1970-01-01 was a Thursday.
int day_of_week(int64_t day) {
  return static_cast<int>(floor_mod(day + 4, 7)) + 1;
}

// BaseCalendar.getDayOfWeekDateOnOrBefore: the last day on or before `day` that is a `dow` (any
// integer, taken modulo 7 as Java does).
int64_t on_or_before(int64_t day, int64_t dow) {
  return day - floor_mod(day + 5 - dow, 7);
}

// The first day of week 1 of the year or month that starts on `day1`.
int64_t first_week_start(int64_t day1) {
  const int64_t first = on_or_before(day1 + 6, kFirstDayOfWeek);
  return first - day1 >= kMinimalDaysInFirstWeek ? first - 7 : first;
}

// GregorianCalendar.getWeekNumber.
int64_t week_number(int64_t day1, int64_t day) {
  return floor_div(day - first_week_start(day1), 7) + 1;
}

// What GregorianCalendar.get returns for an instant, in UTC.
struct Instant {
  Civil date;
  int64_t day_of_year, day_of_week, week_of_year, week_of_month, week_year;
  int64_t hour, minute, second, millis;
};

// `weeks`: also the week fields (w, W, Y), which cost several calendar computations.
Instant break_down(int64_t epoch_ms, bool weeks = true) {
  const int64_t day = floor_div(epoch_ms, kMsPerDay);
  const int64_t ms = floor_mod(epoch_ms, kMsPerDay);
  Instant t;
  t.date = civil_from_days(day);
  const int64_t year = t.date.year;
  const int64_t jan1 = days_from_civil(year, 1, 1);
  t.day_of_year = day - jan1 + 1;
  t.day_of_week = day_of_week(day);
  if (!weeks) {
    t.week_of_month = t.week_of_year = 0;
    t.week_year = year;
  } else {
    t.week_of_month = week_number(day - t.date.day + 1, day);
    t.week_of_year = week_number(jan1, day);
    if (t.week_of_year == 0) {
      t.week_of_year = week_number(days_from_civil(year - 1, 1, 1), jan1 - 1);
    } else if (t.week_of_year >= 52) {
      const int64_t next_jan1 = days_from_civil(year + 1, 1, 1);
      const int64_t next_first = on_or_before(next_jan1 + 6, kFirstDayOfWeek);
      if (next_first - next_jan1 >= kMinimalDaysInFirstWeek && day >= next_first - 7) {
        t.week_of_year = 1;
      }
    }
    // GregorianCalendar.getWeekYear.
    t.week_year = year + (t.date.month == 1 ? -(t.week_of_year >= 52) : t.week_of_year == 1);
  }
  t.hour = ms / 3600000;
  t.minute = ms / 60000 % 60;
  t.second = ms / 1000 % 60;
  t.millis = ms % 1000;
  return t;
}

// SimpleDateFormat.zeroPaddingNumber into `out` (room for max(count, 20) + 1 characters);
// `two_digits` keeps only the last two, as "yy" does. Returns the end.
char* put_number(int64_t value, int count, bool two_digits, char* out) {
  if (two_digits) value %= 100;
  uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : value;
  char digits[24];
  char* first = digits + sizeof digits;
  do {
    *--first = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  const size_t length = static_cast<size_t>(digits + sizeof digits - first);
  if (value < 0) *out++ = '-';
  for (size_t width = static_cast<size_t>(std::min(count, kMaxPadding)); width > length; --width)
    *out++ = '0';
  while (first != digits + sizeof digits) *out++ = *first++;
  return out;
}

// The letters that format and parse as numbers (M and L only up to two letters).
constexpr char kNumberLetters[] = "yYMLdDFwWuHkKhmsS";

int64_t number_of(const Instant& t, char letter) {
  switch (letter) {
    case 'y':
      return t.date.year > 0 ? t.date.year : 1 - t.date.year;  // year of era
    case 'Y':
      return t.week_year;
    case 'M':
    case 'L':
      return t.date.month;
    case 'd':
      return t.date.day;
    case 'D':
      return t.day_of_year;
    case 'F':
      return (t.date.day - 1) / 7 + 1;
    case 'w':
      return t.week_of_year;
    case 'W':
      return t.week_of_month;
    case 'u':
      return t.day_of_week == 1 ? 7 : t.day_of_week - 1;
    case 'H':
      return t.hour;
    case 'k':
      return t.hour == 0 ? 24 : t.hour;
    case 'K':
      return t.hour % 12;
    case 'h':
      return t.hour % 12 == 0 ? 12 : t.hour % 12;
    case 'm':
      return t.minute;
    case 's':
      return t.second;
    default:  // 'S'
      return t.millis;
  }
}

// The text a letter formats as, or nullptr when it formats as a number.
const char* text_of(const Instant& t, char letter, int count) {
  if (letter == 'G') return kEraNames[t.date.year > 0];
  if (letter == 'E') return (count >= 4 ? kWeekdays : kShortWeekdays)[t.day_of_week - 1];
  if ((letter == 'M' || letter == 'L') && count >= 3) {
    return (count >= 4 ? kMonths : kShortMonths)[t.date.month - 1];
  }
  if (letter == 'a') return kAmPmNames[t.hour >= 12];
  if (letter == 'z') return kZoneNames[count < 4];
  if (letter == 'Z') return "+0000";
  if (letter == 'X') return "Z";
  return nullptr;
}

// java.util.Calendar's field numbers; kWeekYear is CalendarBuilder's.
constexpr int kEra = 0, kYear = 1, kMonth = 2, kWeekOfYear = 3, kWeekOfMonth = 4, kDayOfMonth = 5,
              kDayOfYear = 6, kDayOfWeek = 7, kDayOfWeekInMonth = 8, kAmPm = 9, kHour = 10,
              kHourOfDay = 11, kMinute = 12, kSecond = 13, kMillisecond = 14, kZoneOffset = 15,
              kDstOffset = 16, kWeekYear = 17, kFieldCount = 18;
// The field each of kNumberLetters sets.
constexpr int kNumberFields[] = {
    kYear,       kWeekYear,    kMonth,      kMonth,     kDayOfMonth, kDayOfYear, kDayOfWeekInMonth,
    kWeekOfYear, kWeekOfMonth, kDayOfWeek,  kHourOfDay, kHourOfDay,  kHour,      kHour,
    kMinute,     kSecond,      kMillisecond};

// Parsed calendar fields, each with the order it was set in (0: never): where fields disagree,
// Calendar resolves the date from the group set most recently.
struct CalendarFields {
  int32_t value[kFieldCount] = {};
  int stamp[kFieldCount] = {};
  int next_stamp = 2;
  void set(int field, int64_t v) {
    value[field] = static_cast<int32_t>(v);  // Java's fields are ints
    stamp[field] = next_stamp++;
  }
  bool is_set(int field) const { return stamp[field] != 0; }
};

int aggregate(int a, int b) {
  return a == 0 || b == 0 ? 0 : std::max(a, b);
}
bool in(unsigned mask, int field) {
  return (mask >> field) & 1;
}

// Calendar.selectFields: which fields determine the day and the time of day.
unsigned select_fields(const CalendarFields& c) {
  const int* s = c.stamp;
  unsigned mask = 1u << kYear | (c.is_set(kEra) ? 1u << kEra : 0);
  const int dow = s[kDayOfWeek];
  int dom = s[kDayOfMonth], doy = s[kDayOfYear];
  int wom = aggregate(s[kWeekOfMonth], dow), dowim = aggregate(s[kDayOfWeekInMonth], dow);
  int woy = aggregate(s[kWeekOfYear], dow);
  int best = std::max({dom, wom, dowim, doy, woy});
  if (best == 0) {
    wom = s[kWeekOfMonth];
    dowim = std::max(s[kDayOfWeekInMonth], dow);
    woy = s[kWeekOfYear];
    best = std::max({wom, dowim, woy});
    if (best == 0) best = dom = s[kMonth];
  }
  if (best == dom || (best == wom && s[kWeekOfMonth] >= s[kWeekOfYear]) ||
      (best == dowim && s[kDayOfWeekInMonth] >= s[kWeekOfYear])) {
    mask |= 1u << kMonth;
    if (best == dom) {
      mask |= 1u << kDayOfMonth;
    } else {
      if (dow != 0) mask |= 1u << kDayOfWeek;
      const bool week_of_month =
          wom == dowim ? s[kWeekOfMonth] >= s[kDayOfWeekInMonth] : best == wom;
      if (week_of_month) mask |= 1u << kWeekOfMonth;
      if (!week_of_month && s[kDayOfWeekInMonth] != 0) mask |= 1u << kDayOfWeekInMonth;
    }
  } else if (best == doy) {
    mask |= 1u << kDayOfYear;
  } else {
    mask |= 1u << kWeekOfYear | (dow != 0 ? 1u << kDayOfWeek : 0);
  }
  const int hour_of_day = s[kHourOfDay], hour = aggregate(s[kHour], s[kAmPm]);
  const int best_hour =
      hour == 0 && hour_of_day == 0 ? std::max(s[kHour], s[kAmPm]) : std::max(hour, hour_of_day);
  if (best_hour != 0 && best_hour == hour_of_day) mask |= 1u << kHourOfDay;
  if (best_hour != 0 && best_hour != hour_of_day) {
    mask |= 1u << kHour | (s[kAmPm] != 0 ? 1u << kAmPm : 0);
  }
  return mask;
}

// The day within a month, GregorianCalendar.getFixedDate's MONTH branch.
int64_t day_in_month(const CalendarFields& c, unsigned mask, int64_t year, int month,
                     int64_t day1) {
  const int32_t* v = c.value;
  if (in(mask, kDayOfMonth)) return c.is_set(kDayOfMonth) ? day1 + v[kDayOfMonth] - 1 : day1;
  if (in(mask, kWeekOfMonth)) {
    int64_t first = first_week_start(day1);
    if (in(mask, kDayOfWeek)) first = on_or_before(first + 6, v[kDayOfWeek]);
    return first + wrap32(7 * (int64_t{v[kWeekOfMonth]} - 1));
  }
  const int64_t dow = in(mask, kDayOfWeek) ? v[kDayOfWeek] : kFirstDayOfWeek;
  const int64_t dowim = in(mask, kDayOfWeekInMonth) ? v[kDayOfWeekInMonth] : 1;
  if (dowim >= 0) return on_or_before(day1 + wrap32(7 * dowim) - 1, dow);
  return on_or_before(day1 + wrap32(month_length(year, month) + 7 * (dowim + 1)) - 1, dow);
}

// GregorianCalendar.getFixedDate, in days since the epoch.
int64_t day_of(const CalendarFields& c, unsigned mask, int64_t year) {
  const int32_t* v = c.value;
  int64_t month = 0;
  if (in(mask, kMonth)) {
    year = wrap32(year + floor_div(v[kMonth], 12));
    month = floor_mod(v[kMonth], 12);
  }
  const int64_t day1 = days_from_civil(year, month + 1, 1);
  if (in(mask, kMonth)) return day_in_month(c, mask, year, static_cast<int>(month) + 1, day1);
  if (in(mask, kDayOfYear)) return day1 + v[kDayOfYear] - 1;
  int64_t first = first_week_start(day1);
  if (in(mask, kDayOfWeek) && v[kDayOfWeek] != kFirstDayOfWeek) {
    first = on_or_before(first + 6, v[kDayOfWeek]);
  }
  return first + 7 * (int64_t{v[kWeekOfYear]} - 1);
}

// The wall-clock milliseconds the fields name: computeTime before the zone offset. Java's long
// arithmetic wraps on absurd years; unsigned arithmetic wraps the same way.
int64_t local_ms(const CalendarFields& c) {
  const unsigned mask = select_fields(c);
  const int32_t* v = c.value;
  int64_t year = c.is_set(kYear) ? v[kYear] : 1970;
  if (c.is_set(kEra) && v[kEra] == 0) year = wrap32(1 - year);
  int64_t ms = in(mask, kHourOfDay) ? v[kHourOfDay]
                                    : v[kHour] + (in(mask, kAmPm) ? 12 * int64_t{v[kAmPm]} : 0);
  ms = ((ms * 60 + v[kMinute]) * 60 + v[kSecond]) * 1000 + v[kMillisecond];
  const int64_t day = day_of(c, mask, year) + floor_div(ms, kMsPerDay);
  return static_cast<int64_t>(static_cast<uint64_t>(day) * kMsPerDay + floor_mod(ms, kMsPerDay));
}

int64_t zone_offset(const CalendarFields& c) {
  return wrap32(int64_t{c.value[kZoneOffset]} + c.value[kDstOffset]);
}

int64_t compute_time(const CalendarFields& c) {
  return static_cast<int64_t>(static_cast<uint64_t>(local_ms(c)) - zone_offset(c));
}

// GregorianCalendar.setWeekDate: turns a week year, week and day of week into year/month/day.
void set_week_date(CalendarFields* c, int64_t week_year, int64_t week, int64_t dow) {
  // The era is that of the date the other fields name, in local time.
  const int64_t utc = compute_time(*c);
  const int64_t local_day =
      floor_div(utc, kMsPerDay) + floor_div(floor_mod(utc, kMsPerDay) + zone_offset(*c), kMsPerDay);
  const bool bc = civil_from_days(local_day).year <= 0;
  const int64_t jan1 = days_from_civil(bc ? wrap32(1 - week_year) : week_year, 1, 1);
  const int64_t days = wrap32(floor_mod(dow - kFirstDayOfWeek, 7) + 7 * (week - 1));
  // Java finds the date from the day's milliseconds, which wrap past ±292 million years.
  const uint64_t ms = static_cast<uint64_t>(first_week_start(jan1) + days) * kMsPerDay;
  const Civil date = civil_from_days(floor_div(static_cast<int64_t>(ms), kMsPerDay));
  c->set(kEra, date.year > 0);
  c->set(kYear, date.year > 0 ? date.year : 1 - date.year);
  c->set(kMonth, date.month - 1);
  c->set(kDayOfMonth, date.day);
}

// CalendarBuilder.establish + Calendar.getTime.
int64_t establish(CalendarFields c) {
  if (!c.is_set(kWeekYear) || c.stamp[kWeekYear] <= c.stamp[kYear]) return compute_time(c);
  int64_t week = c.is_set(kWeekOfYear) ? c.value[kWeekOfYear] : 1;
  int64_t dow = c.is_set(kDayOfWeek) ? c.value[kDayOfWeek] : kFirstDayOfWeek;
  if (dow < 1 || dow > 7) {  // an ISO day of week ('u') out of range rolls into other weeks
    const int64_t weeks = dow >= 8 ? (dow - 1) / 7 : -(-dow / 7 + 1);
    week = wrap32(week + weeks);
    dow = dow >= 8 ? (dow - 1) % 7 + 1 : dow - 7 * weeks;
    dow = dow == 7 ? 1 : dow + 1;
  }
  set_week_date(&c, c.value[kWeekYear], week, dow);
  return compute_time(c);
}

// Number.intValue of the number DecimalFormat parsed: ±0.digits × 10^point. A Long (an integer
// that fits in 64 bits) keeps its low 32 bits; a Double truncates and saturates.
int32_t int_value(bool negative, const std::string& digits, int64_t point) {
  if (digits.empty()) return 0;
  if (point >= static_cast<int64_t>(digits.size()) && point <= 19) {  // DigitList.fitsIntoLong
    uint64_t magnitude = std::strtoull(digits.c_str(), nullptr, 10);
    for (int64_t k = digits.size(); k < point; ++k) magnitude *= 10;
    const uint64_t min_long = uint64_t{1} << 63;
    if (magnitude < min_long || (negative && magnitude == min_long)) {
      return static_cast<int32_t>(static_cast<uint32_t>(negative ? 0 - magnitude : magnitude));
    }
  }
  const std::string real = "0." + digits + "e" + std::to_string(point);
  const double d = (negative ? -1 : 1) * std::strtod(real.c_str(), nullptr);
  return d >= INT32_MAX ? INT32_MAX : d <= INT32_MIN ? INT32_MIN : static_cast<int32_t>(d);
}

// DecimalFormat.parse as SimpleDateFormat's integer NumberFormat does it: "NaN", "∞", or an
// optional '-', digits and an optional exponent; then Number.intValue().
bool parse_number(const std::string& text, size_t p, size_t limit, int32_t* value, size_t* end) {
  const std::string s = text.substr(p, limit - p);
  const bool negative = s[0] == '-';
  size_t i = negative;
  if (s.compare(0, 3, "NaN") == 0 || s.compare(i, 3, "\xE2\x88\x9E") == 0) {  // NaN, ±infinity
    *value = s[0] == 'N' ? 0 : negative ? INT32_MIN : INT32_MAX;
    *end = p + (s[0] == 'N' ? 3 : i + 3);
    return true;
  }
  std::string digits;  // significant digits, without leading zeros
  int64_t point = 0;   // where the decimal point is, counted in digits
  const size_t first = i;
  for (; i < s.size() && is_digit(s[i]); ++i) {
    if (digits.empty() && s[i] == '0') continue;
    digits += s[i];
    ++point;
  }
  if (i == first) return false;
  const bool negative_exponent = i + 1 < s.size() && s[i + 1] == '-';
  size_t e = i + 1 + negative_exponent;
  if (i < s.size() && s[i] == 'E' && e < s.size() && is_digit(s[e])) {  // "1E2" is 100
    int64_t exponent = 0;
    for (; e < s.size() && is_digit(s[e]); ++e) {
      exponent = std::min<int64_t>(exponent * 10 + s[e] - '0', 1000000000);
    }
    point += negative_exponent ? -exponent : exponent;
    i = e;
  }
  *end = p + i;
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  *value = int_value(negative, digits, point);
  return true;
}

bool matches_at(const std::string& text, size_t start, const char* name) {
  const size_t n = std::strlen(name);
  if (start > text.size() || text.size() - start < n) return false;
  for (size_t k = 0; k < n; ++k) {
    if (std::tolower(static_cast<unsigned char>(text[start + k])) != std::tolower(name[k]))
      return false;
  }
  return true;
}

// SimpleDateFormat.matchString: the longest name that matches at `start`, case-insensitively.
void match_longest(const std::string& text, size_t start, const char* const* names, int count,
                   int* index, size_t* end) {
  for (int k = 0; k < count; ++k) {
    const size_t n = std::strlen(names[k]);
    if (start + n > *end && matches_at(text, start, names[k])) {
      *index = k;
      *end = start + n;
    }
  }
}

size_t parse_name(const std::string& text, size_t start, char letter, CalendarFields* c) {
  int index = -1;
  size_t end = start;
  if (letter == 'G') match_longest(text, start, kEraNames, 4, &index, &end);
  if (letter == 'a') match_longest(text, start, kAmPmNames, 2, &index, &end);
  if (letter == 'M' || letter == 'L') {
    match_longest(text, start, kMonths, 12, &index, &end);
    match_longest(text, start, kShortMonths, 12, &index, &end);
  }
  if (letter == 'E') {
    match_longest(text, start, kWeekdays, 7, &index, &end);
    match_longest(text, start, kShortWeekdays, 7, &index, &end);
  }
  if (index < 0) return kFail;
  if (letter == 'G') c->set(kEra, index % 2);
  if (letter == 'a') c->set(kAmPm, index);
  if (letter == 'M' || letter == 'L') c->set(kMonth, index);
  if (letter == 'E') c->set(kDayOfWeek, index + 1);
  return end;
}

int sign_at(const std::string& text, size_t p) {
  return p >= text.size() ? 0 : text[p] == '+' ? 1 : text[p] == '-' ? -1 : 0;
}

// SimpleDateFormat.subParseNumericZone: "hh[[:]mm]" after the sign at i - 1.
size_t parse_offset(const std::string& text, size_t i, int sign, int count, bool colon,
                    CalendarFields* c) {
  auto digit = [&](size_t k) { return k < text.size() && is_digit(text[k]); };
  if (!digit(i)) return kFail;
  int hours = text[i++] - '0';
  if (digit(i)) {
    hours = hours * 10 + text[i++] - '0';
  } else if (count > 0 || !colon) {
    return kFail;
  }
  if (hours > 23) return kFail;
  int minutes = 0;
  if (count != 1) {
    if (colon && (i >= text.size() || text[i++] != ':')) return kFail;
    if (!digit(i) || !digit(i + 1)) return kFail;
    minutes = (text[i] - '0') * 10 + text[i + 1] - '0';
    i += 2;
    if (minutes > 59) return kFail;
  }
  c->set(kZoneOffset, int64_t{sign} * (hours * 60 + minutes) * 60000);
  c->set(kDstOffset, 0);
  return i;
}

// 'z' and 'Z': "+hhmm", "GMT", "GMT+h:mm" or a zone name. Java checks for "GMT" at `start`,
// before the spaces it skipped, and everything else at `p`, after them.
size_t parse_zone(const std::string& text, size_t start, size_t p, CalendarFields* c) {
  if (int sign = sign_at(text, p)) return parse_offset(text, p + 1, sign, 0, false, c);
  if ((text[p] == 'G' || text[p] == 'g') && matches_at(text, start, "GMT")) {
    const int sign = sign_at(text, start + 3);
    if (sign != 0) return parse_offset(text, start + 4, sign, 0, true, c);
    c->set(kZoneOffset, 0);
    c->set(kDstOffset, 0);
    return start + 3;
  }
  // A zone name sets no field: the zone Java switches to has offset 0, as the formatter's, UTC.
  for (const char* name : kZoneNames) {
    if (matches_at(text, p, name)) return p + std::strlen(name);
  }
  return kFail;
}

// 'X': "Z" or "+hh" (X), "+hhmm" (XX), "+hh:mm" (XXX).
size_t parse_iso_zone(const std::string& text, size_t p, int count, CalendarFields* c) {
  if (text[p] == 'Z') {
    c->set(kZoneOffset, 0);
    c->set(kDstOffset, 0);
    return p + 1;
  }
  const int sign = sign_at(text, p);
  return sign == 0 ? kFail : parse_offset(text, p + 1, sign, count, count == 3, c);
}

struct ParseState {
  const std::string& text;
  int64_t century_start_year;
  CalendarFields fields;
  bool ambiguous_year = false;
};

// A number parsed for `letter` from text[p, end), stored as subParse stores it.
void set_number(ParseState* s, char letter, int count, int32_t value, size_t p, size_t end) {
  int64_t v = value;
  const std::string& text = s->text;
  if ((letter == 'y' || letter == 'Y') && count <= 2 && end - p == 2 && is_digit(text[p]) &&
      is_digit(text[p + 1])) {  // two digits: a year within 80 years before, 20 after compile()
    const int64_t ambiguous = s->century_start_year % 100;
    s->ambiguous_year = v == ambiguous;
    v += s->century_start_year / 100 * 100 + (v < ambiguous ? 100 : 0);
  }
  if (letter == 'M' || letter == 'L') v -= 1;
  if ((letter == 'k' && v == 24) || (letter == 'h' && v == 12)) v = 0;
  if (letter == 'u' && v >= 1 && v <= 7) v = v % 7 + 1;  // ISO day of week to Calendar's
  s->fields.set(kNumberFields[std::strchr(kNumberLetters, letter) - kNumberLetters], v);
}

// SimpleDateFormat.subParse: one field at `start`; the index after it, or kFail.
size_t parse_field(ParseState* s, size_t start, char letter, int count, bool obey_count) {
  const std::string& text = s->text;
  size_t p = start;
  while (p < text.size() && (text[p] == ' ' || text[p] == '\t')) ++p;
  if (p >= text.size()) return kFail;
  // Names match at `start`, before the skipped spaces, as Java's do.
  if (std::strchr("GaE", letter) || ((letter == 'M' || letter == 'L') && count >= 3)) {
    return parse_name(text, start, letter, &s->fields);
  }
  if (letter == 'z' || letter == 'Z') return parse_zone(text, start, p, &s->fields);
  if (letter == 'X') return parse_iso_zone(text, p, count, &s->fields);
  const size_t limit = obey_count ? start + count : text.size();
  int32_t value;
  size_t end;
  if (limit > text.size() || limit <= p || !parse_number(text, p, limit, &value, &end))
    return kFail;
  set_number(s, letter, count, value, p, end);
  return end;
}

}  // namespace

Status JavaDateFormat::check_run(const std::vector<Token>& tokens) {
  if (!tokens.empty() && tokens.back().letter == 'X' && tokens.back().count >= 4) {
    return Status::Invalid("invalid ISO 8601 format: length=" +
                           std::to_string(tokens.back().count));
  }
  return Status::Ok();
}

void JavaDateFormat::add_literal(std::vector<Token>* tokens, const std::string& text) {
  if (tokens->empty() || tokens->back().letter != 0) tokens->push_back(Token());
  tokens->back().literal += text;
}

Status JavaDateFormat::compile(const std::string& pattern, JavaDateFormat* out) {
  std::vector<Token> tokens;
  std::string quoted;
  bool in_quote = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\'' || (!in_quote && !is_ascii_letter(c))) KPIPE_RETURN_IF_ERROR(check_run(tokens));
    if (c == '\'' && i + 1 < pattern.size() && pattern[i + 1] == '\'') {  // '' is a quote, anywhere
      ++i;
      if (in_quote) quoted.push_back(c);
      if (!in_quote) add_literal(&tokens, "'");
    } else if (c == '\'') {
      if (in_quote && !quoted.empty()) add_literal(&tokens, quoted);
      quoted.clear();
      in_quote = !in_quote;
    } else if (in_quote) {
      quoted.push_back(c);
    } else if (!is_ascii_letter(c)) {
      add_literal(&tokens, std::string(1, c));
    } else if (std::strchr(kPatternLetters, c) == nullptr) {
      return Status::Invalid(std::string("Illegal pattern character '") + c + "'");
    } else if (!tokens.empty() && tokens.back().letter == c) {
      ++tokens.back().count;
    } else {
      KPIPE_RETURN_IF_ERROR(check_run(tokens));
      tokens.push_back(Token{c, 1, ""});
    }
  }
  if (in_quote) return Status::Invalid("Unterminated quote");
  KPIPE_RETURN_IF_ERROR(check_run(tokens));
  out->pattern_ = pattern;
  out->tokens_ = std::move(tokens);
  out->needs_weeks_ = false;
  out->max_output_ = 0;
  for (const Token& t : out->tokens_) {
    out->needs_weeks_ |= t.letter == 'w' || t.letter == 'W' || t.letter == 'Y';
    // The longest text is "Coordinated Universal Time"; a number is its padding or 20 digits.
    out->max_output_ +=
        t.literal.size() +
        (t.letter == 0 ? 0 : std::max<size_t>(32, std::min(t.count, kMaxPadding) + 1));
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  Civil start = civil_from_days(floor_div(now, kMsPerDay));
  start.year -= 80;
  start.day = std::min(start.day, month_length(start.year, start.month));
  out->century_start_ms_ =
      days_from_civil(start.year, start.month, start.day) * kMsPerDay + floor_mod(now, kMsPerDay);
  out->century_start_year_ = start.year;
  return Status::Ok();
}

// Writes the formatted instant at `out`, which has room for max_output_ characters.
char* JavaDateFormat::write(const void* instant, char* out) const {
  const Instant& t = *static_cast<const Instant*>(instant);
  for (const Token& token : tokens_) {
    if (token.letter == 0) {  // literals are short: a loop beats a call to memcpy
      for (const char c : token.literal) *out++ = c;
      continue;
    }
    if (const char* text = text_of(t, token.letter, token.count)) {
      while (*text) *out++ = *text++;
    } else {  // "yy" and "YY" keep only the last two digits
      const bool two_digits = (token.letter == 'y' || token.letter == 'Y') && token.count == 2;
      out = put_number(number_of(t, token.letter), token.count, two_digits, out);
    }
  }
  return out;
}

std::string JavaDateFormat::format(int64_t epoch_ms) const {
  const Instant t = break_down(epoch_ms, needs_weeks_);
  if (max_output_ <= kStackOutput) {  // one allocation at most: the result's
    char buffer[kStackOutput];
    return std::string(buffer, write(&t, buffer));
  }
  std::string out(max_output_, '\0');
  out.resize(static_cast<size_t>(write(&t, out.data()) - out.data()));
  return out;
}

bool JavaDateFormat::parse(const std::string& text, int64_t* epoch_ms) const {
  ParseState s{text, century_start_year_, CalendarFields(), false};
  size_t pos = 0;
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const Token& t = tokens_[i];
    if (t.letter == 0) {
      if (text.compare(pos, t.literal.size(), t.literal) != 0) return false;
      pos += t.literal.size();
      continue;
    }
    // A number directly followed by another numeric field takes only `count` characters
    // ("yyyyMMdd"); SimpleDateFormat.shouldObeyCount.
    const Token* next = i + 1 < tokens_.size() ? &tokens_[i + 1] : nullptr;
    const bool obey_count = next != nullptr && next->letter != 0 &&
                            (std::strchr("ydkHmsSDFwWhKYu", next->letter) != nullptr ||
                             (std::strchr("ML", next->letter) != nullptr && next->count <= 2));
    pos = parse_field(&s, pos, t.letter, t.count, obey_count);
    if (pos == kFail) return false;
  }
  if (pos == 0) return false;  // DateFormat.parse(String) throws when nothing matched
  int64_t ms = establish(s.fields);
  if (s.ambiguous_year && ms < century_start_ms_) {
    s.fields.value[kYear] += 100;
    s.fields.value[kWeekYear] += 100;
    ms = establish(s.fields);
  }
  *epoch_ms = ms;
  return true;
}

}  // namespace kpipe
