// The hbase connectors: tables read and written through the HBase REST gateway ("Stargate").
#pragma once

#include "registry.h"

namespace kpipe {

void register_hbase(Registry& registry);

}  // namespace kpipe
