#include <doctest/doctest.h>

#include <string>

#include "connectors/hbase/codec.h"

using namespace kpipe;
using namespace kpipe::hbase;

namespace {

std::string bytes(std::initializer_list<int> list) {
  std::string out;
  for (int b : list) out += static_cast<char>(b);
  return out;
}

Value decoded(const std::string& data, CellType type, int32_t scale = 0) {
  Value v;
  std::string error;
  REQUIRE_MESSAGE(decode_cell(data, type, scale, &v, &error), error);
  return v;
}

std::string encoded(const Value& v, CellType type, const Schema* schema = nullptr) {
  std::string out, error;
  REQUIRE_MESSAGE(encode_cell(v, schema, type, &out, &error), error);
  return out;
}

}  // namespace

TEST_CASE("base64 round trips every length and rejects bad text") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode(bytes({0, 0xff, 0x10})) == "AP8Q");
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n < all.size(); n += 37) {
    std::string out;
    REQUIRE(base64_decode(base64_encode(all.substr(0, n)), &out));
    CHECK(out == all.substr(0, n));
  }
  std::string out;
  CHECK_FALSE(base64_decode("a$b=", &out));
}

TEST_CASE("Bytes.toBytes forms decode as Java wrote them") {
  CHECK(decoded(bytes({0, 0, 0, 42}), CellType::kInt) == Value(42));
  CHECK(decoded(bytes({0xff, 0xff, 0xff, 0xfe}), CellType::kInt) == Value(-2));
  CHECK(decoded(bytes({0, 0, 0, 0, 0, 0, 0x30, 0x39}), CellType::kLong) == Value(12345));
  CHECK(decoded(bytes({0x80, 0, 0, 0, 0, 0, 0, 0}), CellType::kLong) == Value(INT64_MIN));
  CHECK(decoded(bytes({0xff, 0x85}), CellType::kShort) == Value(-123));
  CHECK(decoded(bytes({0x3f, 0xf8, 0, 0, 0, 0, 0, 0}), CellType::kDouble) == Value(1.5));
  CHECK(decoded(bytes({0xc0, 0x20, 0, 0}), CellType::kFloat) == Value(-2.5));
  CHECK(decoded(bytes({0xff}), CellType::kBoolean) == Value(true));
  CHECK(decoded(bytes({0}), CellType::kBoolean) == Value(false));
  CHECK(decoded("zoë", CellType::kString) == Value("zoë"));
  CHECK(decoded(bytes({0, 1}), CellType::kBytes) == Value(Bytes{bytes({0, 1})}));
  CHECK(decoded("12.5", CellType::kDecimal, 2) == Value(Decimal{"1250", 2}));
}

TEST_CASE("a value of the wrong width or text is an error saying why") {
  Value v;
  std::string error;
  CHECK_FALSE(decode_cell("abc", CellType::kInt, 0, &v, &error));
  CHECK(error == "3 bytes, expected 4");
  CHECK_FALSE(decode_cell("x1", CellType::kDecimal, 2, &v, &error));
  CHECK(error.find("not a decimal") != std::string::npos);
  CHECK_FALSE(decode_cell("1.234", CellType::kDecimal, 2, &v, &error));
}

TEST_CASE("encoding writes Bytes.toBytes forms and converts numbers that fit") {
  CHECK(encoded(Value(42), CellType::kInt) == bytes({0, 0, 0, 42}));
  CHECK(encoded(Value(-2), CellType::kLong) ==
        bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}));
  CHECK(encoded(Value(-123), CellType::kShort) == bytes({0xff, 0x85}));
  CHECK(encoded(Value(1.5), CellType::kDouble) == bytes({0x3f, 0xf8, 0, 0, 0, 0, 0, 0}));
  CHECK(encoded(Value(-2.5), CellType::kFloat) == bytes({0xc0, 0x20, 0, 0}));
  CHECK(encoded(Value(true), CellType::kBoolean) == bytes({0xff}));
  CHECK(encoded(Value(Decimal{"1250", 2}), CellType::kDecimal) == "12.50");
  CHECK(encoded(Value(7), CellType::kString) == "7");
  CHECK(encoded(Value("9"), CellType::kInt) == bytes({0, 0, 0, 9}));
  // A Timestamp (nanoseconds in memory) is stored as Java's epoch milliseconds.
  CHECK(encoded(Value(int64_t{1700000000123456789}), CellType::kLong, Schema::timestamp().get()) ==
        encoded(Value(int64_t{1700000000123}), CellType::kLong));
  std::string out, error;
  CHECK_FALSE(encode_cell(Value(int64_t{1} << 40), nullptr, CellType::kInt, &out, &error));
  CHECK_FALSE(encode_cell(Value("abc"), nullptr, CellType::kLong, &out, &error));
  // Every type round trips.
  for (CellType t : {CellType::kInt, CellType::kLong, CellType::kShort, CellType::kDouble}) {
    Value v = decoded(encoded(Value(-77), t), t);
    CHECK((v == Value(-77) || v == Value(-77.0)));
  }
}

TEST_CASE("CellSet parsing and writing") {
  const std::string body =
      R"({"Row":[{"key":"cjE=","Cell":[{"column":"Y2Y6YQ==","timestamp":5,"$":"eA=="},)"
      R"({"column":"Y2Y6Yg==","timestamp":6,"$":""}]},{"key":"cjI=","Cell":[]}]})";
  std::vector<Row> rows;
  REQUIRE(parse_cell_set(body, &rows).ok());
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].key == "r1");
  REQUIRE(rows[0].cells.size() == 2);
  CHECK(rows[0].cells[0].column == "cf:a");
  CHECK(rows[0].cells[0].timestamp == 5);
  CHECK(rows[0].cells[0].value == "x");
  CHECK(rows[0].cells[1].value == "");
  CHECK(rows[1].key == "r2");
  CHECK(rows[1].cells.empty());

  std::vector<Row> back;
  REQUIRE(parse_cell_set(write_cell_set(rows), &back).ok());
  CHECK(back[0].cells[1].column == "cf:b");
  CHECK(write_cell_set({Row{"k", {Cell{"cf:q", 0, "v"}}}}) ==
        R"({"Row":[{"Cell":[{"$":"dg==","column":"Y2Y6cQ=="}],"key":"aw=="}]})");

  std::vector<Row> bad;
  CHECK_FALSE(parse_cell_set("not json", &bad).ok());
  CHECK_FALSE(parse_cell_set(R"({"Row":[{"key":"***"}]})", &bad).ok());
  CHECK_FALSE(
      parse_cell_set(R"({"Row":[{"key":"aw==","Cell":{"x":{"column":"Y2Y6cQ=="}}}]})", &bad).ok());
  CHECK_FALSE(parse_cell_set(R"({"Row":[{"key":"aw==","Cell":"Y2Y6cQ=="}]})", &bad).ok());
}

TEST_CASE("type names accept Java and SQL spellings") {
  CHECK(cell_type_from_name("bigint") == CellType::kLong);
  CHECK(cell_type_from_name("integer") == CellType::kInt);
  CHECK(cell_type_from_name("decimal") == CellType::kDecimal);
  CHECK_FALSE(cell_type_from_name("varchar").has_value());
  CHECK(key_after("a") == std::string("a\0", 2));
}
