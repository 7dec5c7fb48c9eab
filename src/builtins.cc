// The one place the engine learns which connectors exist.
#include "connectors/file/file.h"
#include "connectors/hbase/hbase.h"
#include "connectors/jdbc/jdbc.h"
#include "connectors/kafka/kafka.h"
#include "converters.h"
#include "registry.h"
#include "transforms/transforms.h"

namespace kpipe {

void register_builtins(Registry& registry) {
  register_file(registry);
  register_kafka(registry);
  register_jdbc(registry);
  register_hbase(registry);
  register_converters(registry);
  register_transforms(registry);
}

}  // namespace kpipe
