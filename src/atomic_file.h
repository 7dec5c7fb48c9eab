// Writing a whole file so that a crash leaves either the old content or the new, never a mix:
// a temporary file beside it, fsync, rename over it, fsync of the folder. The offsets file,
// Connect's offsets file, the metrics file and the run state all go through it.
#pragma once

#include <string>

#include "status.h"

namespace kpipe {

// Replaces `path` with `content`, keeping the file's mode (0644 for a new one). Errors name the
// file and the system's reason; the temporary file is removed.
Status write_file_atomically(const std::string& path, const std::string& content);

}  // namespace kpipe
