#include "file_map.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace tvlite::detail {

Status map_file(const std::string& path, const void** data, size_t* size) {
  // O_NONBLOCK: opening a FIFO (or a device) must not wait for a writer before the regular-file
  // check below refuses it. It changes nothing for a regular file or its mapping.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Status(Code::kIoError, "cannot open '" + path + "': " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return Status(Code::kIoError, "cannot stat '" + path + "': " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status(Code::kIoError, "'" + path + "' is not a regular file");
  }
  if (st.st_size == 0) {
    ::close(fd);
    return Status(Code::kInvalidFile, "'" + path + "' is empty");
  }
  if (uint64_t(st.st_size) > uint64_t(SIZE_MAX)) {  // a 32-bit target and a file over 4 GiB
    ::close(fd);
    return Status(Code::kInvalidFile, "'" + path + "' is too large to map on this target");
  }
  void* p = ::mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  const int e = errno;
  ::close(fd);  // the mapping keeps the file referenced
  if (p == MAP_FAILED) {
    return Status(Code::kIoError, "cannot map '" + path + "': " + std::strerror(e));
  }
  *data = p;
  *size = size_t(st.st_size);
  return Status::ok();
}

void unmap_file(const void* data, size_t size) {
  if (data != nullptr) ::munmap(const_cast<void*>(data), size);
}

}  // namespace tvlite::detail
