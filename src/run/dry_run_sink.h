// The sink of `kpipe run --dry-run`: prints each record as it would be written, one JSON object
// per line {"topic","partition","key","value","headers"}, and makes nothing durable anywhere.
// Keys and values are the converters' bytes: text when they are UTF-8, else {"base64": ".."}.
#pragma once

#include <cstdio>
#include <memory>

#include "connector.h"

namespace kpipe {

std::unique_ptr<Sink> make_dry_run_sink(std::FILE* out);

}  // namespace kpipe
