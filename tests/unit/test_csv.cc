#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "connectors/file/csv.h"

using namespace kpipe;

namespace {

struct Parsed {
  CsvResult result;
  std::vector<std::string> fields;
  std::vector<char> quoted;
};

Parsed parse(const std::string& data, bool at_end = true, CsvFormat format = {}) {
  Parsed p;
  p.result = parse_csv_record(data, at_end, format, &p.fields, &p.quoted);
  return p;
}

using Fields = std::vector<std::string>;

}  // namespace

TEST_CASE("csv: plain fields and line ends") {
  auto p = parse("a,b,c\nnext");
  CHECK(p.result.kind == CsvParse::kRecord);
  CHECK(p.fields == Fields{"a", "b", "c"});
  CHECK(p.result.consumed == 6);
  CHECK(p.result.lines == 1);
  p = parse("a,b\r\nx");
  CHECK(p.result.consumed == 5);
  p = parse("a,b\rx");
  CHECK(p.result.consumed == 4);
  p = parse("a,,");  // empty fields, last record without a line end
  CHECK(p.fields == Fields{"a", "", ""});
  CHECK(p.result.consumed == 3);
  CHECK(p.result.lines == 0);
}

TEST_CASE("csv: quoting per RFC 4180") {
  auto p = parse("\"a,b\",\"say \"\"hi\"\"\",\"multi\r\nline\nthree\"\r\nrest");
  REQUIRE(p.result.kind == CsvParse::kRecord);
  CHECK(p.fields == Fields{"a,b", "say \"hi\"", "multi\r\nline\nthree"});
  CHECK(p.result.lines == 3);  // two inside the quotes, one ending the record
  CHECK(p.quoted == std::vector<char>{1, 1, 1});
  p = parse("\"\",x\n");
  CHECK(p.fields == Fields{"", "x"});
  CHECK(p.quoted == std::vector<char>{1, 0});
  // A quote inside an unquoted field is an ordinary character.
  p = parse("ab\"c,d\n");
  CHECK(p.fields == Fields{"ab\"c", "d"});
}

TEST_CASE("csv: incomplete input asks for more") {
  CHECK(parse("a,b", false).result.kind == CsvParse::kNeedMore);
  CHECK(parse("a,\"b\nc", false).result.kind == CsvParse::kNeedMore);
  CHECK(parse("a,b\r", false).result.kind == CsvParse::kNeedMore);  // \r or \r\n?
  CHECK(parse("\"a\"", false).result.kind == CsvParse::kNeedMore);  // "" may follow
  CHECK(parse("", true).result.kind == CsvParse::kNeedMore);        // nothing at all
  auto p = parse("a,b\r", true);
  CHECK(p.result.kind == CsvParse::kRecord);
  CHECK(p.result.consumed == 4);
}

TEST_CASE("csv: errors") {
  auto p = parse("a,\"open\nstill open");
  CHECK(p.result.kind == CsvParse::kError);
  CHECK(p.result.error.find("not closed") != std::string::npos);
  CHECK(p.result.lines == 0);  // where the open quote starts
  p = parse("\"a\"b,c\n");
  CHECK(p.result.kind == CsvParse::kError);
  CHECK(p.result.error.find("after a closing quote") != std::string::npos);
}

TEST_CASE("csv: blank lines, other delimiter and quote, field reuse") {
  auto p = parse("\nx");
  CHECK(p.result.kind == CsvParse::kRecord);
  CHECK(p.fields.empty());
  CHECK(p.result.consumed == 1);
  CsvFormat semi{';', '\''};
  p = parse("a;'b;c';'it''s'\n", true, semi);
  CHECK(p.fields == Fields{"a", "b;c", "it's"});
  // Reused vectors shrink to the record's fields.
  std::vector<std::string> fields{"x", "y", "z", "w"};
  parse_csv_record("1,2\n", true, CsvFormat{}, &fields);
  CHECK(fields == Fields{"1", "2"});
  p = parse("zo\xC3\xAB,\xE6\x97\xA5\n");
  CHECK(p.fields == Fields{"zo\xC3\xAB", "\xE6\x97\xA5"});
}

TEST_CASE("csv.schema: types and errors") {
  std::vector<CsvColumn> cols;
  REQUIRE(parse_csv_schema(
              "id:int64, name:string,amount:decimal(10,2),at:timestamp,d:date,t:time,f:boolean,"
              "x:float64,s:int8",
              &cols)
              .ok());
  REQUIRE(cols.size() == 9);
  CHECK(cols[2].name == "amount");
  CHECK(cols[2].schema->logical() == Logical::kDecimal);
  CHECK(cols[2].schema->decimal_scale() == 2);
  CHECK(cols[2].precision == 10);
  CHECK(cols[0].schema->optional);
  CHECK_FALSE(parse_csv_schema("id:int99", &cols).ok());
  CHECK_FALSE(parse_csv_schema("id", &cols).ok());
  CHECK_FALSE(parse_csv_schema("a:decimal(2,3)", &cols).ok());
  CHECK_FALSE(parse_csv_schema("a:int8,a:int16", &cols).ok());
}

TEST_CASE("csv.schema: field values") {
  std::vector<CsvColumn> cols;
  REQUIRE(parse_csv_schema("i:int64,a:decimal(5,2),at:timestamp,d:date,t:time,f:boolean,x:float64,"
                           "s:int8",
                           &cols)
              .ok());
  std::string error;
  Value v;
  auto value = [&](int col, std::string text) {
    error.clear();
    bool ok = csv_field_value(cols[col], std::move(text), &v, &error);
    return ok;
  };
  CHECK(value(0, "-42"));
  CHECK(v == Value(int64_t{-42}));
  CHECK(value(0, ""));
  CHECK(v.is_null());
  CHECK_FALSE(value(0, "4x"));
  CHECK_FALSE(value(7, "128"));
  CHECK(value(7, "-128"));
  CHECK(value(1, "12.5"));
  CHECK(v == Value(Decimal{"1250", 2}));
  CHECK_FALSE(value(1, "1.234"));   // more decimal places than the scale
  CHECK_FALSE(value(1, "1234.5"));  // more digits than the precision
  CHECK(value(2, "2024-01-02T03:04:05.123456789Z"));
  CHECK(v == Value(int64_t{1704164645123456789}));
  CHECK(value(2, "2024-01-02 05:04:05+02:00"));
  CHECK(v == Value(int64_t{1704164645000000000}));
  CHECK(value(2, "1969-12-31T23:59:59"));
  CHECK(v == Value(int64_t{-1000000000}));
  CHECK_FALSE(value(2, "2024-02-30T00:00:00"));
  CHECK_FALSE(value(2, "9999-01-01T00:00:00"));  // beyond int64 nanoseconds
  CHECK(value(3, "2000-02-29"));
  CHECK(v == Value(int64_t{11016}));
  CHECK_FALSE(value(3, "2001-02-29"));
  CHECK(value(4, "13:14:15.5"));
  CHECK(v == Value(int64_t{47655500000000}));
  CHECK(value(5, "TRUE"));
  CHECK(v == Value(true));
  CHECK_FALSE(value(5, "yes"));
  CHECK(value(6, "-1.5e3"));
  CHECK(v == Value(-1500.0));
  CHECK_FALSE(value(6, " 1"));
  CHECK_FALSE(value(6, "1.0abc"));
  CHECK(error == "not a number");
}
