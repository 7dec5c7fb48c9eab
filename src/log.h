// Logging: spdlog to stderr, as text for people or one JSON object per line for machines.
// Data never goes to the log; secrets never reach it (components print ConfigSpec-secret fields
// as "(secret)").
#pragma once

#include <spdlog/spdlog.h>

#include <string>

#include "status.h"

namespace kpipe {

enum class LogFormat { kText, kJson };

// Sets up the default logger. `level` is spdlog's name: trace, debug, info, warn, error, off.
Status init_logging(const std::string& level, LogFormat format);

}  // namespace kpipe
