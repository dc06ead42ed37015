// Opening a zip archive with LibTorch's reader, turning its exceptions into ExportError.
#pragma once
#include <caffe2/serialize/inline_container.h>

#include <memory>
#include <string>

#include "tvlite/exporter/state_dict.h"

namespace tvlite::exporter {

std::unique_ptr<caffe2::serialize::PyTorchStreamReader> open_zip(const std::string& path);
bool has_code_records(caffe2::serialize::PyTorchStreamReader& zip);

}  // namespace tvlite::exporter
