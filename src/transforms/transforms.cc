#include "transforms/transforms.h"

namespace kpipe {

void register_transforms(Registry& registry) {
  register_field_transforms(registry);
  register_extract_field(registry);
  register_cast(registry);
  register_timestamp_transforms(registry);
  register_structure_transforms(registry);
  register_routing_transforms(registry);
  register_predicates(registry);
}

}  // namespace kpipe
