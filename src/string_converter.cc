// StringConverter and ByteArrayConverter: Kafka Connect's converters of the same names.
#include <memory>
#include <string>

#include "converters.h"
#include "json_converter.h"

namespace kpipe {
namespace {

// Writes the value's string form: a string as is, bytes raw, numbers as Java prints them,
// Decimal as plain text; logical dates and times, structs, maps and lists as their JSON payload
// (Connect would print Java's toString(), which is neither stable nor parseable).
class StringConverter : public Converter {
 public:
  Status configure(const Config& /*config*/, bool /*is_key*/) override { return Status::Ok(); }

  Status to_bytes(const std::string& /*topic*/, const SchemaPtr& schema, const Value& value,
                  std::optional<std::string>* out) override {
    if (value.is_null()) {
      out->reset();
      return Status::Ok();
    }
    bool logical = schema && schema->logical() != Logical::kNone;
    if (value.is<std::string>()) {
      *out = value.as<std::string>();
    } else if (value.is<Bytes>()) {
      *out = value.as<Bytes>().data;
    } else if (value.is<bool>()) {
      *out = value.as<bool>() ? "true" : "false";
    } else if (value.is<int64_t>() && !logical) {
      *out = std::to_string(value.as<int64_t>());
    } else if (value.is<double>()) {
      *out = schema && schema->type == Type::kFloat32
                 ? java_float_to_string(static_cast<float>(value.as<double>()))
                 : java_double_to_string(value.as<double>());
    } else if (value.is<Decimal>()) {
      *out = value.as<Decimal>().to_string();
    } else {
      std::string text;
      KPIPE_RETURN_IF_ERROR(append_json_payload(schema, value, /*numeric_decimals=*/true, &text)
                                .with_context("StringConverter"));
      *out = std::move(text);
    }
    return Status::Ok();
  }

  Status move_to_bytes(const std::string& topic, const SchemaPtr& schema, Value&& value,
                       std::optional<std::string>* out) override {
    if (value.is<std::string>()) {
      *out = std::move(value.as<std::string>());
      return Status::Ok();
    }
    return to_bytes(topic, schema, value, out);
  }

  Status from_bytes(const std::string& /*topic*/, const std::optional<std::string>& bytes,
                    SchemaAndValue* out) override {
    out->schema = Schema::primitive(Type::kString, /*optional=*/true);
    out->value = bytes ? Value(*bytes) : Value();
    return Status::Ok();
  }
};

class ByteArrayConverter : public Converter {
 public:
  Status configure(const Config& /*config*/, bool /*is_key*/) override { return Status::Ok(); }

  Status to_bytes(const std::string& /*topic*/, const SchemaPtr& schema, const Value& value,
                  std::optional<std::string>* out) override {
    if (schema && schema->type != Type::kBytes && schema->type != Type::kString) {
      return Status::Runtime(std::string("Invalid schema type for ByteArrayConverter: ") +
                             type_name(schema->type));
    }
    if (value.is_null()) {
      out->reset();
    } else if (value.is<Bytes>()) {
      *out = value.as<Bytes>().data;
    } else if (value.is<std::string>()) {
      *out = value.as<std::string>();
    } else {
      return Status::Runtime(std::string("ByteArrayConverter is not compatible with ") +
                             value.kind_name() + " values (only bytes and strings)");
    }
    return Status::Ok();
  }

  Status move_to_bytes(const std::string& topic, const SchemaPtr& schema, Value&& value,
                       std::optional<std::string>* out) override {
    const bool raw = !schema || schema->type == Type::kBytes || schema->type == Type::kString;
    if (raw && value.is<Bytes>()) {
      *out = std::move(value.as<Bytes>().data);
      return Status::Ok();
    }
    if (raw && value.is<std::string>()) {
      *out = std::move(value.as<std::string>());
      return Status::Ok();
    }
    return to_bytes(topic, schema, value, out);
  }

  Status from_bytes(const std::string& /*topic*/, const std::optional<std::string>& bytes,
                    SchemaAndValue* out) override {
    out->schema = Schema::primitive(Type::kBytes, /*optional=*/true);
    out->value = bytes ? Value(Bytes{*bytes}) : Value();
    return Status::Ok();
  }
};

}  // namespace

ConfigSpec string_converter_spec() {
  ConfigSpec spec;
  spec.name = "string";
  spec.kind = ComponentKind::kConverter;
  spec.summary = "Kafka Connect's StringConverter: the value's string form, UTF-8";
  FieldSpec encoding;
  encoding.name = "encoding";
  encoding.type = FieldType::kString;
  encoding.default_value = "UTF-8";
  encoding.description = "Character encoding of the bytes (only UTF-8 is supported)";
  encoding.allowed = {"UTF-8", "utf-8", "UTF8", "utf8"};
  spec.fields = {encoding};
  spec.connect_class = "org.apache.kafka.connect.storage.StringConverter";
  return spec;
}

ConfigSpec bytearray_converter_spec() {
  ConfigSpec spec;
  spec.name = "bytearray";
  spec.kind = ComponentKind::kConverter;
  spec.summary = "Kafka Connect's ByteArrayConverter: bytes (or strings) pass through unchanged";
  spec.connect_class = "org.apache.kafka.connect.converters.ByteArrayConverter";
  return spec;
}

std::unique_ptr<Converter> make_string_converter() {
  return std::make_unique<StringConverter>();
}
std::unique_ptr<Converter> make_bytearray_converter() {
  return std::make_unique<ByteArrayConverter>();
}

}  // namespace kpipe
