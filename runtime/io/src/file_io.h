// Whole-file reading and atomic writing for tvlite_io (internal).
#ifndef TVLITE_IO_SRC_FILE_IO_H_
#define TVLITE_IO_SRC_FILE_IO_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tvlite::io::internal {

// Reads all of `path` into *bytes. Messages name the path and the errno reason.
bool read_file_bytes(const std::string& path, std::vector<uint8_t>* bytes, std::string* error);

// Writes `size` bytes to a fresh temporary file next to `path`, flushes it, then renames it
// over `path`; on any failure the temporary file is removed and `path` is untouched.
bool write_file_atomic(const std::string& path, const uint8_t* bytes, size_t size,
                       std::string* error);

// Sets *error (if not null) to `message` and returns false, for one-line failure returns.
inline bool fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return false;
}

}  // namespace tvlite::io::internal

#endif  // TVLITE_IO_SRC_FILE_IO_H_
