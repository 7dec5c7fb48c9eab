#include <doctest/doctest.h>

#include <string>

#include "value.h"

using kpipe::Decimal;

namespace {

std::string hex(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

std::string unhex(const std::string& text) {
  std::string out;
  for (size_t i = 0; i + 1 < text.size(); i += 2) {
    out += static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16));
  }
  return out;
}

Decimal parsed(const std::string& text) {
  Decimal d;
  REQUIRE(Decimal::parse(text, &d));
  return d;
}

}  // namespace

TEST_CASE("Decimal::parse takes the scale from the text") {
  CHECK(parsed("-12.340") == Decimal{"-12340", 3});
  CHECK(parsed("12") == Decimal{"12", 0});
  CHECK(parsed("+0.5") == Decimal{"5", 1});
  CHECK(parsed("0.00") == Decimal{"0", 2});
  CHECK(parsed("-0") == Decimal{"0", 0});
  CHECK(parsed("007.10") == Decimal{"710", 2});
  CHECK(parsed("1E+3") == Decimal{"1", -3});
  CHECK(parsed("1.5e-7") == Decimal{"15", 8});
  CHECK(parsed(".5") == Decimal{"5", 1});
  CHECK(parsed("5.") == Decimal{"5", 0});
  CHECK(parsed("123456789012345678901234567890") == Decimal{"123456789012345678901234567890", 0});

  Decimal d;
  for (const char* bad :
       {"", "-", ".", "1.2.3", "abc", "1e", "1e+", "12x", " 1", "1 ", "--1", "1e99999999999"}) {
    CAPTURE(bad);
    CHECK_FALSE(Decimal::parse(bad, &d));
  }
}

TEST_CASE("Decimal::to_string is BigDecimal.toPlainString") {
  CHECK(Decimal{"-12340", 3}.to_string() == "-12.340");
  CHECK(Decimal{"12", 0}.to_string() == "12");
  CHECK(Decimal{"5", 3}.to_string() == "0.005");
  CHECK(Decimal{"-5", 3}.to_string() == "-0.005");
  CHECK(Decimal{"0", 2}.to_string() == "0.00");
  CHECK(Decimal{"1", -3}.to_string() == "1000");
  CHECK(Decimal{"0", -3}.to_string() == "0");
  CHECK(Decimal{"12345", 5}.to_string() == "0.12345");
}

TEST_CASE("Decimal::to_java_string is BigDecimal.toString") {
  CHECK(Decimal{"1234", 2}.to_java_string() == "12.34");
  CHECK(Decimal{"-1234", 2}.to_java_string() == "-12.34");
  CHECK(Decimal{"0", 0}.to_java_string() == "0");
  CHECK(Decimal{"0", 2}.to_java_string() == "0.00");
  CHECK(Decimal{"1", 6}.to_java_string() == "0.000001");
  CHECK(Decimal{"1", 7}.to_java_string() == "1E-7");
  CHECK(Decimal{"15", 8}.to_java_string() == "1.5E-7");
  CHECK(Decimal{"0", 10}.to_java_string() == "0E-10");
  CHECK(Decimal{"5", -2}.to_java_string() == "5E+2");
  CHECK(Decimal{"-123", -2}.to_java_string() == "-1.23E+4");
  CHECK(Decimal{"123456789012345678901234567890", 0}.to_java_string() ==
        "123456789012345678901234567890");
}

TEST_CASE("Decimal::rescale keeps the value exact or refuses") {
  Decimal out;
  REQUIRE(Decimal{"123", 1}.rescale(3, &out));
  CHECK(out == Decimal{"12300", 3});
  REQUIRE(Decimal{"-12300", 3}.rescale(1, &out));
  CHECK(out == Decimal{"-123", 1});
  REQUIRE(Decimal{"0", 5}.rescale(0, &out));
  CHECK(out == Decimal{"0", 0});
  CHECK_FALSE(Decimal{"12345", 3}.rescale(2, &out));
  CHECK_FALSE(Decimal{"5", 0}.rescale(-1, &out));
}

TEST_CASE("Decimal two's complement matches BigInteger.toByteArray") {
  struct Case {
    const char* unscaled;
    const char* bytes;
  };
  const Case cases[] = {
      {"0", "00"},
      {"1", "01"},
      {"127", "7f"},
      {"128", "0080"},
      {"255", "00ff"},
      {"256", "0100"},
      {"12345", "3039"},
      {"-1", "ff"},
      {"-128", "80"},
      {"-129", "ff7f"},
      {"-256", "ff00"},
      {"-257", "feff"},
      {"-12345", "cfc7"},
      {"9223372036854775808", "008000000000000000"},
      {"-9223372036854775808", "8000000000000000"},
      {"123456789012345678901234567890", "018ee90ff6c373e0ee4e3f0ad2"},
      {"-123456789012345678901234567890", "fe7116f0093c8c1f11b1c0f52e"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.unscaled);
    CHECK(hex(Decimal{c.unscaled, 2}.to_twos_complement()) == c.bytes);
    CHECK(Decimal::from_twos_complement(unhex(c.bytes), 2) == Decimal{c.unscaled, 2});
  }
  // Non-minimal input is still read correctly.
  CHECK(Decimal::from_twos_complement(unhex("0000ff"), 0) == Decimal{"255", 0});
  CHECK(Decimal::from_twos_complement(unhex("ffff"), 0) == Decimal{"-1", 0});
  CHECK(Decimal::from_twos_complement(unhex("ffff7f"), 1) == Decimal{"-129", 1});
}

TEST_CASE("Decimal two's complement round trips many lengths") {
  std::string digits;
  for (int i = 1; i <= 60; ++i) {
    digits += static_cast<char>('0' + (i * 7) % 10);
    if (digits[0] == '0') digits[0] = '9';
    for (const std::string& text : {digits, "-" + digits}) {
      CAPTURE(text);
      Decimal d{text, 3};
      CHECK(Decimal::from_twos_complement(d.to_twos_complement(), 3) == d);
    }
  }
}
