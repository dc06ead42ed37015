#include "file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>

namespace tvlite::io::internal {

bool read_file_bytes(const std::string& path, std::vector<uint8_t>* bytes, std::string* error) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return fail(error, "cannot open " + path + ": " + std::strerror(errno));
  bytes->clear();
  bool ok = true;
  std::string message;
  try {
    uint8_t chunk[1 << 16];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0)
      bytes->insert(bytes->end(), chunk, chunk + n);
    if (std::ferror(f)) {
      ok = false;
      message = "cannot read " + path + ": " + std::strerror(errno);
    }
  } catch (const std::bad_alloc&) {
    ok = false;
    message = "out of memory reading " + path;
  }
  std::fclose(f);
  return ok ? true : fail(error, message);
}

bool write_file_atomic(const std::string& path, const uint8_t* bytes, size_t size,
                       std::string* error) {
  // A unique sibling name, created exclusively with mode 0666 so the umask applies as for any
  // new file (mkstemp would force 0600).
  static std::atomic<unsigned> counter{0};
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
    tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) return fail(error, "cannot create " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(fd, bytes + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string message = "cannot write " + tmp + ": " + std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return fail(error, message);
    }
    done += static_cast<size_t>(n);
  }
  int sync_rc = ::fsync(fd);
  int close_rc = ::close(fd);
  if (sync_rc != 0 || close_rc != 0) {
    std::string message = "cannot flush " + tmp + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return fail(error, message);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string message = "cannot rename " + tmp + " to " + path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return fail(error, message);
  }
  return true;
}

}  // namespace tvlite::io::internal
