// Choosing the reader from the file's content (TRAPS 6).
#include <c10/util/Exception.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "read/legacy_magic.h"
#include "read/zip_archive.h"
#include "tvlite/exporter/read.h"

namespace tvlite::exporter {

const char* container_name(Container c) {
  switch (c) {
    case Container::kZipStateDict:
      return "zip state dict";
    case Container::kTorchScript:
      return "TorchScript archive";
    case Container::kLegacy:
      return "legacy torch.save file";
  }
  return "?";
}

Container sniff_container(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw ExportError("cannot open " + path + ": " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw ExportError(path + " is " + (S_ISDIR(st.st_mode) ? "a directory" : "not a regular file") +
                      ", not a model file");
  }
  uint8_t head[64] = {};
  ssize_t n = ::pread(fd, head, sizeof head, 0);
  ::close(fd);
  if (n == 0) throw ExportError(path + " is empty");
  if (n >= 4 && std::memcmp(head, "PK\x03\x04", 4) == 0) {
    try {
      auto zip = open_zip(path);
      if (zip->hasRecord("constants.pkl") || has_code_records(*zip)) return Container::kTorchScript;
      if (zip->hasRecord("data.pkl")) return Container::kZipStateDict;
      std::string records;
      for (const std::string& r : zip->getAllRecords()) {
        if (records.size() > 120) break;
        records += (records.empty() ? "" : ", ") + r;
      }
      throw ExportError(path +
                        " is a zip archive without data.pkl, so not a file torch.save "
                        "wrote (records: " +
                        records + ")");
    } catch (const c10::Error& e) {
      std::string why = e.what_without_backtrace();
      throw ExportError(path + ": corrupt zip archive: " + why.substr(0, why.find('\n')));
    }
  }
  if (n >= 2 && head[0] == 0x80) {
    // A pickle: torch.save's legacy format opens with its magic number.
    size_t pos = 0;
    bool magic = false;
    try {
      magic = is_legacy_magic(*pickle::unpickle(head, size_t(n), &pos));
    } catch (const ExportError&) {
    }
    if (magic) return Container::kLegacy;
    throw ExportError(path +
                      " is a plain Python pickle, not a file torch.save wrote; save the "
                      "weights with torch.save(model.state_dict(), PATH)");
  }
  char hex[64];
  std::snprintf(hex, sizeof hex, "%02x %02x %02x %02x", head[0], n > 1 ? head[1] : 0,
                n > 2 ? head[2] : 0, n > 3 ? head[3] : 0);
  throw ExportError(path + " is not a PyTorch file: it starts with bytes " + hex +
                    ", neither a zip archive (50 4b 03 04) nor a legacy torch.save pickle (80 ..)");
}

StateDict read_model_file(const std::string& path) {
  switch (sniff_container(path)) {
    case Container::kZipStateDict:
      return read_zip_state_dict(path);
    case Container::kTorchScript:
      return read_torchscript(path);
    case Container::kLegacy:
      return read_legacy(path);
  }
  throw ExportError("unreachable");
}

}  // namespace tvlite::exporter
