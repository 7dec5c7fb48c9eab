// The writing side of the avro converter: the Avro schema Confluent's AvroData.fromConnectSchema
// makes of a Connect schema, as the exact compact JSON text Avro Java prints (so the Schema
// Registry gives it the id it gives Connect's AvroConverter), and the Avro binary encoding of a
// value with it.
#pragma once

#include <string>

#include "schema.h"
#include "status.h"
#include "value.h"

namespace kpipe {

struct AvroDataOptions {
  bool connect_meta_data = true;  // connect.meta.data: the connect.* properties
};

// The Avro schema text for `schema` (not null). Fails for what AvroData cannot express either
// (a default it cannot write is left out, as AvroData does).
Status avro_schema_json(const Schema& schema, const AvroDataOptions& options, std::string* out);

// Appends the Avro binary encoding of `value` written with avro_schema_json(schema): a top-level
// bytes value raw (Confluent's framing), Timestamp/Time in milliseconds, Date in days, Decimal as
// minimal two's-complement bytes at the schema's scale.
Status avro_encode(const Schema& schema, const Value& value, std::string* out);

}  // namespace kpipe
