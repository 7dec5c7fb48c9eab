#include "connectors/jdbc/time_util.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <mutex>

namespace kpipe::jdbc {

namespace {

constexpr int64_t kNanosPerSecond = 1000000000;

// localtime_r/mktime read the process-wide TZ: switch it under a lock for the call only.
std::mutex& tz_mutex() {
  static std::mutex m;
  return m;
}

class ScopedTz {
 public:
  explicit ScopedTz(const std::string& name) : lock_(tz_mutex()) {
    const char* old = std::getenv("TZ");
    had_ = old != nullptr;
    if (had_) old_ = old;
    ::setenv("TZ", name.c_str(), 1);
    ::tzset();
  }
  ~ScopedTz() {
    if (had_) {
      ::setenv("TZ", old_.c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

 private:
  std::lock_guard<std::mutex> lock_;
  bool had_ = false;
  std::string old_;
};

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

bool digits(const std::string& s, size_t pos, size_t n, int64_t* out) {
  if (pos + n > s.size()) return false;
  int64_t v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// Parses "HH:MM:SS[.frac]" at `pos`; advances pos.
bool parse_clock(const std::string& s, size_t* pos, int64_t* nanos) {
  int64_t h, m, sec = 0;
  size_t p = *pos;
  if (!digits(s, p, 2, &h) || p + 2 >= s.size() || s[p + 2] != ':' || !digits(s, p + 3, 2, &m))
    return false;
  p += 5;
  if (p < s.size() && s[p] == ':') {
    if (!digits(s, p + 1, 2, &sec)) return false;
    p += 3;
  }
  int64_t frac = 0;
  if (p < s.size() && s[p] == '.') {
    ++p;
    int n = 0;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
      if (n < 9) {
        frac = frac * 10 + (s[p] - '0');
        ++n;
      }
      ++p;
    }
    if (n == 0) return false;
    for (; n < 9; ++n) frac *= 10;
  }
  if (h > 24 || m > 59 || sec > 60) return false;
  *nanos = ((h * 60 + m) * 60 + sec) * kNanosPerSecond + frac;
  *pos = p;
  return true;
}

}  // namespace

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = floor_div(y, 400);
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = floor_div(z, 146097);
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

Status TimeZone::load(const std::string& name, TimeZone* out) {
  TimeZone tz;
  tz.name_ = name;
  if (name == "UTC" || name == "Z" || name == "GMT" || name == "Etc/UTC" || name.empty()) {
    *out = tz;
    return Status::Ok();
  }
  tz.utc_ = false;
  if ((name[0] == '+' || name[0] == '-') && name.size() >= 3) {
    int64_t h, m = 0;
    size_t mpos = name.size() > 3 && name[3] == ':' ? 4 : 3;
    if (!digits(name, 1, 2, &h) || (name.size() > 3 && !digits(name, mpos, 2, &m)))
      return Status::Invalid("db.timezone: '" + name + "' is not an offset like +08:00");
    tz.fixed_ = true;
    tz.fixed_offset_seconds_ = (name[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
    *out = tz;
    return Status::Ok();
  }
  if (name.find("..") != std::string::npos ||
      !std::filesystem::exists(std::filesystem::path("/usr/share/zoneinfo") / name))
    return Status::Invalid("db.timezone: unknown time zone '" + name +
                           "' (an IANA name like Europe/Berlin, UTC, or an offset like +08:00)");
  *out = tz;
  return Status::Ok();
}

int64_t TimeZone::memoised(Memo& memo, int64_t nanos,
                           int64_t (TimeZone::*convert)(int64_t) const) const {
  constexpr int64_t kSlot = 15 * 60 * kNanosPerSecond;
  const int64_t bucket = floor_div(nanos, kSlot);
  Slot& slot = memo[static_cast<size_t>(bucket) % memo.size()];
  if (slot.bucket != bucket) {
    const int64_t start = bucket * kSlot, end = start + kSlot - 1;
    slot.bucket = bucket;
    slot.offset = (this->*convert)(start)-start;
    slot.uniform = (this->*convert)(end)-end == slot.offset;
  }
  return slot.uniform ? nanos + slot.offset : (this->*convert)(nanos);
}

int64_t TimeZone::to_instant(int64_t local_nanos) const {
  if (utc_) return local_nanos;
  if (fixed_) return local_nanos - fixed_offset_seconds_ * kNanosPerSecond;
  return memoised(*instant_memo_, local_nanos, &TimeZone::to_instant_slow);
}

int64_t TimeZone::to_local(int64_t epoch_nanos) const {
  if (utc_) return epoch_nanos;
  if (fixed_) return epoch_nanos + fixed_offset_seconds_ * kNanosPerSecond;
  return memoised(*local_memo_, epoch_nanos, &TimeZone::to_local_slow);
}

int64_t TimeZone::to_instant_slow(int64_t local_nanos) const {
  const int64_t secs = floor_div(local_nanos, kNanosPerSecond);
  const int64_t sub = local_nanos - secs * kNanosPerSecond;
  int64_t y;
  unsigned mo, d;
  civil_from_days(floor_div(secs, 86400), &y, &mo, &d);
  const int64_t sod = secs - floor_div(secs, 86400) * 86400;
  std::tm tm{};
  tm.tm_year = static_cast<int>(y - 1900);
  tm.tm_mon = static_cast<int>(mo) - 1;
  tm.tm_mday = static_cast<int>(d);
  tm.tm_hour = static_cast<int>(sod / 3600);
  tm.tm_min = static_cast<int>(sod / 60 % 60);
  tm.tm_sec = static_cast<int>(sod % 60);
  tm.tm_isdst = -1;
  ScopedTz scoped(name_);
  return static_cast<int64_t>(std::mktime(&tm)) * kNanosPerSecond + sub;
}

int64_t TimeZone::to_local_slow(int64_t epoch_nanos) const {
  const int64_t secs = floor_div(epoch_nanos, kNanosPerSecond);
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  {
    ScopedTz scoped(name_);
    ::localtime_r(&t, &tm);
  }
  return epoch_nanos + static_cast<int64_t>(tm.tm_gmtoff) * kNanosPerSecond;
}

bool parse_date(const std::string& s, int64_t* days) {
  int64_t y, m, d;
  size_t p = 0;
  bool neg = !s.empty() && s[0] == '-';
  if (neg) p = 1;
  if (!digits(s, p, 4, &y) || s.size() < p + 10 || s[p + 4] != '-' || s[p + 7] != '-' ||
      !digits(s, p + 5, 2, &m) || !digits(s, p + 8, 2, &d) || m < 1 || m > 12 || d < 1 || d > 31)
    return false;
  if (s.size() != p + 10) return false;
  *days = days_from_civil(neg ? -y : y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

bool parse_time(const std::string& s, int64_t* nanos) {
  size_t pos = 0;
  return parse_clock(s, &pos, nanos) && pos == s.size();
}

bool parse_timestamp(const std::string& s, const TimeZone& zone, int64_t* epoch_nanos) {
  if (s.size() < 10) return false;
  int64_t days;
  if (!parse_date(s.substr(0, 10), &days)) return false;
  int64_t local = days * 86400 * kNanosPerSecond;
  size_t p = 10;
  if (p < s.size() && (s[p] == ' ' || s[p] == 'T')) {
    ++p;
    int64_t clock;
    if (!parse_clock(s, &p, &clock)) return false;
    local += clock;
  }
  if (p == s.size()) {
    *epoch_nanos = zone.to_instant(local);
    return true;
  }
  if (s[p] == 'Z' && p + 1 == s.size()) {
    *epoch_nanos = local;
    return true;
  }
  if (s[p] != '+' && s[p] != '-') return false;
  int64_t h, m = 0;
  size_t q = p + 1;
  if (!digits(s, q, 2, &h)) return false;
  q += 2;
  if (q < s.size()) {
    if (s[q] == ':') ++q;
    if (!digits(s, q, 2, &m)) return false;
    q += 2;
  }
  if (q < s.size() && s[q] == ':') {  // PostgreSQL may print seconds of an old offset: +00:53:28
    int64_t sec;
    if (!digits(s, q + 1, 2, &sec)) return false;
    m = m * 60 + sec;  // fold into seconds below
    q += 3;
    if (q != s.size()) return false;
    int64_t off = (h * 3600 + m) * kNanosPerSecond;
    *epoch_nanos = local - (s[p] == '-' ? -off : off);
    return true;
  }
  if (q != s.size()) return false;
  int64_t off = (h * 3600 + m * 60) * kNanosPerSecond;
  *epoch_nanos = local - (s[p] == '-' ? -off : off);
  return true;
}

std::string format_timestamp(int64_t epoch_nanos, const TimeZone& zone, int fraction_digits) {
  const int64_t local = zone.to_local(epoch_nanos);
  const int64_t secs = floor_div(local, kNanosPerSecond);
  int64_t frac = local - secs * kNanosPerSecond;
  const int64_t days = floor_div(secs, 86400);
  const int64_t sod = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  // Digits by hand: snprintf was a tenth of a CSV -> PostgreSQL load (one call per value).
  char buf[40];
  size_t n = 0;
  auto put = [&](int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10)
      buf[n + static_cast<size_t>(i)] = char('0' + v % 10);
    n += static_cast<size_t>(width);
  };
  if (y >= 0 && y <= 9999) {
    put(y, 4);
  } else {
    n = static_cast<size_t>(std::snprintf(buf, sizeof buf, "%04lld", static_cast<long long>(y)));
  }
  buf[n++] = '-';
  put(m, 2);
  buf[n++] = '-';
  put(d, 2);
  buf[n++] = ' ';
  put(sod / 3600, 2);
  buf[n++] = ':';
  put(sod / 60 % 60, 2);
  buf[n++] = ':';
  put(sod % 60, 2);
  if (fraction_digits > 0) {
    buf[n++] = '.';
    const int digits = std::min(fraction_digits, 9);
    for (int i = digits; i < 9; ++i) frac /= 10;
    put(frac, digits);
  }
  return std::string(buf, n);
}

}  // namespace kpipe::jdbc
