// The file connectors, Kafka's FileStreamSource and FileStreamSink: lines of a file (or stdin)
// become records; records become lines of a file (or stdout).
#pragma once

#include "registry.h"

namespace kpipe {

void register_file(Registry& registry);

}  // namespace kpipe
