#include "connectors/jdbc/jdbc.h"

namespace kpipe {

ConfigSpec jdbc_source_spec();
std::unique_ptr<Source> make_jdbc_source();
ConfigSpec jdbc_sink_spec();
std::unique_ptr<Sink> make_jdbc_sink();

void register_jdbc(Registry& registry) {
  registry.add_source(jdbc_source_spec(), make_jdbc_source);
  registry.add_sink(jdbc_sink_spec(), make_jdbc_sink);
}

}  // namespace kpipe
