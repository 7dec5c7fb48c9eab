// PLACEHOLDER (lead): replaced by the handover implementation.
#include "connect/handover.h"

namespace kpipe {

Status connect_export(const Pipeline&, const Registry&, const ConnectClusterOptions&,
                      const ExportOptions&) {
  return Status::Runtime("connect export: not built yet");
}

Status connect_import(const std::string&, const Registry&, const ConnectClusterOptions&,
                      const std::string&, bool) {
  return Status::Runtime("connect import: not built yet");
}

}  // namespace kpipe
