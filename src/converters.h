// The built-in converters: json (Kafka Connect's JsonConverter), string (StringConverter) and
// bytearray (ByteArrayConverter).
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

std::unique_ptr<Converter> make_json_converter();
std::unique_ptr<Converter> make_string_converter();
std::unique_ptr<Converter> make_bytearray_converter();

}  // namespace kpipe
