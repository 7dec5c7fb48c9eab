#include "atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace kpipe {

Status write_file_atomically(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp-XXXXXX";
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0)
    return Status::Runtime("cannot create a temporary file next to " + path + ": " +
                           std::strerror(errno));
  auto fail = [&](const std::string& what) {
    Status st = Status::Runtime(what + ": " + std::strerror(errno));
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    return st;
  };
  struct stat existing;
  const mode_t mode = ::stat(path.c_str(), &existing) == 0 ? existing.st_mode & 07777 : 0644;
  if (::fchmod(fd, mode) != 0) return fail("cannot set the mode of " + tmp);
  for (size_t done = 0; done < content.size();) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("writing " + tmp);
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("fsync of " + tmp);
  const int closed = ::close(fd);
  fd = -1;
  if (closed != 0) return fail("closing " + tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("renaming " + tmp + " to " + path);
  // The rename is durable only once the folder is.
  const std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return Status::Runtime("opening the folder of " + path + ": " + std::strerror(errno));
  const int rc = ::fsync(dfd);
  const int e = errno;
  ::close(dfd);
  if (rc != 0) return Status::Runtime("fsync of the folder of " + path + ": " + std::strerror(e));
  return Status::Ok();
}

}  // namespace kpipe
