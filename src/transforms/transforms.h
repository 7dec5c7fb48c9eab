// Kafka Connect's built-in transforms and predicates (org.apache.kafka.connect.transforms), each
// family in a file of its own.
#pragma once

#include "registry.h"

namespace kpipe {

// Registers every transform and predicate under its short and Connect class names.
void register_transforms(Registry& registry);

void register_field_transforms(Registry& registry);      // fields.cc
void register_extract_field(Registry& registry);         // extract_field.cc
void register_cast(Registry& registry);                  // cast.cc
void register_timestamp_transforms(Registry& registry);  // timestamps.cc
void register_structure_transforms(Registry& registry);  // structure.cc
void register_routing_transforms(Registry& registry);    // routing.cc: topics, headers, Filter
void register_predicates(Registry& registry);            // predicates.cc

}  // namespace kpipe
