// Time zones and timestamp text for the jdbc connectors: zone-less database timestamps
// (DATETIME, timestamp without time zone) are wall-clock times in db.timezone.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "status.h"

namespace kpipe::jdbc {

class TimeZone {
 public:
  TimeZone() = default;  // UTC
  // An IANA name ("Europe/Berlin"), "UTC", or a fixed offset ("+08:00"). Unknown: Invalid.
  static Status load(const std::string& name, TimeZone* out);
  const std::string& name() const { return name_; }
  bool is_utc() const { return utc_; }
  // Wall-clock nanos (as if UTC) in this zone -> instant. Gaps and overlaps resolve as mktime.
  int64_t to_instant(int64_t local_nanos) const;
  // Instant -> wall-clock nanos in this zone.
  int64_t to_local(int64_t epoch_nanos) const;

 private:
  // libc converts an IANA zone only by switching the process TZ (~15 us a call): far too slow per
  // row. Offsets change only at transitions, on quarter hours in every zone, so each direction
  // memoises the offset per 15 minutes; a slot with a transition inside converts value by value.
  // Copies of a TimeZone share the memo (single-threaded use, as connectors are).
  struct Slot {
    int64_t bucket = INT64_MIN;
    bool uniform = false;
    int64_t offset = 0;
  };
  using Memo = std::array<Slot, 64>;
  int64_t memoised(Memo& memo, int64_t nanos, int64_t (TimeZone::*convert)(int64_t) const) const;
  int64_t to_instant_slow(int64_t local_nanos) const;
  int64_t to_local_slow(int64_t epoch_nanos) const;
  std::shared_ptr<Memo> instant_memo_ = std::make_shared<Memo>();
  std::shared_ptr<Memo> local_memo_ = std::make_shared<Memo>();

  std::string name_ = "UTC";
  bool utc_ = true;
  bool fixed_ = false;
  int64_t fixed_offset_seconds_ = 0;
};

// Days since 1970-01-01 of a proleptic Gregorian date, and back.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
void civil_from_days(int64_t days, int64_t* y, unsigned* m, unsigned* d);

// Parses "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS[.fraction]" (or 'T'), with an optional zone
// suffix "Z", "+HH", "+HH:MM", "+HHMM". Without a suffix the text is wall-clock in `zone`.
// Returns false on anything else. Fractions keep up to nanoseconds.
bool parse_timestamp(const std::string& text, const TimeZone& zone, int64_t* epoch_nanos);
// "HH:MM:SS[.fraction]" -> nanos since midnight.
bool parse_time(const std::string& text, int64_t* nanos_of_day);
// "YYYY-MM-DD" -> days since the epoch.
bool parse_date(const std::string& text, int64_t* days);

// "YYYY-MM-DD HH:MM:SS.nnnnnnnnn" of an instant as wall-clock in `zone` (digits: 0..9 fraction
// digits; 0 omits the fraction).
std::string format_timestamp(int64_t epoch_nanos, const TimeZone& zone, int fraction_digits = 9);

}  // namespace kpipe::jdbc
