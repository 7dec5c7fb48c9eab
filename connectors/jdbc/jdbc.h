// The jdbc connectors: the Confluent JDBC source connector's keys, SQL and offsets on
// PostgreSQL, MySQL/MariaDB and SQLite (see sql.h for the dialect interface).
#pragma once

#include "registry.h"

namespace kpipe {

void register_jdbc(Registry& registry);

}  // namespace kpipe
