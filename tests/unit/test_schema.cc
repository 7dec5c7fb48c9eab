#include <doctest/doctest.h>

#include <stdexcept>

#include "schema.h"

using kpipe::Logical;
using kpipe::Schema;
using kpipe::SchemaPtr;
using kpipe::StructBuilder;
using kpipe::Type;

TEST_CASE("type names are Connect's JSON names") {
  CHECK(std::string(kpipe::type_name(Type::kInt8)) == "int8");
  CHECK(std::string(kpipe::type_name(Type::kInt64)) == "int64");
  CHECK(std::string(kpipe::type_name(Type::kFloat32)) == "float");
  CHECK(std::string(kpipe::type_name(Type::kFloat64)) == "double");
  CHECK(std::string(kpipe::type_name(Type::kBoolean)) == "boolean");
  CHECK(std::string(kpipe::type_name(Type::kStruct)) == "struct");
  for (const char* name : {"int8", "int16", "int32", "int64", "float", "double", "boolean",
                           "string", "bytes", "array", "map", "struct"}) {
    CAPTURE(name);
    auto type = kpipe::type_from_name(name);
    REQUIRE(type);
    CHECK(std::string(kpipe::type_name(*type)) == name);
  }
  CHECK(kpipe::type_from_name("float32") == Type::kFloat32);
  CHECK(kpipe::type_from_name("float64") == Type::kFloat64);
  CHECK_FALSE(kpipe::type_from_name("int128"));
  CHECK_FALSE(kpipe::type_from_name("INT32"));
}

TEST_CASE("primitive schemas are shared instances") {
  CHECK(Schema::primitive(Type::kString).get() == Schema::primitive(Type::kString).get());
  CHECK(Schema::primitive(Type::kString, true).get() ==
        Schema::primitive(Type::kString, true).get());
  CHECK(Schema::primitive(Type::kString).get() != Schema::primitive(Type::kString, true).get());
  CHECK(Schema::primitive(Type::kInt32, true)->optional);
  CHECK_FALSE(Schema::primitive(Type::kInt32)->optional);
  CHECK(Schema::primitive(Type::kInt32)->type == Type::kInt32);
  CHECK(Schema::timestamp().get() == Schema::timestamp().get());
  CHECK_THROWS_AS(Schema::primitive(Type::kStruct), std::invalid_argument);
}

TEST_CASE("logical type factories") {
  SchemaPtr dec = Schema::decimal(2);
  CHECK(dec->type == Type::kBytes);
  CHECK(dec->name == std::string(kpipe::kDecimalName));
  CHECK(dec->version == 1);
  CHECK(dec->parameters == std::vector<std::pair<std::string, std::string>>{{"scale", "2"}});
  CHECK(dec->logical() == Logical::kDecimal);
  CHECK(dec->decimal_scale() == 2);
  CHECK_FALSE(dec->optional);

  SchemaPtr precise = Schema::decimal(3, true, 10);
  CHECK(precise->optional);
  CHECK(precise->parameters == std::vector<std::pair<std::string, std::string>>{
                                   {"scale", "3"}, {"connect.decimal.precision", "10"}});
  CHECK(precise->decimal_scale() == 3);

  CHECK(Schema::date()->type == Type::kInt32);
  CHECK(Schema::date()->logical() == Logical::kDate);
  CHECK(Schema::time()->type == Type::kInt32);
  CHECK(Schema::time()->logical() == Logical::kTime);
  CHECK(Schema::timestamp()->type == Type::kInt64);
  CHECK(Schema::timestamp(true)->optional);
  CHECK(Schema::timestamp()->logical() == Logical::kTimestamp);
  CHECK(Schema::timestamp()->version == 1);
  CHECK(Schema::primitive(Type::kInt64)->logical() == Logical::kNone);
  CHECK(Schema::primitive(Type::kInt64)->decimal_scale() == 0);
}

TEST_CASE("logical() is detected from the name of a hand-built schema") {
  Schema s;
  s.type = Type::kInt64;
  s.name = kpipe::kTimestampName;
  CHECK(s.logical() == Logical::kTimestamp);
  // The name alone is not enough: the underlying type must match.
  s.type = Type::kString;
  CHECK(s.logical() == Logical::kNone);
  s.type = Type::kInt32;
  s.name = "org.apache.kafka.connect.data.Other";
  CHECK(s.logical() == Logical::kNone);
  s.name = "login";
  CHECK(s.logical() == Logical::kNone);
}

TEST_CASE("array, map, struct") {
  SchemaPtr arr = Schema::array(Schema::primitive(Type::kString), true);
  CHECK(arr->type == Type::kArray);
  CHECK(arr->optional);
  CHECK(arr->items.get() == Schema::primitive(Type::kString).get());

  SchemaPtr map = Schema::map(Schema::primitive(Type::kString), Schema::primitive(Type::kInt32));
  CHECK(map->type == Type::kMap);
  CHECK(map->keys->type == Type::kString);
  CHECK(map->values->type == Type::kInt32);

  SchemaPtr st = StructBuilder("login")
                     .field("username", Schema::primitive(Type::kString, true))
                     .field("login_time", Schema::timestamp(true))
                     .build();
  CHECK(st->field_index("username") == 0);
  CHECK(st->field_index("login_time") == 1);
  CHECK(st->field_index("missing") == -1);
}

TEST_CASE("equals compares deeply") {
  auto make = [](const std::string& field_name) {
    return StructBuilder("login")
        .field(field_name, Schema::primitive(Type::kString, true))
        .field("tags", Schema::array(Schema::primitive(Type::kString)))
        .build();
  };
  CHECK(make("a")->equals(*make("a")));
  CHECK_FALSE(make("a")->equals(*make("b")));
  CHECK_FALSE(make("a")->equals(*StructBuilder("login").build()));
  CHECK(Schema::decimal(2)->equals(*Schema::decimal(2)));
  CHECK_FALSE(Schema::decimal(2)->equals(*Schema::decimal(3)));
  CHECK_FALSE(Schema::decimal(2)->equals(*Schema::decimal(2, true)));
  CHECK_FALSE(Schema::decimal(2)->equals(*Schema::decimal(2, false, 10)));
  CHECK_FALSE(Schema::primitive(Type::kInt32)->equals(*Schema::date()));
  CHECK_FALSE(Schema::array(Schema::primitive(Type::kString))
                  ->equals(*Schema::array(Schema::primitive(Type::kString, true))));

  Schema a;
  a.type = Type::kInt32;
  Schema b = a;
  CHECK(a.equals(b));
  b.default_value = kpipe::Value(int64_t{7});
  CHECK_FALSE(a.equals(b));
  a.default_value = kpipe::Value(int64_t{7});
  CHECK(a.equals(b));
  b.doc = "doc";
  CHECK_FALSE(a.equals(b));
  a.doc = "doc";
  a.parameters = {{"x", "1"}, {"y", "2"}};
  b.parameters = {{"y", "2"}, {"x", "1"}};
  CHECK(a.equals(b));  // parameters compare as a map, as in Connect
  b.version = 2;
  CHECK_FALSE(a.equals(b));
}
