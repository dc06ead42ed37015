#include "file_checks.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace tvlite::tools {

std::string input_problem(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return "cannot open '" + path + "': " + std::strerror(errno);
  if (S_ISDIR(st.st_mode)) return "'" + path + "' is a directory";
  if (!S_ISREG(st.st_mode)) return "'" + path + "' is not a regular file";
  return "";
}

std::string output_problem(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return "";  // absent: created
  if (S_ISLNK(st.st_mode)) {
    return "output '" + path + "' is a symbolic link; give the path of the file itself";
  }
  if (S_ISDIR(st.st_mode)) return "output '" + path + "' is a directory";
  if (!S_ISREG(st.st_mode)) {
    return "output '" + path + "' is not a regular file (a device or FIFO); refusing to replace it";
  }
  return "";
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

}  // namespace tvlite::tools
