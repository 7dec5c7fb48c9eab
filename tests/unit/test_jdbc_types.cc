// jdbc helpers that need no database: NUMERIC mapping (Confluent's rules) and timestamp text.
#include <doctest/doctest.h>

#include "connectors/jdbc/sql.h"
#include "connectors/jdbc/time_util.h"

using namespace kpipe;
using namespace kpipe::jdbc;

TEST_CASE("numeric.mapping follows Confluent's rules") {
  auto type = [](int p, int s, NumericMapping m) { return numeric_schema(p, s, m, false); };
  CHECK(type(10, 2, NumericMapping::kNone)->logical() == Logical::kDecimal);
  CHECK(type(10, 2, NumericMapping::kNone)->decimal_scale() == 2);
  CHECK(type(2, 0, NumericMapping::kPrecisionOnly)->type == Type::kInt8);
  CHECK(type(4, 0, NumericMapping::kPrecisionOnly)->type == Type::kInt16);
  CHECK(type(9, 0, NumericMapping::kPrecisionOnly)->type == Type::kInt32);
  CHECK(type(18, 0, NumericMapping::kPrecisionOnly)->type == Type::kInt64);
  CHECK(type(19, 0, NumericMapping::kPrecisionOnly)->logical() == Logical::kDecimal);
  CHECK(type(10, 2, NumericMapping::kPrecisionOnly)->logical() == Logical::kDecimal);
  CHECK(type(10, 2, NumericMapping::kBestFit)->type == Type::kFloat64);
  CHECK(type(30, 2, NumericMapping::kBestFit)->logical() == Logical::kDecimal);
  CHECK(type(30, 2, NumericMapping::kBestFitEagerDouble)->type == Type::kFloat64);
  CHECK(type(5, 0, NumericMapping::kBestFit)->type == Type::kInt32);
  CHECK(numeric_schema(5, 0, NumericMapping::kBestFit, true)->optional);
}

TEST_CASE("numeric values keep their digits or fail loudly") {
  Value v;
  REQUIRE(numeric_value("12.3", *numeric_schema(10, 2, NumericMapping::kNone, false), &v).ok());
  CHECK(v.as<Decimal>() == Decimal{"1230", 2});
  REQUIRE(numeric_value("-0.50", *numeric_schema(10, 1, NumericMapping::kNone, false), &v).ok());
  CHECK(v.as<Decimal>() == Decimal{"-5", 1});
  CHECK_FALSE(
      numeric_value("1.234", *numeric_schema(10, 2, NumericMapping::kNone, false), &v).ok());
  REQUIRE(numeric_value("42.000", *numeric_schema(5, 0, NumericMapping::kBestFit, false), &v).ok());
  CHECK(v.as<int64_t>() == 42);
  CHECK_FALSE(
      numeric_value("42.5", *numeric_schema(5, 0, NumericMapping::kBestFit, false), &v).ok());
  REQUIRE(numeric_value("0.1", *numeric_schema(10, 2, NumericMapping::kBestFit, false), &v).ok());
  CHECK(v.as<double>() == 0.1);
}

TEST_CASE("timestamp text in UTC, fixed offsets and IANA zones") {
  int64_t ns = 0;
  REQUIRE(parse_timestamp("2016-10-14 05:46:02", TimeZone(), &ns));
  CHECK(ns == 1476423962000000000);
  REQUIRE(parse_timestamp("2016-10-14T05:46:02.123456789Z", TimeZone(), &ns));
  CHECK(ns == 1476423962123456789);
  REQUIRE(parse_timestamp("2016-10-14 13:46:02.5+08", TimeZone(), &ns));
  CHECK(ns == 1476423962500000000);
  REQUIRE(parse_timestamp("1969-12-31 23:59:59.999999", TimeZone(), &ns));
  CHECK(ns == -1000);
  CHECK_FALSE(parse_timestamp("2016-13-14 05:46:02", TimeZone(), &ns));
  CHECK_FALSE(parse_timestamp("yesterday", TimeZone(), &ns));

  TimeZone shanghai, berlin, plus;
  REQUIRE(TimeZone::load("Asia/Shanghai", &shanghai).ok());
  REQUIRE(TimeZone::load("Europe/Berlin", &berlin).ok());
  REQUIRE(TimeZone::load("+05:30", &plus).ok());
  REQUIRE(parse_timestamp("2016-10-14 13:46:02", shanghai, &ns));
  CHECK(ns == 1476423962000000000);
  REQUIRE(parse_timestamp("2016-10-14 11:16:02", plus, &ns));
  CHECK(ns == 1476423962000000000);
  // Berlin: CET (+1) in winter, CEST (+2) in summer.
  REQUIRE(parse_timestamp("2021-01-15 13:00:00", berlin, &ns));
  CHECK(format_timestamp(ns, TimeZone(), 0) == "2021-01-15 12:00:00");
  REQUIRE(parse_timestamp("2021-07-15 13:00:00", berlin, &ns));
  CHECK(format_timestamp(ns, TimeZone(), 0) == "2021-07-15 11:00:00");
  CHECK(format_timestamp(ns, berlin, 6) == "2021-07-15 13:00:00.000000");
  CHECK(format_timestamp(-1000, TimeZone(), 9) == "1969-12-31 23:59:59.999999000");

  TimeZone bad;
  CHECK(TimeZone::load("Mars/Olympus", &bad).code() == Code::kInvalid);
  CHECK(TimeZone::load("../../etc/passwd", &bad).code() == Code::kInvalid);
}

TEST_CASE("dates and times of day") {
  int64_t v = 0;
  REQUIRE(parse_date("1970-01-01", &v));
  CHECK(v == 0);
  REQUIRE(parse_date("2000-03-01", &v));
  CHECK(v == 11017);
  REQUIRE(parse_time("23:59:59.999999", &v));
  CHECK(v == 86399999999000);
  CHECK_FALSE(parse_time("25:00", &v));
}
