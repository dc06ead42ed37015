#include "read/zip_archive.h"

#include <c10/util/Exception.h>

namespace tvlite::exporter {

std::unique_ptr<caffe2::serialize::PyTorchStreamReader> open_zip(const std::string& path) {
  try {
    return std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
  } catch (const c10::Error& e) {
    std::string why = e.what_without_backtrace();
    why = why.substr(0, why.find('\n'));
    throw ExportError(path +
                      " starts like a zip archive but cannot be read as one (truncated or "
                      "corrupt?): " +
                      why);
  }
}

bool has_code_records(caffe2::serialize::PyTorchStreamReader& zip) {
  for (const std::string& r : zip.getAllRecords())
    if (r.rfind("code/", 0) == 0) return true;
  return false;
}

}  // namespace tvlite::exporter
