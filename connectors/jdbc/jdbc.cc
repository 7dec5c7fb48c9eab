#include "connectors/jdbc/jdbc.h"

namespace kpipe {

ConfigSpec jdbc_source_spec();
std::unique_ptr<Source> make_jdbc_source();

void register_jdbc(Registry& registry) {
  registry.add_source(jdbc_source_spec(), make_jdbc_source);
}

}  // namespace kpipe
