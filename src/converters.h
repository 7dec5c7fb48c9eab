// The built-in converters: json (Kafka Connect's JsonConverter), string (StringConverter),
// bytearray (ByteArrayConverter) and avro (Confluent's AvroConverter with a Schema Registry).
#pragma once

#include <memory>

#include "config.h"
#include "converter.h"
#include "registry.h"

namespace kpipe {

void register_converters(Registry& registry);

ConfigSpec json_converter_spec();
ConfigSpec string_converter_spec();
ConfigSpec bytearray_converter_spec();
ConfigSpec avro_converter_spec();  // avro/avro_converter.cc

std::unique_ptr<Converter> make_json_converter();
std::unique_ptr<Converter> make_string_converter();
std::unique_ptr<Converter> make_bytearray_converter();
std::unique_ptr<Converter> make_avro_converter();

}  // namespace kpipe
